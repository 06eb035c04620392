"""Does a KPI lead or accompany the north star on history? Lagged correlation with intervals.

``validate(project, metric, against, grain="week", max_lag=4)``:

1. **Series.** Both metrics per ``grain`` period over the whole periods both have data for
   (:meth:`Project.query`, computed in the engine). A period is left out when it is cut by the
   start or end of either metric's data, when a value in it is still provisional (a
   ``repeat_rate`` or ``conversion`` metric whose window reaches past the end of the data: a
   period whose end plus the window is after the source's last row), or when an
   ``active_users`` window reaches back before the data starts. What was left out is said in
   ``notes``.
2. **Changes.** The period-over-period *differences* ``Δx_t = x_t − x_{t−1}`` of each series.
   Levels with trends correlate spuriously (any two growing series do); differences remove a
   linear trend and, unlike % changes, are defined for zeros, negatives and rates. Pearson's r
   does not depend on either series' scale, so differences of a large count and of a rate
   compare fine. A missing value (an empty period of a ratio) makes its two changes missing.
3. **Lags.** For ``k`` in ``−max_lag … +max_lag``, ``r_k`` = Pearson's r of the pairs
   ``(Δx_{t−k}, Δy_t)`` where both exist: a positive ``k`` means the metric's change comes ``k``
   periods *before* the north star's (the metric leads); 0, the same period; negative, after.
4. **Intervals.** Fisher's z with an effective sample size for autocorrelated series
   (Bartlett's formula, in the form of Pyper & Peterman 1998):
   ``1/n_eff = 1/n + (2/n)·Σ_{j=1}^{⌊n/5⌋} ((n−j)/n)·ρ_x(j)·ρ_y(j)``, with ``n`` the pairs at that
   lag and ``ρ`` the sample autocorrelations of the two difference series
   (``ρ(j) = Σ_t (a_t−ā)(a_{t+j}−ā) / Σ_t (a_t−ā)²`` over the values that exist), ``n_eff`` kept
   within ``[0, n]``. The interval is ``tanh(atanh(r) ± z/√(n_eff−3))`` — or ``[−1, 1]`` when
   ``n_eff ≤ 3``. **Multiple lags:** ``2·max_lag+1`` lags are tested, so each interval is a
   Bonferroni interval at ``1 − (1 − confidence)/(2·max_lag+1)``; all of them hold together with
   at least ``confidence`` (95 % by default).
5. **Verdict.** The *best lag* is the one with the largest ``|r|`` among those whose interval
   excludes 0 (ties: the shortest lag); none → "no evidence of a link". Fewer than
   :data:`MIN_CHANGES` changes at lag 0 → "too little history", with no lags computed.

Caveats are part of the result and always printed: correlation is not causation; common causes
(seasonality, promotions) move both; short histories give wide intervals; how the several lags
are accounted for. One more when the best lag is ±1 and lag 0's r has the opposite sign and at
least half its size: the differences of two series without a trend whose *levels* move together
correlate by about r at lag 0 and by about −r/2 at lags ±1 (each change is partly undone by the
next), so such a lag may be an echo of a same-period link. Granger-style tests (and pre-whitening) are not attempted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from northstar.compile.request import truncate
from northstar.errors import QueryError
from northstar.spec.models import parse_duration_days
from northstar.spec.suggest import did_you_mean

if TYPE_CHECKING:
    from northstar.engine.base import Engine
    from northstar.project import Project

__all__ = [
    "MIN_CHANGES",
    "Lag",
    "Validation",
    "autocorrelation",
    "batch_caveats",
    "lagged_correlations",
    "validate",
]

MIN_CHANGES = 6
VALIDATE_GRAINS = ("day", "week", "month")
GRAIN_ZH = {"day": "天", "week": "周", "month": "个月"}
Note = tuple[str, str]


@dataclass(frozen=True)
class Lag:
    """The correlation of the changes at one lag (positive: the metric leads), with its interval."""

    lag: int
    n: int  # pairs of changes
    n_eff: float  # effective sample size (autocorrelation-corrected)
    r: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return bool(self.low > 0 or self.high < 0)

    def to_dict(self) -> dict[str, Any]:
        return {k: _num(getattr(self, k)) for k in ("lag", "n", "n_eff", "r", "low", "high")}


@dataclass(frozen=True)
class Validation:
    """History's answer to "does ``metric`` move with ``against``?" (see the module docstring)."""

    metric: str
    against: str
    grain: str
    periods: tuple[date, ...]  # the first day of each period kept
    x: tuple[float, ...]  # the metric per period (nan: no value)
    y: tuple[float, ...]  # the north star (or ``against``) per period
    lags: tuple[Lag, ...]
    max_lag: int
    confidence: float  # all intervals together
    notes: tuple[Note, ...] = field(default_factory=tuple)

    @property
    def last_day(self) -> date | None:
        """The last day of the last period kept."""
        return _next_start(self.periods[-1], self.grain) - timedelta(days=1) if self.periods else None

    @property
    def per_lag_confidence(self) -> float:
        return 1 - (1 - self.confidence) / (2 * self.max_lag + 1)

    @property
    def changes(self) -> int:
        """Pairs of changes at lag 0."""
        return next((lag.n for lag in self.lags if lag.lag == 0), max(len(self.periods) - 1, 0))

    @property
    def enough_history(self) -> bool:
        return bool(self.lags)

    @property
    def best(self) -> Lag | None:
        found = [lag for lag in self.lags if lag.excludes_zero]
        return min(found, key=lambda lag: (-abs(lag.r), abs(lag.lag), -lag.lag)) if found else None

    def verdict(self, lang: str = "en") -> str:
        zh = lang == "zh"
        unit = GRAIN_ZH[self.grain] if zh else self.grain
        if not self.enough_history:
            return (
                f"历史太短：只有 {self.changes} 个逐{unit}变化（至少需要 {MIN_CHANGES} 个）"
                if zh
                else f"too little history: {self.changes} {self.grain}-over-{self.grain} changes "
                f"(at least {MIN_CHANGES} needed)"
            )
        best = self.best
        if best is None:
            return (
                "没有关联的证据：每个区间都包含 0"
                if zh
                else "no evidence of a link: every interval contains 0"
            )
        k = abs(best.lag)
        stat = f"r = {best.r:.2f} [{best.low:.2f}, {best.high:.2f}]"
        if zh:
            how = "同向" if best.r > 0 else "反向"
            if best.lag > 0:
                return f"{self.metric} 领先 {self.against} {k} {unit}（{how}）：{stat}"
            if best.lag < 0:
                return f"{self.metric} 滞后于 {self.against} {k} {unit}（{how}）：{stat}"
            return f"{self.metric} 与 {self.against} 在同一{unit}内{how}变动：{stat}"
        how = "together" if best.r > 0 else "in opposite directions"
        plural = self.grain if k == 1 else self.grain + "s"
        if best.lag > 0:
            return f"{self.metric} leads {self.against} by {k} {plural} ({how}): {stat}"
        if best.lag < 0:
            return f"{self.metric} follows {self.against} by {k} {plural} ({how}): {stat}"
        return f"{self.metric} moves with {self.against} in the same {self.grain} ({how}): {stat}"

    @property
    def echo(self) -> bool:
        """The best lag is ±1, and lag 0's r has the opposite sign and at least half its size:
        possibly the echo of a same-period link that differencing spreads to lags ±1."""
        best = self.best
        zero = next((lag for lag in self.lags if lag.lag == 0), None)
        return bool(
            best and zero and abs(best.lag) == 1 and best.r * zero.r < 0 and abs(zero.r) >= abs(best.r) / 2
        )

    def caveats(self, lang: str = "en") -> tuple[str, ...]:
        """What the numbers cannot say; always printed with them (the last only for an echo)."""
        n, lags, per = self.changes, 2 * self.max_lag + 1, self.per_lag_confidence
        if lang == "zh":
            unit = GRAIN_ZH[self.grain]
            echo = (
                f"最佳滞后为 ±1 且与同期 r 的符号相反：对没有趋势的序列做差分后，相邻的变化会部分相互抵消，"
                f"同一{unit}内的关联也会以相反符号出现在 ±1 滞后上；两者的水平值可能只是同向变动。",
            )
            return (*self._caveats_zh(n, lags, per, unit), *(echo if self.echo else ()))
        echo = (
            "The best lag is ±1 with the opposite sign to lag 0: differencing a series without a trend "
            "makes neighbouring changes partly undo each other, so a same-"
            f"{self.grain} link also shows at lags ±1 with the opposite sign; the levels may simply "
            "move together.",
        )
        return (*self._caveats_en(n, lags, per), *(echo if self.echo else ()))

    def _caveats_zh(self, n: int, lags: int, per: float, unit: str) -> tuple[str, ...]:
        return (
            f"相关不等于因果：即使有关联，也不能说明推动 {self.metric} 就会推动 {self.against}。",
            "共同原因（季节性、节假日、促销、流量波动）会同时推动两者；逐期差分去掉了趋势，但去不掉共同的冲击。",
            f"历史较短：只有 {n} 个逐{unit}变化；区间很宽，一个异常的{unit}就可能改变 r。",
            f"检验了 {lags} 个滞后：每个区间的置信度为 {per:.2%}（Bonferroni 校正），"
            f"因此所有区间同时成立的概率至少为 {self.confidence:.0%}；"
            "样本量已按自相关修正（Bartlett 公式）。",
        )

    def _caveats_en(self, n: int, lags: int, per: float) -> tuple[str, ...]:
        return (
            f"Correlation is not causation: a link does not show that moving {self.metric} "
            f"will move {self.against}.",
            "Common causes (seasonality, holidays, promotions, traffic swings) move both; "
            "period-over-period differences remove trends, not shared shocks.",
            f"Short history: {n} {self.grain}-over-{self.grain} changes; intervals are wide, and "
            f"one unusual {self.grain} can swing r.",
            f"{lags} lags tested: each interval is at {per:.2%} confidence (Bonferroni), so all "
            f"hold together with at least {self.confidence:.0%}; the sample size is corrected for "
            "autocorrelation (Bartlett's formula).",
        )

    def notes_in(self, lang: str = "en") -> tuple[str, ...]:
        return tuple(zh if lang == "zh" else en for en, zh in self.notes)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        best = self.best
        return {
            "metric": self.metric,
            "against": self.against,
            "grain": self.grain,
            "changes": "differences",
            "confidence": self.confidence,
            "per_lag_confidence": self.per_lag_confidence,
            "periods": [p.isoformat() for p in self.periods],
            "metric_values": [_num(v) for v in self.x],
            "against_values": [_num(v) for v in self.y],
            "lags": [lag.to_dict() for lag in self.lags],
            "best_lag": best.lag if best else None,
            "verdict": self.verdict(lang),
            "caveats": list(self.caveats(lang)),
            "notes": list(self.notes_in(lang)),
        }


def batch_caveats(results: Sequence[Validation], lang: str = "en") -> tuple[str, ...]:
    """The caveats of several validations against one metric (``validate --all``): the same as
    one's, for any KPI, plus the chance of a link found by luck among ``len(results)`` KPIs."""
    if not results:
        return ()
    v = results[0]
    lo, hi = min(r.changes for r in results), max(r.changes for r in results)
    n = str(lo) if lo == hi else f"{lo}–{hi}"
    k, miss = len(results), 1 - v.confidence
    if lang == "zh":
        unit = GRAIN_ZH[v.grain]
        _, *rest = v.caveats("zh")
        return (
            f"相关不等于因果：即使有关联，也不能说明推动某个指标就会推动 {v.against}。",
            rest[0],
            f"历史较短：每个指标只有 {n} 个逐{unit}变化；区间很宽，一个异常的{unit}就可能改变 r。",
            rest[2],
            f"检验了 {k} 个指标：即使全都与 {v.against} 无关，也预计约有 {k * miss:.1f} 个会偶然显示出关联。",
        )
    _, *rest = v.caveats("en")
    return (
        f"Correlation is not causation: a link does not show that moving a KPI will move {v.against}.",
        rest[0],
        f"Short history: {n} {v.grain}-over-{v.grain} changes per KPI; intervals are wide, and one "
        f"unusual {v.grain} can swing r.",
        rest[2],
        f"{k} KPIs tested: even if none were linked to {v.against}, about {k * miss:.1f} of them "
        "would show a link by chance.",
    )


def lagged_correlations(
    x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, max_lag: int, confidence: float = 0.95
) -> tuple[Lag, ...]:
    """Pearson's r of the differences of ``x`` and ``y`` at each lag −max_lag … +max_lag, with
    Bonferroni intervals from Fisher's z on Bartlett's effective sample size (module docstring).
    Pure NumPy; ``x`` and ``y`` are levels per period, nan where missing."""
    dx = np.diff(np.asarray(x, dtype="float64"))
    dy = np.diff(np.asarray(y, dtype="float64"))
    z = NormalDist().inv_cdf(1 - (1 - confidence) / (2 * (2 * max_lag + 1)))
    out = []
    for k in range(-max_lag, max_lag + 1):
        a, b = (dx[: len(dx) - k], dy[k:]) if k >= 0 else (dx[-k:], dy[: len(dy) + k])
        keep = np.isfinite(a) & np.isfinite(b)
        a, b = a[keep], b[keep]
        n = int(keep.sum())
        r = _pearson(a, b)
        n_eff = _effective_n(n, autocorrelation(dx, n // 5), autocorrelation(dy, n // 5))
        if math.isnan(r) or n_eff <= 3:
            low, high = -1.0, 1.0
        else:
            zr = math.atanh(min(max(r, -1 + 1e-15), 1 - 1e-15))
            half = z / math.sqrt(n_eff - 3)
            low, high = math.tanh(zr - half), math.tanh(zr + half)
        out.append(Lag(k, n, n_eff, r, low, high))
    return tuple(out)


def autocorrelation(a: np.ndarray, max_lag: int) -> np.ndarray:
    """ρ(1) … ρ(max_lag) of ``a`` (nan skipped): Σ (a_t−ā)(a_{t+j}−ā) / Σ (a_t−ā)²."""
    finite = np.isfinite(a)
    if max_lag < 1 or finite.sum() < 2:
        return np.zeros(max(max_lag, 0))
    c = np.where(finite, a - a[finite].mean(), 0.0)
    denom = float((c * c).sum())
    if denom == 0:
        return np.zeros(max_lag)
    return np.array(
        [float((c[:-j] * c[j:]).sum()) / denom if j < len(c) else 0.0 for j in range(1, max_lag + 1)]
    )


def _effective_n(n: int, rho_x: np.ndarray, rho_y: np.ndarray) -> float:
    if n == 0:
        return 0.0
    j = np.arange(1, len(rho_x) + 1)
    inv = 1 / n + (2 / n) * float((((n - j) / n) * rho_x * rho_y).sum())
    return float(n) if inv <= 1 / n else 1 / inv


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3:
        return float("nan")
    ca, cb = a - a.mean(), b - b.mean()
    den = math.sqrt(float((ca * ca).sum()) * float((cb * cb).sum()))
    return float((ca * cb).sum()) / den if den > 0 else float("nan")


def validate(
    project: Project,
    metric: str,
    against: str | None = None,
    *,
    grain: str = "week",
    max_lag: int = 4,
    confidence: float = 0.95,
    start: date | None = None,
    end: date | None = None,
    engine: Engine | None = None,
) -> Validation:
    """Whether ``metric``'s changes lead or accompany ``against``'s (default: the north star)."""
    eng = engine or project.engine
    against = against or project.spec.north_star
    if against is None:
        raise QueryError(
            "the project has no north star: give --against <metric>",
            "项目没有设置北极星指标：请用 --against <指标> 指定对比指标",
        )
    known = sorted(project.catalog.metrics)
    for name in (metric, against):
        if name not in project.catalog.metrics:
            raise QueryError(
                f"unknown metric {name!r}" + did_you_mean(name, known),
                f"没有指标 {name!r}" + did_you_mean(name, known, "zh"),
            )
    if metric == against:
        raise QueryError(
            f"{metric!r} against itself: pick another metric to validate against",
            f"{metric!r} 不能与自己对比：请选择另一个指标",
        )
    if grain not in VALIDATE_GRAINS:
        raise QueryError(
            f"grain {grain!r}: validate works by {', '.join(VALIDATE_GRAINS)}"
            + did_you_mean(grain, VALIDATE_GRAINS),
            f"时间粒度 {grain!r}：validate 只支持 {', '.join(VALIDATE_GRAINS)}"
            + did_you_mean(grain, VALIDATE_GRAINS, "zh"),
        )
    if max_lag < 0 or not 0 < confidence < 1:
        raise QueryError(
            "max_lag must be 0 or more and confidence between 0 and 1",
            "max_lag 必须大于等于 0，confidence 必须在 0 和 1 之间",
        )
    first, last, notes = settled_periods(project, [metric, against], grain, eng, start, end)
    if first is None or last is None or first > last:
        return Validation(metric, against, grain, (), (), (), (), max_lag, confidence, tuple(notes))
    stop = _next_start(last, grain) - timedelta(days=1)
    frame = project.query([metric, against], grain=grain, start=first, end=stop, engine=eng).frame
    periods = tuple(pd.Timestamp(p).date() for p in frame["period"])
    xs = frame[metric].astype("float64").to_numpy()
    ys = frame[against].astype("float64").to_numpy()
    changes = int((np.isfinite(np.diff(xs)) & np.isfinite(np.diff(ys))).sum())
    lags = lagged_correlations(xs, ys, max_lag, confidence) if changes >= MIN_CHANGES else ()
    return Validation(
        metric, against, grain, periods, tuple(map(float, xs)), tuple(map(float, ys)), lags, max_lag,
        confidence, tuple(notes),
    )  # fmt: skip


def settled_periods(
    project: Project,
    names: Sequence[str],
    grain: str,
    engine: Engine,
    start: date | None = None,
    end: date | None = None,
) -> tuple[date | None, date | None, list[Note]]:
    """The first and last period start whose values are whole and final for every metric of
    ``names`` (see the module docstring), within [start, end] when given; and what was cut."""
    notes: list[Note] = []
    lo: date | None = start
    hi: date | None = end
    for name in names:
        span = project.span([name], engine)
        if span is None:
            notes.append((f"{name} has no data", f"{name} 没有数据"))
            return None, None, notes
        lo = max(lo, span[0].date()) if lo else span[0].date()
        hi = min(hi, span[1].date()) if hi else span[1].date()
    assert lo is not None and hi is not None
    for name in project.catalog.closure(project.catalog.expand(names)):
        m = project.catalog.metrics[name]
        source = project.source_of(name) or ""
        if m.kind in ("repeat_rate", "conversion"):
            days = parse_duration_days(_window(project, name))
            last_row = project.last_time(engine, source)
            if last_row is not None:
                # the last day whose rows all had their whole window before the data ends
                final = (last_row - timedelta(days=days)).date() - timedelta(days=1)
                if final < hi:
                    notes.append(
                        (
                            f"{name}: values after {final} are provisional (its window runs past the data)",
                            f"{name}：{final} 之后的数值是暂定的（观察窗口超出了数据范围）",
                        )
                    )
                    hi = final
        elif m.kind == "active_users":
            days = int(parse_duration_days(m.spec.within or 1))
            cov = project.coverage(engine, source)
            if cov is not None and days > 1:
                full = cov[0].date() + timedelta(days=days - 1)
                if full > lo:
                    notes.append(
                        (
                            f"{name}: windows before {full} reach back before the data starts",
                            f"{name}：{full} 之前的窗口早于数据的起点",
                        )
                    )
                    lo = full
    first = _period_start(lo, grain)
    if first < lo:
        first = _next_start(first, grain)
    last = _period_start(hi, grain)
    if _next_start(last, grain) - timedelta(days=1) > hi:
        last = _previous_start(last, grain)
    if first <= last and (first > lo or last < _period_start(hi, grain)):
        notes.append(
            (
                f"whole {grain}s only: {first} to {_next_start(last, grain) - timedelta(days=1)}",
                f"只使用完整的{GRAIN_ZH[grain]}：{first} 至 {_next_start(last, grain) - timedelta(days=1)}",
            )
        )
    return first, last, notes


def _window(project: Project, name: str) -> str | int:
    spec = project.catalog.metrics[name].spec
    if spec.type == "conversion":
        from northstar.analysis.funnels import conversion_funnel

        return conversion_funnel(project, name, spec)[0].within or "1d"
    return spec.within or "30d"


def _period_start(day: date, grain: str) -> date:
    return truncate(pd.Timestamp(day), grain).date()


def _next_start(day: date, grain: str) -> date:
    if grain == "day":
        return day + timedelta(days=1)
    if grain == "week":
        return day + timedelta(days=7)
    return (pd.Timestamp(day) + pd.DateOffset(months=1)).date()


def _previous_start(day: date, grain: str) -> date:
    if grain == "day":
        return day - timedelta(days=1)
    if grain == "week":
        return day - timedelta(days=7)
    return (pd.Timestamp(day) - pd.DateOffset(months=1)).date()


def _num(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
