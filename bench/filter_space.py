"""Random views drawn from the real filter space (years x quarters x areas x priorities x projects).

Shared by the dashboard benchmarks so that they measure views nobody has asked for yet, not only the
few the background warmer prepares. Seeded: the same seed draws the same views in every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import Engine


@dataclass(frozen=True)
class Space:
    years: list[str]
    areas: list[str]
    priorities: list[str]
    projects: list[str]


def space_of(engine: Engine) -> Space:
    """The choices the filter bar offers (service.options), as codes."""
    from service.options import filter_options

    opts = filter_options(engine)
    return Space([c for c, _ in opts.years], [c for c, _ in opts.areas], [c for c, _ in opts.priorities],
                 [c for c, _ in opts.projects])


def draw(space: Space, n: int, seed: int, warmed: set[tuple] | None = None) -> list[dict[str, str]]:
    """N distinct views as filter-bar values ("" = all), none of them in WARMED.

    Each dimension is set independently, about as often as people set it: a year most of the time,
    a quarter one time in two, an area or a priority one time in two, a project one time in four
    (a project with an area outside its patch is a real, empty view and is kept)."""
    rng = random.Random(seed)
    seen = set(warmed or ())
    out: list[dict[str, str]] = []
    tries = 0
    while len(out) < n and tries < n * 50:
        tries += 1
        view = {
            "fy": rng.choice(space.years) if space.years and rng.random() < 0.8 else "",
            "quarter": rng.choice(["Q1", "Q2", "Q3", "Q4"]) if rng.random() < 0.5 else "",
            "area": rng.choice(space.areas) if space.areas and rng.random() < 0.5 else "",
            "priority": rng.choice(space.priorities) if space.priorities and rng.random() < 0.5 else "",
            "project": rng.choice(space.projects) if space.projects and rng.random() < 0.25 else "",
        }
        if not view["fy"]:
            view["quarter"] = ""  # a quarter belongs to a chosen year (Filters.from_query drops it otherwise)
        key = tuple(sorted(view.items()))
        if key in seen:
            continue
        seen.add(key)
        out.append(view)
    return out
