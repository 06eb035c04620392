"""Engines run compiled Ibis expressions: DuckDB (embedded, default) and Spark (local or cluster)."""

from __future__ import annotations

from northstar.engine.base import Engine
from northstar.errors import UserError

ENGINES = ("duckdb", "spark")


def create_engine(name: str = "duckdb", **options: object) -> Engine:
    """Create an engine by name: ``duckdb`` (default) or ``spark``."""
    if name == "duckdb":
        from northstar.engine.duckdb import DuckDBEngine

        return DuckDBEngine(**options)  # type: ignore[arg-type]
    if name == "spark":
        from northstar.engine.spark import SparkEngine

        return SparkEngine(**options)  # type: ignore[arg-type]
    raise UserError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "create_engine"]
