// KPI detail: the trend with its target bands, a comparison (previous period or last year),
// alert markers, a breakdown by a dimension, and the metric's "why" chain.
import {
  api,
  chart,
  filters,
  fmt,
  h,
  label,
  link,
  metricOf,
  param,
  pct,
  pick,
  section,
  select,
  setParams,
  statusBadge,
  t,
  whereOf,
} from "../core.js";
import { anyProvisional, bandSeries, partialPoints, periodText, provisionalSeries, underWaySeries, valueData } from "../trend.js";

export const uses = ["range", "grain", "where"];
export const defaultGrain = "day";

export const words = {
  en: {
    "metric.unknown": "Unknown metric",
    "metric.trend": "Trend",
    "metric.compare": "Compare with",
    "metric.compare.none": "nothing",
    "metric.compare.prev": "previous period",
    "metric.compare.yoy": "same period last year",
    "metric.by": "Break down by",
    "metric.by.none": "nothing",
    "metric.breakdown": "Breakdown by {dim}",
    "metric.why": "Why it matters",
    "metric.alerts": "Alerts",
    "metric.alert_marker": "alert",
    "metric.no_alerts": "No alerts on this metric.",
    "metric.table": "Values",
    "metric.period": "Period",
    "metric.value": "Value",
    "metric.target": "Target",
    "metric.status": "Status",
    "metric.change": "Change",
    "metric.explain": "Explain the last change",
    "metric.owner": "Owner: {owner}",
    "metric.type": "Type: {type}",
    "metric.bands_hidden": "Target bands are shown for the whole metric only (no breakdown or filter).",
    "metric.no_base": "No {compare} to compare with: the data do not reach that far back.",
    "metric.no_match": "No row matches the filter {filter} in this range, so every value is empty or zero. Values are matched exactly (case and spelling): break the metric down by that dimension to see the values it has.",
    "metric.last": "last period",
    "metric.type.count": "count",
    "metric.type.count_distinct": "distinct count",
    "metric.type.sum": "sum",
    "metric.type.avg": "average",
    "metric.type.min": "minimum",
    "metric.type.max": "maximum",
    "metric.type.median": "median",
    "metric.type.percentile": "percentile",
    "metric.type.ratio": "ratio",
    "metric.type.formula": "formula",
    "metric.type.repeat_rate": "repeat rate",
    "metric.type.relative": "relative",
    "metric.type.tiered": "tiered",
    "metric.type.conversion": "conversion",
    "metric.type.active_users": "active users",
    "metric.partial": "{period} runs only to {day}: a sum or count over part of a period is not comparable with whole ones (drawn dashed in orange; the comparison uses the same part of the period before).",
    "metric.state.open": "open",
    "metric.state.acknowledged": "acknowledged",
    "metric.state.reviewed": "reviewed",
    "metric.state.closed": "closed",
  },
  zh: {
    "metric.unknown": "未知指标",
    "metric.trend": "趋势",
    "metric.compare": "对比",
    "metric.compare.none": "无",
    "metric.compare.prev": "上一周期",
    "metric.compare.yoy": "去年同期",
    "metric.by": "拆分维度",
    "metric.by.none": "无",
    "metric.breakdown": "按{dim}拆分",
    "metric.why": "为什么重要",
    "metric.alerts": "告警",
    "metric.alert_marker": "告警",
    "metric.no_alerts": "该指标没有告警。",
    "metric.table": "数值",
    "metric.period": "周期",
    "metric.value": "数值",
    "metric.target": "目标",
    "metric.status": "状态",
    "metric.change": "变化",
    "metric.explain": "解释最近的变化",
    "metric.owner": "负责人：{owner}",
    "metric.type": "类型：{type}",
    "metric.bands_hidden": "目标区间仅在未拆分、未筛选时显示。",
    "metric.no_base": "没有可对比的{compare}：数据没有覆盖到那么早。",
    "metric.no_match": "在此日期范围内没有任何行符合筛选条件 {filter}，因此所有数值为空或为 0。取值须完全一致（大小写与拼写）：按该维度拆分即可看到它有哪些取值。",
    "metric.last": "最近周期",
    "metric.type.count": "计数",
    "metric.type.count_distinct": "去重计数",
    "metric.type.sum": "求和",
    "metric.type.avg": "平均值",
    "metric.type.min": "最小值",
    "metric.type.max": "最大值",
    "metric.type.median": "中位数",
    "metric.type.percentile": "分位数",
    "metric.type.ratio": "比率",
    "metric.type.formula": "公式",
    "metric.type.repeat_rate": "复购率",
    "metric.type.relative": "相对值",
    "metric.type.tiered": "分层",
    "metric.type.conversion": "转化率",
    "metric.type.active_users": "活跃用户数",
    "metric.partial": "{period} 只统计到 {day}：部分周期的求和或计数不能与完整周期直接比较（图中为橙色虚线；对比值取上一周期中相同的天数）。",
    "metric.state.open": "未处理",
    "metric.state.acknowledged": "已确认",
    "metric.state.reviewed": "已复盘",
    "metric.state.closed": "已关闭",
  },
};

export function title(arg, proj) {
  const m = metricOf(proj, arg);
  return m ? label(m) : t("metric.unknown");
}

/** The index of the point whose period holds `day` (YYYY-MM-DD…), or -1. */
function pointOf(points, day) {
  let found = -1;
  points.forEach((p, i) => {
    if ((p.period || "").slice(0, 10) <= day.slice(0, 10)) found = i;
  });
  return found;
}

export async function render(main, { project, arg }) {
  // an alert on a slice names it: "Device = desktop · orders fell 42 %", not a fall of all orders
  const sliceText = (slice) =>
    Object.entries(slice || {})
      .map(([d, v]) => {
        const dim = project.dimensions.find((x) => x.name === d);
        return `${dim ? label(dim) : d} = ${v} · `;
      })
      .join("");
  const m = metricOf(project, arg);
  if (!m) {
    // let the API say it, with its "did you mean"
    await api(`metrics/${encodeURIComponent(arg)}/series`);
    return;
  }
  const grain = param("grain", defaultGrain);
  const compare = param("compare", "");
  const by = param("by", "");
  const where = whereOf();
  main.append(
    h("h1", {}, label(m)),
    h("p", { class: "description" }, pick(m, "description") || ""),
    h(
      "p",
      { class: "meta" },
      t("metric.type", { type: t(`metric.type.${m.type}`) }),
      m.owner ? [" · ", t("metric.owner", { owner: m.owner })] : null,
      " · ",
      h("a", { href: link("/explain", { metric: m.name }) }, t("metric.explain")),
    ),
  );
  const why = pick(m, "why") || [];
  if (why.length) {
    const body = section(main, t("metric.why"), { class: "card why" });
    body.append(h("ol", { class: "why-chain" }, why.map((w) => h("li", {}, w || ""))));
  }
  // page controls: comparison and breakdown (kept in the URL)
  const dims = project.dimensions.map((d) => [d.name, label(d)]);
  main.append(
    h(
      "div",
      { class: "controls" },
      h(
        "label",
        {},
        t("metric.compare"),
        " ",
        select(
          [
            ["", t("metric.compare.none")],
            ["prev", t("metric.compare.prev")],
            ["yoy", t("metric.compare.yoy")],
          ],
          compare,
          { name: "compare", onchange: (e) => setParams({ compare: e.target.value }) },
        ),
      ),
      h(
        "label",
        {},
        t("metric.by"),
        " ",
        select([["", t("metric.by.none")], ...dims], by, { name: "by", onchange: (e) => setParams({ by: e.target.value }) }),
      ),
    ),
  );
  const params = { grain, from: param("from"), to: param("to"), where, compare: compare || null, by: by || null };
  const [series, alerts] = await Promise.all([
    api(`metrics/${encodeURIComponent(m.name)}/series`, params),
    api("alerts", { metric: m.name }),
  ]);
  const fmtv = (v) => fmt(v, m.format, m.unit, m.decimals);
  const trend = section(main, t("metric.trend"));
  // a filter value nobody has (a typo, "Paid Search" for paid_search) gives zeros, not an error:
  // say so, or the page reads as revenue falling to nothing
  if (filters().length && series.points.every((p) => !p.value)) {
    const what = filters()
      .map(([d, v]) => {
        const dim = project.dimensions.find((x) => x.name === d);
        return `${dim ? label(dim) : d} = ${v}`;
      })
      .join(", ");
    trend.append(h("p", { class: "warning no-match", role: "status" }, t("metric.no_match", { filter: what })));
  }
  if (!by) {
    const points = series.points;
    // a period still under way (the data stop inside it) is marked, not drawn as a collapse
    const partial = partialPoints(points, grain, series.end);
    const day = String(series.end || "").slice(0, 10);
    const periodLabel = (p, i) => (partial.has(i) ? t("trend.to_date", { period: periodText(p, grain), day }) : periodText(p, grain));
    const x = points.map(periodLabel);
    const marks = alerts
      .map((a) => [a, pointOf(points, a.period)])
      .filter(([, i]) => i >= 0)
      .map(([a, i]) => ({ name: t("metric.alert_marker"), coord: [i, points[i].value], value: "!", alert: a.id }));
    const base = [
      {
        name: label(m),
        type: "line",
        data: valueData(points).map((v, i) => (partial.has(i) || points[i].provisional ? null : v)),
        symbolSize: 5,
        markPoint: marks.length ? { symbol: "pin", symbolSize: 34, itemStyle: { color: "#c62828" }, data: marks } : undefined,
      },
    ];
    // the period under way: a dashed orange line from the last whole period, a hollow point
    if (partial.size) base.push(underWaySeries(points, partial));
    const provisional = provisionalSeries(points, partial);
    if (provisional) base.push(provisional);
    if (compare) {
      base.push({
        name: t(`metric.compare.${compare}`),
        type: "line",
        data: points.map((p) => p[compare]),
        symbol: "none",
        lineStyle: { type: "dotted", color: "#888" },
        itemStyle: { color: "#888" },
      });
    }
    chart(
      trend,
      {
        tooltip: { trigger: "axis", valueFormatter: fmtv },
        legend: { top: 0 },
        grid: { left: 64, right: 20, top: 36, bottom: 56 },
        dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 6 }],
        xAxis: { type: "category", data: x },
        yAxis: { type: "value", scale: true, axisLabel: { formatter: fmtv } },
        series: [...base, ...(filters().length ? [] : bandSeries(points, m.format, m.unit))],
      },
      { height: 340, name: "trend" },
    );
    if (filters().length) trend.append(h("p", { class: "note" }, t("metric.bands_hidden")));
    if (compare && points.every((p) => p[compare] === null || p[compare] === undefined)) {
      trend.append(h("p", { class: "note no-base" }, t("metric.no_base", { compare: t(`metric.compare.${compare}`) })));
    }
    if (partial.size) {
      const i = Math.max(...partial);
      trend.append(h("p", { class: "note partial" }, t("metric.partial", { period: periodText(points[i], grain), day })));
    }
    if (anyProvisional(points)) trend.append(h("p", { class: "note" }, t("trend.provisional")));
    // the table of values, newest first
    const rows = points.map((p, i) => [p, i]).reverse();
    const table = h(
      "table",
      { class: "data" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, t("metric.period")),
          h("th", { class: "num" }, t("metric.value")),
          compare ? h("th", { class: "num" }, t(`metric.compare.${compare}`)) : null,
          compare ? h("th", { class: "num" }, t("metric.change")) : null,
          h("th", { class: "num" }, t("metric.target")),
          h("th", {}, t("metric.status")),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map(([p, i]) =>
          h(
            "tr",
            { class: partial.has(i) ? "partial" : null },
            h("td", {}, periodLabel(p, i)),
            h("td", { class: "num" }, fmtv(p.value)),
            compare ? h("td", { class: "num" }, fmtv(p[compare])) : null,
            compare ? h("td", { class: "num" }, pct(p[`${compare}_pct`])) : null,
            h("td", { class: "num" }, p.bands ? fmtv(p.bands.target) : "—"),
            h("td", {}, p.status ? statusBadge(p.status) : "—"),
          ),
        ),
      ),
    );
    section(main, t("metric.table")).append(h("div", { class: "scroll" }, table));
  } else {
    const dim = project.dimensions.find((d) => d.name === by);
    const periods = [...new Set(series.points.map((p) => p.period))].sort();
    const groups = new Map();
    for (const p of series.points) {
      const key = String(p.slice[by] ?? "—");
      if (!groups.has(key)) groups.set(key, new Map());
      groups.get(key).set(p.period, p.value);
    }
    const byPoint = new Map(series.points.map((p) => [p.period, p]));
    const partialBy = partialPoints(periods.map((p) => ({ period: p })), grain, series.end);
    chart(
      trend,
      {
        tooltip: { trigger: "axis", valueFormatter: fmtv },
        legend: { top: 0, type: "scroll" },
        grid: { left: 64, right: 20, top: 40, bottom: 30 },
        xAxis: {
          type: "category",
          data: periods.map((p, i) => {
            const text = periodText(byPoint.get(p) || { period: p }, grain);
            return partialBy.has(i) ? t("trend.to_date", { period: text, day: String(series.end || "").slice(0, 10) }) : text;
          }),
        },
        yAxis: { type: "value", scale: true, axisLabel: { formatter: fmtv } },
        series: [...groups].map(([key, vals]) => ({
          name: key,
          type: "line",
          symbolSize: 4,
          data: periods.map((p) => (vals.has(p) ? vals.get(p) : null)),
        })),
      },
      { height: 360, name: "breakdown" },
    );
    const last = periods[periods.length - 1];
    const rows = [...groups]
      .map(([key, vals]) => [key, vals.get(last)])
      .sort((a, b) => (b[1] ?? -Infinity) - (a[1] ?? -Infinity));
    section(main, t("metric.breakdown", { dim: dim ? label(dim) : by })).append(
      h(
        "table",
        { class: "data" },
        h("thead", {}, h("tr", {}, h("th", {}, dim ? label(dim) : by), h("th", { class: "num" }, `${t("metric.value")} (${t("metric.last")})`))),
        h(
          "tbody",
          {},
          rows.map(([key, v]) =>
            h(
              "tr",
              {},
              h("td", {}, h("a", { href: link(window.location.pathname, { f: null }), onclick: (e) => { e.preventDefault(); setParams({ by: null, f: [...filters().map(([a, b]) => `${a}:${b}`), `${by}:${key}`] }); } }, key)),
              h("td", { class: "num" }, fmtv(v)),
            ),
          ),
        ),
      ),
    );
  }
  const alertBody = section(main, t("metric.alerts"));
  if (!alerts.length) alertBody.append(h("p", { class: "note" }, t("metric.no_alerts")));
  else {
    alertBody.append(
      h(
        "ul",
        { class: "alerts" },
        alerts.slice(0, 20).map((a) =>
          h(
            "li",
            {},
            h("a", { href: link("/alerts", { alert: a.id }) }, `${a.period} · `, sliceText(a.slice), pick(a, "summary")),
            " ",
            h("span", { class: `badge state-${a.state}`, dataset: { state: a.state } }, t(`metric.state.${a.state}`)),
          ),
        ),
      ),
    );
  }
  const notes = pick(series, "notes") || [];
  if (notes.length) main.append(h("ul", { class: "notes" }, notes.map((n) => h("li", {}, n))));
}
