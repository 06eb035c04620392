"""``validate``: lagged correlations of period-over-period differences, with intervals.

Every number is checked against a computation written here from the module docstring (pandas
shifts, a separate autocorrelation, Bartlett's effective sample size, Fisher's z), on series
where the lead is known; the weekly series of a generated project against pandas group-bys of
its CSV rows (Europe/Berlin, both DST changes of 2026, equal timestamps, rows out of order,
repeated rows, partial first and last weeks)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from northstar.analysis.lagged import MIN_CHANGES, Lag, Validation, lagged_correlations, validate
from northstar.errors import QueryError
from northstar.project import Project

TZ = "Europe/Berlin"


# -- an independent computation ---------------------------------------------------------------
def oracle(
    x: Any, y: Any, max_lag: int, confidence: float = 0.95
) -> dict[int, tuple[int, float, float, float]]:
    """lag → (pairs, r, low, high), from pandas shifts of the differences."""
    dx, dy = pd.Series(x, dtype="float64").diff(), pd.Series(y, dtype="float64").diff()
    z = NormalDist().inv_cdf(1 - (1 - confidence) / (2 * (2 * max_lag + 1)))

    def acf(s: pd.Series, j: int) -> float:
        a = s.dropna().to_numpy()
        a = a - a.mean()
        return float(np.dot(a[:-j], a[j:]) / np.dot(a, a))

    out = {}
    for k in range(-max_lag, max_lag + 1):
        pairs = pd.concat([dx.shift(k), dy], axis=1).dropna()
        n = len(pairs)
        r = float(np.corrcoef(pairs.iloc[:, 0], pairs.iloc[:, 1])[0, 1])
        s = sum((n - j) / n * acf(dx, j) * acf(dy, j) for j in range(1, n // 5 + 1))
        n_eff = min(n, 1 / (1 / n + 2 * s / n))
        if n_eff <= 3:
            out[k] = (n, r, -1.0, 1.0)
        else:
            half = z / math.sqrt(n_eff - 3)
            out[k] = (n, r, math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half))
    return out


def ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    e = rng.normal(size=n)
    out = np.empty(n)
    out[0] = e[0]
    for t in range(1, n):
        out[t] = phi * out[t - 1] + e[t]
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("phi", [0.0, 0.6])
def test_correlations_and_intervals_match_the_oracle(seed: int, phi: float) -> None:
    rng = np.random.default_rng(seed)
    x = np.cumsum(ar1(rng, 50, phi)) + 100
    y = np.cumsum(ar1(rng, 50, phi)) + 0.5 * x
    got = {lag.lag: lag for lag in lagged_correlations(x, y, 4)}
    for k, (n, r, low, high) in oracle(x, y, 4).items():
        assert got[k].n == n
        assert got[k].r == pytest.approx(r, abs=1e-12)
        assert (got[k].low, got[k].high) == pytest.approx((low, high), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-50, 50), min_size=12, max_size=40).flatmap(
        lambda xs: st.tuples(st.just(xs), st.lists(st.integers(-50, 50), min_size=len(xs), max_size=len(xs)))
    ),
    st.integers(0, 3),
)
def test_any_series_match_the_oracle(series: tuple[list[int], list[int]], max_lag: int) -> None:
    x, y = (np.cumsum(np.asarray(s, dtype="float64")) for s in series)
    dx, dy = np.diff(x), np.diff(y)
    for k in range(-max_lag, max_lag + 1):  # every lag's pairs must vary, or r does not exist
        a, b = (dx[: len(dx) - k], dy[k:]) if k >= 0 else (dx[-k:], dy[: len(dy) + k])
        assume(np.ptp(a) > 0 and np.ptp(b) > 0)
        assume(abs(np.corrcoef(a, b)[0, 1]) < 1 - 1e-9)  # Fisher's z is infinite at |r| = 1
    got = {lag.lag: lag for lag in lagged_correlations(x, y, max_lag)}
    for k, (n, r, low, high) in oracle(x, y, max_lag).items():
        assert got[k].n == n and got[k].r == pytest.approx(r, abs=1e-9)
        assert (got[k].low, got[k].high) == pytest.approx((low, high), abs=1e-9)
        assert got[k].low <= got[k].r <= got[k].high


def test_missing_values_drop_their_pairs() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=40).cumsum(), rng.normal(size=40).cumsum()
    x[10] = np.nan  # an empty period: the changes into and out of it are missing
    got = {lag.lag: lag for lag in lagged_correlations(x, y, 2)}
    for k, (n, r, _, _) in oracle(x, y, 2).items():
        assert (got[k].n, got[k].r) == (n, pytest.approx(r, abs=1e-12))
    assert got[0].n == 39 - 2


def test_a_known_lead_is_found_at_plus_one() -> None:
    rng = np.random.default_rng(11)
    x = np.cumsum(rng.normal(size=81))
    y = x[:-1] + rng.normal(scale=0.3, size=80)  # y_t = x_{t-1} + noise
    x = x[1:]
    lags = {lag.lag: lag for lag in lagged_correlations(x, y, 4)}
    best = max((lag for lag in lags.values() if lag.excludes_zero), key=lambda lag: abs(lag.r))
    assert best.lag == 1 and best.r > 0.8 and best.low > 0.5
    assert not lags[0].excludes_zero and not lags[-1].excludes_zero
    back = {lag.lag: lag for lag in lagged_correlations(y, x, 4)}  # the other way round: −1
    assert max(back.values(), key=lambda lag: abs(lag.r)).lag == -1


def test_independent_series_keep_zero_inside_at_the_nominal_rate() -> None:
    """Independent series with autocorrelated changes: each 99.44 % interval contains 0 about
    99.44 % of the time and all nine together at least ~95 %; with the naive n (no Bartlett
    correction) they would miss far more often."""
    rng = np.random.default_rng(2026)
    reps, n, max_lag = 400, 60, 4
    inside = every = naive_every = 0
    z = NormalDist().inv_cdf(1 - 0.05 / 18)
    for _ in range(reps):
        x, y = np.cumsum(ar1(rng, n, 0.7)), np.cumsum(ar1(rng, n, 0.7))
        lags = lagged_correlations(x, y, max_lag)
        hits = [not lag.excludes_zero for lag in lags]
        inside += sum(hits)
        every += all(hits)
        naive_every += all(abs(math.atanh(lag.r)) * math.sqrt(lag.n - 3) < z for lag in lags)
    per_lag = inside / (reps * (2 * max_lag + 1))
    assert per_lag == pytest.approx(1 - 0.05 / 9, abs=0.01)
    assert every / reps >= 0.92
    assert naive_every / reps < every / reps - 0.05


def test_a_same_period_link_of_levels_echoes_at_plus_and_minus_one() -> None:
    """Stationary levels that move together: their differences correlate at lag 0 and, with
    about half the size and the opposite sign, at ±1 — the echo the extra caveat is about."""
    rng = np.random.default_rng(8)
    common = rng.normal(size=400)
    x, y = common + rng.normal(size=400), common + rng.normal(size=400)  # levels: r = 0.5
    lags = {lag.lag: lag for lag in lagged_correlations(x, y, 2)}
    assert lags[0].r == pytest.approx(0.5, abs=0.08)
    assert lags[1].r == pytest.approx(-0.25, abs=0.08) and lags[-1].r == pytest.approx(-0.25, abs=0.08)
    v = Validation(
        "x", "y", "day", (date(2026, 1, 1),) * 400, tuple(x), tuple(y), tuple(lags.values()), 2, 0.95
    )
    assert v.best is not None and v.best.lag == 0 and not v.echo and len(v.caveats()) == 4
    flipped = (
        Lag(-1, 100, 90, 0.1, -0.2, 0.4),
        Lag(0, 100, 90, 0.2, -0.1, 0.5),
        Lag(1, 100, 90, -0.4, -0.6, -0.1),
    )
    echo = Validation(
        "x", "y", "day", (date(2026, 1, 1),) * 101, (0.0,) * 101, (0.0,) * 101, flipped, 1, 0.95
    )
    assert echo.best is not None and echo.best.lag == 1 and echo.echo
    assert "echo" not in echo.caveats()[-1] and "lags ±1 with the opposite sign" in echo.caveats()[-1]
    assert "相反符号" in echo.caveats("zh")[-1]


# -- a generated project --------------------------------------------------------------------------
PROJECT = """
project: {{name: Lead lag, timezone: Europe/Berlin, language: en}}
sources:
  a: {{path: a.csv, time: at, timezone: UTC}}
  b: {{path: b.csv, time: at, timezone: UTC}}
  buys: {{path: buys.csv, time: at, entity: customer, timezone: UTC}}
north_star: y_total
metrics:
  x_total: {{type: sum, source: a, column: amount}}
  y_total: {{type: sum, source: b, column: amount}}
  again_30d: {{type: repeat_rate, source: buys, within: 30d}}
{extra}
"""


def _rows(
    totals: np.ndarray, first_monday: date, rng: np.random.Generator, start_day: int, end_day: int
) -> pd.DataFrame:
    """Rows whose local-week sums are ``totals``: the first week starts on weekday ``start_day``,
    the last ends on weekday ``end_day``; rows at Monday 00:00 and Sunday 23:59:59 local time,
    two rows at one instant, one row repeated (and counted twice), shuffled."""
    rows = []
    for t, total in enumerate(totals):
        week = pd.Timestamp(first_monday + timedelta(weeks=t), tz=TZ)
        lo = week + pd.Timedelta(days=start_day if t == 0 else 0)
        hi = (
            (week + pd.Timedelta(days=end_day + 1))
            if t == len(totals) - 1
            else pd.Timestamp(first_monday + timedelta(weeks=t + 1), tz=TZ)
        )
        # local midnights are built per day, so weeks across a DST change are 167 or 169 hours long
        parts = rng.dirichlet(np.ones(4)) * total
        times = [lo, hi - pd.Timedelta(seconds=1), lo + (hi - lo) * rng.random(), None]
        times[3] = times[2]  # equal timestamps
        rows += [(ts, round(float(p), 6)) for ts, p in zip(times, parts, strict=True)]
        if t % 5 == 2:
            rows.append(rows[-1])  # a repeated event
    frame = pd.DataFrame(rows, columns=["local", "amount"])
    frame["at"] = frame["local"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S")
    return frame.sample(frac=1, random_state=1)[["at", "amount"]]


def _weekly_oracle(frame: pd.DataFrame) -> pd.Series:
    local = pd.to_datetime(frame["at"]).dt.tz_localize("UTC").dt.tz_convert(TZ).dt.tz_localize(None)
    day = local.dt.normalize()
    week = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    full = (week >= day.min()) & (week + pd.Timedelta(days=6) <= day.max())
    return frame["amount"].groupby(week).sum()[lambda s: s.index.isin(week[full])]


def _buys(first: date, days: int) -> pd.DataFrame:
    rows = [(f"c{i % 7}", f"{first + timedelta(days=i)} 12:00:00") for i in range(0, days, 2)]
    return pd.DataFrame(rows, columns=["customer", "at"])


def make_project(
    folder: Path, weeks: int = 52, seed: int = 3, extra: str = "", empty_b: bool = False
) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    x = 1000 + np.cumsum(rng.normal(0, 50, weeks + 1))
    y = x[:-1] + rng.normal(0, 10, weeks)  # y lags x by one week
    first = date(2026, 1, 5)  # a Monday; the range crosses 2026-03-29 and 2026-10-25
    a = _rows(x[1:], first, rng, start_day=2, end_day=3)
    b = _rows(y[1:] if weeks > 1 else y, first + timedelta(weeks=1), rng, start_day=0, end_day=6)[
        : None if not empty_b else 0
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "northstar.yml").write_text(PROJECT.format(extra=extra), encoding="utf-8")
    a.to_csv(folder / "a.csv", index=False)
    b.to_csv(folder / "b.csv", index=False)
    _buys(first, weeks * 7).to_csv(folder / "buys.csv", index=False)
    return {"x": _weekly_oracle(a), "y": _weekly_oracle(b) if not empty_b else pd.Series(dtype="float64")}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, pd.Series]]:
    folder = tmp_path_factory.mktemp("lagged") / "p"
    truth = make_project(folder)
    return Project.load(folder), truth


def test_weekly_series_and_lags_match_pandas(generated: tuple[Project, dict[str, pd.Series]]) -> None:
    project, truth = generated
    v = project.validate("x_total")  # against the north star y_total, by week
    both = pd.concat([truth["x"], truth["y"]], axis=1, join="inner").sort_index()
    assert [pd.Timestamp(p) for p in v.periods] == list(both.index)
    assert v.periods[0] == date(2026, 1, 12)  # b starts a week after a; a's first week is partial
    assert np.allclose(v.x, both.iloc[:, 0]) and np.allclose(v.y, both.iloc[:, 1])
    expected = oracle(both.iloc[:, 0], both.iloc[:, 1], 4)
    for lag in v.lags:
        n, r, low, high = expected[lag.lag]
        assert (lag.n, lag.r, lag.low, lag.high) == (
            n,
            pytest.approx(r),
            pytest.approx(low),
            pytest.approx(high),
        )
    assert v.best is not None and v.best.lag == 1
    b = v.best
    stat = f"r = {b.r:.2f} [{b.low:.2f}, {b.high:.2f}]"
    assert b.r > 0.7 and b.low > 0.3
    assert v.verdict() == f"x_total leads y_total by 1 week (together): {stat}"
    assert v.verdict("zh") == f"x_total 领先 y_total 1 周（同向）：{stat}"
    assert any("whole weeks only" in n for n in v.notes_in("en"))
    assert any("完整的周" in n for n in v.notes_in("zh"))


def test_days_across_both_dst_changes(generated: tuple[Project, dict[str, pd.Series]]) -> None:
    project, _ = generated
    v = project.validate("x_total", "y_total", grain="day", max_lag=2)
    frame = pd.read_csv(project.base_dir / "a.csv")
    local = pd.to_datetime(frame["at"]).dt.tz_localize("UTC").dt.tz_convert(TZ).dt.tz_localize(None)
    daily = frame["amount"].groupby(local.dt.date).sum()
    for day in (date(2026, 3, 29), date(2026, 10, 25), date(2026, 10, 26)):
        if day in v.periods:
            assert v.x[v.periods.index(day)] == pytest.approx(daily.get(day, 0.0))
    assert date(2026, 3, 29) in v.periods and date(2026, 10, 25) in v.periods


def test_provisional_repeat_rates_are_left_out(generated: tuple[Project, dict[str, pd.Series]]) -> None:
    project, _ = generated
    v = project.validate("x_total", "again_30d")
    last_buy = pd.to_datetime(pd.read_csv(project.base_dir / "buys.csv")["at"]).max()
    final = (last_buy - pd.Timedelta(days=30)).date() - timedelta(days=1)
    assert v.periods[-1] + timedelta(days=6) <= final < v.periods[-1] + timedelta(days=13)
    assert any("again_30d: values after" in n and "provisional" in n for n in v.notes_in("en"))


def test_to_dict_has_the_numbers_and_the_caveats(generated: tuple[Project, dict[str, pd.Series]]) -> None:
    project, _ = generated
    v = project.validate("x_total")
    data = v.to_dict()
    assert data["best_lag"] == 1 and data["changes"] == "differences"
    assert [lag["r"] for lag in data["lags"]] == [pytest.approx(lag.r) for lag in v.lags]
    assert len(data["caveats"]) == 4 and "not causation" in data["caveats"][0]
    assert "Bonferroni" in data["caveats"][3] and "99.44%" in data["caveats"][3]
    zh = v.to_dict("zh")
    assert "相关不等于因果" in zh["caveats"][0]


def test_too_little_history_and_empty_data(tmp_path: Path) -> None:
    make_project(tmp_path / "short", weeks=6)
    short = Project.load(tmp_path / "short").validate("x_total")
    assert len(short.periods) - 1 < MIN_CHANGES and short.lags == () and short.best is None
    assert short.verdict().startswith("too little history:")
    assert short.verdict("zh").startswith("历史太短")
    make_project(tmp_path / "empty", weeks=20, empty_b=True)
    project = Project.load(tmp_path / "empty")
    empty = project.validate("x_total")
    assert empty.periods == () and empty.lags == ()
    assert empty.notes_in("en") == ("y_total has no data",)


def test_bad_requests_are_refused_in_both_languages(generated: tuple[Project, dict[str, pd.Series]]) -> None:
    project, _ = generated
    with pytest.raises(QueryError) as info:
        validate(project, "x_totl")
    assert "did you mean 'x_total'" in str(info.value) and "没有指标 'x_totl'" in info.value.zh
    with pytest.raises(QueryError) as info:
        validate(project, "x_total", grain="hour")
    assert "validate works by day, week, month" in str(info.value) and "只支持" in info.value.zh
    with pytest.raises(QueryError, match="against itself"):
        validate(project, "y_total")
    with pytest.raises(QueryError, match="max_lag"):
        validate(project, "x_total", max_lag=-1)


def test_no_north_star_needs_against(tmp_path: Path) -> None:
    make_project(tmp_path / "p", weeks=10)
    yml = tmp_path / "p" / "northstar.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("north_star: y_total\n", ""), encoding="utf-8")
    with pytest.raises(QueryError) as info:
        Project.load(tmp_path / "p").validate("x_total")
    assert "--against" in str(info.value) and "北极星" in info.value.zh


@pytest.mark.spark
def test_same_on_spark(tmp_path: Path, spark_session: Any) -> None:
    from northstar.engine.spark import SparkEngine

    make_project(tmp_path / "p", weeks=14)
    project = Project.load(tmp_path / "p")
    duck = project.validate("x_total", grain="week", max_lag=2)
    spark = project.validate("x_total", grain="week", max_lag=2, engine=SparkEngine(session=spark_session))
    assert spark.periods == duck.periods
    assert np.allclose(spark.x, duck.x) and np.allclose(spark.y, duck.y)
    assert [(s.lag, s.n) for s in spark.lags] == [(d.lag, d.n) for d in duck.lags]
    assert np.allclose([s.r for s in spark.lags], [d.r for d in duck.lags])
    assert spark.verdict() == duck.verdict()
