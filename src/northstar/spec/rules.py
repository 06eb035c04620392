"""Validation: small rules that *return* issues; all run, then the caller raises once.

Order: shape (pydantic, per entry, so one bad metric does not hide the others) → references
(sources, metrics, teams, cycles, formulas) → data (columns and types against the real schema of
each source, filters parsed against those columns).
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from northstar.errors import ExpressionError, Issue, NorthstarError
from northstar.spec.alignment_rules import check_alignment
from northstar.spec.drivers import Driver
from northstar.spec.expressions import kind_of as kind_of_type
from northstar.spec.expressions import parse, parse_formula, to_ibis
from northstar.spec.goal_rules import check_goal_references
from northstar.spec.goals import MetricTargets, Okr, Scorecard, guardrail_rules
from northstar.spec.leads import LeadSet, check_lead_references
from northstar.spec.lifecycle import Activity
from northstar.spec.loader import ENTRY_KIND, Node, Seq
from northstar.spec.messages import KIND_ZH, make_issue
from northstar.spec.models import (
    NUMERIC_TYPES,
    Dimension,
    Funnel,
    Metric,
    ProjectInfo,
    ProjectSpec,
    Source,
    Team,
)
from northstar.spec.retention import Retention, parse_gap_seconds
from northstar.spec.suggest import near
from northstar.spec.watch import NotifyEntry, WatchRule

NAME = re.compile(r"^[^\W\d]\w*$")  # letters (any script), digits, underscores
TOP_LEVEL = (
    "funnels",
    "activity",
    "project",
    "include",
    "sources",
    "dimensions",
    "metrics",
    "north_star",
    "supporting",
    "teams",
    "retention",
    "drivers",
    "watch",
    "notify",
    "targets",
    "scorecards",
    "okrs",
    "leads",
)
SECTIONS: dict[str, type[BaseModel]] = {
    "sources": Source,
    "funnels": Funnel,
    "activity": Activity,
    "dimensions": Dimension,
    "metrics": Metric,
    "teams": Team,
    "retention": Retention,
    "drivers": Driver,
    "watch": WatchRule,
    "notify": NotifyEntry,
    "targets": MetricTargets,
    "scorecards": Scorecard,
    "okrs": Okr,
    "leads": LeadSet,
}
REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "sum": ("column|expr",),
    "avg": ("column|expr",),
    "min": ("column|expr",),
    "max": ("column|expr",),
    "median": ("column|expr",),
    "percentile": ("column|expr", "percentile"),
    "ratio": ("numerator", "denominator"),
    "formula": ("expr",),
    "repeat_rate": ("source", "within"),
    "relative": ("column", "reference"),
    "tiered": ("column", "thresholds"),
    "conversion": ("funnel|steps",),
    "active_users": ("activity|source",),
}


def _loc(node: Any, key: str | None = None) -> tuple[str | None, int | None]:
    if isinstance(node, Node):
        return node.file, node.line_of(key)
    return None, None


def check_shape(data: Node) -> tuple[ProjectSpec | None, list[Issue]]:
    """Validate each entry's shape; return a spec built from the valid entries, and the issues."""
    issues: list[Issue] = []
    for key in data:
        if key not in TOP_LEVEL:
            issues.append(
                make_issue(
                    "unknown-key",
                    *_loc(data, key),
                    key=key,
                    where="the project file",
                    allowed=", ".join(TOP_LEVEL),
                    suggestions=near(key, TOP_LEVEL),
                )
            )
    parts: dict[str, Any] = {}
    project = data.get("project")
    if project is None:
        issues.append(make_issue("missing-key", data.file, 1, key="project", where="the project file"))
        parts["project"] = ProjectInfo.model_construct(
            name="?", timezone="UTC", currency="USD", language="en", week_start="monday"
        )
    else:
        info = _validate(ProjectInfo, project, "project", data, "project", issues)
        # keep checking the rest of the project even when this section is wrong
        parts["project"] = info or ProjectInfo.model_construct(
            name=str(project.get("name", "?")) if isinstance(project, dict) else "?",
            timezone="UTC",
            currency="USD",
            language="en",
            week_start="monday",
        )
    for section, model in SECTIONS.items():
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            issues.append(
                make_issue(
                    "bad-value",
                    *_loc(data, section),
                    where="project",
                    key=section,
                    detail=f"{section} must be a mapping of name: definition",
                )
            )
            continue
        valid = {}
        for name, raw in entries.items():
            if not NAME.match(str(name)) or "__" in str(name):
                issues.append(
                    make_issue("bad-name", *_loc(entries, name), kind=ENTRY_KIND[section], name=str(name))
                )
                continue
            obj = _validate(model, raw, f"{section}.{name}", entries, name, issues)
            if obj is not None:
                valid[str(name)] = obj
        parts[section] = valid
    # each lead set is also a source of its name: the screened, rated leads (leads/table.py)
    from northstar.leads.table import lead_source

    derived = {}
    for name in parts.get("leads", {}):
        if name in parts.get("sources", {}):
            issues.append(make_issue("lead-set-name", *_loc(data.get("leads"), name), name=name))
            continue
        src = lead_source(ProjectSpec.model_construct(**{**parts, "leads": parts["leads"]}), name)
        if src is not None:
            derived[name] = src
    parts["sources"] = {**parts.get("sources", {}), **derived}
    # OKR guardrails are watch rules (named <okr>__<metric>__floor, which no user rule can be)
    parts["watch"] = {**parts.get("watch", {}), **guardrail_rules(parts.get("okrs", {}))}
    for key in ("north_star",):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            issues.append(
                make_issue(
                    "bad-value", *_loc(data, key), where="project", key=key, detail="must be a metric name"
                )
            )
        elif key in data:
            parts[key] = data[key]
    supporting = data.get("supporting") or []
    if not isinstance(supporting, list) or not all(isinstance(s, str) for s in supporting):
        issues.append(
            make_issue(
                "bad-value",
                *_loc(data, "supporting"),
                where="project",
                key="supporting",
                detail="must be a list of metric names",
            )
        )
    else:
        parts["supporting"] = list(supporting)
    if "project" not in parts:
        return None, issues
    return ProjectSpec.model_construct(**parts), issues


ZH_DETAILS = (
    ("unknown timezone", "未知时区 {input!r}：请使用 IANA 名称，例如 Asia/Shanghai 或 UTC"),
    ("percentile must be", "percentile 必须是 0 到 1 之间的小数，例如 p90 写 0.9"),
    ("is not a duration", "{input!r} 不是时长：请写 30d、2w、12h 或 30min"),
    ("is ambiguous: write 30min", "{input!r} 有歧义：分钟请写 30min，一个月请写 30d"),
    ("within must be positive", "within 必须大于 0"),
    ("give either funnel", "funnel:（引用 funnels: 中的漏斗）和 steps:（直接写步骤）只能二选一"),
    (
        "give either activity",
        "activity:（引用 activity: 中的定义）和 source:（该数据源每一行都算活跃）只能二选一",
    ),
    ("a conversion needs at least two steps", "转化指标至少需要两步"),
    ("a funnel needs at least two steps", "漏斗至少需要两步"),
    ("each step needs an event or a filter", "每一步都需要 event 或 filter"),
    ("each exclusion needs an event or a filter", "每个排除条件都需要 event 或 filter"),
    ("the first step cannot have its own within", "第一步不能有自己的 within（它前面没有步骤）"),
    ("order: any cannot have exclusions", "order: any 不能有排除条件（步骤没有先后顺序）"),
    ("order: any cannot have per-step within", "order: any 不能给单步设置 within（步骤没有先后顺序）"),
    ("must be two steps in order", "between 必须是按顺序的两个步骤编号：{msg}"),
    ("step must be 2 or more", "step 必须大于等于 2（第 1 步是所有人的起点）"),
    (
        "active users are counted in whole days",
        "活跃用户按整天计算：within 请写 1d 到 366d 之间的整天数（7d 为周活，30d 为月活）",
    ),
    ("is past the last of its", "step 超出了最后一步：{msg}"),
    ("is not a period", "{input!r} 不是有效的周期：请写 2026、2026-Q4、2026-11、2026-W47 或 2026-11-27"),
    ("give at least one of floor, target, stretch", "floor、target、stretch 至少要给出一个"),
    ("is not a number", "{input!r} 不是数字：请写 15% 或 1200 这样的值"),
    ("Input should be '", "{input!r} 不是允许的取值：{msg}"),
    ("an objective needs at least one key result", "一个目标（Objective）至少需要一个关键结果"),
    ("needs 'floor' and/or 'ceiling'", "护栏指标需要 floor（下限）和/或 ceiling（上限）：{msg}"),
    ("a key result graded by hand needs a 'label'", "手工评分的关键结果需要 label 说明它是什么"),
    ("a key result needs 'metric'", "关键结果需要 metric（并给出 target），或手工评分 grade（0 到 1）"),
    ("needs 'target'", "绑定指标的关键结果需要 target：{msg}"),
    (
        "give at least one set of weights",
        "至少需要一组权重，例如 - {{from: 2026-01-05, kpi_a: 60%, kpi_b: 40%}}",
    ),
    ("two weight sets start on the same date", "有两组权重的起始日期相同"),
    ("must be shorter than the period", "per 的粒度必须比周期短：{msg}"),
    ("is negative", "权重不能为负：{msg}"),
    ("Input should be a valid", "类型不对：{msg}"),
    ("should be greater than or equal", "数值太小：{msg}"),
    ("should be less than or equal", "数值太大：{msg}"),
)


def _zh_detail(msg: str, value: Any) -> str:
    for prefix, template in ZH_DETAILS:
        if prefix in msg:
            return template.format(input=value, msg=msg)
    return msg


def _validate(
    model: type[BaseModel], raw: Any, where: str, parent: Any, key: str, issues: list[Issue]
) -> Any:
    if raw is None:
        raw = {}
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        allowed = _keys_of(model)
        extras = [str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden" and len(e["loc"]) == 1]
        meant = {s for x in extras for s in near(x, allowed)[:1]}
        for err in errors:
            loc = [str(x) for x in err["loc"]]
            node, last, item = raw, None, None
            for part in err["loc"]:
                if isinstance(node, dict) and str(part) in node:
                    last, node, item = (node, str(part)), node[str(part)], None
                elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                    if isinstance(node, Seq) and part < len(node.item_lines):
                        item = (node.file, node.item_lines[part])  # the error is about the item itself
                    node = node[part]  # list items keep the line of the key above them
                else:
                    break
            file, line = item or _loc(*(last or (parent, key)))
            if file is None:
                file, line = _loc(parent, key)
            field = loc[0] if loc else ""
            if err["type"] == "extra_forbidden":
                # a key inside a nested entry (a funnel step, an exclusion…): name it and its place
                inner = _nested_model(model, err["loc"][:-1])
                keys = _keys_of(inner) if inner else allowed
                bad = loc[-1]
                holder = node if isinstance(node, dict) and len(loc) > 1 else raw
                if len(loc) > 1 and isinstance(last, tuple):
                    holder = last[0].get(last[1]) if isinstance(last[0], dict) else raw
                issues.append(
                    make_issue(
                        "unknown-key",
                        *(_loc(holder, bad) if _loc(holder, bad)[1] else (file, line)),
                        key=bad,
                        where=where
                        + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"][:-1]),
                        allowed=", ".join(keys),
                        suggestions=near(bad, keys),
                    )
                )
            elif err["type"] == "missing":
                if field in meant:
                    continue  # the unknown-key issue already says "did you mean" this field
                issues.append(make_issue("missing-key", file, line, key=".".join(loc), where=where))
            elif err["type"] == "literal_error":
                bad = err.get("input")
                expected = err.get("ctx", {}).get("expected", "")
                options = [o.strip(" '") for o in str(expected).replace(" or ", ",").split(",")]
                issues.append(
                    make_issue(
                        "bad-value",
                        file,
                        line,
                        where=where,
                        key=".".join(loc),
                        detail=f"{bad!r} is not allowed; choose {expected}",
                        detail_zh=f"不允许 {bad!r}；可选值：{expected}",
                        suggestions=near(str(bad), options),
                    )
                )
            else:
                msg = err["msg"].removeprefix("Value error, ")
                value = err.get("input")
                sugg: tuple[str, ...] = ()
                if field == "timezone" and isinstance(value, str):
                    from zoneinfo import available_timezones

                    sugg = near(value, available_timezones())
                issues.append(
                    make_issue(
                        "bad-value",
                        file,
                        line,
                        where=where,
                        key=".".join(loc),
                        detail=msg,
                        detail_zh=_zh_detail(msg, value),
                        suggestions=sugg,
                    )
                )
        return None


def check_references(spec: ProjectSpec, data: Node, known_metrics: list[str]) -> list[Issue]:
    """Names that must exist: sources, metrics, teams; formulas parse; no cycles."""
    issues: list[Issue] = []
    raw_metrics = data.get("metrics") or Node()
    metric_names = set(known_metrics)
    for name, m in spec.metrics.items():
        raw = raw_metrics.get(name)
        for req in REQUIRED_BY_TYPE.get(m.type, ()):
            if not any(getattr(m, alt) not in (None, []) for alt in req.split("|")):
                issues.append(
                    make_issue(
                        "missing-key",
                        *_loc(raw_metrics, name),
                        key=req.replace("|", "' or '"),
                        where=f"metric {name!r} ({m.type})",
                    )
                )
        if m.type == "conversion" and m.funnel:
            if m.funnel not in spec.funnels:
                issues.append(
                    make_issue(
                        "unknown-funnel",
                        *_loc(raw, "funnel"),
                        metric=name,
                        funnel=m.funnel,
                        suggestions=near(m.funnel, spec.funnels),
                    )
                )
            elif m.step is not None and m.step > len(spec.funnels[m.funnel].steps):
                issues.append(
                    make_issue(
                        "bad-value",
                        *_loc(raw, "step"),
                        where=f"metric {name!r}",
                        key="step",
                        detail=f"funnel {m.funnel!r} has {len(spec.funnels[m.funnel].steps)} steps",
                        detail_zh=f"漏斗 {m.funnel!r} 只有 {len(spec.funnels[m.funnel].steps)} 步",
                    )
                )
        elif m.type == "active_users" and m.activity:
            if m.activity not in spec.activity:
                issues.append(
                    make_issue(
                        "unknown-activity",
                        *_loc(raw, "activity"),
                        metric=name,
                        activity=m.activity,
                        suggestions=near(m.activity, spec.activity),
                    )
                )
        elif m.type not in ("ratio", "formula"):
            if not m.source:
                issues.append(
                    make_issue(
                        "missing-key",
                        *_loc(raw_metrics, name),
                        key="source",
                        where=f"metric {name!r} ({m.type})",
                    )
                )
            elif m.source not in spec.sources:
                issues.append(_unknown_source(raw, name, m.source, spec))
        for field in ("numerator", "denominator"):
            ref = getattr(m, field)
            if ref and ref not in metric_names:
                issues.append(
                    make_issue(
                        "unknown-metric",
                        *_loc(raw, field),
                        what=f"metric {name!r} {field}",
                        metric=ref,
                        suggestions=near(ref, metric_names),
                    )
                )
        if m.type == "formula" and m.expr:
            try:
                parsed = parse_formula(m.expr, known=metric_names)
                if name in parsed.columns:
                    issues.append(make_issue("cycle", *_loc(raw, "expr"), cycle=f"{name} → {name}"))
            except ExpressionError as exc:
                issues.append(_expression_issue("bad-formula", _loc(raw, "expr"), name, exc))
        if m.team and m.team not in spec.teams:
            issues.append(
                make_issue(
                    "unknown-team",
                    *_loc(raw, "team"),
                    metric=name,
                    team=m.team,
                    suggestions=near(m.team, spec.teams),
                )
            )
    raw_funnels = data.get("funnels") or Node()
    for fname, funnel in (spec.funnels or {}).items():
        if funnel.source not in spec.sources:
            issues.append(_unknown_source(raw_funnels.get(fname), fname, funnel.source, spec, "funnel"))
    issues += check_activity_references(spec, data)
    issues += check_retention_references(spec, data)
    issues += check_driver_references(spec, data, known_metrics)
    issues += check_watch_references(spec, data, known_metrics)
    issues += check_notify_entries(spec, data)
    issues += check_alignment(spec, data, known_metrics)
    issues += check_goal_references(spec, data, known_metrics)
    issues += check_lead_references(spec, data)
    issues += _cycles(spec, raw_metrics)
    ns = spec.north_star
    if ns is None:
        issues.append(make_issue("no-north-star", data.file, 1, level="warning"))
    elif ns not in metric_names:
        issues.append(
            make_issue(
                "north-star-undefined",
                *_loc(data, "north_star"),
                metric=ns,
                suggestions=near(ns, metric_names),
            )
        )
    for i, s in enumerate(spec.supporting):
        if s not in metric_names:
            seq: Any = data.get("supporting")
            line = seq.item_lines[i] if isinstance(seq, Seq) else data.line_of("supporting")
            issues.append(
                make_issue(
                    "unknown-metric",
                    data.file,
                    line,
                    what="supporting",
                    metric=s,
                    suggestions=near(s, metric_names),
                )
            )
    raw_teams = data.get("teams") or Node()
    for tname, team in spec.teams.items():
        for ref in team.metrics:
            if ref not in metric_names:
                issues.append(
                    make_issue(
                        "unknown-metric",
                        *_loc(raw_teams.get(tname), "metrics"),
                        what=f"team {tname!r}",
                        metric=ref,
                        suggestions=near(ref, metric_names),
                    )
                )
    return issues


def _cycles(spec: ProjectSpec, raw_metrics: Node) -> list[Issue]:
    from sqlglot import exp, parse_one

    deps: dict[str, list[str]] = {}
    for name, m in spec.metrics.items():
        if m.type == "ratio":
            deps[name] = [x for x in (m.numerator, m.denominator) if x]
        elif m.type == "formula" and m.expr:
            try:
                deps[name] = [c.name for c in parse_one(m.expr, read="duckdb").find_all(exp.Column)]
            except Exception:
                deps[name] = []
    issues: list[Issue] = []
    reported: set[frozenset[str]] = set()
    state: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for d in deps.get(n, []):
            if d == n:
                continue  # reported as a self reference
            if state.get(d) == 1:
                cyc = [*stack[stack.index(d) :], d] if d in stack else [n, d]
                key = frozenset(cyc)
                if key not in reported:
                    reported.add(key)
                    issues.append(make_issue("cycle", *_loc(raw_metrics, cyc[0]), cycle=" → ".join(cyc)))
            elif state.get(d) is None and d in deps:
                visit(d, [*stack, d])
        state[n] = 2

    for n in deps:
        if state.get(n) is None:
            visit(n, [n])
    return issues


def unlocatable_sources(spec: ProjectSpec, base_dir: Path) -> set[str]:
    """Sources whose files or database cannot even be located (their data is not checked)."""
    bad = set()
    for name, src in spec.sources.items():
        if name in (spec.leads or {}):
            base = spec.leads[name].source
            if base not in spec.sources or not (base_dir / str(src.path)).exists():
                bad.add(name)  # not built (yet): its lead source is missing or unreadable
            continue
        if (
            bool(src.path) == bool(src.url)
            or (src.url and not src.table)
            or (src.path and not glob.glob(str(base_dir / src.path)))
        ):
            bad.add(name)
    return bad


def check_source_locations(spec: ProjectSpec, data: Node, base_dir: Path) -> list[Issue]:
    issues: list[Issue] = []
    raw_sources = data.get("sources") or Node()
    for name, src in spec.sources.items():
        if name in (spec.leads or {}):
            continue  # built from its lead source, whose location is checked
        loc = _loc(raw_sources, name)
        if bool(src.path) == bool(src.url):
            issues.append(make_issue("source-location", *loc, source=name))
            continue
        if src.url and not src.table:
            issues.append(make_issue("missing-key", *loc, key="table", where=f"source {name!r}"))
        if src.path and not glob.glob(str(base_dir / src.path)):
            issues.append(
                make_issue(
                    "source-no-files",
                    *_loc(raw_sources.get(name), "path"),
                    source=name,
                    path=src.path,
                    folder=_shown(base_dir),
                )
            )
    return issues


def check_data(
    spec: ProjectSpec,
    data: Node,
    kinds_of: Callable[[str], Mapping[str, str]],
    catalog_names: list[str],
    table_of: Callable[[str], Any] | None = None,
    is_empty: Callable[[str], bool] = lambda source: False,
) -> list[Issue]:
    """Columns, types and filters against the real schema of each readable source. A source with
    no rows (an empty export) has column names but no real types, so only names are checked."""
    issues: list[Issue] = []
    raw_sources = data.get("sources") or Node()
    raw_metrics = data.get("metrics") or Node()
    schemas: dict[str, Mapping[str, str]] = {}
    for name, src in spec.sources.items():
        try:
            schemas[name] = kinds_of(name)
        except NorthstarError as exc:
            issues.append(
                make_issue("source-unreadable", *_loc(raw_sources, name), source=name, detail=str(exc))
            )
            continue
        cols = list(schemas[name])
        raw = raw_sources.get(name)
        if src.time not in cols:
            issues.append(
                make_issue(
                    "time-column",
                    *_loc(raw, "time"),
                    source=name,
                    column=src.time,
                    columns=", ".join(cols),
                    suggestions=near(src.time, cols),
                )
            )
        if src.entity and src.entity not in cols:
            issues.append(
                make_issue(
                    "entity-column",
                    *_loc(raw, "entity"),
                    source=name,
                    column=src.entity,
                    columns=", ".join(cols),
                    suggestions=near(src.entity, cols),
                )
            )
    for name, m in spec.metrics.items():
        if not m.source or m.source not in schemas:
            continue
        kinds = schemas[m.source]
        cols = list(kinds)
        raw = raw_metrics.get(name)
        typed = not is_empty(m.source)
        for field in ("column", "reference"):
            col = getattr(m, field)
            if col and col not in kinds:
                issues.append(
                    make_issue(
                        "unknown-column",
                        *_loc(raw, field),
                        metric=name,
                        column=col,
                        source=m.source,
                        columns=", ".join(cols),
                        suggestions=near(col, cols),
                    )
                )
            elif (
                typed
                and col
                and field == "column"
                and m.type in (*NUMERIC_TYPES, "tiered")
                and kinds[col] != "number"
            ):
                issues.append(
                    make_issue(
                        "type-error", *_loc(raw, field), metric=name, agg=m.type, column=col, kind=kinds[col]
                    )
                )
        if m.type in ("count_distinct", "repeat_rate") and not (m.column or spec.sources[m.source].entity):
            issues.append(make_issue("needs-entity", *_loc(raw_metrics, name), metric=name, type=m.type))
        for field in ("filter", "expr"):
            text = getattr(m, field)
            if not text or m.type == "formula":
                continue
            try:
                parsed = parse(text, known=cols, what=field)
                if table_of is not None and typed:
                    table: Any = table_of(m.source)
                    value = to_ibis(parsed, table.__getitem__)
                    kind = "boolean" if value.type().is_boolean() else kind_of_type(value.type())
                    if field == "filter" and kind != "boolean":
                        raise ExpressionError(
                            f"filter {text!r} is not a condition (it gives {kind}): compare it, e.g. amount > 0",
                            f"过滤条件 {text!r} 不是判断条件（结果是{KIND_ZH.get(kind, kind)}）：请写成比较，例如 amount > 0",
                        )
                    if field == "expr" and m.type in NUMERIC_TYPES and kind != "number":
                        issues.append(
                            make_issue(
                                "type-error",
                                *_loc(raw, field),
                                metric=name,
                                agg=m.type,
                                column=text,
                                kind=kind,
                            )
                        )
            except ExpressionError as exc:
                issues.append(_expression_issue("bad-expression", _loc(raw, field), name, exc))
    issues += check_funnel_data(spec, data, schemas, table_of, is_empty)
    issues += check_activity_data(spec, data, schemas, table_of, is_empty)
    issues += check_retention_data(spec, data, schemas, table_of, is_empty)
    raw_dims = data.get("dimensions") or Node()
    for dname, dim in spec.dimensions.items():
        present = [s for s in schemas if dim.column_in(dname, s) in schemas[s]]
        if schemas and not present:
            issues.append(
                make_issue(
                    "unknown-dimension-column",
                    *_loc(raw_dims, dname),
                    level="warning",
                    dimension=dname,
                    column=dim.column or dname,
                )
            )
    return issues


def _shown(path: Path) -> str:
    """A folder as the user would write it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def _expression_issue(
    code: str, where: tuple[str | None, int | None], metric: str, exc: ExpressionError
) -> Issue:
    """An issue for a filter, column expression or formula that did not parse or check."""
    return make_issue(
        code, *where, metric=metric, detail=exc.plain, detail_zh=exc.plain_zh, suggestions=exc.suggestions
    )


def _unknown_source(raw: Any, owner: str, source: str, spec: ProjectSpec, kind: str = "metric") -> Issue:
    """A metric or funnel reads a source that is not defined."""
    return make_issue(
        "unknown-source",
        *_loc(raw, "source"),
        owner=kind,
        owner_zh={"metric": "指标", "funnel": "漏斗"}.get(kind, kind),
        metric=owner,
        source=source,
        suggestions=near(source, spec.sources),
    )


def check_activity_references(spec: ProjectSpec, data: Node) -> list[Issue]:
    """Each ``activity:`` entry reads a defined source that has someone to count."""
    issues: list[Issue] = []
    raw_all = data.get("activity") or Node()
    for name, act in (spec.activity or {}).items():
        raw = raw_all.get(name)
        if act.source not in spec.sources:
            issues.append(
                make_issue(
                    "activity-unknown-source",
                    *_loc(raw, "source"),
                    name=name,
                    source=act.source,
                    suggestions=near(act.source, spec.sources),
                )
            )
        elif not act.count_by and not spec.sources[act.source].entity:
            issues.append(
                make_issue("activity-no-entity", *_loc(raw, "source"), name=name, source=act.source)
            )
    return issues


def check_activity_data(
    spec: ProjectSpec,
    data: Node,
    schemas: Mapping[str, Mapping[str, str]],
    table_of: Callable[[str], Any] | None = None,
    is_empty: Callable[[str], bool] = lambda source: False,
) -> list[Issue]:
    """The columns an ``activity:`` entry names exist in its source, its filter parses, and its
    events occur in the data (a typo would silently leave people out: a warning)."""
    issues: list[Issue] = []
    raw_all = data.get("activity") or Node()
    for name, act in (spec.activity or {}).items():
        if act.source not in schemas:
            continue  # an unknown or unreadable source is reported elsewhere
        raw = raw_all.get(name)
        cols = list(schemas[act.source])
        needs = [("event_column", act.event_column)] if act.event else []
        needs += [("count_by", act.count_by)] if act.count_by else []
        for key, col in needs:
            if col not in cols:
                issues.append(
                    make_issue(
                        "activity-unknown-column",
                        *_loc(raw, key),
                        name=name,
                        column=col,
                        source=act.source,
                        columns=", ".join(cols),
                        suggestions=near(col, cols),
                    )
                )
        if act.filter:
            try:
                parse(act.filter, known=cols, what="activity filter")
            except ExpressionError as exc:
                issues.append(
                    make_issue(
                        "activity-bad-filter",
                        *_loc(raw, "filter"),
                        name=name,
                        detail=exc.plain,
                        detail_zh=exc.plain_zh,
                        suggestions=exc.suggestions,
                    )
                )
        if not act.event or act.event_column not in cols or table_of is None or is_empty(act.source):
            continue
        seen = _distinct_values(table_of(act.source), act.event_column)
        if seen is None:
            continue
        for event in [e for e in act.event if e not in seen]:
            issues.append(
                _unknown_event(
                    _loc(raw, "event"),
                    "activity",
                    name,
                    ("event", "事件"),
                    act.source,
                    act.event_column,
                    event,
                    seen,
                )
            )
    return issues


def check_retention_references(spec: ProjectSpec, data: Node) -> list[Issue]:
    """Retention entries read defined sources that have someone to count; the repurchase options
    of ``repeat_rate`` (``min_gap``, ``repeat_filter``) are used on repeat_rate only, and a gap
    shorter than the window."""
    issues: list[Issue] = []
    raw_all = data.get("retention") or Node()
    for name, ret in (spec.retention or {}).items():
        raw = raw_all.get(name)
        for key, src, count_by in (
            ("source", ret.source, ret.count_by),
            (
                "return",
                ret.returns.source,
                ret.returns.count_by or (ret.count_by if not ret.returns.source else None),
            ),
        ):
            if src is None:
                continue
            if src not in spec.sources:
                issues.append(
                    make_issue(
                        "retention-unknown-source",
                        *_loc(raw, key),
                        name=name,
                        source=src,
                        suggestions=near(src, spec.sources),
                    )
                )
            elif not count_by and not spec.sources[src].entity:
                issues.append(make_issue("retention-no-entity", *_loc(raw, key), name=name, source=src))
    raw_metrics = data.get("metrics") or Node()
    for mname, m in spec.metrics.items():
        raw = raw_metrics.get(mname)
        for key in ("min_gap", "repeat_filter"):
            if getattr(m, key) is not None and m.type != "repeat_rate":
                issues.append(
                    make_issue("repeat-option", *_loc(raw, key), metric=mname, key=key, type=m.type)
                )
        if m.type == "repeat_rate" and m.min_gap is not None and m.within is not None:
            from northstar.spec.models import parse_duration_days

            if parse_gap_seconds(m.min_gap) >= parse_duration_days(m.within) * 86400:
                issues.append(
                    make_issue(
                        "repeat-gap", *_loc(raw, "min_gap"), metric=mname, gap=m.min_gap, within=m.within
                    )
                )
    return issues


def check_retention_data(
    spec: ProjectSpec,
    data: Node,
    schemas: Mapping[str, Mapping[str, str]],
    table_of: Callable[[str], Any] | None = None,
    is_empty: Callable[[str], bool] = lambda source: False,
) -> list[Issue]:
    """The columns a retention entry names exist where it reads them (event column, count_by,
    cohort_by, measure column), its filters parse, and a repeat_rate's ``repeat_filter`` parses."""
    issues: list[Issue] = []
    raw_all = data.get("retention") or Node()
    for name, ret in (spec.retention or {}).items():
        raw = raw_all.get(name)
        back = ret.returns.source or ret.source
        checks: list[tuple[str, str | None, str, str, str]] = []  # key, column, source, what en, what zh
        if ret.start.event:
            checks.append(("event_column", ret.event_column, ret.source, "event", "事件"))
        if ret.returns.event:
            checks.append(("return", ret.event_column, back, "event", "事件"))
        checks.append(("count_by", ret.count_by, ret.source, "count_by", "count_by"))
        if ret.returns.source:
            checks.append(("return", ret.returns.count_by, back, "count_by", "count_by"))
        if ret.cohort_by and ret.cohort_by not in spec.dimensions:
            checks.append(("cohort_by", ret.cohort_by, ret.source, "cohort_by", "cohort_by"))
        elif ret.cohort_by:
            dim_col = spec.dimensions[ret.cohort_by].column_in(ret.cohort_by, ret.source)
            checks.append(("cohort_by", dim_col, ret.source, "cohort_by", "cohort_by"))
        if ret.measure is not None and ret.measure.column:
            checks.append(("measure", ret.measure.column, back, "measure", "度量"))
        for key, col, src, what, what_zh in checks:
            if col is None or src not in schemas:
                continue
            cols = list(schemas[src])
            if col not in cols:
                issues.append(
                    make_issue(
                        "retention-column",
                        *_loc(raw, key),
                        name=name,
                        what=what,
                        what_zh=what_zh,
                        column=col,
                        source=src,
                        columns=", ".join(cols),
                        suggestions=near(col, cols),
                    )
                )
            elif key == "measure" and not is_empty(src) and schemas[src][col] != "number":
                issues.append(
                    make_issue(
                        "retention-measure-type",
                        *_loc(raw, key),
                        name=name,
                        column=col,
                        kind=schemas[src][col],
                    )
                )
        for key, rows, src in (("start", ret.start, ret.source), ("return", ret.returns, back)):
            if rows.filter and src in schemas:
                issues += _filter_issues(rows.filter, src, schemas, table_of, is_empty, _loc(raw, key), name)
    raw_metrics = data.get("metrics") or Node()
    for mname, m in spec.metrics.items():
        if m.type == "repeat_rate" and m.repeat_filter and m.source in schemas:
            where = _loc(raw_metrics.get(mname), "repeat_filter")
            src_name = m.source or ""
            issues += _filter_issues(m.repeat_filter, src_name, schemas, table_of, is_empty, where, mname)
    return issues


def _filter_issues(
    text: str,
    source: str,
    schemas: Mapping[str, Mapping[str, str]],
    table_of: Callable[[str], Any] | None,
    is_empty: Callable[[str], bool],
    where: tuple[str | None, int | None],
    owner: str,
) -> list[Issue]:
    """A filter that does not parse, names unknown columns or is not a condition."""
    try:
        parsed = parse(text, known=list(schemas[source]), what="filter")
        if table_of is not None and not is_empty(source):
            table: Any = table_of(source)
            value = to_ibis(parsed, table.__getitem__)
            if not value.type().is_boolean():
                kind = kind_of_type(value.type())
                raise ExpressionError(
                    f"filter {text!r} is not a condition (it gives {kind}): compare it, e.g. amount > 0",
                    f"过滤条件 {text!r} 不是判断条件（结果是{KIND_ZH.get(kind, kind)}）：请写成比较，例如 amount > 0",
                )
    except ExpressionError as exc:
        return [_expression_issue("bad-expression", where, owner, exc)]
    return []


def check_funnel_data(
    spec: ProjectSpec,
    data: Node,
    schemas: Mapping[str, Any],
    table_of: Callable[[str], Any] | None,
    is_empty: Callable[[str], bool],
) -> list[Issue]:
    """Funnels (and conversion metrics' inline steps) against their source: the event and
    count_by columns exist, step and exclusion filters check, and every step's event occurs in
    the data (a typo would silently make a step unreachable: a warning with near names)."""
    issues: list[Issue] = []
    raw_funnels = data.get("funnels") or Node()
    raw_metrics = data.get("metrics") or Node()
    checked = [
        (fname, funnel, raw_funnels.get(fname), "funnel") for fname, funnel in (spec.funnels or {}).items()
    ]
    for mname, m in spec.metrics.items():
        if m.type == "conversion" and m.steps and m.source and len(m.steps) >= 2:
            inline = Funnel.model_construct(
                source=m.source,
                steps=m.steps,
                exclude=[],
                event_column=m.event_column or "event_name",
                count_by=m.column,
            )
            checked.append((mname, inline, raw_metrics.get(mname), "metric"))
    for fname, funnel, raw, kind in checked:
        if funnel.source not in schemas:
            continue  # unknown or unreadable: reported elsewhere
        cols = list(schemas[funnel.source])
        parts: list[tuple[str, str, str, Any]] = [
            (f"step {i + 1}", f"第 {i + 1} 步", "steps", s) for i, s in enumerate(funnel.steps)
        ]
        parts += [
            (f"exclusion {i + 1}", f"排除条件 {i + 1}", "exclude", x) for i, x in enumerate(funnel.exclude)
        ]
        needs = {}
        if any(p.event for *_, p in parts):
            needs["event_column"] = funnel.event_column
        if funnel.count_by:
            needs["count_by"] = funnel.count_by
        missing = False
        for key, col in needs.items():
            if col not in cols:
                missing = missing or key == "event_column"
                issues.append(
                    make_issue(
                        "funnel-unknown-column",
                        *_loc(raw, key if key in (raw or {}) else "source"),
                        funnel=fname,
                        column=col,
                        key=key,
                        source=funnel.source,
                        columns=", ".join(cols),
                        suggestions=near(col, cols),
                    )
                )
        for part, part_zh, key, p in parts:
            if p.filter:
                try:
                    parse(p.filter, known=cols, what=f"{part} filter")
                except ExpressionError as exc:
                    issues.append(
                        make_issue(
                            "funnel-bad-filter",
                            *_loc(raw, key),
                            funnel=fname,
                            part=part,
                            part_zh=part_zh,
                            detail=exc.plain,
                            detail_zh=exc.plain_zh,
                            suggestions=exc.suggestions,
                        )
                    )
        events = [(part, part_zh, key, p.event) for part, part_zh, key, p in parts if p.event]
        if missing or not events or table_of is None or is_empty(funnel.source):
            continue
        seen = _distinct_values(table_of(funnel.source), funnel.event_column)
        if seen is None:
            continue
        for part, part_zh, key, event in events:
            if event not in seen:
                issues.append(
                    _unknown_event(
                        _loc(raw, key),
                        kind,
                        fname,
                        (part, part_zh),
                        funnel.source,
                        funnel.event_column,
                        event,
                        seen,
                    )
                )
    return issues


OWNER_ZH = {"funnel": "漏斗", "metric": "指标", "activity": "活跃定义"}


def _unknown_event(
    where: tuple[str | None, int | None],
    owner: str,
    name: str,
    part: tuple[str, str],
    source: str,
    column: str,
    event: str,
    seen: set[Any],
) -> Issue:
    """A warning: ``owner`` ``name`` (a funnel, conversion metric or activity) names an event that
    no row of its source has — a typo would silently make a step unreachable or leave people out."""
    names = sorted(map(str, seen))
    return make_issue(
        "funnel-unknown-event",
        *where,
        level="warning",
        owner=owner,
        owner_zh=OWNER_ZH[owner],
        funnel=name,
        part=part[0],
        part_zh=part[1],
        source=source,
        column=column,
        event=event,
        seen=", ".join(names[:12]) + (" …" if len(names) > 12 else ""),
        suggestions=near(event, names),
    )


def event_warnings(issues: Sequence[Issue], owner: str, name: str) -> list[Issue]:
    """The warnings of :func:`_unknown_event` about ``owner`` ``name``."""
    return [
        i for i in issues if i.code == "funnel-unknown-event" and i.message.startswith(f"{owner} {name!r},")
    ]


def _distinct_values(table: Any, column: str, limit: int = 5000) -> set[Any] | None:
    """Up to ``limit`` distinct values of ``column`` (None when there are more: too many to judge)."""
    values = table.select(v=table[column]).distinct().limit(limit + 1).execute()["v"]
    return None if len(values) > limit else set(values.dropna())


def _nested_model(model: type[BaseModel], path: Any) -> type[BaseModel] | None:
    """The pydantic model of the entry at ``path`` (keys and list indexes) inside ``model``."""
    import typing

    def models_in(annotation: Any) -> list[type[BaseModel]]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        return [m for arg in typing.get_args(annotation) for m in models_in(arg)]

    current: type[BaseModel] | None = model
    for part in path:
        if isinstance(part, int):
            continue
        if current is None or part not in current.model_fields:
            return None
        found = models_in(current.model_fields[part].annotation)
        current = found[0] if found else None
    return current


def _keys_of(model: type[BaseModel]) -> list[str]:
    """The keys a user writes for ``model``: a field's YAML alias where it has one (``return``)."""
    return [f.alias or name for name, f in model.model_fields.items()]


def check_driver_references(spec: ProjectSpec, data: Node, known_metrics: list[str]) -> list[Issue]:
    """Driver entries name a metric, say what it equals (a formula over other metrics and/or the
    sum over a dimension), and do not loop (a metric cannot be among its own drivers)."""
    issues: list[Issue] = []
    raw_all = data.get("drivers") or Node()
    known = set(known_metrics)
    children: dict[str, set[str]] = {}
    for name, drv in (spec.drivers or {}).items():
        raw = raw_all.get(name)
        if name not in known:
            issues.append(
                make_issue(
                    "driver-unknown-metric", *_loc(raw_all, name), name=name, suggestions=near(name, known)
                )
            )
            continue
        if drv.formula is None and drv.over is None and not drv.influenced_by:
            issues.append(make_issue("driver-empty", *_loc(raw_all, name), name=name))
        if drv.over is not None and drv.over not in spec.dimensions:
            issues.append(
                make_issue(
                    "driver-unknown-dimension",
                    *_loc(raw, "over"),
                    name=name,
                    dimension=drv.over,
                    suggestions=near(drv.over, spec.dimensions),
                )
            )
        if drv.formula is not None:
            where = (
                _loc(raw, "formula") if isinstance(raw, Node) and "formula" in raw else _loc(raw_all, name)
            )
            try:
                parsed = parse_formula(drv.formula, known=known)
            except ExpressionError as exc:
                issues.append(
                    make_issue(
                        "driver-formula",
                        *where,
                        name=name,
                        detail=exc.plain,
                        detail_zh=exc.plain_zh,
                        suggestions=tuple(exc.suggestions),
                    )
                )
                continue
            if name in parsed.columns:
                issues.append(make_issue("driver-self", *where, name=name))
                continue
            children[name] = set(parsed.columns)
    # cycles through other entries: revenue → aov → revenue
    for start in children:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for child in sorted(children.get(node, ())):
                if child == start:
                    issues.append(
                        make_issue(
                            "driver-cycle",
                            *_loc(raw_all, start),
                            name=start,
                            path=" → ".join([*path, child]),
                        )
                    )
                    stack = []
                    break
                if child not in seen:
                    seen.add(child)
                    stack.append((child, [*path, child]))
    return issues


def check_watch_references(spec: ProjectSpec, data: Node, known_metrics: list[str]) -> list[Issue]:
    """Watch rules name a metric and dimensions that exist."""
    issues: list[Issue] = []
    raw_all = data.get("watch") or Node()
    known = set(known_metrics)
    for name, rule in (spec.watch or {}).items():
        if "__" in name:
            continue  # an OKR guardrail: checked where it is written (spec/goal_rules.py)
        raw = raw_all.get(name)
        if rule.metric not in known:
            issues.append(
                make_issue(
                    "watch-unknown-metric",
                    *_loc(raw, "metric"),
                    name=name,
                    metric=rule.metric,
                    suggestions=near(rule.metric, known),
                )
            )
        for channel in rule.notify:
            if channel not in (spec.notify or {}):
                issues.append(
                    make_issue(
                        "watch-unknown-channel",
                        *_loc(raw, "notify"),
                        name=name,
                        channel=channel,
                        suggestions=near(channel, spec.notify or {}),
                    )
                )
        for dim in rule.by:
            if dim not in spec.dimensions:
                issues.append(
                    make_issue(
                        "watch-unknown-dimension",
                        *_loc(raw, "by"),
                        name=name,
                        dimension=dim,
                        suggestions=near(dim, spec.dimensions),
                    )
                )
    return issues


def check_notify_entries(spec: ProjectSpec, data: Node) -> list[Issue]:
    """Each ``notify:`` entry has the keys its type needs (secrets are read only when sending)."""
    from pydantic import ValidationError

    from northstar.notify.config import NotifyConfigError, parse_entry

    issues: list[Issue] = []
    raw_all = data.get("notify") or Node()
    for name, entry in (spec.notify or {}).items():
        try:
            parse_entry({"name": name, **entry.model_dump()}, 0)
        except (ValidationError, NotifyConfigError) as exc:
            detail = (
                str(exc).splitlines()[0]
                if isinstance(exc, NotifyConfigError)
                else "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            )
            issues.append(make_issue("notify-entry", *_loc(raw_all, name), name=name, detail=detail))
    return issues
