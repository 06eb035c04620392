"""Every word a person reads in an exported file, in English and Chinese.

Column names in csv, json and parquet stay the frame's machine names (stable for scripts); the
xlsx workbook, made to be read, uses the words below and the metric labels of the chosen language.
"""

from __future__ import annotations

from northstar.errors import UserError
from northstar.results import Comparison, MetricInfo

LANGUAGES = ("en", "zh")

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "sheet.data": "Data",
        "sheet.trend": "Trend",
        "sheet.changes": "Changes",
        "sheet.about": "About",
        "period": "Period",
        "empty_value": "(none)",
        "cmp.prev": "vs previous period",
        "cmp.yoy": "vs same period last year",
        "col.value": "{label} ({cmp_short})",
        "col.change": "{label} change {cmp_short}",
        "col.pct": "{label} % {cmp_short}",
        "cmp_short.prev": "prev",
        "cmp_short.yoy": "YoY",
        "note.top": (
            "The chart shows the top {shown} of {total} series by their latest value; every series is "
            "in the table. The rest are not summed into an 'Other' line, since values such as ratios "
            "and averages cannot be added up."
        ),
        "note.changes": (
            "% change against the compared period (0.15 = +15 %). Green is good and red is bad for each "
            "metric: for metrics where lower is better ({lower}), a rise is red. Empty cells: no "
            "comparable value (missing or zero base)."
        ),
        "note.changes.none_lower": "none here",
        "period.to": " (to {last})",
        "period.from": " (from {first})",
        "period.between": " ({first} to {last})",
        "note.partial": (
            "{period} is a partial {grain}: the date range covers only {first} to {last} of it, so its "
            "counts and sums are lower than a full {grain}'s would be (rates and as-of values are not); "
            "compare it with full {grain}s with care."
        ),
        "about.title": "About this export",
        "about.query": "Query",
        "about.query_text": "{metrics}{by}{per}, {start} – {end}",
        "about.by": " by {dimensions}",
        "about.per": " per {grain}",
        "about.start": "Start",
        "about.end": "End",
        "about.grain": "Grain",
        "about.no_grain": "(total over the range)",
        "about.dimensions": "Dimensions",
        "about.comparisons": "Comparisons",
        "about.currency": "Currency",
        "about.generated": "Generated at",
        "about.notes": "Notes",
        "about.metrics": "Metrics",
        "about.sheets": "Sheets",
        "about.metric": "Metric",
        "about.label": "Label",
        "about.format": "Format",
        "about.decimals": "Decimals",
        "about.unit": "Unit",
        "about.direction": "Better when",
        "direction.higher": "higher",
        "direction.lower": "lower",
        "sheets.data": "every row and column of the result, as an Excel table",
        "sheets.trend": "each metric over time with a line chart",
        "sheets.metric": "{label} per period and {dimensions}, with a line chart",
        "sheets.changes": "% changes as a heatmap (green good, red bad)",
        "sheets.about": "this page",
        "list_sep": ", ",
    },
    "zh": {
        "sheet.data": "数据",
        "sheet.trend": "趋势",
        "sheet.changes": "变化",
        "sheet.about": "说明",
        "period": "周期",
        "empty_value": "（空）",
        "cmp.prev": "环比（与上一周期比）",
        "cmp.yoy": "同比（与去年同期比）",
        "col.value": "{label}（{cmp_short}值）",
        "col.change": "{label} {cmp_short}变化",
        "col.pct": "{label} {cmp_short} %",
        "cmp_short.prev": "环比",
        "cmp_short.yoy": "同比",
        "note.top": (
            "图表按最新值显示前 {shown} 个系列（共 {total} 个）；表中包含全部系列。其余系列没有合并为"
            "“其他”，因为比率、平均值等指标不能相加。"
        ),
        "note.changes": (
            "相对对比周期的变化百分比（0.15 = +15 %）。绿色表示好，红色表示差：对于越低越好的指标"
            "（{lower}），上升显示为红色。空单元格表示没有可比的值（基数缺失或为零）。"
        ),
        "note.changes.none_lower": "此处没有",
        "period.to": "（截至{last}）",
        "period.from": "（自{first}起）",
        "period.between": "（{first}至{last}）",
        "note.partial": (
            "{period} 是不完整的{grain}：日期范围只覆盖其中 {first} 至 {last}，计数与合计会低于完整的{grain}"
            "（比率和时点值不受影响）；与完整{grain}比较时请注意。"
        ),
        "about.title": "关于本导出",
        "about.query": "查询",
        "about.query_text": "{metrics}{by}{per}，{start} – {end}",
        "about.by": "，按{dimensions}",
        "about.per": "，每{grain}",
        "about.start": "开始",
        "about.end": "结束",
        "about.grain": "粒度",
        "about.no_grain": "（整个区间的合计）",
        "about.dimensions": "维度",
        "about.comparisons": "对比",
        "about.currency": "货币",
        "about.generated": "生成时间",
        "about.notes": "备注",
        "about.metrics": "指标",
        "about.sheets": "工作表",
        "about.metric": "指标",
        "about.label": "名称",
        "about.format": "格式",
        "about.decimals": "小数位",
        "about.unit": "单位",
        "about.direction": "方向",
        "direction.higher": "越高越好",
        "direction.lower": "越低越好",
        "sheets.data": "结果的全部行和列（Excel 表格）",
        "sheets.trend": "各指标随时间的变化及折线图",
        "sheets.metric": "{label}：按周期和{dimensions}，附折线图",
        "sheets.changes": "变化百分比热力图（绿好红差）",
        "sheets.about": "本页",
        "list_sep": "、",
        "grain.hour": "小时",
        "grain.day": "天",
        "grain.week": "周",
        "grain.month": "月",
        "grain.quarter": "季度",
        "grain.year": "年",
    },
}


def language(lang: str) -> str:
    """``"en"`` or ``"zh"`` for ``lang`` (``"zh-CN"``, ``"ZH_hans"`` … count as Chinese)."""
    base = lang.strip().lower().replace("_", "-").split("-")[0]
    if base not in LANGUAGES:
        raise UserError(f"unknown export language {lang!r}; use one of: {', '.join(LANGUAGES)}")
    return base


def text(lang: str, key: str, **values: object) -> str:
    return _TEXT[lang][key].format(**values)


def grain_word(grain: str, lang: str) -> str:
    """``week`` → ``周`` in Chinese; English (and unknown grains) keep the grain's own name."""
    return _TEXT[lang].get(f"grain.{grain}", grain)


def metric_label(metric: MetricInfo, lang: str) -> str:
    """The metric's label in ``lang``, falling back to the English label, then the name."""
    if lang == "zh" and metric.label_zh:
        return metric.label_zh
    return metric.label or metric.name


def comparison_label(metric: MetricInfo, comparison: Comparison, kind: str, lang: str) -> str:
    """Header for a derived column, e.g. ``Revenue % prev`` or ``收入 环比 %``."""
    return text(
        lang,
        f"col.{kind}",
        label=metric_label(metric, lang),
        cmp_short=text(lang, f"cmp_short.{comparison}"),
    )
