"""Northstar: KPIs as code — a north-star metric and its drivers in YAML, computed on DuckDB or Spark."""

from northstar.errors import (
    DataError,
    ExpressionError,
    InternalError,
    Issue,
    NorthstarError,
    QueryError,
    SpecError,
    UnsupportedOnEngine,
    UserError,
)
from northstar.project import Project
from northstar.results import MetricInfo, QueryResult

__version__ = "0.1.0"

__all__ = [
    "DataError",
    "ExpressionError",
    "InternalError",
    "Issue",
    "MetricInfo",
    "NorthstarError",
    "Project",
    "QueryError",
    "QueryResult",
    "SpecError",
    "UnsupportedOnEngine",
    "UserError",
    "__version__",
]
