"""``northstar init --template``: every starter project is valid, documented, and its sample data
answers its KPIs with believable values (checked with independent pandas code)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from northstar.errors import UserError
from northstar.scaffold import templates as templates_module
from northstar.scaffold.templates import TEMPLATES, init_project, template_text
from northstar.spec.expressions import parse
from northstar.spec.models import ProjectSpec

NAMES = ["ecommerce", "saas-support", "education", "content", "delivery"]
FIRST_DAY, LAST_DAY = date(2026, 8, 29), date(2026, 11, 26)
TIMEZONES = {"education": "Asia/Shanghai", "content": "Asia/Shanghai"}
LANGUAGES = {"education": "zh"}
RHYTHM = {  # sources whose volume follows the week of their business
    "ecommerce": {"orders", "events"},
    "saas-support": {"tickets"},
    "education": {"leads", "spend"},
    "content": {"plays", "article_views"},
    "delivery": {"deliveries"},
}
LOWER_IS_BETTER = {
    "ecommerce": {"returns", "return_rate"},
    "saas-support": {"median_resolution_hours", "p90_resolution_hours"},
    "education": {"spend", "cost_per_lead", "sales_cycle_days"},
    "content": set(),
    "delivery": {"late_share", "median_delivery_minutes", "avg_distance_km"},
}


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("templates")
    for name in NAMES:
        init_project(root / name, name)
    return {name: root / name for name in NAMES}


def raw_spec(root: Path) -> dict[str, Any]:
    return yaml.safe_load((root / "northstar.yml").read_text(encoding="utf-8"))


def tables(root: Path) -> dict[str, pd.DataFrame]:
    spec = raw_spec(root)
    return {name: pd.read_csv(root / src["path"]) for name, src in spec["sources"].items()}


def metric_names(spec: dict[str, Any]) -> list[str]:
    """Metric names as queries see them: tiered families expanded into their tiers."""
    out = []
    for name, m in spec["metrics"].items():
        if m["type"] == "tiered":
            out += [f"{name}_{int(t)}{m.get('suffix', '')}" for t in m["thresholds"]]
        else:
            out.append(name)
    return out


# ---------------------------------------------------------------- the registry and the writer


def test_registry_lists_every_template_with_labels():
    assert list(TEMPLATES) == NAMES
    for name, info in TEMPLATES.items():
        assert info.name == name
        assert info.label("en") and info.label("zh") != info.label("en")
        assert info.description.endswith(".") and "\n" not in info.description
        assert raw_spec_text(name)["north_star"] == info.north_star


def raw_spec_text(name: str) -> dict[str, Any]:
    return yaml.safe_load(template_text(name))


@pytest.mark.parametrize("name", NAMES)
def test_init_writes_the_project_file_and_its_data(tmp_path: Path, name: str):
    target = tmp_path / "proj"
    written = init_project(target, name, seed=3)
    assert written[0] == target / "northstar.yml"
    assert all(p.is_file() and p.is_relative_to(target) for p in written)
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()) == sorted(
        p.relative_to(target).as_posix() for p in written
    )
    assert {p.suffix for p in written[1:]} == {".csv"} and all(p.parent.name == "data" for p in written[1:])
    assert [p.name for p in tmp_path.iterdir()] == ["proj"]  # no staging directory left behind


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path):
    a = init_project(tmp_path / "a", "saas-support", seed=5)
    b = init_project(tmp_path / "b", "saas-support", seed=5)
    c = init_project(tmp_path / "c", "saas-support", seed=6)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert a[1].read_bytes() != c[1].read_bytes()


def test_refuses_a_non_empty_target(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match=r"is not empty \(notes.txt\).*overwriting.*--force"):
        init_project(tmp_path, "ecommerce")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_overwrite_replaces_template_files_and_keeps_others(tmp_path: Path):
    init_project(tmp_path / "p", "delivery")
    (tmp_path / "p" / "northstar.yml").write_text("edited")
    (tmp_path / "p" / "notes.txt").write_text("mine")
    init_project(tmp_path / "p", "delivery", overwrite=True)
    assert (tmp_path / "p" / "northstar.yml").read_text(encoding="utf-8") == template_text("delivery")
    assert (tmp_path / "p" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]


def test_empty_directory_or_a_lone_git_folder_is_fine(tmp_path: Path):
    (tmp_path / "p" / ".git").mkdir(parents=True)
    init_project(tmp_path / "p", "content")
    assert (tmp_path / "p" / "northstar.yml").is_file() and (tmp_path / "p" / ".git").is_dir()


def test_bad_template_and_file_target_are_user_errors(tmp_path: Path):
    with pytest.raises(UserError, match=r"unknown template 'shop'.*ecommerce, saas-support"):
        init_project(tmp_path / "p", "shop")
    with pytest.raises(UserError, match=r"unknown template 'saas_support' \(did you mean 'saas-support'\?\)"):
        init_project(tmp_path / "p", "saas_support")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="is a file"):
        init_project(tmp_path / "file", "ecommerce")


def test_a_failure_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def broken(tables: object, root: Path) -> list[Path]:
        (root / "data").mkdir()
        (root / "data" / "half.csv").write_text("a,b\n")
        raise OSError("disk full")

    monkeypatch.setattr(templates_module, "write_tables", broken)
    with pytest.raises(OSError, match="disk full"):
        init_project(tmp_path / "p", "ecommerce")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the YAML


@pytest.mark.parametrize("name", NAMES)
def test_spec_is_valid_and_complete(projects: dict[str, Path], name: str):
    data = raw_spec(projects[name])
    spec = ProjectSpec.model_validate(data)
    assert spec.project.timezone == TIMEZONES.get(name, spec.project.timezone) != ""
    assert spec.project.language == LANGUAGES.get(name, "en")
    names = metric_names(data)
    assert spec.north_star in names and spec.supporting and set(spec.supporting) <= set(names)
    for mname, m in spec.metrics.items():
        assert m.label and m.label.en and m.label.zh, mname
        assert m.description and m.description.en and m.description.zh, mname
        assert m.format and m.owner and m.team in spec.teams, mname
        assert m.owner == spec.teams[m.team].owner, mname
        is_rate = m.type in ("ratio", "repeat_rate", "tiered") or (m.stat or "").startswith("share")
        assert m.format == "percent" or not is_rate, mname
        assert (m.direction == "lower") == (mname in LOWER_IS_BETTER[name]), mname
    for key in [spec.north_star, *spec.supporting]:
        family = next(f for f in spec.metrics if key == f or key.startswith(f"{f}_"))
        assert len(spec.metrics[family].why) >= 5, key
    listed = [m for team in spec.teams.values() for m in team.metrics]
    assert sorted(listed) == sorted(names)  # every metric belongs to exactly one team
    assert all(team.owner and team.label and team.label.zh for team in spec.teams.values())
    for dim in spec.dimensions.values():
        assert dim.label and dim.label.en and dim.label.zh


@pytest.mark.parametrize("name", NAMES)
def test_yaml_is_commented_for_a_new_user(name: str):
    text = template_text(name)
    lines = text.splitlines()
    comments = "\n".join(line for line in lines if line.lstrip().startswith("#"))
    for section in ("project", "sources", "dimensions", "north_star", "metrics", "teams"):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{section}:"))
        assert lines[at - 1].startswith("#"), f"section {section} has no comment above it"
    data = yaml.safe_load(text)
    for mname, m in data["metrics"].items():
        zh = m["label"]["zh"].split("（")[0]
        assert zh in comments, f"the Chinese label of {mname} ({zh}) is not in a comment"


@pytest.mark.parametrize("name", NAMES)
def test_every_referenced_column_exists(projects: dict[str, Path], name: str):
    spec = raw_spec(projects[name])
    frames = tables(projects[name])
    headers = {src: set(df.columns) for src, df in frames.items()}
    for src, s in spec["sources"].items():
        assert s["time"] in headers[src]
        assert s.get("entity") is None or s["entity"] in headers[src]
    names = set(metric_names(spec))
    for mname, m in spec["metrics"].items():
        if m["type"] in ("ratio", "formula"):
            refs = (
                [m["numerator"], m["denominator"]]
                if m["type"] == "ratio"
                else re.findall(r"[a-z_]\w*", m["expr"])
            )
            assert set(refs) <= names, mname
            continue
        cols = headers[m["source"]]
        for key in ("column", "reference"):
            assert m.get(key) is None or m[key] in cols, f"{mname}.{key}"
        if "filter" in m:
            assert parse(m["filter"], known=cols).columns <= cols
    for dname, d in spec["dimensions"].items():
        assert any(d.get("column", dname) in cols for cols in headers.values()), dname


# ---------------------------------------------------------------- the data


@pytest.mark.parametrize("name", NAMES)
def test_data_covers_90_days_with_a_weekly_rhythm(projects: dict[str, Path], name: str):
    spec = raw_spec(projects[name])
    for src, df in tables(projects[name]).items():
        assert 100 <= len(df) <= 5000, src
        days = pd.to_datetime(df[spec["sources"][src]["time"]]).dt.date
        slack = timedelta(days=3)
        assert FIRST_DAY <= days.min() <= FIRST_DAY + slack and LAST_DAY - slack <= days.max() <= LAST_DAY, (
            src
        )
        if src not in RHYTHM[name]:  # sparse tables (returns) need not have a row every day
            continue
        assert days.min() == FIRST_DAY and days.max() == LAST_DAY and days.nunique() == 90, src
        weight = df["spend"] if src == "spend" else pd.Series(1.0, index=df.index)
        per_day = weight.groupby(days).sum()
        by_weekday = per_day.groupby([d.weekday() for d in per_day.index]).mean()
        assert by_weekday.max() / by_weekday.min() > 1.12, f"{src}: no weekly seasonality"


def _repeat_rate(df: pd.DataFrame, entity: str, time: str, days: int) -> float:
    """Share of entities with another row at most ``days`` after their first one."""
    t = pd.to_datetime(df[time])
    first = t.groupby(df[entity]).transform("min")
    within = df[t <= first + pd.Timedelta(days=days)]
    return float((within.groupby(entity).size() >= 2).sum() / df[entity].nunique())


def kpis(name: str, root: Path) -> dict[str, float]:
    """A few KPIs of each template, computed straight from the CSV files."""
    f = tables(root)
    if name == "ecommerce":
        paid = f["orders"][f["orders"]["status"] == "paid"]
        ev = f["events"]
        return {
            "repurchase_30d": _repeat_rate(paid, "customer_id", "ordered_at", 30),
            "add_to_cart_conversion": ev.loc[ev.event_name == "add_to_cart", "user_id"].nunique()
            / ev.loc[ev.event_name == "view_item", "user_id"].nunique(),
            "return_rate": len(f["returns"]) / len(paid),
            "aov": paid["amount"].sum() / len(paid),
        }
    if name == "saas-support":
        t = f["tickets"]
        solved = t[t.status == "resolved"]
        return {
            "first_contact_resolution": float((solved.contacts == 1).mean()),
            "median_resolution_hours": float(solved.resolution_hours.median()),
            "p90_resolution_hours": float(solved.resolution_hours.quantile(0.9)),
            "csat": float(t.csat.mean()),
            "csat_satisfied_share": float((t.csat >= 4).sum() / t.csat.notna().sum()),
        }
    if name == "education":
        leads = f["leads"]
        return {
            "cost_per_lead": f["spend"]["spend"].sum() / len(leads),
            "qualified_leads": float((leads.sales_rating >= 4).sum()),
            "lead_to_deal_conversion": float((leads.stage == "won").mean()),
            "sales_cycle_days": float(
                (pd.to_datetime(leads.closed_at) - pd.to_datetime(leads.created_at)).dt.total_seconds().mean()
                / 86400
            ),
        }
    if name == "content":
        watched = f["plays"]["watched_seconds"]
        return {
            "completion_3s": float((watched >= 3).mean()),
            "completion_15s": float((watched >= 15).mean()),
            "completion_30s": float((watched >= 30).mean()),
            "scroll_depth": float(f["article_views"]["max_scroll_depth"].mean()),
        }
    d = f["deliveries"]
    ahead = (pd.to_datetime(d.promised_at) - pd.to_datetime(d.delivered_at)).dt.total_seconds() / 60
    return {
        "minutes_ahead": float(ahead.mean()),
        "on_time_share": float((ahead.abs() <= 5).mean()),
        "late_share": float((ahead < -5).mean()),
        "median_delivery_minutes": float(
            ((pd.to_datetime(d.delivered_at) - pd.to_datetime(d.ordered_at)).dt.total_seconds() / 60).median()
        ),
    }


BANDS = {
    "ecommerce": {"repurchase_30d": (0.15, 0.45), "add_to_cart_conversion": (0.2, 0.4),
                  "return_rate": (0.03, 0.15), "aov": (40, 120)},
    "saas-support": {"first_contact_resolution": (0.5, 0.9), "median_resolution_hours": (1, 12),
                     "p90_resolution_hours": (12, 72), "csat": (3.3, 4.6),
                     "csat_satisfied_share": (0.5, 0.9)},
    "education": {"cost_per_lead": (50, 200), "qualified_leads": (400, 1000),
                  "lead_to_deal_conversion": (0.02, 0.1), "sales_cycle_days": (8, 30)},
    "content": {"completion_3s": (0.6, 0.9), "completion_15s": (0.35, 0.7), "completion_30s": (0.15, 0.5),
                "scroll_depth": (0.35, 0.7)},
    "delivery": {"minutes_ahead": (0.5, 6), "on_time_share": (0.35, 0.75), "late_share": (0.03, 0.25),
                 "median_delivery_minutes": (25, 55)},
}  # fmt: skip


@pytest.mark.parametrize("seed", [1, 7])
@pytest.mark.parametrize("name", NAMES)
def test_kpis_are_plausible(tmp_path: Path, name: str, seed: int):
    init_project(tmp_path / name, name, seed=seed)
    values = kpis(name, tmp_path / name)
    for kpi, (low, high) in BANDS[name].items():
        assert low <= values[kpi] <= high, f"{name} {kpi} = {values[kpi]:.4g} not in [{low}, {high}]"


# ---------------------------------------------------------------- the engine agrees with pandas


def _pandas_metric(spec: dict[str, Any], frames: dict[str, pd.DataFrame], name: str) -> float:
    """An independent, deliberately naive evaluator of the spec's metric types over whole files."""
    metrics = spec["metrics"]
    tier = re.fullmatch(r"(.+)_(\d+)([a-z]*)", name)
    if name not in metrics and tier and tier.group(1) in metrics:
        m = metrics[tier.group(1)]
        return float((frames[m["source"]][m["column"]] >= float(tier.group(2))).mean())
    m = metrics[name]
    if m["type"] == "ratio":
        den = _pandas_metric(spec, frames, m["denominator"])
        return _pandas_metric(spec, frames, m["numerator"]) / den if den else float("nan")
    if m["type"] == "formula":
        values = {n: _pandas_metric(spec, frames, n) for n in re.findall(r"[a-z_]\w*", m["expr"])}
        return float(eval(m["expr"], {"__builtins__": {}}, values))
    source = spec["sources"][m["source"]]
    df = frames[m["source"]]
    if "filter" in m:
        df = df.query(re.sub(r"(?<![<>!=])=(?!=)", "==", m["filter"]))
    column = m.get("column")
    kind = m["type"]
    if kind == "count":
        return float(len(df))
    if kind == "count_distinct":
        return float(df[column or source["entity"]].nunique())
    if kind == "percentile":
        return float(df[column].quantile(m["percentile"]))
    if kind in ("sum", "avg", "median", "min", "max"):
        return float(getattr(df[column], {"avg": "mean"}.get(kind, kind))())
    if kind == "repeat_rate":
        return _repeat_rate(df, source["entity"], source["time"], int(m["within"].rstrip("d")))
    if kind == "relative":
        unit = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}[m.get("time_unit", "minutes")]
        diff = (pd.to_datetime(df[m["reference"]]) - pd.to_datetime(df[column])).dt.total_seconds() / unit
        tol = m.get("tolerance", 0)
        return float(
            {
                "avg": diff.mean(),
                "median": diff.median(),
                "share_ahead": (diff > tol).mean(),
                "share_late": (diff < -tol).mean(),
                "share_on_time": (diff.abs() <= tol).mean(),
            }[m["stat"]]
        )
    raise AssertionError(f"no pandas evaluator for {kind}")


@pytest.mark.parametrize("name", NAMES)
def test_engine_matches_pandas_over_the_full_range(projects: dict[str, Path], name: str):
    project_module = pytest.importorskip("northstar.project")
    project = project_module.Project.load(projects[name])
    spec = raw_spec(projects[name])
    names = metric_names(spec)
    result = project.query(names, start=FIRST_DAY.isoformat(), end=LAST_DAY.isoformat())
    frames = tables(projects[name])
    assert len(result.frame) == 1
    for metric in names:
        expected = _pandas_metric(spec, frames, metric)
        got = float(result.frame[metric].iloc[0])
        assert np.isclose(got, expected, rtol=1e-9, atol=1e-9), f"{name} {metric}: {got} != {expected}"
