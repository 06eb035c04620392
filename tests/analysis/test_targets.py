"""Target proposals (analysis/targets.py) against independent NumPy fits and simulations.

The oracle fits are written here with a different parameterisation (one dummy per month and no
intercept, instead of effect coding), and probabilities are checked by Monte Carlo draws of
NumPy's Student t, so nothing below calls the model's own fitting or distribution code."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from northstar.analysis.student_t import t_cdf, t_ppf
from northstar.analysis.targets import TargetProposal, per_period, propose_targets
from northstar.errors import DataError, QueryError

MONTHS = pd.period_range("2023-01", periods=36, freq="M")


def monthly(values: np.ndarray, start: str = "2023-01") -> pd.Series:
    idx = pd.period_range(start, periods=len(values), freq="M").start_time
    return pd.Series(values, index=idx)


def quarterly(values: list[float] | np.ndarray, start: str = "2024Q1") -> pd.Series:
    idx = pd.period_range(start, periods=len(values), freq="Q").start_time
    return pd.Series(values, index=idx)


def oracle_fit(y: np.ndarray, t: np.ndarray, season: np.ndarray | None) -> dict[str, object]:
    """OLS of y on t plus one dummy per season (no intercept), or on (1, t) without seasons."""
    if season is None:
        x = np.column_stack([np.ones(len(y)), t])
    else:
        levels = np.unique(season)
        x = np.column_stack([t] + [(season == s).astype(float) for s in levels])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    dof = len(y) - x.shape[1]
    return {"beta": beta, "x": x, "sigma": math.sqrt(resid @ resid / dof), "dof": dof}


# -- the Student t helper -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "dof", "expected"),  # printed t tables (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2)
    [(0.975, 10, 2.228), (0.95, 4, 2.132), (0.9, 30, 1.310), (0.995, 2, 9.925), (0.975, math.inf, 1.960)],
)
def test_t_quantiles_match_the_tables(p: float, dof: float, expected: float) -> None:
    assert t_ppf(p, dof) == pytest.approx(expected, abs=1e-3)
    assert t_cdf(t_ppf(p, dof), dof) == pytest.approx(p, abs=1e-10)
    assert t_cdf(-t_ppf(p, dof), dof) == pytest.approx(1 - p, abs=1e-10)


def test_t_cdf_agrees_with_monte_carlo() -> None:
    draws = np.random.default_rng(0).standard_t(5, 400_000)
    for x in (-2.5, -0.3, 0.0, 1.1, 3.0):
        assert t_cdf(x, 5) == pytest.approx(float((draws <= x).mean()), abs=0.003)


# -- the seed's worked example ----------------------------------------------------------------


def test_the_seed_example_steps_from_1_5_to_3_percent() -> None:
    """1.5 % now, industry 3 %, two steps: the first is 1.5 % · √2 = 2.12 % (equal steps on the log
    scale), and its probability is what the fitted history gives it."""
    noise = [0.04, -0.03, 0.02, -0.05, 0.01, 0.0]
    values = quarterly([0.015 * math.exp(e) for e in noise])  # 2024-Q1 … 2025-Q2, the last exactly 1.5 %
    proposal = propose_targets(values, grain="quarter", benchmark=0.03, steps=2, percent=True)
    first, second = proposal.steps
    assert proposal.current == pytest.approx(0.015)
    assert first.period == "2025-Q3" and second.period == "2025-Q4"
    assert 0.021 <= first.target <= 0.023
    assert first.target == pytest.approx(0.015 * math.sqrt(2), rel=1e-12)
    assert second.target == pytest.approx(0.03, rel=1e-12)
    assert first.why.startswith("1.50 % now, industry 3.00 %: step 1 of 2 at +41 % a quarter; reached with")
    assert "6 quarters' trend" in first.why and "volatility" in first.why
    assert first.why_zh.startswith("当前 1.50 %，行业 3.00 %：第 1 步（共 2 步），每季度 +41 %")
    assert first.why_short == "1.50 % now, industry 3.00 %: step 1 of 2"
    # the forecast and the probability of each band, from an independent fit and Monte Carlo
    y = np.log(values.to_numpy())
    t = np.arange(-5.0, 1.0)
    fit = oracle_fit(y, t, None)
    x0 = np.array([1.0, 1.0])
    xtx = np.linalg.inv(fit["x"].T @ fit["x"])  # type: ignore[union-attr]
    mean = float(x0 @ fit["beta"])  # type: ignore[operator]
    se = fit["sigma"] * math.sqrt(1 + x0 @ xtx @ x0)  # type: ignore[operator]
    draws = np.exp(mean + se * np.random.default_rng(1).standard_t(fit["dof"], 400_000))  # type: ignore[arg-type]
    assert first.forecast == pytest.approx(math.exp(mean), rel=1e-9)
    assert proposal.trend == pytest.approx(math.exp(fit["beta"][1]) - 1, rel=1e-9)  # type: ignore[index]
    assert proposal.volatility == pytest.approx(fit["sigma"], rel=1e-9)
    for band, p in [
        (first.floor, first.p_floor),
        (first.target, first.p_target),
        (first.stretch, first.p_stretch),
    ]:
        assert p == pytest.approx(float((draws >= band).mean()), abs=0.003)
    assert first.p_floor == pytest.approx(0.9, abs=1e-9)
    assert first.stretch == pytest.approx(second.target)  # one step ahead of the path


def test_three_steps_from_1_5_to_3_percent() -> None:
    proposal = propose_targets(quarterly([0.0152, 0.0148, 0.0151, 0.0149, 0.015]), benchmark=0.03, steps=3)
    assert [s.target for s in proposal.steps] == pytest.approx([0.015 * 2 ** (k / 3) for k in (1, 2, 3)])


# -- trend, seasonality and volatility against an independent fit -------------------------------


def test_trend_and_monthly_seasonality_are_recovered() -> None:
    rng = np.random.default_rng(11)
    true_season = np.log([0.9, 0.85, 1.0, 1.05, 1.1, 1.0, 0.95, 0.9, 1.0, 1.05, 1.1, 1.2])
    true_season -= true_season.mean()
    t = np.arange(36.0) - 35
    months = np.arange(36) % 12
    y = math.log(200.0) + 0.02 * t + true_season[months] + rng.normal(0, 0.03, 36)
    proposal = propose_targets(monthly(np.exp(y)), grain="month", steps=12)
    fit = oracle_fit(y, t, months)
    beta = fit["beta"]
    alphas = beta[1:]  # type: ignore[index]
    factors = np.exp(alphas - alphas.mean())
    assert proposal.seasonality_estimated and proposal.trend_estimated
    assert proposal.trend == pytest.approx(math.exp(beta[0]) - 1, rel=1e-9)  # type: ignore[index]
    assert proposal.trend == pytest.approx(math.exp(0.02) - 1, abs=0.003)  # and near the truth
    assert proposal.volatility == pytest.approx(fit["sigma"], rel=1e-9)
    assert proposal.dof == 36 - 13
    for k, step in enumerate(proposal.steps):  # 2026-01 … 2026-12
        assert step.period == f"2026-{k + 1:02d}"
        assert step.seasonality == pytest.approx(factors[k], rel=1e-9)
        assert step.seasonality == pytest.approx(math.exp(true_season[k]), rel=0.04)
        assert step.forecast == pytest.approx(math.exp(beta[0] * (k + 1) + alphas[k]), rel=1e-9)  # type: ignore[index]


def test_weekly_grain_fits_yearly_waves() -> None:
    """Weeks: three sine/cosine pairs of the day of the year of the week's Thursday."""
    rng = np.random.default_rng(4)
    weeks = pd.period_range("2024-01-01", periods=120, freq="W-SUN")
    pos = np.array([((w.start_time + pd.Timedelta(days=3)).day_of_year - 1) / 365.25 for w in weeks])
    y = 5 + 0.3 * np.sin(2 * np.pi * pos) - 0.1 * np.cos(4 * np.pi * pos) + rng.normal(0, 0.05, 120)
    values = pd.Series(np.exp(y), index=weeks.start_time)
    proposal = propose_targets(values, grain="week", steps=2)
    t = np.arange(120.0) - 119
    waves = [f(2 * np.pi * k * pos) for k in (1, 2, 3) for f in (np.cos, np.sin)]
    x = np.column_stack([np.ones(120), t, *waves])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    nxt = weeks[-1] + 1
    p1 = ((nxt.start_time + pd.Timedelta(days=3)).day_of_year - 1) / 365.25
    x0 = np.array([1.0, 1.0] + [f(2 * np.pi * k * p1) for k in (1, 2, 3) for f in (np.cos, np.sin)])
    assert proposal.steps[0].period == "2026-W17"  # 2024-W01 + 120 weeks (52 + 52 + 16)
    assert proposal.steps[0].forecast == pytest.approx(math.exp(x0 @ beta), rel=1e-9)
    assert proposal.steps[0].seasonality == pytest.approx(math.exp(x0[2:] @ beta[2:]), rel=1e-9)


# -- calibration by simulation ------------------------------------------------------------------


def _reached(proposal: TargetProposal, actual: list[float]) -> np.ndarray:
    """Per step: floor, target and stretch reached (higher is better)."""
    return np.array(
        [[a >= s.floor, a >= s.target, a >= s.stretch] for s, a in zip(proposal.steps, actual, strict=True)]
    )


@pytest.mark.parametrize(
    ("grain", "n", "sigma", "swing"),
    # 30 months with a yearly swing (estimated: 17 dof); 6 quarters, no swing (4 dof: t tails matter)
    [("month", 30, 0.08, 0.15), ("quarter", 6, 0.15, 0.0)],
)
def test_history_targets_are_calibrated(grain: str, n: int, sigma: float, swing: float) -> None:
    """Series drawn from the model's own process (log-linear trend, yearly seasonality when there
    are two years to estimate it, Normal noise): the floor is reached ≈ 90 % of the time, the target ≈ 50 %, the stretch ≈ 30 %, in the first
    and the third proposed period. 1,200 series: the binomial standard error is ≤ 1.45 points, and
    the tolerance, 5 points, is 3.5 of them (the seeds are fixed: the test is deterministic)."""
    rng = np.random.default_rng(2026)
    per_year = 12 if grain == "month" else 4
    season = np.log(1 + swing * np.sin(2 * np.pi * np.arange(per_year) / per_year))
    freq = "M" if grain == "month" else "Q"
    periods = pd.period_range("2023-01", periods=n + 3, freq=freq)
    t = np.arange(n + 3.0)
    hits = []
    for _ in range(1200):
        y = 3.0 + 0.01 * t + season[np.arange(n + 3) % per_year] + rng.normal(0, sigma, n + 3)
        values = pd.Series(np.exp(y[:n]), index=periods[:n].start_time)
        proposal = propose_targets(values, grain=grain, steps=3)  # type: ignore[arg-type]
        hits.append(_reached(proposal, list(np.exp(y[n:]))))
    rates = np.array(hits).mean(axis=0)  # step × (floor, target, stretch)
    for step in (0, 2):
        assert rates[step] == pytest.approx([0.9, 0.5, 0.3], abs=0.05), rates


def test_benchmark_probabilities_are_calibrated() -> None:
    """With a benchmark the targets are not at a fixed probability; the probabilities the model
    states must still come true on average (mean stated probability vs share reached)."""
    rng = np.random.default_rng(7)
    stated, reached = [], []
    for _ in range(1200):
        y = math.log(0.015) + 0.03 * np.arange(13.0) + rng.normal(0, 0.1, 13)
        proposal = propose_targets(quarterly(np.exp(y[:12]), "2023Q1"), benchmark=0.02, steps=1)
        step = proposal.steps[0]
        stated.append(step.p_target)
        reached.append(math.exp(y[12]) >= step.target)
    assert 0.15 < float(np.mean(stated)) < 0.85  # the targets are neither trivial nor impossible
    assert float(np.mean(reached)) == pytest.approx(float(np.mean(stated)), abs=0.04)


# -- directions, benchmark cases and edges ------------------------------------------------------


def test_lower_is_better_steps_down_and_orders_bands_the_other_way() -> None:
    cac = quarterly([51.0, 49.0, 50.5, 49.5, 50.2, 50.0])
    proposal = propose_targets(cac, benchmark=35.0, steps=3, direction="lower")
    path = [50.0 * (35 / 50) ** (k / 3) for k in (1, 2, 3)]
    assert [s.target for s in proposal.steps] == pytest.approx(path, rel=1e-12)
    for s in proposal.steps:
        assert s.floor > s.forecast > s.target > s.stretch
        assert s.p_floor == pytest.approx(0.9, abs=1e-9)
        assert s.p_floor > s.p_target > s.p_stretch
    assert "step 1 of 3 at -11 % a quarter" in proposal.steps[0].why


def test_a_benchmark_already_beaten_falls_back_to_history() -> None:
    proposal = propose_targets(quarterly([0.031, 0.032, 0.033, 0.034, 0.035]), benchmark=0.03, percent=True)
    assert proposal.benchmark_beaten and proposal.rule == "history"
    assert "already beaten" in proposal.notes[-1] and "已超过基准" in proposal.notes_zh[-1]
    assert proposal.steps[0].why_short.startswith("industry 3.00 % already beaten;")
    assert [s.p_target for s in proposal.steps] == pytest.approx([0.5] * 3, abs=1e-8)


def test_a_trend_past_the_path_makes_the_forecast_the_target() -> None:
    noise = [0.01, -0.01, 0.02, 0.0, -0.02, 0.0]
    growing = quarterly([0.005 * 1.3**k * math.exp(e) for k, e in enumerate(noise)])  # +30 % a quarter
    proposal = propose_targets(growing, benchmark=growing.iloc[-1] * 1.1**2, steps=2, percent=True)  # +10 %
    first = proposal.steps[0]
    assert first.target == first.forecast and first.path is not None and first.path < first.forecast
    assert first.p_target == pytest.approx(0.5, abs=1e-8)
    assert "already past the path" in first.why


def test_short_history_has_wide_bands_and_says_so() -> None:
    proposal = propose_targets(quarterly([0.02, 0.021]), steps=2)
    assert not proposal.trend_estimated and math.isinf(proposal.dof)
    assert proposal.volatility == pytest.approx(0.25)  # the floor of the assumed volatility
    mean = math.log(0.02 * 0.021) / 2
    assert proposal.steps[0].forecast == pytest.approx(math.exp(mean))
    z90 = 1.2815515655446004  # the Normal's 90 % quantile
    assert proposal.steps[0].floor == pytest.approx(math.exp(mean - z90 * 0.25 * math.sqrt(1.5)), rel=1e-6)
    assert proposal.notes[0].startswith("too little history (2 complete quarters)")
    assert "given only 2 quarters of history" in proposal.steps[0].why
    assert proposal.to_dict()["dof"] is None
    one = propose_targets(quarterly([5.0]))
    assert one.steps[0].forecast == pytest.approx(5.0) and one.steps[0].floor < 5.0


def test_zero_and_negative_values_use_the_linear_scale() -> None:
    profit = monthly(np.array([-3.0, 0.0, 2.0, 4.0, 5.0, 7.0, 9.0, 10.0]), "2026-01")
    proposal = propose_targets(profit, grain="month", steps=2, benchmark=20.0)
    assert proposal.scale == "linear" and "zero or negative" in proposal.notes[-1]
    fit = oracle_fit(profit.to_numpy(), np.arange(-7.0, 1.0), None)
    assert proposal.trend == pytest.approx(fit["beta"][1], rel=1e-9)  # type: ignore[index]
    assert proposal.steps[0].forecast == pytest.approx(fit["beta"] @ np.array([1, 1.0]), rel=1e-9)  # type: ignore[operator]
    assert proposal.steps[0].path == pytest.approx(10 + (20 - 10) / 2)  # equal linear steps


def test_empty_history_and_bad_arguments_are_refused_in_both_languages() -> None:
    with pytest.raises(DataError) as empty:
        propose_targets(pd.Series([], dtype=float, index=pd.DatetimeIndex([])))
    assert "no complete quarter" in str(empty.value) and "季度" in empty.value.zh
    with pytest.raises(QueryError) as grain:
        propose_targets(quarterly([1.0]), grain="quater")  # type: ignore[arg-type]
    assert "did you mean 'quarter'" in str(grain.value) and "您是不是想写" in grain.value.zh
    with pytest.raises(QueryError, match="--steps must be between 1 and 24"):
        propose_targets(quarterly([1.0]), steps=0)


# -- daily input ---------------------------------------------------------------------------------


def test_daily_rows_are_summed_per_complete_period_in_any_order() -> None:
    """Repeated days (two rows for one day), rows out of order, a partial first and last month."""
    rng = np.random.default_rng(3)
    days = pd.date_range("2025-01-15", "2026-03-10", freq="D")
    counts = rng.poisson(40, len(days)).astype(float)
    rows = pd.Series(np.concatenate([counts, np.ones(10)]), index=days.append(days[100:110]))
    rows = rows.sample(frac=1.0, random_state=1)  # out of order
    frame = rows.groupby(rows.index).sum()
    by_month = frame.groupby(frame.index.to_period("M")).agg(["sum", "size"])
    complete = by_month[by_month["size"] == by_month.index.days_in_month]
    got = per_period(rows, "month", additive=True)
    assert list(got.index.astype(str)) == list(complete.index.astype(str))  # 2025-02 … 2026-02
    assert got.to_numpy() == pytest.approx(complete["sum"].to_numpy())
    daily_proposal = propose_targets(rows, grain="month", additive=True)
    monthly_proposal = propose_targets(
        complete["sum"].set_axis(complete.index.start_time), grain="month", additive=True
    )
    assert daily_proposal.steps == monthly_proposal.steps
    # additive: the model runs on the value per day, so a month's forecast scales with its days
    y = np.log(complete["sum"].to_numpy() / complete.index.days_in_month.to_numpy())
    fit = oracle_fit(y, np.arange(-12.0, 1.0), None)
    for k, step in enumerate(daily_proposal.steps):  # 2026-03, 04, 05
        days_in = pd.Period(step.period, "M").days_in_month
        assert step.forecast == pytest.approx(
            math.exp(fit["beta"] @ np.array([1.0, k + 1])) * days_in, rel=1e-9
        )  # type: ignore[operator]


def test_daily_ratios_are_averaged() -> None:
    days = pd.date_range("2026-01-01", "2026-03-31", freq="D")
    rates = pd.Series(np.where(days.day_of_week < 5, 0.02, 0.04), index=days)
    got = per_period(rates, "month", additive=False)
    assert got.to_numpy() == pytest.approx(rates.groupby(rates.index.to_period("M")).mean().to_numpy())


def test_the_worked_example_in_the_docs_prints_what_it_shows(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/goals.md runs the seed's example (1.5 % now, industry 3 %); its printed output is real."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "goals.md").read_text(encoding="utf-8")
    example = doc.split("### The seed's example")[1]
    code = re.search(r"```python\n(.*?)```", example, flags=re.DOTALL)
    shown = re.search(r"```text\n(.*?)```", example, flags=re.DOTALL)
    assert code and shown
    exec(compile(code.group(1), "docs/goals.md", "exec"), {})
    assert capsys.readouterr().out == shown.group(1)
    assert "target 2.12%" in shown.group(1)  # the seed's "2.2 % next": 1.5 % · √2 in two equal log steps
