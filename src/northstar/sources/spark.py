"""Placeholder: replaced by the Spark reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def spark_dataframe(spark: Any, source: Any, base_dir: Path) -> Any:
    raise NotImplementedError
