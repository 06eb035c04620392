"""The review pack (``build_review``, ``write_review``, ``northstar review``).

On the demo: the KPI values against a pandas computation from the demo's files, the scorecards
(month and weeks) equal to ``run_scorecard``'s, alerts from a temporary store with their 5-Why
review, target proposals equal to ``propose_targets``'s, the HTML self-contained and in en/zh, the
workbook's numbers. On a small Berlin shop (rows out of order, equal timestamps, repeated rows,
orders on both sides of month ends and of the DST changes of 2026-10-25): the values per Berlin
month and week against pandas, an alert created on 31 Oct 23:30 UTC belonging to November, a
period without data, and the same pack on Spark.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from northstar.analysis.scorecards import run_scorecard
from northstar.cli.main import app
from northstar.errors import QueryError, UserError
from northstar.export import review as review_module
from northstar.export.review import ReviewPack, build_review, write_review
from northstar.project import Project
from northstar.watch.store import AlertStore
from tests.watch.alerts import make_alert

WHYS = [
    "Checkout failed on iOS",
    "A payment SDK update broke 3-D Secure",
    "The update skipped the staging checks",
    "Staging has no iOS payment test",
    "Nobody owns payment tests",
]
BERLIN = "Europe/Berlin"


class Clock:
    """The store's clock: each save or review happens at the next of ``times``."""

    def __init__(self, *times: datetime) -> None:
        self.times = list(times)

    def __call__(self) -> datetime:
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]


def explanation() -> dict[str, Any]:
    """The parts of ``ExplainResult.to_dict()`` the pack reads."""
    return {
        "metric": "orders",
        "net_by_driver": [
            {"driver": "visitors", "contribution": -20.0, "share": 0.2},
            {"driver": "conversion_rate", "contribution": -75.5, "share": 0.755},
            {"driver": "aov", "contribution": 4.5, "share": -0.045},
            {"driver": "returns", "contribution": -1.0, "share": 0.01},
        ],
        "root_causes": {
            "method": "riskloc",
            "causes": [{"combination": {"device": "ios", "country": "DE"}, "share": 0.81}],
        },
    }


# -- the demo ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(demo_shop: Path) -> Project:
    return Project.load(demo_shop)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store") / "a.db"


@pytest.fixture(scope="module")
def store(store_path: Path) -> Iterator[AlertStore]:
    clock = Clock(
        datetime(2026, 11, 11, 8, 0, tzinfo=UTC),  # about 10 Nov: in the pack
        datetime(2026, 11, 12, 9, 0, tzinfo=UTC),  # its review
        datetime(2026, 9, 2, 8, 0, tzinfo=UTC),  # about 1 Sep, created 2 Sep: not in it
        datetime(2026, 11, 1, 0, 30, tzinfo=UTC),  # about 31 Oct, created 1 Nov: in it
    )
    db = AlertStore.open(store_path, clock=clock)
    base = make_alert(0)
    nov = dataclasses.replace(
        base, id="drop:orders:nov", period=date(2026, 11, 10), summary_en="Orders fell 31 %"
    )
    db.save(nov, explanation())
    db.review("drop:orders:nov", WHYS, "maya.chen", ["Add an iOS payment test"], date(2026, 12, 4))
    db.save(dataclasses.replace(base, id="drop:orders:sep", period=date(2026, 9, 1)))
    db.save(dataclasses.replace(base, id="drop:orders:oct31", period=date(2026, 10, 31)))
    yield db
    db.close()


@pytest.fixture(scope="module")
def pack(project: Project, store: AlertStore) -> ReviewPack:
    return build_review(project, "2026-11", store=store, store_name="a.db")


def orders_frame(demo: Path) -> pd.DataFrame:
    orders = pd.read_parquet(demo / "data" / "orders.parquet")
    orders["t"] = pd.to_datetime(orders["ordered_at"], utc=True)
    return orders


def between(frame: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """Rows in [start, end] (whole UTC days)."""
    lo, hi = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC") + pd.Timedelta(days=1)
    return frame[(frame["t"] >= lo) & (frame["t"] < hi)]


def test_kpis_against_pandas(pack: ReviewPack, demo_shop: Path) -> None:
    spec = Project.load(demo_shop).spec
    main = [k for k in pack.kpis if k.role != "team"]
    assert [k.metric for k in main] == [spec.north_star, *spec.supporting]
    assert [k.role for k in main] == ["north_star"] + ["supporting"] * len(spec.supporting)
    assert {k.metric for k in pack.kpis if k.role == "team"} == set(spec.targets) - {k.metric for k in main}
    assert pack.through == date(2026, 11, 26)
    orders = orders_frame(demo_shop)
    revenue = next(k for k in pack.kpis if k.metric == "revenue")
    assert revenue.team == "growth" and revenue.role == "team"
    # November to the 26th, against 1–26 October (the same part of the month before)
    now = between(orders, "2026-11-01", "2026-11-26")["amount_usd"].sum()
    before = between(orders, "2026-10-01", "2026-10-26")["amount_usd"].sum()
    assert revenue.value == pytest.approx(now, rel=1e-9)
    assert revenue.previous == pytest.approx(before, rel=1e-9)
    assert revenue.change == pytest.approx(now - before, rel=1e-9)
    assert revenue.pct == pytest.approx((now - before) / before, rel=1e-9)
    # the month's bands prorated to the 26 days with data (470,000 target for November)
    assert revenue.bands is not None
    assert revenue.bands.target == pytest.approx(470_000 * 26 / 30)
    assert revenue.bands.prorated_days == 26
    expected = (
        "below_floor" if now < 430_000 * 26 / 30 else "below_target" if now < 470_000 * 26 / 30 else None
    )
    assert expected is None or revenue.status == expected
    # six months of history (value, target), the complete ones equal to pandas
    assert [h[0] for h in revenue.history] == [
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    ]
    assert revenue.history[0][1] is None  # before the data: empty, not zero
    for label, value, target in revenue.history[2:5]:
        month = pd.Period(label, freq="M")
        by_hand = between(orders, str(month.start_time.date()), str(month.end_time.date()))[
            "amount_usd"
        ].sum()
        assert value == pytest.approx(by_hand, rel=1e-9)
        assert target == {"2026-08": 450_000, "2026-09": 450_000, "2026-10": 460_000}[label]


def test_scorecards_are_run_scorecards(pack: ReviewPack, project: Project) -> None:
    assert [c.name for c in pack.scorecards] == list(project.spec.scorecards)
    for card in pack.scorecards:
        month = run_scorecard(project, card.name, "2026-11")
        assert card.period.to_dict() == month.to_dict()
        # the weeks starting in November up to the last day with data (W49 starts on the 30th)
        # (a card whose own data end before a week starts has no score for it: run_scorecard refuses)
        expected = []
        for label in ("2026-W45", "2026-W46", "2026-W47", "2026-W48"):
            try:
                run_scorecard(project, card.name, label)
            except QueryError:
                continue
            expected.append(label)
        assert [w.period.label for w in card.weeks] == expected and expected[:3] == [
            "2026-W45",
            "2026-W46",
            "2026-W47",
        ]
        for w in card.weeks:
            assert w.to_dict() == run_scorecard(project, card.name, w.period.label).to_dict()
        # a week inside one weight set has that set's weights (the demo's change on 16 Nov, a Monday)
        spec = project.spec.scorecards[card.name]
        for w in card.weeks:
            first, last = spec.weights_on(w.period.start), spec.weights_on(w.period.end)
            if first is last and first is not None:
                assert {i.item: i.weight for i in w.items} == pytest.approx(first.weights)
    assert any("2026-W49" in n for n in pack.notes)


def test_okrs_alerts_and_proposals(pack: ReviewPack, project: Project) -> None:
    november = [n for n, o in project.spec.okrs.items() if o.span.overlap_days(pack.period) > 0]
    assert november and [o.name for o in pack.okrs] == november
    assert [o.to_dict() for o in pack.okrs] == [o.to_dict() for o in project.okrs(november)]
    assert pack.alerts is not None
    assert [a.id for a in pack.alerts] == ["drop:orders:oct31", "drop:orders:nov"]  # oldest first
    nov = pack.alerts[1]
    assert nov.review is not None and list(nov.review.whys) == WHYS
    assert nov.review.owner == "maya.chen" and nov.review.due == date(2026, 12, 4)
    # the top 3 drivers by net contribution, and the root cause, from the stored explanation
    assert [d[0] for d in nov.drivers] == ["conversion_rate", "visitors", "aov"]
    assert nov.causes == (("device=ios, country=DE", 0.81),)
    # an alert stored without an explanation keeps the alert's own drivers
    assert [d[0] for d in pack.alerts[0].drivers] == ["sessions", "conversion"]
    # proposals: each KPI with targets, the revenue one equal to propose_targets for months
    assert {p.metric for p in pack.proposals} == set(project.spec.targets)
    revenue = next(p for p in pack.proposals if p.metric == "revenue")
    assert revenue.proposal is not None and revenue.grain == "month" == revenue.target_grain
    direct = project.propose_targets("revenue", steps=2, grain="month")
    assert revenue.proposal.to_dict() == direct.to_dict()
    assert [s.period for s in revenue.proposal.steps] == ["2026-12", "2027-01"]
    assert revenue.current is not None and revenue.current.target == 580_000  # December's target
    # a quarterly target without a complete quarter of history is proposed per month
    roas = next(p for p in pack.proposals if p.metric == "roas")
    assert (roas.grain, roas.target_grain) == ("month", "quarter") and roas.proposal is not None


def html_text(page: str) -> str:
    page = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("&amp;", "&")


def test_html_has_every_section(pack: ReviewPack, tmp_path: Path) -> None:
    page = write_review(pack, tmp_path / "r.html").read_text(encoding="utf-8")
    ids = re.findall(r'<section id="(\w+)">', page)
    assert ids == ["kpis", "scorecards", "okrs", "alerts", "proposals", "notes"]
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)  # self-contained
    assert "https://" not in page and "@media print" in page
    text = html_text(page)
    for heading in ["1. North star and supporting KPIs", "2. Scorecards", "3. OKRs", "4. Alerts", "6. Notes"]:
        assert heading in text
    assert "30-day repurchase rate (north star)" in text
    revenue = next(k for k in pack.kpis if k.metric == "revenue")
    assert f"${revenue.value:,.0f}" in text
    assert "Make first-time buyers come back" in text
    whys = re.search(r'<ol class="whys">(.*?)</ol>', page, flags=re.S)
    assert whys is not None and re.findall(r"<li>(.*?)</li>", whys.group(1)) == WHYS
    assert "Add an iOS payment test" in text and "conversion_rate: -75.5 (76%)" in text
    assert page.count("<svg") >= len(pack.kpis) + len(pack.scorecards)


def test_html_in_chinese(pack: ReviewPack, tmp_path: Path) -> None:
    page = write_review(dataclasses.replace(pack, lang="zh"), tmp_path / "r.html").read_text(encoding="utf-8")
    text = html_text(page)
    for heading in [
        "1. 北极星指标与支撑指标",
        "2. 计分卡",
        "3. OKR",
        "4. 告警",
        "5. 目标调整建议",
        "6. 说明",
    ]:
        assert heading in text
    assert "30天复购率（北极星）" in text and "5 个为什么复盘" in text and "让首购客户再次购买" in text
    for english in ["North star", "Scorecards", "Proposed target", "Top drivers", "Notes"]:
        assert english not in text


def test_workbook(pack: ReviewPack, tmp_path: Path, demo_shop: Path) -> None:
    book = openpyxl.load_workbook(write_review(pack, tmp_path / "r.xlsx"))
    assert book.sheetnames == ["KPIs", "Scorecards", "OKRs", "Alerts", "Target proposals", "Notes"]
    rows = list(book["KPIs"].iter_rows(values_only=True))
    heads = rows[2]
    revenue = dict(zip(heads, next(r for r in rows if r[1] == "revenue"), strict=True))
    by_hand = between(orders_frame(demo_shop), "2026-11-01", "2026-11-26")["amount_usd"].sum()
    assert revenue["Value"] == pytest.approx(by_hand, rel=1e-9)
    assert revenue["Target"] == pytest.approx(470_000 * 26 / 30)
    assert revenue["2026-10 Value"] == pytest.approx(
        next(k for k in pack.kpis if k.metric == "revenue").history[4][1]
    )
    alerts = list(book["Alerts"].iter_rows(values_only=True))
    nov = dict(zip(alerts[0], next(r for r in alerts if r[0] == "drop:orders:nov"), strict=True))
    assert nov["5 whys"] == "\n".join(f"{i}. {w}" for i, w in enumerate(WHYS, start=1))
    proposals = list(book["Target proposals"].iter_rows(values_only=True))
    step = next(r for r in proposals if r[1] == "revenue" and r[4] == "2026-12")
    direct = next(p for p in pack.proposals if p.metric == "revenue").proposal
    assert direct is not None and step[7] == pytest.approx(direct.steps[0].target)


def test_bad_input(
    project: Project, pack: ReviewPack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(QueryError) as err:
        build_review(project, "2026-W47")
    assert "a month (2026-11) or a quarter" in str(err.value) and "复盘按月" in err.value.zh
    with pytest.raises(QueryError):
        build_review(project, "November")
    with pytest.raises(UserError) as bad:
        write_review(pack, tmp_path / "r.pdf")
    assert ".html, .htm or .xlsx" in str(bad.value) and "请使用" in bad.value.zh
    target = tmp_path / "r.html"
    target.write_text("old", encoding="utf-8")

    def boom(_: ReviewPack) -> str:
        raise RuntimeError("disk on fire")

    import northstar.export.review_html as review_html

    monkeypatch.setattr(review_html, "review_html", boom)
    with pytest.raises(RuntimeError):
        write_review(pack, target)
    assert target.read_text(encoding="utf-8") == "old" and [p.name for p in tmp_path.iterdir()] == ["r.html"]
    assert review_module.review_period("2026-Q4").label == "2026-Q4"


def test_cli_review(demo_shop: Path, tmp_path: Path, store: AlertStore, store_path: Path) -> None:
    html, book = tmp_path / "pack.html", tmp_path / "pack.xlsx"
    db = str(store_path)
    run = CliRunner().invoke(
        app,
        [
            *("review", "--period", "2026-11", "-p", str(demo_shop), "-o", str(html), "--xlsx", str(book)),
            *("--store", db, "--lang", "zh"),
        ],
    )
    assert run.exit_code == 0, run.output
    assert f"已写入 {html}" in run.output.replace("\n", "")
    text = html_text(html.read_text(encoding="utf-8"))
    assert "KPI 月度复盘 2026-11" in text and WHYS[0] in text
    assert openpyxl.load_workbook(book).sheetnames[0] == "指标"
    # no store at the default place: the pack says so
    run = CliRunner().invoke(app, ["review", "--period", "2026-11", "-p", str(demo_shop), "-o", str(html)])
    assert run.exit_code == 0, run.output
    assert "No alert store at" in html_text(html.read_text(encoding="utf-8"))
    bad = CliRunner().invoke(
        app, ["review", "--period", "2026-W47", "-p", str(demo_shop), "-o", str(tmp_path / "x.html")]
    )
    assert bad.exit_code != 0 and "a month (2026-11) or a quarter" in bad.output
    assert not (tmp_path / "x.html").exists()


# -- a Berlin shop ---------------------------------------------------------------------------------

PROJECT = """\
project: {name: Berlin Shop, timezone: Europe/Berlin, currency: EUR, language: en}
sources:
  orders: {path: orders.csv, time: ordered_at, entity: customer_id, timezone: UTC}
metrics:
  orders: {type: count, source: orders}
  revenue: {type: sum, source: orders, column: amount, format: currency}
  aov: {type: formula, expr: revenue / orders, format: currency}
north_star: revenue
supporting: [aov]
teams:
  shop: {metrics: [revenue, aov, orders]}
targets:
  revenue:
    - {period: 2026-10, floor: 9000, target: 10000, stretch: 11000}
    - {period: 2026-11, floor: 9000, target: 10000, stretch: 11000}
  aov:
    - {period: 2026-Q4, floor: 40, target: 50, stretch: 60}
  orders:
    - {period: 2026-Q4, per: week, floor: 30, target: 50, stretch: 60}
scorecards:
  shop:
    kpis: [revenue, aov]
    weights:
      - {from: 2026-08-03, revenue: 60%, aov: 40%}
"""


def berlin_orders(seed: int = 5) -> pd.DataFrame:
    """Orders 2026-08-20 … 2026-11-10 (UTC), out of order, with equal times and repeated rows, and
    some at the edges of Berlin's months and around both DST changes' hours."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-08-20")
    minutes = rng.integers(0, int((pd.Timestamp("2026-11-11") - start).total_seconds() // 60), 700)
    times = [start + pd.Timedelta(minutes=int(m)) for m in minutes]
    edges = [
        "2026-09-30 21:59",  # 30 Sep 23:59 in Berlin (CEST)
        "2026-09-30 22:00",  # 1 Oct 00:00 in Berlin
        "2026-10-25 00:30",  # 02:30 CEST, before the clocks go back
        "2026-10-25 01:30",  # 02:30 CET, after
        "2026-10-31 22:59",  # 31 Oct 23:59 CET
        "2026-10-31 23:00",  # 1 Nov 00:00 CET
        "2026-10-31 23:00",  # the same time again
        "2026-10-25 22:59",  # Sunday 25 Oct 23:59 CET, the end of W43
        "2026-10-25 23:00",  # Monday 26 Oct 00:00 CET, W44
    ]
    times += [pd.Timestamp(t) for t in edges]
    frame = pd.DataFrame(
        {
            "ordered_at": times,
            "customer_id": rng.integers(1, 300, len(times)),
            "amount": np.round(rng.gamma(4.0, 12.0, len(times)), 2),
        }
    )
    frame = pd.concat([frame, frame.iloc[::50]], ignore_index=True)  # repeated rows
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # out of order


@pytest.fixture(scope="module")
def berlin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, pd.DataFrame]:
    root = tmp_path_factory.mktemp("berlin")
    (root / "northstar.yml").write_text(PROJECT, encoding="utf-8")
    frame = berlin_orders()
    out = frame.assign(ordered_at=frame["ordered_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    out.to_csv(root / "orders.csv", index=False)
    frame["local"] = frame["ordered_at"].dt.tz_localize("UTC").dt.tz_convert(BERLIN)
    return Project.load(root), frame


def local_sum(frame: pd.DataFrame, start: str, end: str) -> float:
    """Revenue over Berlin days [start, end]."""
    day = frame["local"].dt.tz_localize(None).dt.normalize()
    return float(frame.loc[(day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end)), "amount"].sum())


def test_berlin_months_weeks_and_dst(berlin: tuple[Project, pd.DataFrame], tmp_path: Path) -> None:
    project, frame = berlin
    clock = Clock(datetime(2026, 10, 31, 23, 30, tzinfo=UTC))  # 1 Nov 00:30 in Berlin
    with AlertStore.open(tmp_path / "a.db", clock=clock) as db:
        db.save(dataclasses.replace(make_alert(0), id="late", period=date(2026, 9, 15)))
        october = build_review(project, "2026-10", store=db)
        november = build_review(project, "2026-11", store=db)
    assert october.alerts == () and [a.id for a in november.alerts or ()] == ["late"]
    revenue = {p.period.label: next(k for k in p.kpis if k.metric == "revenue") for p in (october, november)}
    octo = revenue["2026-10"]
    assert octo.value == pytest.approx(local_sum(frame, "2026-10-01", "2026-10-31"))
    assert octo.previous == pytest.approx(local_sum(frame, "2026-09-01", "2026-09-30"))
    assert octo.bands is not None and octo.bands.target == 10_000 and octo.bands.prorated_days is None
    # November runs to 10 Nov, compared with 1–10 October; its target prorated to 10 of 30 days
    nov = revenue["2026-11"]
    assert november.through == date(2026, 11, 10)
    assert nov.value == pytest.approx(local_sum(frame, "2026-11-01", "2026-11-10"))
    assert nov.previous == pytest.approx(local_sum(frame, "2026-10-01", "2026-10-10"))
    assert nov.bands is not None and nov.bands.target == pytest.approx(10_000 * 10 / 30)
    assert [h[0] for h in nov.history] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert nov.history[3][1] == pytest.approx(local_sum(frame, "2026-09-01", "2026-09-30"))
    aov = next(k for k in october.kpis if k.metric == "aov")
    in_october = frame[frame["local"].dt.month == 10]
    assert aov.value == pytest.approx(in_october["amount"].sum() / len(in_october))
    # the weeks of October in Berlin: W41 (5 Oct) … W44 (26 Oct – 1 Nov), W43 holding the DST change
    card = october.scorecards[0]
    assert [w.period.label for w in card.weeks] == ["2026-W41", "2026-W42", "2026-W43", "2026-W44"]
    for w, (a, b) in zip(
        card.weeks,
        [
            ("2026-10-05", "2026-10-11"),
            ("2026-10-12", "2026-10-18"),
            ("2026-10-19", "2026-10-25"),
            ("2026-10-26", "2026-11-01"),
        ],
        strict=True,
    ):
        value = next(i for i in w.items if i.item == "revenue").value
        assert value == pytest.approx(local_sum(frame, a, b))
    # orders has bands per week only (per: week): a team KPI without a band for the month
    orders = next(k for k in october.kpis if k.metric == "orders")
    assert orders.role == "team" and orders.bands is None and orders.status == "no_target"
    assert orders.value == len(in_october)


def test_a_period_without_data(berlin: tuple[Project, pd.DataFrame], tmp_path: Path) -> None:
    project, _ = berlin
    pack = build_review(project, "2027-03")
    assert all(k.value is None and k.status == "no_data" for k in pack.kpis)
    assert pack.scorecards == ()  # nothing to score: each card says so in the notes
    assert any("starts after the last day with data" in n for n in pack.notes)
    assert pack.alerts is None and any("2027-03 has no data yet" in n for n in pack.notes)
    text = html_text(write_review(pack, tmp_path / "empty.html").read_text(encoding="utf-8"))
    assert "No alert store was given." in text and "no data" in text
    assert openpyxl.load_workbook(write_review(pack, tmp_path / "empty.xlsx")).sheetnames[0] == "KPIs"


@pytest.mark.spark
def test_the_same_pack_on_spark(berlin: tuple[Project, pd.DataFrame], spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    project, _ = berlin
    duck = build_review(project, "2026-10")
    spark = build_review(project, "2026-10", engine=SparkEngine(session=spark_session))
    assert len(duck.kpis) == len(spark.kpis)
    for a, b in zip(duck.kpis, spark.kpis, strict=True):
        assert (a.metric, a.status, a.bands) == (b.metric, b.status, b.bands)
        assert [h[0] for h in a.history] == [h[0] for h in b.history]
        pairs = [(a.value, b.value), (a.previous, b.previous)]
        pairs += [
            (x, y)
            for ha, hb in zip(a.history, b.history, strict=True)
            for x, y in zip(ha[1:], hb[1:], strict=True)
        ]
        for x, y in pairs:
            assert (x is None and y is None) or x == pytest.approx(y, rel=1e-9)
    for a, b in zip(duck.scorecards, spark.scorecards, strict=True):
        assert a.period.score == pytest.approx(b.period.score, rel=1e-9)
        assert [w.score for w in a.weeks] == pytest.approx([w.score for w in b.weeks], rel=1e-9)
    assert [p.proposal.to_dict() if p.proposal else p.error for p in duck.proposals] == [
        p.proposal.to_dict() if p.proposal else p.error for p in spark.proposals
    ]
