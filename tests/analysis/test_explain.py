"""``explain``: driver identities on the data, the exact split of a change along a driver tree,
mix and rate, baselines, and root causes — each number checked against pandas written here."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from northstar.analysis.drivers import check_identities, driver_tree
from northstar.errors import QueryError
from northstar.project import Project

DAY = date(2026, 5, 20)  # a Wednesday
START = date(2026, 4, 1)
PLANTED = {"channel": "ads", "device": "mobile"}  # orders fall by 80 % on DAY


def _data(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = pd.date_range(START, DAY, freq="D")
    visits, orders = [], []
    for d in days:
        n = int(rng.integers(3000, 4000))
        users = rng.integers(0, 20000, n)
        ch = rng.choice(["ads", "seo", "mail"], n, p=[0.4, 0.4, 0.2])
        dev = rng.choice(["mobile", "desktop"], n)
        ts = d + pd.to_timedelta(rng.integers(0, 86400, n), unit="s")
        visits.append(pd.DataFrame({"ts": ts, "user": users, "channel": ch, "device": dev}))
        buy = rng.random(n) < np.where(ch == "seo", 0.12, 0.06)
        if d.date() == DAY:
            buy &= ~((ch == "ads") & (dev == "mobile") & (rng.random(n) < 0.8))
        k = int(buy.sum())
        orders.append(
            pd.DataFrame(
                {
                    "ts": ts[buy] + pd.Timedelta(minutes=5),
                    "user": users[buy],
                    "channel": ch[buy],
                    "device": dev[buy],
                    "amount": np.round(rng.lognormal(3.5, 0.4, k), 2),
                }
            )
        )
    return pd.concat(visits, ignore_index=True), pd.concat(orders, ignore_index=True)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, pd.DataFrame, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("explain")
    visits, orders = _data()
    visits.to_parquet(folder / "visits.parquet")
    orders.to_parquet(folder / "orders.parquet")
    spec = {
        "project": {"name": "x", "timezone": "UTC"},
        "sources": {
            "visits": {"path": "visits.parquet", "time": "ts", "entity": "user"},
            "orders": {"path": "orders.parquet", "time": "ts", "entity": "user"},
        },
        "dimensions": {"channel": {}, "device": {}},
        "metrics": {
            "visitors": {"type": "count_distinct", "source": "visits"},
            "buyers": {"type": "count_distinct", "source": "orders"},
            "orders": {"type": "count", "source": "orders"},
            "revenue": {"type": "sum", "source": "orders", "column": "amount"},
            "conversion": {"type": "ratio", "numerator": "buyers", "denominator": "visitors"},
            "orders_per_buyer": {"type": "formula", "expr": "orders / buyers"},
            "aov": {"type": "formula", "expr": "revenue / orders"},
        },
        "north_star": "revenue",
        "drivers": {
            "revenue": "visitors * conversion * orders_per_buyer * aov",
            "conversion": "buyers / visitors",
            "orders": {"over": "channel"},
            "visitors": {"over": "channel"},
        },
    }
    (folder / "northstar.yml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return Project.load(folder), visits, orders


def _day_values(visits: pd.DataFrame, orders: pd.DataFrame, day: date) -> dict[str, float]:
    v = visits[visits["ts"].dt.date == day]
    o = orders[orders["ts"].dt.date == day]
    out = {
        "visitors": float(v["user"].nunique()),
        "buyers": float(o["user"].nunique()),
        "orders": float(len(o)),
        "revenue": float(o["amount"].sum()),
    }
    out["conversion"] = out["buyers"] / out["visitors"]
    out["orders_per_buyer"] = out["orders"] / out["buyers"]
    out["aov"] = out["revenue"] / out["orders"]
    return out


def _log_mean(a: float, b: float) -> float:
    return a if a == b else (a - b) / (math.log(a) - math.log(b))


def test_tree_follows_entries_in_written_order(shop: tuple[Project, pd.DataFrame, pd.DataFrame]) -> None:
    project, _, _ = shop
    nodes = [(n.name, n.parent, n.depth) for n in driver_tree(project, "revenue")]
    assert nodes == [
        ("revenue", None, 0),
        ("visitors", "revenue", 1),
        ("conversion", "revenue", 1),
        ("buyers", "conversion", 2),
        ("visitors", "conversion", 2),
        ("orders_per_buyer", "revenue", 1),
        ("aov", "revenue", 1),
    ]


def test_identities_on_the_data(shop: tuple[Project, pd.DataFrame, pd.DataFrame]) -> None:
    project, visits, _ = shop
    checks = {
        (i.metric, i.kind): i for i in check_identities(project, start=DAY - timedelta(days=6), end=DAY)
    }
    assert checks[("revenue", "formula")].holds and checks[("revenue", "formula")].days == 7
    assert checks[("conversion", "formula")].holds
    assert checks[("orders", "over")].holds and checks[("orders", "over")].max_residual == 0
    # distinct visitors per channel overlap: a user seen on two channels counts twice
    week = visits[(visits["ts"].dt.date >= DAY - timedelta(days=6)) & (visits["ts"].dt.date <= DAY)]
    per_day = week.assign(day=week["ts"].dt.date)
    whole = per_day.groupby("day")["user"].nunique()
    parts = per_day.groupby(["day", "channel"])["user"].nunique().groupby("day").sum()
    rel = ((whole - parts).abs() / whole).astype(float)
    visitors = checks[("visitors", "over")]
    assert not visitors.holds
    assert visitors.max_residual == pytest.approx(rel.max(), rel=1e-12)
    assert visitors.worst_day == rel.idxmax()
    assert (visitors.left, visitors.right_value) == (whole[rel.idxmax()], parts[rel.idxmax()])


def test_driver_split_is_exact_and_matches_lmdi(shop: tuple[Project, pd.DataFrame, pd.DataFrame]) -> None:
    project, visits, orders = shop
    result = project.explain("revenue", day=DAY, vs="previous")
    after, before = _day_values(visits, orders, DAY), _day_values(visits, orders, DAY - timedelta(days=1))
    assert result.value == pytest.approx(after["revenue"], rel=1e-12)
    assert result.baseline_value == pytest.approx(before["revenue"], rel=1e-12)
    assert result.period == (DAY, DAY) and result.baseline_periods == ((DAY - timedelta(days=1),) * 2,)
    frame = result.drivers.set_index(["node", "parent"])
    weight = _log_mean(after["revenue"], before["revenue"])
    for factor in ("visitors", "conversion", "orders_per_buyer", "aov"):  # LMDI-I by hand
        expected = weight * math.log(after[factor] / before[factor])
        assert frame.loc[(factor, "revenue"), "contribution_to_root"] == pytest.approx(expected, rel=1e-9)
    # the conversion's share is split over buyers and visitors as LMDI splits the conversion
    conv = frame.loc[("conversion", "revenue"), "contribution_to_root"]
    w = _log_mean(after["conversion"], before["conversion"])
    inner = {
        "buyers": w * math.log(after["buyers"] / before["buyers"]),
        "visitors": -w * math.log(after["visitors"] / before["visitors"]),
    }
    for child, part in inner.items():
        got = frame.loc[(child, "conversion"), "contribution_to_root"]
        assert got == pytest.approx(conv * part / sum(inner.values()), rel=1e-9)
    leaves = result.drivers[~result.drivers["node"].isin(["revenue", "conversion"])]
    assert math.fsum(leaves["contribution_to_root"]) == pytest.approx(result.change, rel=1e-12)
    # visitors appears twice (a factor, and inside conversion = buyers / visitors): it cancels out
    net = result.net_by_driver().set_index("driver")["contribution"]
    assert sorted(net.index) == ["aov", "buyers", "orders_per_buyer", "visitors"]
    assert abs(net["visitors"]) < 1e-9 * after["revenue"]
    assert net["buyers"] == pytest.approx(weight * math.log(after["buyers"] / before["buyers"]), rel=1e-9)
    assert math.fsum(net) == pytest.approx(result.change, rel=1e-12)
    assert abs(result.residual_after) < 1e-9 * after["revenue"]


def test_forecast_and_last_year_baselines(shop: tuple[Project, pd.DataFrame, pd.DataFrame]) -> None:
    project, visits, orders = shop
    result = project.explain("conversion", day=DAY, vs="forecast")
    days = [DAY - timedelta(days=7 * k) for k in range(1, 5)]
    assert result.baseline_periods == tuple((d, d) for d in days)
    values = [_day_values(visits, orders, d) for d in days]
    buyers = np.mean([v["buyers"] for v in values])
    visitors = np.mean([v["visitors"] for v in values])
    assert result.baseline_value == pytest.approx(buyers / visitors, rel=1e-12)  # ratio of means
    with pytest.raises(
        QueryError, match="no last year baseline for 2026-05-20: the data starts on 2026-04-01"
    ):
        project.explain("revenue", day=DAY, vs="last_year")
    # the week of DAY is not over: Monday to Wednesday against Monday to Wednesday of the week before
    week = project.explain("orders", day=DAY, vs="previous", grain="week")
    assert week.period == (date(2026, 5, 18), DAY)
    assert week.baseline_periods == ((date(2026, 5, 11), date(2026, 5, 13)),)
    assert any("is not over (the data ends on 2026-05-20): its first 3 day(s)" in n for n in week.notes)
    prev = orders[(orders["ts"].dt.date >= date(2026, 5, 11)) & (orders["ts"].dt.date <= date(2026, 5, 13))]
    cur = orders[(orders["ts"].dt.date >= date(2026, 5, 18)) & (orders["ts"].dt.date <= DAY)]
    assert (week.baseline_value, week.value) == (len(prev), len(cur))
    full = project.explain("orders", day=DAY - timedelta(days=7), vs="previous", grain="week")
    assert full.period == (date(2026, 5, 11), date(2026, 5, 17)) and not full.notes


def test_parts_mix_rate_and_root_causes(shop: tuple[Project, pd.DataFrame, pd.DataFrame]) -> None:
    project, visits, orders = shop
    result = project.explain("orders", day=DAY, vs="forecast", by=["channel", "device"])
    days = [DAY - timedelta(days=7 * k) for k in range(1, 5)]
    base = orders[orders["ts"].dt.date.isin(days)]
    cur = orders[orders["ts"].dt.date == DAY]
    per_channel = pd.DataFrame(
        {"before": base.groupby("channel").size() / 4, "after": cur.groupby("channel").size()}
    ).fillna(0)
    parts = result.parts.set_index("channel")
    for ch, row in per_channel.iterrows():
        assert parts.loc[ch, "before"] == pytest.approx(row["before"])
        assert parts.loc[ch, "after"] == row["after"]
    top = result.causes.causes[0]
    assert dict(top.combination) == PLANTED
    mask_b = (base["channel"] == "ads") & (base["device"] == "mobile")
    mask_c = (cur["channel"] == "ads") & (cur["device"] == "mobile")
    change = mask_c.sum() - mask_b.sum() / 4
    assert top.change == pytest.approx(change)
    assert top.share == pytest.approx(change / (len(cur) - len(base) / 4))

    ratio = project.explain("conversion", day=DAY, vs="previous", by=["channel"])
    mix = ratio.mix["channel"]
    v0 = visits[visits["ts"].dt.date == DAY - timedelta(days=1)]
    v1 = visits[visits["ts"].dt.date == DAY]
    o0 = orders[orders["ts"].dt.date == DAY - timedelta(days=1)]
    o1 = orders[orders["ts"].dt.date == DAY]
    for ch in ("ads", "seo", "mail"):
        d0, d1 = v0[v0["channel"] == ch]["user"].nunique(), v1[v1["channel"] == ch]["user"].nunique()
        n0, n1 = o0[o0["channel"] == ch]["user"].nunique(), o1[o1["channel"] == ch]["user"].nunique()
        w0 = d0 / v0.groupby("channel")["user"].nunique().sum()
        w1 = d1 / v1.groupby("channel")["user"].nunique().sum()
        r0, r1 = n0 / d0, n1 / d1
        row = mix.set_index("channel").loc[ch]
        assert row["mix"] == pytest.approx((w1 - w0) * (r0 + r1) / 2, rel=1e-9)
        assert row["rate"] == pytest.approx((w0 + w1) / 2 * (r1 - r0), rel=1e-9)

    # visitors per channel overlap, so the split explains the ratio of the parts' sums, and says so
    def parts_ratio(v: pd.DataFrame, o: pd.DataFrame) -> float:
        return o.groupby("channel")["user"].nunique().sum() / v.groupby("channel")["user"].nunique().sum()

    assert math.fsum(mix["effect"]) == pytest.approx(parts_ratio(v1, o1) - parts_ratio(v0, o0), rel=1e-9)
    assert any("parts do not add up over channel" in n for n in ratio.notes)
    assert math.fsum(mix["effect"]) != pytest.approx(ratio.change, rel=1e-6)


def test_bad_requests(shop: tuple[Project, pd.DataFrame, pd.DataFrame]) -> None:
    project, _, _ = shop
    with pytest.raises(QueryError, match=r"unknown baseline 'forcast'.*did you mean 'forecast'"):
        project.explain("revenue", day=DAY, vs="forcast")
    with pytest.raises(QueryError, match=r"unknown dimension 'chanel'.*did you mean 'channel'"):
        project.explain("revenue", day=DAY, by=["chanel"])
    with pytest.raises(QueryError, match="explain works by day, week or month, not 'hour'"):
        project.explain("revenue", day=DAY, grain="hour")
    with pytest.raises(QueryError, match=r"unknown metric 'revnue'.*did you mean 'revenue'"):
        project.explain("revnue", day=DAY)


def test_cli_json_and_table(shop: tuple[Project, pd.DataFrame, pd.DataFrame], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from northstar.cli.main import app

    project, _, _ = shop
    folder = str(project.path.parent)
    out = tmp_path / "why.json"
    run = CliRunner().invoke(
        app,
        [
            "explain",
            "orders",
            "--date",
            DAY.isoformat(),
            "--vs",
            "forecast",
            "--by",
            "channel,device",
            "-p",
            folder,
            "--json",
            "-o",
            str(out),
        ],
    )
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert data == json.loads(out.read_text(encoding="utf-8"))
    assert data["root_causes"]["causes"][0]["combination"] == PLANTED
    table = CliRunner().invoke(
        app, ["explain", "revenue", "--date", DAY.isoformat(), "-p", folder, "--lang", "zh"]
    )
    assert table.exit_code == 0, table.output
    assert "驱动因素拆解" in table.stdout
    bad = CliRunner().invoke(app, ["explain", "revenue", "--vs", "budget", "-p", folder])
    assert bad.exit_code != 0 and "unknown baseline 'budget'" in bad.output
    none = CliRunner().invoke(app, ["explain", "revenue", "--vs", "target", "-p", folder])
    assert none.exit_code != 0 and "revenue has no target for" in " ".join(none.output.split())


@pytest.mark.spark
def test_explain_same_on_spark(
    shop: tuple[Project, pd.DataFrame, pd.DataFrame], spark_session: object
) -> None:
    """The same explanation from Spark (local mode): values, the driver split, parts, mix and rate,
    and the root causes."""
    from northstar.engine.spark import SparkEngine

    project, _, _ = shop
    spark = SparkEngine(session=spark_session)
    for metric, vs, by in (("revenue", "previous", []), ("conversion", "forecast", ["channel", "device"])):
        duck = project.explain(metric, day=DAY, vs=vs, by=by).to_dict()
        other = project.explain(metric, day=DAY, vs=vs, by=by, engine=spark).to_dict()
        assert other["value"] == pytest.approx(duck["value"], rel=1e-9)
        assert other["baseline_value"] == pytest.approx(duck["baseline_value"], rel=1e-9)
        for a, b in zip(other["drivers"], duck["drivers"], strict=True):
            assert (a["node"], a["parent"]) == (b["node"], b["parent"])
            assert a["contribution_to_root"] == pytest.approx(b["contribution_to_root"], rel=1e-9, abs=1e-12)
        assert other["mix"].keys() == duck["mix"].keys()
        for dim in duck["mix"]:
            got = {r[dim]: r["effect"] for r in other["mix"][dim]}
            assert got == pytest.approx({r[dim]: r["effect"] for r in duck["mix"][dim]}, rel=1e-9)
        if by:
            causes = [(c["combination"], c["share"]) for c in other["root_causes"]["causes"]]
            expected = [(c["combination"], c["share"]) for c in duck["root_causes"]["causes"]]
            assert [c for c, _ in causes] == [c for c, _ in expected]
            assert [s for _, s in causes] == pytest.approx([s for _, s in expected], rel=1e-9)
