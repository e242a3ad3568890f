"""Per-table checksums of a whole database, to prove that a refused or killed load changed nothing.

Each table's rows are read in primary-key order and hashed (SHA-256 of their text), so two calls
agree exactly when every table holds the same rows. Shared by the crash and fuzz tests.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine, MetaData, select

# Tables that record every attempt, refused ones included, by design: compared separately.
LEDGER = ("load_batch", "rejected_row", "audit_event")


def table_checksums(engine: Engine, skip: tuple[str, ...] = (), meta: MetaData | None = None,
                    ) -> dict[str, tuple[int, str]]:
    """{table: (rows, sha256 of the rows in key order)} for every table but ``skip`` and Alembic's.

    ``meta``: the reflected schema, when calling many times (reflecting costs more than hashing).
    """
    if meta is None:
        meta = MetaData()
        meta.reflect(engine)
    out: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            if name in skip or name == "alembic_version":
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            rows = 0
            for row in conn.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
                rows += 1
            out[name] = (rows, digest.hexdigest())
    return out
