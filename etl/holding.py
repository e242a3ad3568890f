"""Whether identical content is what the database holds now, so that loading it again may be a no-op.

Why: the ledger of file hashes used to answer "seen before?", so after file A, a revision B and A
again, the third load said "nothing changed" while the database kept B's figures: an earlier file
could never be re-sent to undo a bad revision. The question that matters is "is A still what the
database holds for A's scope?": it is, unless a later loaded batch wrote into the same scope. When
in doubt (a scope that cannot be compared) the file is re-applied as a revision, which is always
correct, never the other way round.

Scope, as recorded on each load batch: the kinds writing the same table (one *family*), the period
range (``first_period``..``last_period``, blank when the kind has none) and the project (blank
when the file covers several). Reads only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, or_, select

from warehouse.models import LoadBatch

# Kinds that write the same rows: a partner return and an observations CSV for the same project and
# months replace each other.
FAMILIES: dict[str, str] = {"partner_return": "observations"}


def family(kind: str) -> str:
    return FAMILIES.get(kind, kind)


def kinds_of_family(kind: str) -> list[str]:
    name = family(kind)
    return sorted({name, *(k for k, f in FAMILIES.items() if f == name)})


def current_identical(conn: Connection, digest: str, kind: str):  # noqa: ANN201 - a Row or None
    """The loaded batch with this content that the database still holds for its scope, or None.

    None means: never loaded, or superseded since by a later batch over the same scope (load again).
    """
    b = LoadBatch.__table__
    kinds = kinds_of_family(kind)
    earlier = conn.execute(
        select(b.c.id, b.c.loaded_at, b.c.project_code, b.c.first_period, b.c.last_period)
        .where(b.c.sha256 == digest, b.c.kind == kind, b.c.outcome == "loaded")
        .order_by(b.c.id.desc()).limit(1)
    ).first()
    if earlier is None:
        return None
    later = [b.c.id > earlier.id, b.c.outcome == "loaded", b.c.kind.in_(kinds)]
    if earlier.first_period and earlier.last_period:
        # Periods overlap, or the later batch has none recorded (then it may touch anything).
        later.append(or_(b.c.first_period == "", b.c.first_period.is_(None),
                         and_(b.c.first_period <= earlier.last_period, b.c.last_period >= earlier.first_period)))
    if earlier.project_code:
        later.append(or_(b.c.project_code == "", b.c.project_code.is_(None), b.c.project_code == earlier.project_code))
    superseded = conn.execute(select(b.c.id).where(*later).limit(1)).first()
    return None if superseded else earlier


@dataclass(frozen=True)
class StillHeld:
    """Identical content the database still holds: the batch, and the sentence both the loader and the
    preview say, so a re-sent file reads the same whichever way it came in."""

    batch_id: int
    message: str


def still_held(engine: Engine, digest: str, kind: str) -> StillHeld | None:
    """``current_identical`` with its message; None: load (or preview) the file as usual."""
    with engine.connect() as conn:
        earlier = current_identical(conn, digest, kind)
    if earlier is None:
        return None
    return StillHeld(earlier.id, f"identical content was already loaded as batch {earlier.id} on "
                                 f"{earlier.loaded_at:%Y-%m-%d %H:%M} and is what the database holds; nothing changed")
