"""What every engine offers the compiler: source tables as Ibis tables, execution, SQL text.

Each registered source table keeps its own columns and gains ``__ts``: the source's time column
as a naive timestamp in the *project* timezone, so every grain is cut on local wall-clock time.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from northstar.errors import UnsupportedOnEngine
from northstar.spec.expressions import kind_of

__all__ = ["HIDDEN", "TS", "UTC", "Engine", "kind_of"]
from northstar.spec.models import Source

TS = "__ts"  # the row's time as wall-clock time in the project timezone: periods, date ranges
UTC = "__utc"  # the same instant in UTC: elapsed time, order of events (no DST jumps)
HIDDEN = (TS, UTC)  # columns every source table gains; not the user's columns


class Engine(ABC):
    """A place to run queries. Subclasses register sources and execute Ibis expressions."""

    name: str

    def __init__(self) -> None:
        self._tables: dict[str, Any] = {}
        self._kinds: dict[str, dict[str, str]] = {}
        self._one_clock: dict[str, bool] = {}

    def register(self, name: str, source: Source, base_dir: Path, project_tz: str) -> None:
        """Make ``source`` available as table ``name`` (with ``__ts`` and ``__utc``); idempotent."""
        if name in self._tables:
            return
        table, kinds = self._register(name, source, base_dir, project_tz)
        self._tables[name] = table
        self._kinds[name] = kinds
        # the project and the source both on UTC: ``__ts`` and ``__utc`` hold the same times
        self._one_clock[name] = project_tz == "UTC" and (source.timezone or "UTC") == "UTC"

    def table(self, name: str) -> Any:
        return self._tables[name]

    def one_clock(self, name: str) -> bool:
        """True when the source's wall-clock column (``__ts``) equals its UTC column
        (``__utc``), so that a reader may fetch one of them (a tz-aware column with a declared
        non-UTC source timezone counts as different: the answer may be False when they agree)."""
        return self._one_clock[name]

    def column_kinds(self, name: str) -> dict[str, str]:
        """The source's own columns → number | text | timestamp | date | boolean | other."""
        return self._kinds[name]

    @abstractmethod
    def _register(
        self, name: str, source: Source, base_dir: Path, project_tz: str
    ) -> tuple[Any, dict[str, str]]: ...

    def execute(self, expr: Any) -> pd.DataFrame:
        """Run ``expr``; an operation this engine cannot compile raises :class:`UnsupportedOnEngine`."""
        with self._unsupported():
            return self._execute(expr)

    def sql(self, expr: Any) -> str:
        """The SQL this engine runs for ``expr`` (for snapshots and ``query --sql``)."""
        with self._unsupported():
            return self._sql(expr)

    @abstractmethod
    def _execute(self, expr: Any) -> pd.DataFrame: ...

    @abstractmethod
    def _sql(self, expr: Any) -> str: ...

    @contextmanager
    def _unsupported(self) -> Iterator[None]:
        from ibis.common.exceptions import OperationNotDefinedError, UnsupportedOperationError

        try:
            yield
        except (OperationNotDefinedError, UnsupportedOperationError) as exc:
            op = re.search(r"'(\w+)'", str(exc))
            what = f"the operation {op.group(1) if op else exc}"
            raise UnsupportedOnEngine(self.name, what, "run this query with --engine duckdb") from None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources."""
