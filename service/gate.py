"""The one gate every figure passes on its way out of the service layer: caching and disclosure control.

A view is a function ``(engine, *args) -> result`` that computes exact figures (a warehouse query plus
``analysis`` functions) and returns a frozen dataclass. It declares which of its columns count
people with :class:`People`; :func:`view` wraps it so that what every caller receives (pages,
callbacks, the API, CSV/XLSX exports, snapshots, the PDF board pack) has those columns protected by
``analysis.disclosure.protect`` and their cell keys removed, then caches that protected result per
data version. The exact figures never leave the wrapper, and never reach the cache.

Figures derived from a count of people (a share of target, a change on last year, a status, a rate)
must be worked out from the *protected* count, or they would give the exact one away: a view passes
``derive`` for that, which the gate calls after protection.

The threshold and the disclosure key are read here, once, from settings and passed down:
``analysis`` never reads them.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from analysis.disclosure import protect_columns
from service.cache import DATA_VERSION, cached
from settings import load_settings
from warehouse import queries
from warehouse.version import current_version

T = TypeVar("T")
PEOPLE_UNIT = "people"
VIEWS: list[Callable[..., Any]] = []  # every gated view, for the tests that enumerate them


@dataclass(frozen=True)
class People:
    """A column of a view's frame that counts people, and the column holding its cell keys.

    ``frame``: the result's field holding the frame. ``metric``: the column naming each row's metric,
    so only rows of people metrics are protected (hours and pounds stay exact); None when every row
    counts people.
    """

    frame: str
    value: str = "value"
    key: str = "value_key"
    metric: str | None = "metric_code"


def threshold() -> int:
    """The suppression threshold in force (SUPPRESSION_THRESHOLD), read in this one place."""
    return load_settings().suppression_threshold


_PEOPLE_CODES: dict[tuple[str, int], frozenset[str]] = {}


def people_metric_codes(engine: Engine) -> frozenset[str]:
    """Codes of the metrics counted in people (unit ``people`` in metrics.csv), per data version.

    Inside a cached computation the data version is already known (``service.cache.DATA_VERSION``), so
    a new view costs no extra query for it."""
    known = DATA_VERSION.get()
    key = known if known and known[0] == str(engine.url) else (str(engine.url), current_version(engine))
    codes = _PEOPLE_CODES.get(key)
    if codes is None:
        info = queries.metrics(engine)
        codes = frozenset(info.loc[info["unit"] == PEOPLE_UNIT, "metric_code"])
        if len(_PEOPLE_CODES) > 64:
            _PEOPLE_CODES.clear()
        _PEOPLE_CODES[key] = codes
    return codes


def protect_frame(frame: pd.DataFrame, columns: list[People] | tuple[People, ...], people_codes: frozenset[str],
                  limit: int) -> pd.DataFrame:
    """``frame`` with each declared people column protected and its key column gone (one copy)."""
    masks: dict[str | None, np.ndarray | None] = {}
    spec = []
    for col in columns:
        if col.key not in frame.columns:
            raise KeyError(f"people column {col.value!r} has no key column {col.key!r}")
        if col.metric not in masks:
            masks[col.metric] = None if col.metric is None else frame[col.metric].isin(people_codes).to_numpy()
        spec.append((col.value, col.key, masks[col.metric]))
    return protect_columns(frame, spec, limit)


def publish(engine: Engine, frame: pd.DataFrame, limit: int, *people: People) -> pd.DataFrame:
    """A frame of exact figures as published, for a view that derives figures from it (a cost per
    person needs the published count). Default: ``value``/``value_key`` on people-metric rows."""
    return protect_frame(frame, people or (People(""),), people_metric_codes(engine), limit)


def publish_kpis(engine: Engine, table: pd.DataFrame, limit: int) -> pd.DataFrame:
    """``analysis.progress.kpi_table`` rows (with their key columns) as published: counts of people
    protected, then share, status and change worked out from the published counts."""
    from analysis.progress import derive_kpis

    cols = [People("", "value", "value_key"), People("", "previous", "previous_key"),
            People("", "total_since_2019", "total_key")]
    return derive_kpis(protect_frame(table, cols, people_metric_codes(engine), limit), limit)


def protect_result(engine: Engine, result: T, people: tuple[People, ...], limit: int) -> T:
    """The result with every declared people column protected (frames are replaced, never edited)."""
    if not people or result is None:
        return result
    codes = people_metric_codes(engine)
    by_frame: dict[str, list[People]] = {}
    for col in people:
        by_frame.setdefault(col.frame, []).append(col)
    changes = {}
    for name, cols in by_frame.items():
        frame = getattr(result, name)
        changes[name] = protect_frame(frame, cols, codes, limit) if isinstance(frame, pd.DataFrame) else frame
    return dataclasses.replace(result, **changes)  # type: ignore[type-var]


def view(*people: People, derive: Callable[[Any, int], Any] | None = None) -> Callable[[Callable[..., T]],
                                                                                        Callable[..., T]]:
    """Make ``fn`` a gated, cached view. ``derive(result, threshold)`` completes figures computed
    from protected counts."""

    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        wants_limit = "limit" in inspect.signature(fn).parameters

        @functools.wraps(fn)
        def protected(engine: Engine, *args: Any, limit: int, **kwargs: Any) -> T:
            if wants_limit:  # a view that publishes through publish_kpis itself needs the threshold
                kwargs["limit"] = limit
            result = protect_result(engine, fn(engine, *args, **kwargs), people, limit)
            return derive(result, limit) if derive is not None else result

        stored = cached(protected)

        @functools.wraps(fn)
        def wrapper(engine: Engine, *args: Any, **kwargs: Any) -> T:
            return stored(engine, *args, limit=threshold(), **kwargs)

        def uncached(engine: Engine, *args: Any, **kwargs: Any) -> T:
            """The same protected result, computed afresh (benchmarks of the hard path, tests)."""
            return protected(engine, *args, limit=threshold(), **kwargs)

        wrapper.uncached = uncached  # type: ignore[attr-defined]
        wrapper.people = people  # type: ignore[attr-defined]
        VIEWS.append(wrapper)
        return wrapper

    return decorate
