"""What is in the warehouse: loaded batches and row counts, for ``etl status`` and the data quality page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, select

from warehouse import models as m

COUNTED_TABLES = {
    "areas": m.Area, "priorities": m.Priority, "metrics": m.Metric, "organisations": m.Organisation,
    "projects": m.Project, "targets": m.Target, "funding": m.Funding, "grants": m.Grant, "spend": m.Spend,
    "returns": m.ReturnSubmission, "observations": m.Observation, "observation_history": m.ObservationHistory,
}


def status(engine: Engine) -> dict[str, Any]:
    """Loaded batches and row counts. Refused attempts are listed separately: they change no data."""
    with engine.connect() as conn:
        counts = {name: conn.execute(select(func.count()).select_from(model)).scalar_one()
                  for name, model in COUNTED_TABLES.items()}
        batches = [
            {
                "id": b.id, "file_name": b.file_name, "kind": b.kind, "sha256": b.sha256,
                "loaded_at": b.loaded_at.isoformat(), "loaded_by": b.loaded_by, "rows_loaded": b.rows_loaded,
                "outcome": b.outcome,
            }
            for b in conn.execute(
                select(m.LoadBatch.__table__).where(m.LoadBatch.outcome == "loaded").order_by(m.LoadBatch.id)
            )
        ]
    return {"row_counts": counts, "batches": batches}


def recent_rejections(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(m.LoadBatch.id, m.LoadBatch.file_name, m.LoadBatch.loaded_at, m.LoadBatch.rows_rejected,
                   m.LoadBatch.message)
            .where(m.LoadBatch.outcome == "rejected").order_by(m.LoadBatch.id.desc()).limit(limit)
        ).all()
    return [dict(r._mapping) for r in rows]
