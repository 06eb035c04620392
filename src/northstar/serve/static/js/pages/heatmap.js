// Anomaly heatmap: rows × days coloured by how far each day's value lies from the detector's
// expected (robust z, turned so that red is the metric's bad direction and blue its good one),
// either one row per metric (default: the north star and supporting KPIs) or one row per value of a
// dimension for one metric (the values with the most rows). A cell's tooltip says value,
// expected, deviation, z, score and the detector's reason; a click opens the explanation of that
// day (metric rows) or the KPI page filtered to that value (dimension rows).
// Page parameters in the URL: view (metrics | dimension), metrics (a,b,c), metric, by, limit.
import { api, chart, fmt, h, label, link, metricOf, param, pct, pick, section, select, setParams, t, whereOf } from "../core.js";

export const uses = ["range", "where"];

const CLIP = 6; // colour saturates at 6 robust deviations (the detector flags beyond 4)
const NO_DATA = 99; // outside the colour scale: drawn grey
const STANDS_OUT = 2; // the list below the chart: days at least this many robust deviations away
const LIMITS = [6, 12, 24, 50];

export const words = {
  en: {
    "heatmap.title": "Anomaly heatmap",
    "heatmap.view": "Rows",
    "heatmap.view.metrics": "metrics",
    "heatmap.view.dimension": "values of a dimension",
    "heatmap.metrics": "Metrics ({n} shown)",
    "heatmap.metrics_default": "Reset to the north star and supporting KPIs",
    "heatmap.metric": "Metric",
    "heatmap.by": "Dimension",
    "heatmap.limit": "Values",
    "heatmap.limit_n": "top {n}",
    "heatmap.chart_metrics": "Deviation from expected, per metric and day ({start} → {end})",
    "heatmap.chart_dimension": "{metric}: deviation from expected per {dim} and day ({start} → {end})",
    "heatmap.better": "better than expected",
    "heatmap.worse": "worse than expected",
    "heatmap.legend": "Colour: robust deviations from the expected value, red in the metric's bad direction, blue in its good one; white: as expected; grey: no data.",
    "heatmap.click_metric": "Click a cell to explain that day's change.",
    "heatmap.click_dimension": "Click a cell to open the KPI page filtered to that value.",
    "heatmap.value": "Value",
    "heatmap.expected": "Expected",
    "heatmap.deviation": "Deviation",
    "heatmap.z": "Robust z",
    "heatmap.score": "Anomaly score",
    "heatmap.rows": "Rows in range",
    "heatmap.no_data": "no data",
    "heatmap.missing": "(missing)",
    "heatmap.none": "Nothing to show: pick at least one metric.",
    "heatmap.top": "Days that stand out (at least {n} robust deviations from expected), by anomaly score",
    "heatmap.no_top": "No day stands out in this range.",
    "heatmap.day": "Day",
    "heatmap.row": "Row",
    "heatmap.reason": "Reason",
    "heatmap.open": "Open",
    "heatmap.kpi": "KPI",
    "heatmap.explain": "Explain",
    "heatmap.skipped": "Left out (the filter does not apply to it): {metric} — {message}",
    "heatmap.provisional": "Faded cells are provisional: a repeat rate or conversion whose window is still open on that day, so its value will still rise. They are left out of the list below.",
    "heatmap.provisional_tip": "provisional: the window is still open",
  },
  zh: {
    "heatmap.title": "异常热力图",
    "heatmap.view": "行",
    "heatmap.view.metrics": "指标",
    "heatmap.view.dimension": "维度取值",
    "heatmap.metrics": "指标（显示 {n} 个）",
    "heatmap.metrics_default": "恢复为北极星指标和支撑指标",
    "heatmap.metric": "指标",
    "heatmap.by": "维度",
    "heatmap.limit": "取值数",
    "heatmap.limit_n": "前 {n} 个",
    "heatmap.chart_metrics": "各指标每日偏离预期的程度（{start} → {end}）",
    "heatmap.chart_dimension": "{metric}：按{dim}每日偏离预期的程度（{start} → {end}）",
    "heatmap.better": "好于预期",
    "heatmap.worse": "差于预期",
    "heatmap.legend": "颜色：偏离预期值的稳健标准差数；红色为指标变差的方向，蓝色为变好的方向；白色：符合预期；灰色：无数据。",
    "heatmap.click_metric": "点击单元格，查看当天变化的归因。",
    "heatmap.click_dimension": "点击单元格，打开按该取值筛选的指标页。",
    "heatmap.value": "数值",
    "heatmap.expected": "预期",
    "heatmap.deviation": "偏离",
    "heatmap.z": "稳健 z 值",
    "heatmap.score": "异常分",
    "heatmap.rows": "区间内行数",
    "heatmap.no_data": "无数据",
    "heatmap.missing": "（缺失）",
    "heatmap.none": "没有可显示的内容：请至少选择一个指标。",
    "heatmap.top": "明显偏离的日子（偏离预期至少 {n} 个稳健标准差），按异常分排序",
    "heatmap.no_top": "没有明显异常的日子。",
    "heatmap.day": "日期",
    "heatmap.row": "行",
    "heatmap.reason": "原因",
    "heatmap.open": "查看",
    "heatmap.kpi": "指标页",
    "heatmap.explain": "归因",
    "heatmap.skipped": "未显示（筛选条件不适用）：{metric} — {message}",
    "heatmap.provisional": "淡色单元格为暂定值：复购率或转化率在当天的观察窗口尚未结束，数值还会上升；下方列表不包含它们。",
    "heatmap.provisional_tip": "暂定：观察窗口尚未结束",
  },
};

export function title() {
  return t("heatmap.title");
}

/** The metrics shown by default: the north star and the supporting ones. */
function headline(project) {
  return [...new Set([project.north_star, ...(project.supporting || [])].filter(Boolean))];
}

/** A cell's colour value: its robust z turned so that positive is the metric's good direction. */
function goodness(cell, direction) {
  if (cell.z === null || cell.z === undefined || cell.value === null) return NO_DATA;
  const z = direction === "lower" ? -cell.z : cell.z;
  return Math.max(-CLIP, Math.min(CLIP, z));
}

/** A deviation as text, signed: in percentage points for a percent metric (25 % expected, 24.4 %
 *  seen: −0.6 pp, not "−0.6%", which reads as the relative change), then the relative change. */
function deviationText(cell, m) {
  if (cell.deviation === null || cell.deviation === undefined) return "—";
  const sign = cell.deviation > 0 ? "+" : cell.deviation < 0 ? "−" : "";
  const size = Math.abs(cell.deviation);
  const abs = m.format === "percent" ? `${sign}${fmt(size * 100, "number", null, 2)} pp` : `${sign}${fmt(size, m.format, m.unit, m.decimals)}`;
  return `${abs} (${pct(cell.deviation_pct)})`;
}

function tip(rowText, cell, m, volume) {
  const fmtv = (v) => fmt(v, m.format, m.unit, m.decimals);
  const line = (key, text) => h("div", {}, h("span", { class: "tip-key" }, `${t(key)}: `), text);
  const reason = pick(cell, "reason");
  return h(
    "div",
    { class: "heat-tip" },
    h("strong", {}, `${rowText} · ${cell.day}`),
    cell.value === null
      ? h("div", {}, t("heatmap.no_data"))
      : [
          line("heatmap.value", fmtv(cell.value)),
          line("heatmap.expected", fmtv(cell.expected)),
          line("heatmap.deviation", deviationText(cell, m)),
          line("heatmap.z", cell.z === null ? "—" : cell.z.toFixed(2)),
          line("heatmap.score", cell.score === null ? "—" : cell.score.toFixed(3)),
        ],
    volume !== undefined ? line("heatmap.rows", fmt(volume, "integer")) : null,
    reason ? h("div", { class: "tip-reason" }, reason) : null,
    cell.provisional ? h("div", { class: "tip-provisional" }, t("heatmap.provisional_tip")) : null,
  );
}

function metricPicker(project, chosen) {
  const chosenSet = new Set(chosen);
  const change = () => {
    const picked = [...box.querySelectorAll("input[type=checkbox]:checked")].map((i) => i.value);
    setParams({ metrics: picked.length ? picked.join(",") : "" });
  };
  const box = h(
    "div",
    { class: "metric-pick" },
    project.metrics.map((m) =>
      h(
        "label",
        { class: chosenSet.has(m.name) ? "on" : null },
        h("input", { type: "checkbox", name: "metric", value: m.name, checked: chosenSet.has(m.name), onchange: change }),
        " ",
        label(m),
      ),
    ),
  );
  return h(
    "details",
    { class: "metric-picker" },
    h("summary", {}, t("heatmap.metrics", { n: chosen.length })),
    box,
    h("button", { type: "button", class: "link", onclick: () => setParams({ metrics: null }) }, t("heatmap.metrics_default")),
  );
}

export async function render(main, { project }) {
  const view = param("view", "metrics") === "dimension" ? "dimension" : "metrics";
  const where = whereOf();
  const range = { from: param("from"), to: param("to"), where };
  main.append(h("h1", {}, t("heatmap.title")));
  const controls = h(
    "div",
    { class: "controls" },
    h(
      "label",
      {},
      t("heatmap.view"),
      " ",
      select(
        [
          ["metrics", t("heatmap.view.metrics")],
          ["dimension", t("heatmap.view.dimension")],
        ],
        view,
        { name: "view", onchange: (e) => setParams({ view: e.target.value === "metrics" ? null : e.target.value }) },
      ),
    ),
  );
  main.append(controls);

  let data;
  let metricFor; // row → metric
  let rowText; // row index → text
  let rowKeys;
  let heading;
  if (view === "metrics") {
    const given = (param("metrics", "") || "").split(",").filter((n) => metricOf(project, n));
    const chosen = given.length ? given : headline(project);
    controls.append(metricPicker(project, chosen));
    if (!chosen.length) {
      main.append(h("p", { class: "note" }, t("heatmap.none")));
      return;
    }
    data = await api("heatmap", { ...range, metrics: chosen });
    rowKeys = data.metrics.map((m) => m.metric);
    metricFor = (i) => metricOf(project, rowKeys[i]);
    rowText = (i) => label(data.metrics[i]);
    heading = t("heatmap.chart_metrics", { start: data.days[0], end: data.days[data.days.length - 1] });
  } else {
    const name = param("metric", project.north_star || project.metrics[0].name);
    const by = param("by", project.dimensions.length ? project.dimensions[0].name : "");
    const limit = Number(param("limit", "12")) || 12;
    controls.append(
      h(
        "label",
        {},
        t("heatmap.metric"),
        " ",
        select(
          project.metrics.map((m) => [m.name, label(m)]),
          name,
          { name: "metric", onchange: (e) => setParams({ metric: e.target.value }) },
        ),
      ),
      h(
        "label",
        {},
        t("heatmap.by"),
        " ",
        select(
          project.dimensions.map((d) => [d.name, label(d)]),
          by,
          { name: "by", onchange: (e) => setParams({ by: e.target.value }) },
        ),
      ),
      h(
        "label",
        {},
        t("heatmap.limit"),
        " ",
        select(
          LIMITS.map((n) => [String(n), t("heatmap.limit_n", { n })]),
          String(limit),
          { name: "limit", onchange: (e) => setParams({ limit: e.target.value === "12" ? null : e.target.value }) },
        ),
      ),
    );
    data = await api("heatmap", { ...range, metrics: name, by, limit });
    const m = metricOf(project, name);
    rowKeys = data.groups.map((g) => g.value);
    metricFor = () => m;
    rowText = (i) => (rowKeys[i] === null ? t("heatmap.missing") : String(rowKeys[i]));
    const dim = project.dimensions.find((d) => d.name === by);
    heading = t("heatmap.chart_dimension", {
      metric: m ? label(m) : name,
      dim: dim ? label(dim) : by,
      start: data.days[0],
      end: data.days[data.days.length - 1],
    });
  }

  for (const s of data.skipped || []) {
    main.append(h("p", { class: "note skipped" }, t("heatmap.skipped", { metric: label(metricOf(project, s.metric), s.metric), message: pick(s, "message") })));
  }
  const dayIndex = new Map(data.days.map((d, i) => [d, i]));
  const rowIndex = new Map(rowKeys.map((k, i) => [k, i]));
  const volumes = new Map((data.groups || []).map((g) => [g.value, g.volume]));
  const items = data.cells.map((c) => {
    const row = rowIndex.get(view === "metrics" ? c.metric : c.group);
    const m = metricFor(row);
    const v = goodness(c, m ? m.direction : "higher");
    // a repeat rate or conversion still inside its window: drawn faded (its value will still rise)
    const item = { value: [dayIndex.get(c.day), row, v], cell: c, row };
    if (c.provisional) item.itemStyle = { opacity: 0.3 };
    return item;
  });

  const body = section(main, heading);
  const rows = rowKeys.length;
  const heat = chart(
    body,
    {
      tooltip: {
        trigger: "item",
        confine: true,
        formatter: (p) => {
          const m = metricFor(p.data.row);
          return tip(rowText(p.data.row), p.data.cell, m || { format: "number" }, view === "dimension" ? volumes.get(rowKeys[p.data.row]) : undefined);
        },
      },
      grid: { left: 190, right: 24, top: 12, bottom: 78 },
      xAxis: {
        type: "category",
        data: data.days.map((d) => d.slice(5)),
        splitArea: { show: true },
        axisLabel: { interval: data.days.length > 45 ? "auto" : 1, rotate: 45 },
      },
      yAxis: {
        type: "category",
        inverse: true,
        data: rowKeys.map((_, i) => rowText(i)),
        axisLabel: { width: 176, overflow: "truncate" },
        splitArea: { show: true },
      },
      visualMap: {
        type: "continuous",
        min: -CLIP,
        max: CLIP,
        calculable: false,
        orient: "horizontal",
        left: "center",
        bottom: 0,
        itemWidth: 12,
        itemHeight: 220,
        text: [t("heatmap.better"), t("heatmap.worse")],
        inRange: { color: ["#b71c1c", "#ef9a9a", "#f7f7f7", "#90caf9", "#0d47a1"] },
        outOfRange: { color: "#d9dde3" },
      },
      series: [
        {
          type: "heatmap",
          name: "deviation",
          data: items,
          itemStyle: { borderColor: "#fff", borderWidth: 1 },
          emphasis: { itemStyle: { borderColor: "#111", borderWidth: 1 } },
        },
      ],
    },
    { height: Math.max(180, rows * 30 + 100), name: "heatmap" },
  );
  const target = (c) => {
    if (view === "metrics") return link("/explain", { metric: c.metric, date: c.day, grain: "day" });
    const value = rowKeys[rowIndex.get(c.group)];
    const q = new URLSearchParams(link("/").split("?")[1] || "");
    q.set("from", data.days[0]);
    q.set("to", data.days[data.days.length - 1]);
    q.set("grain", "day");
    if (value !== null) q.append("f", `${data.by}:${value}`);
    return `/metric/${encodeURIComponent(c.metric)}?${q}`;
  };
  heat.on("click", (p) => {
    if (p.data && p.data.cell) window.location.href = target(p.data.cell);
  });
  body.append(h("p", { class: "note" }, t("heatmap.legend"), " ", t(view === "metrics" ? "heatmap.click_metric" : "heatmap.click_dimension")));
  if (items.some((it) => it.cell.provisional)) body.append(h("p", { class: "note provisional" }, t("heatmap.provisional")));

  // the largest anomalies in the range, as a table with links
  const top = items
    .filter((it) => it.cell.score !== null && it.cell.value !== null && Math.abs(it.cell.z) >= STANDS_OUT && !it.cell.provisional)
    .sort((a, b) => b.cell.score - a.cell.score)
    .slice(0, 10);
  const list = section(main, t("heatmap.top", { n: STANDS_OUT }));
  if (!top.length) {
    list.append(h("p", { class: "note" }, t("heatmap.no_top")));
    return;
  }
  list.append(
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { class: "data anomalies" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, t("heatmap.day")),
            h("th", {}, t("heatmap.row")),
            h("th", { class: "num" }, t("heatmap.value")),
            h("th", { class: "num" }, t("heatmap.expected")),
            h("th", { class: "num" }, t("heatmap.deviation")),
            h("th", { class: "num" }, t("heatmap.score")),
            h("th", {}, t("heatmap.reason")),
            h("th", {}, t("heatmap.open")),
          ),
        ),
        h(
          "tbody",
          {},
          top.map((it) => {
            const c = it.cell;
            const m = metricFor(it.row) || { format: "number" };
            const fmtv = (v) => fmt(v, m.format, m.unit, m.decimals);
            const bad = it.value[2] < 0;
            return h(
              "tr",
              {},
              h("td", {}, c.day),
              h("td", {}, rowText(it.row)),
              h("td", { class: "num" }, fmtv(c.value)),
              h("td", { class: "num" }, fmtv(c.expected)),
              h("td", { class: `num change ${bad ? "bad" : "good"}` }, deviationText(c, m)),
              h("td", { class: "num" }, c.score.toFixed(3)),
              h("td", { class: "reason" }, pick(c, "reason") || ""),
              h(
                "td",
                { class: "links" },
                h("a", { href: target(c) }, view === "metrics" ? t("heatmap.explain") : t("heatmap.kpi")),
                view === "metrics"
                  ? [" · ", h("a", { href: link(`/metric/${encodeURIComponent(c.metric)}`, { grain: "day", from: data.days[0], to: data.days[data.days.length - 1] }) }, t("heatmap.kpi"))]
                  : null,
              ),
            );
          }),
        ),
      ),
    ),
  );
}
