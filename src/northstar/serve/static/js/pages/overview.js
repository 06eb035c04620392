// Overview: the north star and the supporting KPIs — value, target and status, change vs the
// previous period, a sparkline — and the north star's trend against its bands.
import { api, chart, fmt, h, label, link, param, pct, pick, section, statusBadge, t, whereOf } from "../core.js";
import { anyProvisional, bandSeries, partialPoints, periodText, provisionalSeries, underWaySeries, valueData } from "../trend.js";

export const uses = ["grain", "to", "where"];
export const defaultGrain = "week";

export const words = {
  en: {
    "overview.title": "Overview",
    "overview.north_star": "North star",
    "overview.supporting": "Supporting KPIs",
    "overview.vs_prev": "vs previous {grain}",
    "overview.target": "target {value}",
    "overview.trend": "{metric}: last {n} {grain}s",
    "overview.period": "Period {period}",
    "overview.no_kpis": "This project names no north star or supporting metrics (project.north_star, supporting).",
    "overview.more": "Details",
    "overview.provisional_change": "Provisional: the window is still open for part of this period, so the value and its change will still move.",
    "overview.skipped": "{metric} is left out: the filter does not fit its data.",
    "overview.settled_period": "Period {period}: the last one whose window has closed",
    "overview.so_far": "{period} so far: {value}",
  },
  zh: {
    "overview.title": "总览",
    "overview.north_star": "北极星指标",
    "overview.supporting": "支撑指标",
    "overview.vs_prev": "较上一{grain}",
    "overview.target": "目标 {value}",
    "overview.trend": "{metric}：最近 {n} 个{grain}",
    "overview.period": "周期 {period}",
    "overview.no_kpis": "项目未指定北极星指标或支撑指标（project.north_star、supporting）。",
    "overview.more": "详情",
    "overview.provisional_change": "暂定：本周期部分对象的观察窗口尚未结束，数值及其变化还会变动。",
    "overview.skipped": "{metric} 未显示：筛选条件不适用于其数据。",
    "overview.settled_period": "周期 {period}：观察窗口已结束的最近一期",
    "overview.so_far": "{period} 截至目前：{value}",
  },
};

export function title() {
  return t("overview.title");
}

function changeClass(kpi) {
  // a provisional value (a repeat rate whose window is still open) will still rise: its fall is
  // not news, so it is not painted red (or green)
  if (kpi.change === null || kpi.change === 0 || kpi.status === "provisional") return "flat";
  const good = kpi.direction === "lower" ? kpi.change < 0 : kpi.change > 0;
  return good ? "good" : "bad";
}

function card(kpi) {
  const spark = h("div", { class: "spark" });
  // a provisional KPI (a repeat rate whose window is still open) is judged on its last settled
  // period; the period under way is shown below it, marked provisional
  const shown = kpi.settled ? { ...kpi, ...kpi.settled, change: kpi.settled.change_pct } : kpi;
  const el = h(
    "a",
    { class: `kpi kpi-${kpi.role}`, href: link(`/metric/${encodeURIComponent(kpi.metric)}`), dataset: { metric: kpi.metric } },
    h("div", { class: "kpi-label" }, label(kpi)),
    h("div", { class: "kpi-value" }, fmt(shown.value, kpi.format, kpi.unit)),
    h(
      "div",
      { class: "kpi-meta" },
      h(
        "span",
        { class: `change ${changeClass(shown)}`, title: shown.status === "provisional" ? t("overview.provisional_change") : null },
        pct(shown.change_pct),
      ),
      " ",
      t("overview.vs_prev", { grain: t(`grain.${param("grain", defaultGrain)}`) }),
    ),
    h(
      "div",
      { class: "kpi-meta" },
      statusBadge(shown.status),
      shown.bands ? [" ", t("overview.target", { value: fmt(shown.bands.target, kpi.format, kpi.unit) })] : null,
    ),
    h(
      "div",
      { class: "kpi-period" },
      kpi.settled ? t("overview.settled_period", { period: shown.period || "—" }) : t("overview.period", { period: kpi.period || "—" }),
    ),
    kpi.settled
      ? h(
          "div",
          { class: "kpi-meta kpi-current", title: t("overview.provisional_change") },
          t("overview.so_far", { period: kpi.period || "—", value: fmt(kpi.value, kpi.format, kpi.unit) }),
          " ",
          statusBadge("provisional"),
        )
      : null,
    spark,
  );
  return { el, spark };
}

export async function render(main, { project }) {
  const grain = param("grain", defaultGrain);
  // the overview and the lead KPI's trend are fetched at once (the trend's range is the overview's)
  // (with an end day, the trend waits for the overview's range)
  const leadName = project.north_star || project.supporting[0];
  const to = param("to");
  const where = whereOf();
  // a filter the lead KPI's source lacks: the overview lists it as skipped; the trend is left out
  const trendOf = (range) =>
    leadName
      ? api(`metrics/${encodeURIComponent(leadName)}/series`, { grain, where, ...range }).catch((err) => (where ? null : Promise.reject(err)))
      : null;
  const answers = await Promise.all([api("overview", { grain, to, where }), to ? null : trendOf({})]);
  const data = answers[0];
  const series = to ? await trendOf({ from: data.start, to: data.end }) : answers[1];
  main.append(h("h1", {}, t("overview.title")));
  if (!data.kpis.length) {
    main.append(h("p", { class: "note" }, t("overview.no_kpis")));
    return;
  }
  for (const sk of data.skipped || []) {
    const m = project.metrics.find((x) => x.name === sk.metric);
    main.append(h("p", { class: "note skipped", dataset: { metric: sk.metric } }, t("overview.skipped", { metric: m ? label(m) : sk.metric }), " ", pick(sk, "message")));
  }
  const star = data.kpis.filter((k) => k.role === "north_star");
  const rest = data.kpis.filter((k) => k.role !== "north_star");
  const sparks = [];
  for (const [title, kpis] of [
    [t("overview.north_star"), star],
    [t("overview.supporting"), rest],
  ]) {
    if (!kpis.length) continue;
    const grid = h("div", { class: "kpis" });
    section(main, title).append(grid);
    for (const k of kpis) {
      const c = card(k);
      grid.append(c.el);
      sparks.push([c.spark, k]);
    }
  }
  for (const [el, k] of sparks) {
    chart(
      el,
      {
        grid: { left: 2, right: 2, top: 4, bottom: 2 },
        xAxis: { type: "category", show: false, data: k.sparkline.map((p) => p.period) },
        yAxis: { type: "value", show: false, scale: true },
        tooltip: { show: false },
        series: [{ type: "line", data: k.sparkline.map((p) => p.value), symbol: "none", lineStyle: { width: 1.5 } }],
      },
      { height: 48, name: `spark-${k.metric}` },
    );
  }
  // the north star's (or the first KPI's) trend with its bands
  const lead = data.kpis.find((k) => k.metric === leadName);
  if (lead && series) {
    const body = section(main, t("overview.trend", { metric: label(lead), n: series.points.length, grain: t(`grain.${grain}`) }));
    // the period under way (the data stop inside it): a dashed line, not a plunge of the main one
    const partial = partialPoints(series.points, grain, series.end);
    const day = String(series.end || "").slice(0, 10);
    const x = series.points.map((p, i) => (partial.has(i) ? t("trend.to_date", { period: periodText(p, grain), day }) : periodText(p, grain)));
    chart(
      body,
      {
        tooltip: { trigger: "axis", valueFormatter: (v) => fmt(v, lead.format, lead.unit) },
        legend: { top: 0 },
        grid: { left: 60, right: 20, top: 36, bottom: 30 },
        xAxis: { type: "category", data: x },
        yAxis: { type: "value", scale: true, axisLabel: { formatter: (v) => fmt(v, lead.format, lead.unit) } },
        series: [
          { name: label(lead), type: "line", data: valueData(series.points).map((v, i) => (partial.has(i) || series.points[i].provisional ? null : v)), symbolSize: 6 },
          ...(partial.size ? [underWaySeries(series.points, partial)] : []),
          ...[provisionalSeries(series.points, partial)].filter(Boolean),
          ...bandSeries(series.points, lead.format, lead.unit),
        ],
      },
      { height: 300, name: "trend" },
    );
    if (anyProvisional(series.points)) body.append(h("p", { class: "note" }, t("trend.provisional")));
  }
  const notes = pick(data, "notes") || [];
  if (notes.length) main.append(h("ul", { class: "notes" }, notes.map((n) => h("li", {}, n))));
}
