"""The database engine the web app uses (one per process, from DATABASE_URL)."""

from __future__ import annotations

from sqlalchemy import Engine

from settings import load_settings
from warehouse.db import get_engine


def engine() -> Engine:
    return get_engine(load_settings().database_url)
