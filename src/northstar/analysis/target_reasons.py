"""Why a target was proposed, in English and Chinese: the sentence of each step, its short form for
the ``why:`` of a pasted target, and the proposal's notes (short history, no seasonality, a
benchmark already beaten, the linear scale).

Numbers are written as the metric shows them: a percentage as ``1.50 %`` (``decimals`` places), a
number with thousands separators; probabilities as whole percentages, ``< 1 %`` and ``> 99 %`` at
the ends (a rounded 0 % or 100 % would overstate them). The model behind the numbers is described
in :mod:`northstar.analysis.targets`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["WORD", "ZH_COUNT", "Reasons", "fmt_probability", "fmt_value"]

WORD = {"week": ("week", "周"), "month": ("month", "月"), "quarter": ("quarter", "季度")}
ZH_COUNT = {"week": "{n} 周", "month": "{n} 个月", "quarter": "{n} 个季度"}
SHORT_VOLATILITY_TEXT = "±25 %"


def fmt_value(v: float | None, percent: bool, decimals: int) -> str:
    """1.50 % for a percentage, 1,234.5 for a number."""
    if v is None or not math.isfinite(v):
        return "–"
    if percent:
        return f"{v * 100:,.{decimals}f} %"
    d = decimals if abs(v) < 1000 else 0
    return f"{v:,.{d}f}"


def fmt_probability(p: float) -> str:
    """34 %; "< 1 %" and "> 99 %" at the ends."""
    if p < 0.005:
        return "< 1 %"
    if p > 0.995:
        return "> 99 %"
    return f"{p * 100:.0f} %"


@dataclass(frozen=True)
class Reasons:
    """What the sentences of one proposal need."""

    grain: str
    percent: bool
    decimals: int
    current: float
    benchmark: float | None
    steps: int
    rate: float | None  # the path's growth per period (equal steps on the log scale), else None
    periods: int  # of history fitted
    short: bool  # too little history: no trend, volatility at least ±25 %
    trend: float  # as reported: relative per period (log scale) or units per period (linear)
    sigma: float
    log: bool
    additive: bool

    def v(self, x: float) -> str:
        return fmt_value(x, self.percent, self.decimals)

    def given(self) -> tuple[str, str]:
        """ "given the last 12 quarters' trend (+1.0 % a quarter) and volatility (±8.1 %)"."""
        en, zh = WORD[self.grain]
        n = self.periods
        count_zh = ZH_COUNT[self.grain].format(n=n)
        if self.short:
            return (
                f"given only {n} {en}{'s' if n != 1 else ''} of history (no trend, at least "
                f"{SHORT_VOLATILITY_TEXT} volatility)",
                f"仅有 {count_zh}的历史（不估计趋势，波动至少按 {SHORT_VOLATILITY_TEXT} 计）",
            )
        if self.log:
            t_en, t_zh = f"{self.trend * 100:+.1f} % a {en}", f"每{zh} {self.trend * 100:+.1f} %"
            vol_en = vol_zh = f"±{self.sigma * 100:.1f} %"
        else:
            t_en, t_zh = (
                f"{self.trend:+,.{self.decimals}f} a {en}",
                f"每{zh} {self.trend:+,.{self.decimals}f}",
            )
            vol_en = vol_zh = f"±{self.sigma:,.{self.decimals}f}"
            if self.additive:
                vol_en, vol_zh = f"{vol_en} a day", f"每天 {vol_zh}"
        return (
            f"given the last {n} {en}s' trend ({t_en}) and volatility ({vol_en})",
            f"依据最近 {count_zh}的趋势（{t_zh}）与波动（{vol_zh}）",
        )

    def sentence(
        self, k: int, rule: str, overridden: bool, forecast: float, probs: tuple[float, float, float]
    ) -> tuple[str, str, str, str]:
        """Step ``k``'s reason (en, zh) and its short form (en, zh); ``probs`` = P(floor),
        P(target), P(stretch)."""
        en_w, zh_w = WORD[self.grain]
        g_en, g_zh = self.given()
        p_f, p_t, p_s = (fmt_probability(p) for p in probs)
        if rule == "benchmark":
            assert self.benchmark is not None
            short_en = (
                f"{self.v(self.current)} now, industry {self.v(self.benchmark)}: step {k + 1} of {self.steps}"
            )
            short_zh = f"当前 {self.v(self.current)}，行业 {self.v(self.benchmark)}：第 {k + 1} 步（共 {self.steps} 步）"
            head_en, head_zh = short_en, short_zh
            if self.rate is not None:
                head_en += f" at {self.rate * 100:+.0f} % a {en_w}"
                head_zh += f"，每{zh_w} {self.rate * 100:+.0f} %"
            if overridden:
                head_en += f"; business as usual ({self.v(forecast)}) is already past the path, so the target is the forecast"
                head_zh += f"；按现有趋势（{self.v(forecast)}）已超过路径，目标取预测值"
            return (
                f"{head_en}; reached with probability {p_t} {g_en}",
                f"{head_zh}；{g_zh}，达成概率 {p_t}",
                short_en,
                short_zh,
            )
        beaten_en = beaten_zh = ""
        if self.benchmark is not None:
            beaten_en = f"industry {self.v(self.benchmark)} already beaten; "
            beaten_zh = f"已超过行业水平 {self.v(self.benchmark)}；"
        return (
            f"{beaten_en}from history: the target is the business-as-usual forecast (probability {p_t}), "
            f"floor {p_f}, stretch {p_s}, {g_en}",
            f"{beaten_zh}依据历史：目标取按现有趋势的预测值（达成概率 {p_t}），保底 {p_f}，挑战 {p_s}，{g_zh}",
            f"{beaten_en}{self.v(self.current)} now; business as usual from history (probability {p_t})",
            f"{beaten_zh}当前 {self.v(self.current)}；依据历史按现有趋势（达成概率 {p_t}）",
        )

    def notes(self, beaten: bool, seasonal: bool) -> tuple[list[str], list[str]]:
        """The proposal's notes (en, zh)."""
        en_w = WORD[self.grain][0]
        n = self.periods
        count_zh = ZH_COUNT[self.grain].format(n=n)
        notes: list[str] = []
        zh: list[str] = []
        if self.short:
            notes.append(
                f"too little history ({n} complete {en_w}{'s' if n != 1 else ''}): the trend is not estimated "
                f"and the bands assume at least {SHORT_VOLATILITY_TEXT} volatility; use a finer grain for a "
                "sharper proposal"
            )
            zh.append(
                f"历史太短（完整的 {count_zh}）：不估计趋势，区间按至少 {SHORT_VOLATILITY_TEXT} 的波动计；"
                "可改用更细的粒度"
            )
        if not seasonal:
            need = 2 * {"week": 52, "month": 12, "quarter": 4}[self.grain]
            notes.append(
                f"seasonality not estimated — too little history ({n} of the {need} {en_w}s it needs)"
            )
            zh.append(f"未估计季节性——历史太短（{count_zh}，需要 {ZH_COUNT[self.grain].format(n=need)}）")
        if beaten and self.benchmark is not None:
            notes.append(
                f"the benchmark {self.v(self.benchmark)} is already beaten ({self.v(self.current)} now; compared "
                "without the season): targets come from history"
            )
            zh.append(
                f"已超过基准 {self.v(self.benchmark)}（当前 {self.v(self.current)}，剔除季节性后比较）：目标依据历史提出"
            )
        if not self.log:
            notes.append(
                "some values are zero or negative: the model works on the values, not their logarithm"
            )
            zh.append("存在零或负值：模型基于原值而非对数")
        return notes, zh
