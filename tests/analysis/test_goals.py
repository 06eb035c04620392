"""Targets, scorecards and OKRs against an independent computation.

The oracle below reads ``orders.csv`` with pandas and re-derives, in its own words, what the
docs say: a month's sum target shared out by days, a quarter's rate target day-weighted, weights
day-weighted over the sets in force, linear scores from the floor (or 0 / 2 × target) to the
target capped, thresholds, roll-ups, period-to-date values and key-result progress. It shares no
code with ``northstar.analysis``.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from northstar.analysis.bands import TargetSetting, bands_for
from northstar.errors import QueryError, UserError
from northstar.project import Project
from northstar.spec.periods import parse_period
from northstar.watch.rules import evaluate
from northstar.watch.store import AlertStore

SHOP = Path(__file__).parent / "data" / "goals_shop"
LAST = date(2026, 11, 20)  # the last day in orders.csv

REVENUE = {(2026, 9): (7000, 8000, 9000), (2026, 10): (7500, 8500, 9500), (2026, 11): (8000, 9000, 10000)}
AOV = {3: (35, 40, 45), 4: (36, 42, 48)}  # by quarter
REFUND = (0.12, 0.08, 0.05)
BUYERS_Q4_WEEK = (40, 45, 50)
ORDERS_WEEK = {40: 60, 41: 60, 42: 62, 43: 62}
WEIGHTS = [
    (date(2026, 9, 7), {"revenue": 0.5, "aov": 0.3, "refund_rate": 0.2}),
    (date(2026, 10, 14), {"revenue": 0.4, "aov": 0.2, "refund_rate": 0.2, "buyers": 0.2}),
]


@pytest.fixture(scope="module")
def shop() -> Project:
    return Project.load(SHOP)


@pytest.fixture(scope="module")
def orders() -> pd.DataFrame:
    df = pd.read_csv(SHOP / "orders.csv", parse_dates=["ordered_at"])
    df["day"] = df["ordered_at"].dt.date
    return df


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _values(orders: pd.DataFrame, start: date, end: date) -> dict[str, float]:
    part = orders[(orders["day"] >= start) & (orders["day"] <= end)]
    revenue = float(part["amount"].sum())
    n = len(part)
    return {
        "revenue": revenue,
        "orders": float(n),
        "aov": revenue / n,
        "buyers": float(part["customer_id"].nunique()),
        "refund_rate": float((part["status"] == "refunded").sum()) / n,
    }


def _bands(metric: str, start: date, end: date, through: date) -> tuple[float, float, float] | None:
    """The oracle's bands: by hand from the YAML's numbers, for the cases the tests use."""
    days = _days(start, end)
    if metric == "revenue":  # a sum: each day gets 1/len(month) of its month's target
        out = [0.0, 0.0, 0.0]
        for d in _days(start, min(end, through)):
            per_month = REVENUE.get((d.year, d.month))
            if per_month is None:
                return None
            month_days = calendar.monthrange(d.year, d.month)[1]
            out = [o + b / month_days for o, b in zip(out, per_month, strict=True)]
        if through < end:
            # prorated evenly to the days elapsed: (bands of the whole period) × elapsed / days
            whole = _bands(metric, start, end, end)
            assert whole is not None
            elapsed = (through - start).days + 1
            return tuple(b * elapsed / len(days) for b in whole)  # type: ignore[return-value]
        return tuple(out)  # type: ignore[return-value]
    if metric == "aov":  # a rate: day-weighted average of the quarters' targets
        sums = [0.0, 0.0, 0.0]
        for d in days:
            q = AOV[(d.month - 1) // 3 + 1]
            sums = [s + b for s, b in zip(sums, q, strict=True)]
        return tuple(s / len(days) for s in sums)  # type: ignore[return-value]
    if metric == "refund_rate":
        return REFUND
    if metric == "buyers":  # given per week of Q4 only
        is_week = (end - start).days == 6 and start.weekday() == 0
        return (
            BUYERS_Q4_WEEK if is_week and start >= date(2026, 10, 1) and end <= date(2026, 12, 31) else None
        )
    if metric == "orders":
        week = start.isocalendar()[1]
        is_week = (end - start).days == 6 and start.weekday() == 0
        return (None, ORDERS_WEEK[week], None) if is_week and week in ORDERS_WEEK else None  # type: ignore[return-value]
    raise AssertionError(metric)


def _score(value: float, bands: tuple, scoring: str, cap: float, lower: bool) -> float | None:
    floor, target, _ = bands
    if target is None:
        return None
    if scoring == "threshold":
        return 1.0 if (value <= target if lower else value >= target) else 0.0
    zero = floor if floor is not None else (2 * target if lower else 0.0)
    return min(max((value - zero) / (target - zero), 0.0), cap)


def _weights(start: date, end: date) -> dict[str, float]:
    out: dict[str, float] = {}
    days = [d for d in _days(start, end) if d >= WEIGHTS[0][0]]
    for d in days:
        current = [w for s, w in WEIGHTS if s <= d][-1]
        for k, v in current.items():
            out[k] = out.get(k, 0.0) + v / len(days)
    return out


CONFIG = {
    "revenue": ("linear", 1.5, False),
    "aov": ("linear", 1.2, False),
    "refund_rate": ("threshold", 1.2, True),
}
CONFIG["buyers"] = ("linear", 1.2, False)


@pytest.mark.parametrize(
    "label", ["2026-W38", "2026-W40", "2026-W42", "2026-W44", "2026-10", "2026-W47", "2026-11"]
)
def test_shop_scorecard_equals_the_oracle(shop: Project, orders: pd.DataFrame, label: str) -> None:
    p = parse_period(label)
    through = min(p.end, LAST)
    result = shop.scorecard("shop", label)
    assert result.period == p and result.through == through
    values = _values(orders, p.start, through)
    weights = _weights(p.start, p.end)
    expected_total, scored_weight = 0.0, 0.0
    got = {i.item: i for i in result.items}
    assert set(got) == set(weights)
    for item, w in weights.items():
        row = got[item]
        assert row.weight == pytest.approx(w)
        assert row.value == pytest.approx(values[item])
        bands = _bands(item, p.start, p.end, through)
        if bands is None:
            assert row.bands is None and row.score is None
            continue
        assert row.bands is not None
        for mine, theirs in zip((row.bands.floor, row.bands.target, row.bands.stretch), bands, strict=True):
            assert mine == pytest.approx(theirs)
        scoring, cap, lower = CONFIG[item]
        score = _score(values[item], bands, scoring, cap, lower)
        assert row.score == pytest.approx(score)
        assert score is not None
        expected_total += w * score
        scored_weight += w
    assert result.score == pytest.approx(expected_total / scored_weight)
    assert result.coverage == pytest.approx(scored_weight / sum(weights.values()))
    assert sum(i.contribution or 0 for i in result.items) == pytest.approx(result.score)


def test_weights_change_mid_week_are_blended_by_days(shop: Project) -> None:
    result = shop.scorecard("shop", "2026-W42")  # Mon 12 Oct – Sun 18 Oct; new set from Wed 14 Oct
    assert result.weight_sets == ((date(2026, 9, 7), 2), (date(2026, 10, 14), 5))
    assert {i.item: round(i.weight, 6) for i in result.items}["buyers"] == round(0.2 * 5 / 7, 6)
    assert any("weights changed" in n for n in result.notes)


def test_a_partial_period_prorates_sums_and_says_so(shop: Project) -> None:
    result = shop.scorecard("shop", "2026-11")
    revenue = next(i for i in result.items if i.item == "revenue")
    assert revenue.bands is not None and revenue.bands.prorated_days == 20
    assert revenue.bands.target == pytest.approx(9000 * 20 / 30)
    pacing = revenue.pacing  # on track for the whole month's 9,000?
    assert pacing is not None and pacing.target == 9000 and pacing.so_far == pytest.approx(revenue.value)
    assert (pacing.days_elapsed, pacing.days) == (20, 30)
    aov = next(i for i in result.items if i.item == "aov")
    assert aov.pacing is None  # a rate has no pace
    assert any("not over" in n for n in result.notes) and any("未结束" in n for n in result.notes_zh)


def test_company_rolls_up_team_cards(shop: Project, orders: pd.DataFrame) -> None:
    company = shop.scorecard("company", "2026-W41")
    shop_card = shop.scorecard("shop", "2026-W41")
    ops = shop.scorecard("ops", "2026-W41")
    n = _values(orders, date(2026, 10, 5), date(2026, 10, 11))["orders"]
    assert ops.score == pytest.approx(min(n / 60, 1.2))  # linear from 0 to the week's 60 orders
    assert company.score == pytest.approx(0.6 * shop_card.score + 0.4 * ops.score)  # type: ignore[operator]
    assert [i.kind for i in company.items] == ["scorecard", "scorecard"]


def test_no_weights_yet_is_a_clear_error(shop: Project) -> None:
    with pytest.raises(QueryError, match="no weights in force during 2026-W36") as info:
        shop.scorecard("shop", "2026-W36")
    assert "没有生效的权重" in info.value.zh
    with pytest.raises(QueryError, match="did you mean 'shop'"):
        shop.scorecard("shopp")


def test_bands_from_finer_entries_and_gaps() -> None:
    days = [TargetSetting("x", parse_period(f"2026-11-{d:02d}"), None, 10.0 + d, None) for d in range(16, 23)]
    week = parse_period("2026-W47")
    assert bands_for(days, week, additive=True).target == pytest.approx(sum(10.0 + d for d in range(16, 23)))  # type: ignore[union-attr]
    assert bands_for(days, week, additive=False).target == pytest.approx(
        sum(10.0 + d for d in range(16, 23)) / 7
    )  # type: ignore[union-attr]
    assert bands_for(days[:-1], week, additive=True) is None  # Sunday has no target: no bands
    assert bands_for(days, week, additive=False, length_dependent=True) is None


def test_okr_progress_equals_the_oracle(shop: Project, orders: pd.DataFrame) -> None:
    (grow,) = shop.okrs()
    values = _values(orders, date(2026, 10, 1), LAST)
    sept = _values(orders, date(2026, 7, 1), date(2026, 9, 30))
    revenue, aov, hand = grow.key_results
    assert revenue.start == 0 and revenue.value == pytest.approx(values["revenue"])
    assert revenue.progress == pytest.approx(min(values["revenue"] / 27000, 1))
    assert aov.start == pytest.approx(sept["aov"])  # the quarter before, for a rate
    assert aov.progress == pytest.approx(min(max((values["aov"] - sept["aov"]) / (45 - sept["aov"]), 0), 1))
    assert hand.progress == 0.5 and hand.graded_by_hand
    expected = (2 * revenue.progress + aov.progress + 0.5) / 4  # type: ignore[operator]
    assert grow.progress == pytest.approx(expected)
    assert revenue.pacing is not None and revenue.pacing.so_far == pytest.approx(values["revenue"])
    (guard,) = grow.guardrails
    assert guard.value == pytest.approx(values["refund_rate"]) and guard.holds == (
        values["refund_rate"] <= 0.15
    )


def test_guardrail_breaches_are_watch_alerts(shop: Project, orders: pd.DataFrame) -> None:
    firings = evaluate(shop, "grow__refund_rate__ceiling", date(2026, 10, 1), LAST)
    daily = (
        orders[orders["day"] >= date(2026, 10, 1)]
        .groupby("day")["status"]
        .apply(lambda s: (s == "refunded").mean())
    )
    fired = sorted(pd.Timestamp(f.period).date() for f in firings)
    assert fired == sorted(d for d, r in daily.items() if r > 0.15)
    assert firings, "the test data should breach the guardrail on some days"


def test_targets_set_in_the_app_replace_the_yaml(shop: Project, tmp_path: Path) -> None:
    with AlertStore.open(tmp_path / "app.db") as store:
        entry = shop.check_target("revenue", "2026-10", target="9,000", floor=8000)
        store.set_target("revenue", entry.period.label, floor=entry.floor, target=entry.target, set_by="li")
        settings = shop.targets(store=store)["revenue"]
        october = [s for s in settings if s.period.label == "2026-10"]
        # the app's floor and target replace the YAML's; its stretch (not given) stays
        assert [(s.origin, s.floor, s.target, s.stretch, s.set_by) for s in october] == [
            ("app", 8000.0, 9000.0, 9500.0, "li")
        ]
        row = next(i for i in shop.scorecard("shop", "2026-W41", store=store).items if i.item == "revenue")
        assert row.bands is not None and row.bands.target == pytest.approx(9000 * 7 / 31)
    with pytest.raises(UserError, match="wrong way round") as info:
        shop.check_target("refund_rate", "2026-Q4", floor="5%", target="8%")
    assert "相反" in info.value.zh
    with pytest.raises(UserError, match=r"would be 900 % for 'refund_rate', a percentage: write 9%") as info:
        shop.check_target("refund_rate", "2026-Q4", target="9")
    assert "9%" in info.value.zh
    with pytest.raises(UserError, match="did you mean 'revenue'"):
        shop.check_target("revenu", "2026-Q4", target=1)
    with pytest.raises(UserError, match="not a period"):
        shop.check_target("revenue", "Q4", target=1)
    # the Chinese message is Chinese (the dashboard's target form shows it), not the English one
    with pytest.raises(UserError, match="'abc' is not a number") as info:
        shop.check_target("revenue", "2026-Q4", target="abc")
    assert "'abc' 不是数字" in info.value.zh
    with pytest.raises(UserError, match="give at least one") as info:
        shop.check_target("revenue", "2026-Q4")
    assert "至少要给出一个" in info.value.zh
    with pytest.raises(UserError, match="per: Input should be") as info:
        shop.check_target("revenue", "2026-Q4", target=1, per="yearz")
    assert "'yearz' 不是允许的取值" in info.value.zh


def _lmdi(after: float, before: float) -> float:
    return (after - before) / (math.log(after) - math.log(before)) if after != before else after


def test_explain_vs_target_splits_the_gap_over_the_drivers_targets(
    shop: Project, orders: pd.DataFrame
) -> None:
    week = shop.explain("revenue", day="2026-10-07", grain="week", vs="target")
    v = _values(orders, date(2026, 10, 5), date(2026, 10, 11))
    revenue_target = 8500 * 7 / 31  # October's revenue target, a week's share
    tree_target = 60 * 42  # the week's orders target × Q4's aov target
    assert week.value == pytest.approx(v["revenue"]) and week.baseline_value == pytest.approx(revenue_target)
    rows = week.drivers.set_index("node")
    weight = _lmdi(v["revenue"], tree_target)
    assert rows.loc["orders", "contribution_to_root"] == pytest.approx(weight * math.log(v["orders"] / 60))
    assert rows.loc["aov", "contribution_to_root"] == pytest.approx(weight * math.log(v["aov"] / 42))
    assert week.residual_before == pytest.approx(revenue_target - tree_target)
    assert any("not explained by the drivers" in n for n in week.notes)

    month = shop.explain("revenue", day="2026-10-15", grain="month", vs="target")  # no monthly orders target
    m = _values(orders, date(2026, 10, 1), date(2026, 10, 31))
    rows = month.drivers.set_index("node")
    assert rows.loc["orders", "contribution_to_root"] == pytest.approx(0.0, abs=1e-9)
    assert rows.loc["aov", "contribution_to_root"] == pytest.approx(m["revenue"] - m["orders"] * 42)
    assert any("no target for orders" in n for n in month.notes)
    with pytest.raises(QueryError, match="no target for 2026-W35") as info:
        shop.explain("revenue", day="2026-08-27", grain="week", vs="target")
    assert "没有目标" in info.value.zh


def test_an_open_repeat_window_is_provisional_not_scored(shop: Project) -> None:
    closed = shop.scorecard("loyalty", "2026-W40")  # to 4 Oct: every 30-day window closed by 20 Nov
    (row,) = closed.items
    assert row.status != "provisional" and row.score is not None
    still_open = shop.scorecard("loyalty", "2026-W46")  # 9–15 Nov: windows run into December
    (row,) = still_open.items
    assert row.status == "provisional" and row.score is None and still_open.score is None
    assert any("provisional" in n for n in still_open.notes) and any("暂定" in n for n in still_open.notes_zh)


def test_explain_vs_target_refuses_a_distinct_count_in_an_unfinished_period(shop: Project) -> None:
    with pytest.raises(QueryError, match="counts distinct entities") as info:
        shop.explain("buyers", day="2026-11-18", grain="week", vs="target")  # W47: the data ends on the 20th
    assert "去重计数" in info.value.zh
    done = shop.explain("buyers", day="2026-11-11", grain="week", vs="target")  # W46 is over
    assert done.baseline_value == 45


def test_a_period_after_the_data_is_refused(shop: Project) -> None:
    with pytest.raises(
        QueryError, match="2026-W48 starts after the last day with data \\(2026-11-20\\)"
    ) as info:
        shop.scorecard("shop", "2026-W48")
    assert "还没有可计分的数据" in info.value.zh
    with pytest.raises(QueryError, match="2026 has ISO weeks 1 to 53"):
        shop.scorecard("shop", "2026-W60")
