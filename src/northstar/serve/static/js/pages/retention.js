// Retention: a retention definition's cohorts as a heatmap (cohort × period number, coloured by the
// share retained; cells not yet observable are left blank, not 0), the curves (the weighted curve
// over every cohort, and one per value of a dimension when broken down) and the table of cohorts.
// Page parameters in the URL: name, period, periods, mode, by, show. Shared: from/to and the
// dimension filters (f=: cohort entries and returns from matching rows only).
import { api, chart, fmt, h, label, param, pick, section, select, setParams, t, whereOf } from "../core.js";

export const uses = ["range", "where"];

export const words = {
  en: {
    "retention.title": "Retention",
    "retention.none": "This project defines no retention (the retention: section of northstar.yml).",
    "retention.definition": "Retention",
    "retention.period": "Period",
    "retention.periods": "Periods",
    "retention.mode": "Mode",
    "retention.mode.bounded": "bounded (came back in that period)",
    "retention.mode.unbounded": "unbounded (came back then or later)",
    "retention.by": "Break down by",
    "retention.by.none": "nothing",
    "retention.show": "Show",
    "retention.show.rate": "customers retained",
    "retention.show.measure": "{measure} vs period 0",
    "retention.period.day": "day",
    "retention.period.week": "week",
    "retention.period.month": "month",
    "retention.heatmap": "Cohorts: {what} by {period} since the first",
    "retention.heatmap_all": "all {dim} values together",
    "retention.curves": "Retention curves",
    "retention.curve_all": "All cohorts (weighted)",
    "retention.table": "Cohorts",
    "retention.cohort": "Cohort",
    "retention.size": "Size",
    "retention.n": "{period} {n}",
    "retention.blank": "Blank cells: periods not yet over (data until {day}); they are not zeros.",
    "retention.range": "Cohorts from {start} to {end}; {mode}.",
    "retention.weighted": "Period 0 is 100 % by definition and is left out. The weighted curve: those retained in period n over the size of every cohort observed that long.",
    "retention.tooltip": "Cohort {cohort} ({size}) · {period} {n}: {value}",
  },
  zh: {
    "retention.title": "留存",
    "retention.none": "本项目未定义留存（northstar.yml 的 retention: 部分）。",
    "retention.definition": "留存定义",
    "retention.period": "周期",
    "retention.periods": "期数",
    "retention.mode": "口径",
    "retention.mode.bounded": "当期回访（在该期内回来）",
    "retention.mode.unbounded": "此后回访（该期或之后回来）",
    "retention.by": "拆分维度",
    "retention.by.none": "无",
    "retention.show": "显示",
    "retention.show.rate": "留存用户占比",
    "retention.show.measure": "{measure}（相对第 0 期）",
    "retention.period.day": "日",
    "retention.period.week": "周",
    "retention.period.month": "月",
    "retention.heatmap": "同期群：首次之后每{period}的{what}",
    "retention.heatmap_all": "{dim}的全部取值合计",
    "retention.curves": "留存曲线",
    "retention.curve_all": "全部同期群（加权）",
    "retention.table": "同期群明细",
    "retention.cohort": "同期群",
    "retention.size": "人数",
    "retention.n": "第 {n} {period}",
    "retention.blank": "空白格：该期尚未结束（数据截至 {day}），不是 0。",
    "retention.range": "同期群从 {start} 到 {end}；{mode}。",
    "retention.weighted": "第 0 期按定义为 100%，图中不画。加权曲线：第 n 期留存人数除以已观察满 n 期的全部同期群人数。",
    "retention.tooltip": "同期群 {cohort}（{size} 人）· 第 {n} {period}：{value}",
  },
};

export function title() {
  return t("retention.title");
}

const day = (iso) => (iso || "").slice(0, 10);

/** The last day with data: `observed_until` is exclusive, the midnight after the source's last row
 *  (2026-11-27T00:00 when the data end on the 26th). */
function lastDay(iso) {
  const s = String(iso || "");
  if (s.length < 10) return s;
  if (s.slice(11, 19) && s.slice(11, 19) !== "00:00:00") return s.slice(0, 10);
  const d = new Date(Date.UTC(Number(s.slice(0, 4)), Number(s.slice(5, 7)) - 1, Number(s.slice(8, 10)) - 1));
  return d.toISOString().slice(0, 10);
}

/** A cohort's start as text: the month for monthly cohorts, else the day. */
function cohortText(iso, period) {
  return period === "month" ? day(iso).slice(0, 7) : day(iso);
}

export async function render(main, { project }) {
  main.append(h("h1", {}, t("retention.title")));
  const defs = project.retention || [];
  if (!defs.length) {
    main.append(h("p", { class: "note" }, t("retention.none")));
    return;
  }
  const name = param("name", defs[0].name);
  const by = param("by", "");
  const show = param("show", "rate");
  const common = {
    from: param("from"),
    to: param("to"),
    period: param("period"),
    periods: param("periods"),
    mode: param("mode"),
    where: whereOf(), // the shared dimension filters: cohort entries and returns from matching rows
  };
  const path = `retention/${encodeURIComponent(name)}`;
  // the whole (heatmap, weighted curve) and, when broken down, the same per value of `by`
  const [all, split] = await Promise.all([api(path, common), by ? api(path, { ...common, by }) : null]);
  const def = defs.find((d) => d.name === name);
  const hasMeasure = Boolean(all.measure);
  const key = show === "measure" && hasMeasure ? "measure_vs_0" : "rate";
  const measureName = pick(all, "measure") || "";
  const what = key === "rate" ? t("retention.show.rate") : t("retention.show.measure", { measure: measureName });
  const periodWord = t(`retention.period.${all.period}`);

  // controls, kept in the URL
  const dims = project.dimensions.map((d) => [d.name, label(d)]);
  const periodsInput = h("input", {
    type: "number",
    name: "periods",
    min: "1",
    max: "400",
    value: String(all.periods),
    onchange: (e) => {
      const n = Number.parseInt(e.target.value, 10);
      if (n >= 1 && n <= 400) setParams({ periods: n });
    },
  });
  main.append(
    h(
      "div",
      { class: "controls" },
      h(
        "label",
        {},
        t("retention.definition"),
        " ",
        select(
          defs.map((d) => [d.name, label(d)]),
          name,
          { name: "name", onchange: (e) => setParams({ name: e.target.value }) },
        ),
      ),
      h(
        "label",
        {},
        t("retention.period"),
        " ",
        select(
          ["day", "week", "month"].map((p) => [p, t(`retention.period.${p}`)]),
          all.period,
          { name: "period", onchange: (e) => setParams({ period: e.target.value }) },
        ),
      ),
      h("label", {}, t("retention.periods"), " ", periodsInput),
      h(
        "label",
        {},
        t("retention.mode"),
        " ",
        select(
          ["bounded", "unbounded"].map((m) => [m, t(`retention.mode.${m}`)]),
          all.mode,
          { name: "mode", onchange: (e) => setParams({ mode: e.target.value }) },
        ),
      ),
      h(
        "label",
        {},
        t("retention.by"),
        " ",
        select([["", t("retention.by.none")], ...dims], by, { name: "by", onchange: (e) => setParams({ by: e.target.value }) }),
      ),
      hasMeasure
        ? h(
            "label",
            {},
            t("retention.show"),
            " ",
            select(
              [
                ["rate", t("retention.show.rate")],
                ["measure", t("retention.show.measure", { measure: measureName })],
              ],
              key === "rate" ? "rate" : "measure",
              { name: "show", onchange: (e) => setParams({ show: e.target.value }) },
            ),
          )
        : null,
    ),
  );
  main.append(
    h(
      "p",
      { class: "meta" },
      def ? `${label(def)} · ` : "",
      t("retention.range", { start: day(all.start), end: day(all.end), mode: t(`retention.mode.${all.mode}`) }),
    ),
  );

  const pct = (v) => fmt(v, "percent");
  const nText = (n) => t("retention.n", { n, period: periodWord });
  const ns = Array.from({ length: all.periods + 1 }, (_, i) => i);

  // the heatmap: one row per cohort (oldest on top), one column per period number
  const cohorts = [];
  const sizes = new Map();
  for (const c of all.cohorts) {
    if (!sizes.has(c.cohort)) {
      cohorts.push(c.cohort);
      sizes.set(c.cohort, c.entities);
    }
  }
  const rowOf = new Map(cohorts.map((c, i) => [c, i]));
  const yLabels = cohorts.map((c) => `${cohortText(c, all.period)}  (${fmt(sizes.get(c), "integer")})`);
  const cells = all.cohorts
    .filter((c) => c.complete && c[key] !== null && c[key] !== undefined)
    .map((c) => ({ value: [c.period_n, rowOf.get(c.cohort), c[key]], size: c.entities, cohort: c.cohort }));
  const later = cells.filter((c) => c.value[0] > 0).map((c) => c.value[2]);
  const top = later.length ? Math.max(...later) : 1;
  const heatTitle = t("retention.heatmap", { what, period: periodWord });
  const heat = section(main, by ? `${heatTitle} · ${t("retention.heatmap_all", { dim: labelOf(project, by) })}` : heatTitle);
  chart(
    heat,
    {
      tooltip: {
        formatter: (p) =>
          escapeTip(t("retention.tooltip", {
            cohort: cohortText(p.data.cohort, all.period),
            size: fmt(p.data.size, "integer"),
            n: p.data.value[0],
            period: periodWord,
            value: pct(p.data.value[2]),
          })),
      },
      grid: { left: 150, right: 96, top: 16, bottom: 40 },
      xAxis: { type: "category", data: ns.map(nText), splitArea: { show: true }, name: "", axisLabel: { interval: 0, rotate: ns.length > 14 ? 45 : 0 } },
      yAxis: { type: "category", data: yLabels, inverse: true, splitArea: { show: true } },
      visualMap: {
        min: 0,
        max: top > 0 ? top : 1,
        calculable: true,
        orient: "vertical",
        right: 4,
        top: "middle",
        itemHeight: 140,
        inRange: { color: ["#f7fbff", "#9ecae1", "#2171b5", "#08306b"] },
        formatter: (v) => pct(v),
      },
      series: [
        {
          name: what,
          type: "heatmap",
          data: cells,
          label: { show: cells.length <= 240, formatter: (p) => pct(p.data.value[2]), fontSize: 10 },
          emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } },
        },
      ],
    },
    { height: Math.min(900, Math.max(260, 26 * cohorts.length + 100)), name: "heatmap" },
  );
  if (all.observed_until) heat.append(h("p", { class: "note" }, t("retention.blank", { day: lastDay(all.observed_until) })));

  // the curves: the weighted one, and one per value of `by`
  const laterNs = ns.filter((n) => n > 0);
  const curveOf = (rows) => laterNs.map((n) => {
    const r = rows.find((x) => x.period_n === n);
    return r && r.cohorts > 0 && r[key] !== null && r[key] !== undefined ? r[key] : null;
  });
  const series = [
    { name: t("retention.curve_all"), type: "line", data: curveOf(all.curve), symbolSize: 6, lineStyle: { width: 3 }, z: 3 },
  ];
  if (split) {
    const values = [...new Set(split.curve.map((r) => String(r[by] ?? "—")))];
    for (const v of values) {
      series.push({
        name: v,
        type: "line",
        symbolSize: 4,
        lineStyle: { width: 1.5 },
        data: curveOf(split.curve.filter((r) => String(r[by] ?? "—") === v)),
      });
    }
  }
  const curves = section(main, t("retention.curves"));
  chart(
    curves,
    {
      tooltip: { trigger: "axis", valueFormatter: pct },
      legend: { top: 0, type: "scroll" },
      grid: { left: 60, right: 24, top: 40, bottom: 30 },
      xAxis: { type: "category", data: laterNs.map(nText) },
      yAxis: { type: "value", min: 0, axisLabel: { formatter: pct } },
      series,
    },
    { height: 320, name: "curves" },
  );
  curves.append(h("p", { class: "note" }, t("retention.weighted")));

  // the table: one row per cohort (and value of `by`), the share in each period number
  const source = split || all;
  const rows = new Map();
  for (const c of source.cohorts) {
    const k = by ? `${c.cohort}\u0000${c[by]}` : c.cohort;
    if (!rows.has(k)) rows.set(k, { cohort: c.cohort, value: by ? c[by] : null, size: c.entities, cells: new Map() });
    rows.get(k).cells.set(c.period_n, c.complete ? c[key] : undefined);
  }
  const table = h(
    "table",
    { class: "data retention-table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", {}, t("retention.cohort")),
        by ? h("th", {}, labelOf(project, by)) : null,
        h("th", { class: "num" }, t("retention.size")),
        ns.map((n) => h("th", { class: "num" }, nText(n))),
      ),
    ),
    h(
      "tbody",
      {},
      [...rows.values()].map((r) =>
        h(
          "tr",
          {},
          h("td", {}, cohortText(r.cohort, all.period)),
          by ? h("td", {}, r.value === null || r.value === undefined ? "—" : String(r.value)) : null,
          h("td", { class: "num" }, fmt(r.size, "integer")),
          ns.map((n) => {
            const v = r.cells.get(n);
            return h("td", { class: "num" }, v === undefined ? "" : pct(v));
          }),
        ),
      ),
    ),
  );
  section(main, t("retention.table")).append(h("div", { class: "scroll" }, table));
  const notes = pick(all, "notes") || [];
  if (notes.length) main.append(h("ul", { class: "notes" }, notes.map((n) => h("li", {}, n))));
}

function labelOf(project, dim) {
  const d = project.dimensions.find((x) => x.name === dim);
  return d ? label(d) : dim;
}

/** Tooltip text is HTML in ECharts: escape what comes from the data. */
function escapeTip(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
