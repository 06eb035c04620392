"""Proposed targets for a KPI: a stepped path from its history and an optional benchmark, with the
probability of reaching each step (pure NumPy/pandas on a series the engine already aggregated).

``propose_targets(values, grain=…, benchmark=…, steps=…, direction=…, additive=…)`` →
:class:`TargetProposal`. Everything below can be checked by hand on the returned numbers.

**Input.** ``values``: one value per period of ``grain`` (week, month or quarter), indexed by the
period's first day; or a daily series, which is summed per period (``additive``: counts, sums) or
averaged over its days (ratios, averages: the mean of the daily values), keeping only periods with
every day present. Missing values are dropped. The caller passes complete periods only.

**Scale.** When every value is > 0 the model works on ``y = log(v)`` (a conversion rate, revenue:
changes and noise are relative, and a forecast can never go below 0); otherwise (a zero or a negative
value) on ``y = v``. For ``additive`` KPIs ``v`` is first divided by the days in its period, so a
31-day month is not "better" than February; forecasts and targets are multiplied back by the days of
the period they are for.

**Model** (ordinary least squares on the last ``WINDOW_YEARS`` = 3 years of periods: older history
describes a different business)::

    y_t = a + b·t + s(t) + e_t,   e_t ~ Normal(0, σ²) independent,   t = periods since the last one

* ``b``, the **trend** per period (on the log scale, ``exp(b) − 1`` is the growth per period), is
  estimated when there are at least ``MIN_TREND`` = 4 periods; with fewer, ``b = 0``.
* ``s``, the **yearly seasonality**, is estimated only with at least two years of periods
  (``2 × 52`` weeks, ``2 × 12`` months, ``2 × 4`` quarters), else it is "not estimated — too little
  history" and 0. Months and quarters: one effect per month (quarter) of the year, effects coded
  (they sum to 0, so ``exp(s)`` is a factor around 1: 1.10 = 10 % above the year's level). Weeks:
  ``WEEK_HARMONICS`` = 3 sine/cosine pairs of the day of the year of the week's Thursday (52 free
  effects would overfit two years of weeks). Weekly seasonality (days of the week) cancels within a
  week, month or quarter; it is used by pacing (:mod:`northstar.analysis.pacing`).
* ``σ``, the **volatility**, is the standard deviation of the residuals after trend and
  seasonality, with ``n − p`` degrees of freedom (``p`` parameters). On the log scale 0.08 means
  about ±8 % from period to period. (A series the line fits exactly gets σ = 10⁻⁹·(1 + max|y|),
  so the probabilities are 0 or 1 rather than undefined.)

**Periods proposed**: ``steps`` consecutive periods from ``first_period`` (default: the one after
the last value; the CLI skips a period already in progress). **Forecast** (business as usual) for
a future period ``h`` periods after the last one:
``ŷ = x₀ᵀβ`` (``x₀`` = 1, h, its season), shown as ``exp(ŷ)`` (the median) or ``ŷ``. Its
uncertainty is the OLS prediction error ``se = σ·√(1 + x₀ᵀ(XᵀX)⁻¹x₀)`` (noise of one period plus
the uncertainty of the fitted level, trend and seasons, which grows with ``h``), and
``(y − ŷ)/se`` is Student-t with ``n − p`` degrees of freedom: the exact predictive distribution
when the model holds, so the probabilities are calibrated (tested by simulation). **The
probability of reaching** a level T is ``P(Y ≥ T)`` (``P(Y ≤ T)`` for ``direction="lower"``).

**Too little history** (fewer than ``MIN_TREND`` periods): no trend; the level is the mean of the
periods; ``σ`` is at least ``SHORT_SIGMA`` = 0.25 (±25 %; on the linear scale 25 % of the mean's
size) and the distribution is Normal with ``se = σ·√(1 + 1/n)``: the bands are wide on purpose.

**Current** = the value of the last complete period (what "now" means in "1.5 % now").

**Targets with a benchmark B** (the industry's level, in the KPI's units per period; for an
``additive`` KPI compared per day as B / the grain's mean days, 7, 30.44 or 91.31): the current
level without its season ``c = C / season(last)`` moves to B in ``steps`` equal steps on the log
scale (a constant growth rate: 1.5 % → 3 % in 2 steps proposes 1.5 %·√2 = 2.12 % next), or equal
steps on the linear scale when c or B is ≤ 0. Step k's path value is multiplied by the season of
its period. Then:

* **target** = the path value, but never below the business-as-usual forecast (above it for
  ``lower``): a target that the trend delivers anyway is not a target;
* **stretch** = the next step's path value (one step ahead of plan; past the last step the path
  continues at the same rate), at least the level reached with probability ``STRETCH_P``;
* **floor** = the level reached with probability ``FLOOR_P`` (0.9): what history says happens 9
  times in 10, so falling below it means something broke.

A benchmark already beaten (c ≥ B, or c ≤ B for ``lower``) is noted, and the targets come from
history as below.

**Targets from history** (no benchmark): target = the level reached with probability
``TARGET_P`` = 0.5 (the forecast), stretch with ``STRETCH_P`` = 0.3 (about one period in three),
floor with ``FLOOR_P`` = 0.9.

Every step says why in English and Chinese (``why`` / ``why_zh``, and ``why_short`` for the
``why:`` of a pasted target), written by :mod:`northstar.analysis.target_reasons`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from northstar.analysis.student_t import t_cdf, t_ppf
from northstar.analysis.target_reasons import WORD, Reasons
from northstar.errors import DataError, QueryError
from northstar.spec.suggest import did_you_mean

__all__ = ["TargetProposal", "TargetStep", "period_label", "propose_targets"]

WINDOW_YEARS = 3
MIN_TREND = 4
WEEK_HARMONICS = 3
SHORT_SIGMA = 0.25
FLOOR_P, TARGET_P, STRETCH_P = 0.9, 0.5, 0.3
MAX_STEPS = 24
PERIODS_PER_YEAR = {"week": 52, "month": 12, "quarter": 4}
MEAN_DAYS = {"week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4}
PERIOD_FREQ = {"week": "W-SUN", "month": "M", "quarter": "Q-DEC"}
_INF = math.inf

Grain = Literal["week", "month", "quarter"]
Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class TargetStep:
    """One proposed period: its bands, the forecast, and the probability of reaching each band."""

    period: str  # 2026-Q1, 2026-12, 2026-W49
    start: str  # first day, ISO
    end: str  # last day, ISO
    horizon: int  # periods after the last complete one
    floor: float
    target: float
    stretch: float
    forecast: float  # business as usual (the median)
    p_floor: float
    p_target: float
    p_stretch: float
    seasonality: float | None  # factor (log scale) or offset (linear scale); None: not estimated
    path: float | None  # the benchmark path's value for this period (None without a benchmark)
    why: str
    why_zh: str
    why_short: str  # for the ``why:`` of a pasted target: "1.50 % now, industry 3.00 %: step 1 of 3"
    why_short_zh: str


@dataclass(frozen=True)
class TargetProposal:
    """Proposed floor / target / stretch per future period, with the model's assumptions."""

    grain: str
    direction: str
    additive: bool
    scale: str  # "log" or "linear"
    current: float  # the last complete period's value
    current_period: str
    benchmark: float | None
    benchmark_beaten: bool
    rule: str  # "benchmark" or "history"
    history_periods: int  # complete periods the model was fitted on
    history_first: str
    trend: float  # per period: relative (log scale) or in the KPI's units (linear)
    volatility: float  # σ: log scale (≈ relative), or the KPI's units (per day when additive)
    dof: float  # degrees of freedom of the t distribution (inf: Normal, short history)
    seasonality_estimated: bool
    trend_estimated: bool
    steps: tuple[TargetStep, ...]
    percent: bool = False
    decimals: int = 2
    metric: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    notes_zh: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (infinite degrees of freedom as null)."""
        data = asdict(self)
        data["dof"] = None if math.isinf(self.dof) else self.dof
        return data


def period_label(period: pd.Period, grain: str) -> str:
    """2026-W49 (ISO week of its Monday), 2026-12, 2026-Q1."""
    start = period.start_time
    if grain == "week":
        iso = start.isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}"
    if grain == "month":
        return f"{start.year}-{start.month:02d}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def _check(grain: str, steps: int, direction: str, benchmark: float | None) -> None:
    if grain not in PERIODS_PER_YEAR:
        raise QueryError(
            f"targets are proposed per week, month or quarter, not {grain!r}"
            + did_you_mean(grain, PERIODS_PER_YEAR),
            f"目标按周、月或季度提出，不支持 {grain!r}" + did_you_mean(grain, PERIODS_PER_YEAR, "zh"),
        )
    if not 1 <= steps <= MAX_STEPS:
        raise QueryError(
            f"--steps must be between 1 and {MAX_STEPS}, not {steps}",
            f"--steps 须在 1 到 {MAX_STEPS} 之间，而不是 {steps}",
        )
    if direction not in ("higher", "lower"):
        raise QueryError(
            f"direction must be higher or lower, not {direction!r}",
            f"方向须为 higher 或 lower，而不是 {direction!r}",
        )
    if benchmark is not None and not math.isfinite(benchmark):
        raise QueryError(
            f"the benchmark must be a finite number, not {benchmark}",
            f"基准值须为有限数值，而不是 {benchmark}",
        )


def per_period(values: pd.Series, grain: str, additive: bool) -> pd.Series:
    """One value per period (a PeriodIndex, sorted): the input as is when its index holds period
    starts, else daily values summed (additive) or averaged per period, complete periods only."""
    s = pd.Series(values, dtype="float64").dropna()
    idx = pd.DatetimeIndex(s.index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    periods = idx.to_period(PERIOD_FREQ[grain])
    if len(s) == 0:
        return pd.Series([], index=pd.PeriodIndex([], freq=PERIOD_FREQ[grain]), dtype="float64")
    at_start = (idx.normalize() == periods.start_time).all() and periods.is_unique
    if at_start:
        out = pd.Series(s.to_numpy(), index=periods)
    else:
        days = pd.Series(s.to_numpy(), index=idx.normalize())
        days = days.groupby(level=0).sum() if additive else days.groupby(level=0).mean()
        p = pd.DatetimeIndex(days.index).to_period(PERIOD_FREQ[grain])
        grouped = days.groupby(p)
        out = grouped.sum() if additive else grouped.mean()
        count = grouped.size()
        full = pd.Series(
            [per.end_time.normalize() - per.start_time + pd.Timedelta(days=1) for per in count.index]
        )
        keep = count.to_numpy() == full.dt.days.to_numpy()
        out = out[keep]
    return out.sort_index()


def _days(period: pd.Period) -> int:
    return int((period.end_time.normalize() - period.start_time).days) + 1


def _season_columns(periods: list[pd.Period], grain: str) -> np.ndarray:
    """Seasonal regressors: effect-coded months/quarters, or sine/cosine pairs for weeks."""
    if grain == "week":
        pos = np.array([(p.start_time + pd.Timedelta(days=3)).day_of_year - 1 for p in periods]) / 365.25
        waves: list[np.ndarray] = []
        for k in range(1, WEEK_HARMONICS + 1):
            waves += [np.sin(2 * np.pi * k * pos), np.cos(2 * np.pi * k * pos)]
        return np.column_stack(waves)
    m = PERIODS_PER_YEAR[grain]
    season = np.array([(p.start_time.month - 1) // (12 // m) for p in periods])
    cols = np.zeros((len(periods), m - 1))
    for j in range(m - 1):
        cols[:, j] = (season == j).astype(float) - (season == m - 1).astype(float)
    return cols


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray
    xtx_inv: np.ndarray
    sigma: float
    dof: float
    trend: bool
    seasonal: bool
    last: pd.Period
    short: bool
    n: int

    def row(self, period: pd.Period, grain: str) -> np.ndarray:
        h = float(period.ordinal - self.last.ordinal)
        x = [1.0] + ([h] if self.trend else [])
        if self.seasonal:
            x += list(_season_columns([period], grain)[0])
        return np.array(x)

    def predict(self, period: pd.Period, grain: str) -> tuple[float, float]:
        """The forecast ŷ on the model's scale and its prediction standard error."""
        x = self.row(period, grain)
        return float(x @ self.beta), self.sigma * math.sqrt(1.0 + float(x @ self.xtx_inv @ x))

    def season(self, period: pd.Period, grain: str) -> float:
        """The seasonal effect s of a period on the model's scale (0 when not estimated)."""
        if not self.seasonal:
            return 0.0
        k = 2 if self.trend else 1
        return float(_season_columns([period], grain)[0] @ self.beta[k:])


def _fit(y: pd.Series, grain: str, linear_scale_size: float) -> _Fit:
    last = y.index[-1]
    n = len(y)
    t = np.array([p.ordinal - last.ordinal for p in y.index], dtype=float)
    trend = n >= MIN_TREND
    seasonal = n >= 2 * PERIODS_PER_YEAR[grain]
    cols = [np.ones(n)] + ([t] if trend else [])
    if seasonal:
        cols.append(_season_columns(list(y.index), grain))
    x = np.column_stack(cols)
    beta, *_ = np.linalg.lstsq(x, y.to_numpy(), rcond=None)
    xtx_inv = np.linalg.pinv(x.T @ x)
    resid = y.to_numpy() - x @ beta
    p = x.shape[1]
    if trend:
        dof = float(n - p)
        sigma = math.sqrt(float(resid @ resid) / dof) if dof > 0 else _INF
        sigma = max(sigma, 1e-9 * (1.0 + float(np.max(np.abs(y.to_numpy())))))  # an exact fit: no noise
        return _Fit(beta, xtx_inv, sigma, dof, trend, seasonal, last, False, n)
    spread = float(np.std(y.to_numpy(), ddof=1)) if n >= 2 else 0.0
    sigma = max(spread, SHORT_SIGMA * linear_scale_size)
    return _Fit(beta, xtx_inv, sigma, _INF, False, False, last, True, n)


def propose_targets(
    values: pd.Series,
    *,
    grain: Grain = "quarter",
    benchmark: float | None = None,
    steps: int = 3,
    direction: Direction = "higher",
    additive: bool = False,
    first_period: Any = None,
    percent: bool = False,
    decimals: int = 2,
    metric: str | None = None,
) -> TargetProposal:
    """Propose floor / target / stretch for the ``steps`` periods from ``first_period`` (default:
    the period after the last value), from the history ``values`` and an optional ``benchmark``
    (see the module docstring for the exact model)."""
    _check(grain, steps, direction, benchmark)
    series = per_period(values, grain, additive)
    if len(series) == 0:
        finer = {"quarter": "month", "month": "week"}.get(grain)
        raise DataError(
            f"no complete {grain} in the history: targets need at least one"
            + (f"; try --grain {finer} (grain={finer!r} in Python)" if finer else ""),
            f"历史数据中没有完整的{WORD[grain][1]}：提出目标至少需要一个完整周期"
            + (f"；可改用 --grain {finer}" if finer else ""),
        )
    last = series.index[-1]
    window = series[pd.PeriodIndex(series.index).asi8 > last.ordinal - WINDOW_YEARS * PERIODS_PER_YEAR[grain]]
    per_day = np.array([_days(p) for p in window.index], dtype=float) if additive else np.ones(len(window))
    raw = window.to_numpy() / per_day
    log = bool((raw > 0).all())
    y = pd.Series(np.log(raw) if log else raw, index=window.index)
    fit = _fit(y, grain, 1.0 if log else max(abs(float(np.mean(raw))), 1e-12))
    start = (
        pd.Period(pd.Timestamp(first_period), freq=PERIOD_FREQ[grain])
        if first_period is not None
        else last + 1
    )
    if start.ordinal <= last.ordinal:
        start = last + 1
    future = [start + k for k in range(steps + 1)]
    back = (lambda v: math.exp(v)) if log else (lambda v: v)
    fwd = (lambda v: math.log(v) if v > 0 else -_INF) if log else (lambda v: v)
    higher = direction == "higher"

    def days_of(p: pd.Period) -> float:
        return float(_days(p)) if additive else 1.0

    def level(p: pd.Period, prob: float) -> float:
        """The level reached with probability ``prob`` in period ``p``."""
        mean, se = fit.predict(p, grain)
        q = t_ppf(1.0 - prob if higher else prob, fit.dof)
        return back(mean + q * se) * days_of(p)

    def reach(p: pd.Period, value: float) -> float:
        mean, se = fit.predict(p, grain)
        z = (fwd(value / days_of(p)) - mean) / se
        below = t_cdf(z, fit.dof) if math.isfinite(z) else (0.0 if z > 0 else 1.0)
        return 1.0 - below if higher else below

    current = float(series.iloc[-1])
    c_level = fwd(current / days_of(last)) - fit.season(last, grain)  # deseasonalised, model scale
    c_dese = back(c_level)
    rule = "history"
    beaten = False
    path: list[float | None] = [None] * (steps + 1)
    rate = None
    if benchmark is not None:
        b = benchmark / (MEAN_DAYS[grain] if additive else 1.0)
        beaten = c_dese >= b if higher else c_dese <= b
        if not beaten:
            rule = "benchmark"
            geometric = log and b > 0
            rate = (b / c_dese) ** (1 / steps) - 1 if geometric else None
            for k in range(1, steps + 2):
                base = (
                    c_dese * (b / c_dese) ** (k / steps) if geometric else c_dese + (b - c_dese) * k / steps
                )
                p = future[k - 1]
                on_scale = back(fwd(base) + fit.season(p, grain)) if base > 0 or not log else base
                path[k - 1] = on_scale * days_of(p)
    better = max if higher else min
    trend = 0.0
    if fit.trend:
        trend = (
            math.exp(fit.beta[1]) - 1.0
            if log
            else float(fit.beta[1]) * (MEAN_DAYS[grain] if additive else 1.0)
        )
    ctx = Reasons(
        grain,
        percent,
        decimals,
        current,
        benchmark,
        steps,
        rate,
        fit.n,
        fit.short,
        trend,
        fit.sigma,
        log,
        additive,
    )
    rows = []
    for k in range(steps):
        p = future[k]
        forecast = level(p, TARGET_P)
        floor = level(p, FLOOR_P)
        if rule == "benchmark":
            step_path, next_path = path[k], path[k + 1]
            assert step_path is not None and next_path is not None
            target = better(step_path, forecast)
            stretch = better(next_path, level(p, STRETCH_P), target)
            overridden = target != step_path
        else:
            target, stretch, overridden = forecast, level(p, STRETCH_P), False
        probs = reach(p, floor), reach(p, target), reach(p, stretch)
        season = (math.exp(fit.season(p, grain)) if log else fit.season(p, grain)) if fit.seasonal else None
        why, why_zh, short, short_zh = ctx.sentence(k, rule, overridden, forecast, probs)
        rows.append(
            TargetStep(
                period_label(p, grain),
                p.start_time.date().isoformat(),
                p.end_time.date().isoformat(),
                p.ordinal - last.ordinal,
                floor,
                target,
                stretch,
                forecast,
                *probs,
                season,
                path[k],
                why,
                why_zh,
                short,
                short_zh,
            )
        )
    notes, notes_zh = ctx.notes(beaten, fit.seasonal)
    return TargetProposal(
        grain=grain,
        direction=direction,
        additive=additive,
        scale="log" if log else "linear",
        current=current,
        current_period=period_label(last, grain),
        benchmark=benchmark,
        benchmark_beaten=beaten,
        rule=rule,
        history_periods=len(window),
        history_first=period_label(window.index[0], grain),
        trend=trend,
        volatility=fit.sigma,
        dof=fit.dof,
        seasonality_estimated=fit.seasonal,
        trend_estimated=fit.trend,
        steps=tuple(rows),
        percent=percent,
        decimals=decimals,
        metric=metric,
        notes=tuple(notes),
        notes_zh=tuple(notes_zh),
    )
