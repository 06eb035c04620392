"""Watch rules: each check against pandas written here, on a small daily series with known moves."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from northstar.cli.main import app
from northstar.errors import QueryError, SpecError
from northstar.project import Project
from northstar.spec.watch import WatchRule, parse_threshold
from northstar.watch.rules import evaluate, last_complete_period

START = date(2026, 3, 1)
DAYS = 70
DROP = date(2026, 4, 28)  # web orders fall by 80 %


def _orders(seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(DAYS):
        day = pd.Timestamp(START) + pd.Timedelta(days=k)
        for channel, mean in (("web", 40), ("app", 25), ("tiny", 2)):
            n = int(rng.poisson(mean * (1.3 if day.weekday() >= 5 else 1.0)))
            if channel == "web" and day.date() == DROP:
                n = int(n * 0.2)
            ts = day + pd.to_timedelta(np.sort(rng.integers(0, 86_400, n)), unit="s")
            rows.append(
                pd.DataFrame({"ts": ts, "channel": channel, "amount": rng.uniform(10, 50, n).round(2)})
            )
    frame = pd.concat(rows, ignore_index=True)
    last = pd.Timestamp(START) + pd.Timedelta(days=DAYS - 1)
    return frame[(frame["ts"] < last + pd.Timedelta(hours=12))]  # the last day stops at noon: not complete


def _project(tmp: Path, watch: dict[str, Any]) -> Project:
    _orders().to_csv(tmp / "orders.csv", index=False)
    spec = {
        "project": {"name": "w", "timezone": "UTC"},
        "sources": {"orders": {"path": "orders.csv", "time": "ts"}},
        "dimensions": {"channel": {}},
        "metrics": {
            "orders": {"type": "count", "source": "orders"},
            "revenue": {"type": "sum", "source": "orders", "column": "amount"},
        },
        "north_star": "orders",
        "watch": watch,
    }
    (tmp / "northstar.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return Project.load(tmp)


def _daily(by_channel: bool) -> pd.DataFrame:
    o = _orders()
    o = o.assign(day=o["ts"].dt.normalize())
    keys = ["day", "channel"] if by_channel else ["day"]
    counts = o.groupby(keys).size().rename("n").reset_index()
    days = pd.date_range(START, periods=DAYS - 1, freq="D")  # the last day is not complete
    if by_channel:
        full = pd.MultiIndex.from_product([days, ["app", "tiny", "web"]], names=keys)
        return counts.set_index(keys).reindex(full, fill_value=0).reset_index()
    return counts.set_index("day").reindex(days, fill_value=0).rename_axis("day").reset_index()


def test_thresholds_and_defaults() -> None:
    assert parse_threshold("15%") == pytest.approx(0.15)
    assert parse_threshold("1,200") == 1200 and parse_threshold(0.2) == 0.2
    assert WatchRule.model_validate({"metric": "orders"}).threshold == pytest.approx(0.15)
    with pytest.raises(ValueError, match="a floor rule needs 'threshold'"):
        WatchRule.model_validate({"metric": "orders", "check": "floor"})
    with pytest.raises(ValueError, match="is not a number"):
        WatchRule.model_validate({"metric": "orders", "threshold": "lots"})


def test_change_rule_by_slice_matches_pandas(tmp_path: Path) -> None:
    rules = {
        "swing": {
            "metric": "orders",
            "by": "channel",
            "threshold": "30%",
            "direction": "down",
            "min_volume": 10,
        }
    }
    project = _project(tmp_path, rules)
    first, last = date(2026, 3, 8), date(2026, 5, 8)
    got = {(f.period.date(), f.slice[0][1]) for f in evaluate(project, "swing", first, last)}
    d = _daily(True).sort_values(["channel", "day"])
    d["prev"] = d.groupby("channel")["n"].shift(1)
    pct = (d["n"] - d["prev"]) / d["prev"]
    fire = (d["prev"] > 0) & (pct <= -0.30) & (np.maximum(d["n"], d["prev"]) >= 10)
    fire &= (d["day"].dt.date >= first) & (d["day"].dt.date <= last)
    expected = {(r.day.date(), r.channel) for r in d[fire].itertuples()}
    assert got == expected
    assert (DROP, "web") in got and not any(ch == "tiny" for _, ch in got)  # tiny is under min_volume


def test_weekly_floor_ceiling_and_direction(tmp_path: Path) -> None:
    rules = {
        "weekly": {"metric": "orders", "check": "weekly", "threshold": "25%"},
        "floor": {"metric": "orders", "check": "floor", "threshold": 55},
        "ceiling": {"metric": "orders", "check": "ceiling", "threshold": 95, "severity": "info"},
    }
    project = _project(tmp_path, rules)
    first, last = date(2026, 3, 10), date(2026, 5, 8)
    d = _daily(False).set_index("day")["n"]
    window = d[(d.index.date >= first) & (d.index.date <= last)]
    prev_week = d.reindex(window.index - pd.Timedelta(days=7)).to_numpy()
    weekly = window[(np.abs(window.to_numpy() - prev_week) / prev_week >= 0.25) & (prev_week > 0)]
    assert [f.period.date() for f in evaluate(project, "weekly", first, last)] == [
        t.date() for t in weekly.index
    ]
    assert [f.period.date() for f in evaluate(project, "floor", first, last)] == [
        t.date() for t in window[window < 55].index
    ]
    ceiling = evaluate(project, "ceiling", first, last)
    assert [f.period.date() for f in ceiling] == [t.date() for t in window[window > 95].index]
    assert all(f.severity == "info" and "above its ceiling of 95" in f.reason for f in ceiling)


def test_anomaly_rule_finds_the_drop_and_is_causal(tmp_path: Path) -> None:
    project = _project(tmp_path, {"web": {"metric": "orders", "check": "anomaly", "by": "channel"}})
    fired = evaluate(project, "web", date(2026, 4, 1), date(2026, 5, 8))
    assert (DROP, (("channel", "web"),)) in {(f.period.date(), f.slice) for f in fired}
    drop = next(f for f in fired if f.period.date() == DROP and f.slice == (("channel", "web"),))
    assert drop.value < drop.baseline and "below the expected" in drop.reason
    # causal: evaluating up to the drop gives the same firing as evaluating far past it
    early = evaluate(project, "web", date(2026, 4, 1), DROP)
    assert [f for f in early if f.period.date() == DROP] == [drop]


def test_last_complete_day_and_the_cli(tmp_path: Path) -> None:
    project = _project(tmp_path, {"swing": {"metric": "orders", "by": ["channel"], "min_volume": 10}})
    last_day = START + timedelta(days=DAYS - 1)
    assert last_complete_period(project, "swing").date() == last_day - timedelta(days=1)  # noon: running
    runner = CliRunner()
    ok = runner.invoke(app, ["watch", "-p", str(tmp_path), "--date", DROP.isoformat(), "--fail-on-alert"])
    assert ok.exit_code == 3, ok.output
    assert "orders fell" in ok.output and "channel=web" in ok.output
    back = runner.invoke(app, ["watch", "-p", str(tmp_path), "--backtest", "30d", "--lang", "zh"])
    assert back.exit_code == 0, back.output
    assert "回测：过去 30 天各规则的触发次数" in back.output
    bad = runner.invoke(app, ["watch", "-p", str(tmp_path), "--rule", "swng"])
    assert bad.exit_code != 0 and "did you mean 'swing'" in bad.output
    with pytest.raises(QueryError, match="no watch rule 'swng'"):
        evaluate(project, "swng", DROP, DROP)


def test_bad_rules_name_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        _project(tmp_path, {"x": {"metric": "ordrs", "by": ["chanel"]}})
    messages = {i.code: i for i in info.value.issues}
    assert "'ordrs', which is not a metric" in messages["watch-unknown-metric"].message
    assert "orders" in messages["watch-unknown-metric"].suggestions
    assert "channel" in messages["watch-unknown-dimension"].suggestions
    assert messages["watch-unknown-metric"].line is not None


def test_reasons_name_the_metric_by_its_label_in_each_language(tmp_path: Path) -> None:
    """A labelled metric is named by its English label in the English reason and by its Chinese
    label in the Chinese one (the alerts inbox and messages show them); unlabelled: its name."""
    project = _project(tmp_path, {"swing": {"metric": "orders", "threshold": "30%", "direction": "down"}})
    spec = yaml.safe_load((tmp_path / "northstar.yml").read_text(encoding="utf-8"))
    spec["metrics"]["orders"]["label"] = {"en": "Orders", "zh": "订单数"}
    (tmp_path / "northstar.yml").write_text(
        yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    plain = evaluate(project, "swing", DROP, DROP)
    labelled = evaluate(Project.load(tmp_path), "swing", DROP, DROP)
    assert [f.period.date() for f in labelled] == [DROP] == [f.period.date() for f in plain]
    assert plain[0].reason.startswith("orders fell ") and plain[0].reason_zh.startswith("orders 较前一天下降")
    assert labelled[0].reason.startswith("Orders fell ") and labelled[0].reason_zh.startswith(
        "订单数 较前一天下降"
    )
