"""Northstar: KPIs as code — a north-star metric and its drivers in YAML, computed on DuckDB or Spark."""

from northstar.analysis.activity import ActiveUsersResult
from northstar.analysis.aha import AhaResult
from northstar.analysis.alignment import AlignmentMap
from northstar.analysis.bands import TargetSetting
from northstar.analysis.explain import ExplainResult
from northstar.analysis.funnels import FunnelResult
from northstar.analysis.lagged import Validation
from northstar.analysis.lifecycle import LifecycleResult
from northstar.analysis.okrs import OkrResult
from northstar.analysis.repurchase import RepurchaseCurve
from northstar.analysis.retention import RetentionResult
from northstar.analysis.scorecards import ScorecardResult
from northstar.analysis.targets import TargetProposal
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
from northstar.export.review import ReviewPack
from northstar.project import Project
from northstar.results import MetricInfo, QueryResult

__version__ = "0.1.0"

__all__ = [
    "ActiveUsersResult",
    "AhaResult",
    "AlignmentMap",
    "DataError",
    "ExplainResult",
    "ExpressionError",
    "FunnelResult",
    "InternalError",
    "Issue",
    "LifecycleResult",
    "MetricInfo",
    "NorthstarError",
    "OkrResult",
    "Project",
    "QueryError",
    "QueryResult",
    "RepurchaseCurve",
    "RetentionResult",
    "ReviewPack",
    "ScorecardResult",
    "SpecError",
    "TargetProposal",
    "TargetSetting",
    "UnsupportedOnEngine",
    "UserError",
    "Validation",
    "__version__",
]
