"""The default engine: DuckDB embedded in the process, no server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import pandas as pd
from sqlglot import exp

from northstar.engine.allocator import keep_freed_memory
from northstar.engine.base import TS, UTC, Engine, kind_of
from northstar.errors import DataError
from northstar.spec.models import Source


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(self, database: str = ":memory:", threads: int | None = None) -> None:
        super().__init__()
        keep_freed_memory()  # glibc keeps the blocks each query frees for the next one
        self.backend = ibis.duckdb.connect(database)
        self.con = self.backend.con
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")

    def _register(
        self, name: str, source: Source, base_dir: Path, project_tz: str
    ) -> tuple[Any, dict[str, str]]:
        from northstar.sources import register_duckdb

        raw = f"raw_{name}"
        register_duckdb(self.con, raw, source, base_dir)
        raw_table = self.backend.table(raw)
        if source.time not in raw_table.columns:
            raise DataError(
                f"source {name!r}: time column {source.time!r} not found; "
                f"columns are {', '.join(raw_table.columns)}"
            )
        dtype = raw_table.schema()[source.time]
        col = exp.column(source.time, quoted=True)
        local = exp.Literal.string(project_tz)
        utc_name = exp.Literal.string("UTC")
        if dtype.is_timestamp() and dtype.timezone is not None:
            ts: Any = exp.func("timezone", local, col)
            utc: Any = exp.func("timezone", utc_name, col)
        else:
            naive: Any = col
            if dtype.is_date() or dtype.is_string():
                naive = exp.cast(col, "TIMESTAMP")
            src_tz = source.timezone or project_tz
            ts = (
                naive
                if src_tz == project_tz
                else exp.func("timezone", local, exp.func("timezone", exp.Literal.string(src_tz), naive))
            )
            utc = (
                naive
                if src_tz == "UTC"
                else exp.func("timezone", utc_name, exp.func("timezone", exp.Literal.string(src_tz), naive))
            )
        view = exp.select(
            exp.Star(), exp.alias_(ts, TS, quoted=True), exp.alias_(utc, UTC, quoted=True)
        ).from_(exp.to_table(raw, quoted=True))
        create = exp.Create(
            this=exp.to_table(f"src_{name}", quoted=True), kind="VIEW", expression=view, replace=True
        )
        self.con.execute(create.sql(dialect="duckdb"))
        kinds = {c: kind_of(t) for c, t in raw_table.schema().items()}
        return self.backend.table(f"src_{name}"), kinds

    def _execute(self, expr: Any) -> pd.DataFrame:
        return self.backend.execute(expr)

    def _sql(self, expr: Any) -> str:
        return str(ibis.to_sql(expr, dialect="duckdb"))

    def close(self) -> None:
        self.backend.disconnect()
