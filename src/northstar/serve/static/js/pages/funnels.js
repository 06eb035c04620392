// Funnels: a funnel's steps (entities reaching each, conversion from the first step and from the
// one before, drop-off, time from the step before), the time to convert, a breakdown by a
// dimension (conversion per value and step) and the conversion by the period entities entered.
// Page parameters in the URL: funnel, by. Shared: from/to (the steps' range and, when given, the
// over-time range too), grain (the over-time periods) and the dimension filters (f=: only
// matching events count as steps).
import { api, chart, fmt, h, label, param, pick, section, select, setParams, t, whereOf } from "../core.js";

export const uses = ["range", "grain", "where"];
export const defaultGrain = "week";

export const words = {
  en: {
    "funnels.title": "Funnels",
    "funnels.none": "This project defines no funnels (funnels: in northstar.yml).",
    "funnels.funnel": "Funnel",
    "funnels.by": "Break down by",
    "funnels.by.none": "nothing",
    "funnels.meta": "{start} → {end} · every step within {within} of the first · order: {order}",
    "funnels.steps": "Steps",
    "funnels.reached": "reached the step",
    "funnels.dropped": "dropped since the step before",
    "funnels.step": "Step",
    "funnels.entities": "Entities",
    "funnels.conversion": "From first step",
    "funnels.step_conversion": "From step before",
    "funnels.drop": "Dropped",
    "funnels.median": "Median time from step before",
    "funnels.p90": "90th percentile",
    "funnels.order.ordered": "in order",
    "funnels.order.strict": "strictly in order",
    "funnels.order.any": "any order",
    "funnels.median_total": "Median time to convert",
    "funnels.times": "Time to convert (first → last step)",
    "funnels.times_line": "{n} converted · median {median} · 90th percentile {p90}",
    "funnels.histogram": "Converted entities by time from the first to the last step",
    "funnels.breakdown": "Conversion from the first step by {dim}",
    "funnels.value": "{dim}",
    "funnels.entered": "Entered",
    "funnels.converted": "Converted",
    "funnels.overall": "Conversion",
    "funnels.missing": "(missing)",
    "funnels.over_time": "Conversion by the {grain} entities entered ({start} → {end})",
    "funnels.over_time_note": "Hollow points: periods cut by the range or whose entrants have not all had the whole {within} window yet — their conversion may still change.",
    "funnels.period": "Period",
    "funnels.no_steps": "No entity entered this funnel in the range.",
  },
  zh: {
    "funnels.title": "漏斗",
    "funnels.none": "该项目没有定义漏斗（northstar.yml 中的 funnels:）。",
    "funnels.funnel": "漏斗",
    "funnels.by": "拆分维度",
    "funnels.by.none": "无",
    "funnels.meta": "{start} → {end} · 所有步骤须在第一步后 {within} 内完成 · 顺序：{order}",
    "funnels.steps": "步骤",
    "funnels.reached": "到达该步骤",
    "funnels.dropped": "较上一步流失",
    "funnels.step": "步骤",
    "funnels.entities": "人数",
    "funnels.conversion": "相对第一步",
    "funnels.step_conversion": "相对上一步",
    "funnels.drop": "流失",
    "funnels.median": "距上一步的中位时间",
    "funnels.p90": "90 分位",
    "funnels.order.ordered": "按顺序",
    "funnels.order.strict": "严格按顺序",
    "funnels.order.any": "任意顺序",
    "funnels.median_total": "转化耗时中位数",
    "funnels.times": "转化耗时（第一步 → 最后一步）",
    "funnels.times_line": "转化 {n} 人 · 中位数 {median} · 90 分位 {p90}",
    "funnels.histogram": "已转化人数按第一步到最后一步的耗时分布",
    "funnels.breakdown": "按{dim}拆分的相对第一步转化率",
    "funnels.value": "{dim}",
    "funnels.entered": "进入",
    "funnels.converted": "转化",
    "funnels.overall": "转化率",
    "funnels.missing": "（缺失）",
    "funnels.over_time": "按进入{grain}统计的转化率（{start} → {end}）",
    "funnels.over_time_note": "空心点：被日期范围截断的周期，或其进入者尚未全部经过完整的 {within} 窗口——转化率还可能变化。",
    "funnels.period": "周期",
    "funnels.no_steps": "该日期范围内没有对象进入此漏斗。",
  },
};

export function title() {
  return t("funnels.title");
}

const PALETTE = ["#3b5bdb", "#2e7d32", "#e8590c", "#7048e8", "#0c8599", "#c2255c", "#5c940d", "#862e9c", "#a61e4d", "#1864ab"];

function valueText(v) {
  return v === null || v === undefined ? t("funnels.missing") : String(v);
}

function secondsText(s) {
  return fmt(s, "duration");
}

function histogramLabel(row) {
  const short = (s) => (s >= 86400 ? `${s / 86400}d` : s >= 3600 ? `${s / 3600}h` : s >= 60 ? `${s / 60}m` : `${s}s`);
  return row.upper_seconds === null || row.upper_seconds === undefined ? `≥ ${short(row.lower_seconds)}` : `${short(row.lower_seconds)}–${short(row.upper_seconds)}`;
}

export async function render(main, { project }) {
  main.append(h("h1", {}, t("funnels.title")));
  const funnels = project.funnels || [];
  if (!funnels.length) {
    main.append(h("p", { class: "note" }, t("funnels.none")));
    return;
  }
  const chosen = param("funnel", funnels[0].name);
  const name = chosen; // an unknown name: the API says so, with "did you mean"
  const by = param("by", "");
  const grain = param("grain", defaultGrain);
  const from = param("from");
  const to = param("to");
  const dims = project.dimensions.map((d) => [d.name, label(d)]);
  const dimLabel = (d) => {
    const dim = project.dimensions.find((x) => x.name === d);
    return dim ? label(dim) : d;
  };
  main.append(
    h(
      "div",
      { class: "controls" },
      h(
        "label",
        {},
        t("funnels.funnel"),
        " ",
        select(
          funnels.map((f) => [f.name, label(f)]),
          name,
          { name: "funnel", onchange: (e) => setParams({ funnel: e.target.value }) },
        ),
      ),
      h(
        "label",
        {},
        t("funnels.by"),
        " ",
        select([["", t("funnels.by.none")], ...dims], by, { name: "by", onchange: (e) => setParams({ by: e.target.value }) }),
      ),
    ),
  );
  const path = `funnels/${encodeURIComponent(name)}`;
  const where = whereOf(); // the shared dimension filters: only matching events count as steps
  const [all, split, overTime] = await Promise.all([
    api(path, { from, to, where }),
    by ? api(path, { from, to, by, where }) : null,
    api(`${path}/over-time`, { grain, from, to, by: by || null, where }),
  ]);
  main.append(
    h(
      "p",
      { class: "meta" },
      `${label(all)} · `,
      t("funnels.meta", { start: all.start, end: all.end, within: all.within, order: t(`funnels.order.${all.order}`) }),
    ),
  );
  const steps = all.steps;
  if (!steps.length || !steps[0].entities) {
    main.append(h("p", { class: "note" }, t("funnels.no_steps")));
  }

  // the steps: reached (solid) with the drop-off since the step before stacked on top
  const stepBody = section(main, t("funnels.steps"), { class: "card funnel-steps" });
  const int = (v) => fmt(v, "integer");
  const share = (v) => fmt(v, "percent");
  chart(
    stepBody,
    {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 70, right: 20, top: 36, bottom: 30 },
      xAxis: { type: "category", data: steps.map((s) => `${s.step}. ${s.step_name}`) },
      yAxis: { type: "value", axisLabel: { formatter: (v) => int(v) } },
      series: [
        {
          name: t("funnels.reached"),
          type: "bar",
          stack: "steps",
          itemStyle: { color: "#3b5bdb" },
          label: { show: true, position: "inside", color: "#fff", formatter: (p) => `${int(steps[p.dataIndex].entities)}\n${share(steps[p.dataIndex].conversion)}` },
          tooltip: { valueFormatter: int },
          data: steps.map((s) => s.entities),
        },
        {
          name: t("funnels.dropped"),
          type: "bar",
          stack: "steps",
          itemStyle: { color: "#f4b6b4" },
          label: { show: true, position: "top", color: "#a61e1e", formatter: (p) => (steps[p.dataIndex].dropped ? `−${int(steps[p.dataIndex].dropped)}` : "") },
          tooltip: { valueFormatter: int },
          data: steps.map((s) => s.dropped),
        },
      ],
    },
    { height: 320, name: "steps" },
  );
  stepBody.append(
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { class: "data funnel-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, t("funnels.step")),
            h("th", { class: "num" }, t("funnels.entities")),
            h("th", { class: "num" }, t("funnels.conversion")),
            h("th", { class: "num" }, t("funnels.step_conversion")),
            h("th", { class: "num" }, t("funnels.drop")),
            h("th", { class: "num" }, t("funnels.median")),
            h("th", { class: "num" }, t("funnels.p90")),
          ),
        ),
        h(
          "tbody",
          {},
          steps.map((s) =>
            h(
              "tr",
              {},
              h("td", {}, `${s.step}. ${s.step_name}`),
              h("td", { class: "num" }, int(s.entities)),
              h("td", { class: "num" }, share(s.conversion)),
              h("td", { class: "num" }, s.step === 1 ? "—" : share(s.step_conversion)),
              h("td", { class: "num" }, s.step === 1 ? "—" : int(s.dropped)),
              h("td", { class: "num" }, s.step === 1 ? "—" : secondsText(s.median_seconds)),
              h("td", { class: "num" }, s.step === 1 ? "—" : secondsText(s.p90_seconds)),
            ),
          ),
        ),
      ),
    ),
  );

  // time to convert
  const times = all.times && all.times[0];
  if (times && times.converted) {
    const tb = section(main, t("funnels.times"));
    tb.append(
      h("p", { class: "meta" }, t("funnels.times_line", { n: int(times.converted), median: secondsText(times.median_seconds), p90: secondsText(times.p90_seconds) })),
    );
    const hist = all.histogram.filter((r) => r.entities > 0 || r.lower_seconds < 604800);
    chart(
      tb,
      {
        tooltip: { trigger: "axis", valueFormatter: int },
        grid: { left: 60, right: 20, top: 24, bottom: 30 },
        title: { text: t("funnels.histogram"), textStyle: { fontSize: 12, fontWeight: "normal", color: "#5f6b7a" }, left: 0, top: 0 },
        xAxis: { type: "category", data: hist.map(histogramLabel) },
        yAxis: { type: "value" },
        series: [{ type: "bar", name: t("funnels.converted"), data: hist.map((r) => r.entities), itemStyle: { color: "#2e7d32" } }],
      },
      { height: 220, name: "histogram" },
    );
  }

  // the breakdown: conversion from the first step, one bar per value and step
  if (split) {
    const values = [];
    for (const s of split.steps) if (!values.some((v) => v === s[by])) values.push(s[by]);
    const stepNames = steps.map((s) => `${s.step}. ${s.step_name}`);
    const rowsOf = (v) => split.steps.filter((s) => s[by] === v);
    const bb = section(main, t("funnels.breakdown", { dim: dimLabel(by) }), { class: "card funnel-breakdown" });
    chart(
      bb,
      {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: share },
        legend: { top: 0, type: "scroll" },
        grid: { left: 60, right: 20, top: 40, bottom: 30 },
        xAxis: { type: "category", data: stepNames.slice(1) },
        yAxis: { type: "value", axisLabel: { formatter: (v) => share(v) } },
        color: PALETTE,
        series: values.map((v) => ({
          name: valueText(v),
          type: "bar",
          data: stepNames.slice(1).map((_, i) => {
            const row = rowsOf(v).find((s) => s.step === i + 2);
            return row ? row.conversion : null;
          }),
        })),
      },
      { height: 320, name: "breakdown" },
    );
    const timesOf = new Map((split.times || []).map((r) => [r[by], r]));
    const last = steps.length;
    bb.append(
      h(
        "div",
        { class: "scroll" },
        h(
          "table",
          { class: "data funnel-by" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", {}, dimLabel(by)),
              h("th", { class: "num" }, t("funnels.entered")),
              stepNames.slice(1).map((n) => h("th", { class: "num" }, n)),
              h("th", { class: "num" }, t("funnels.converted")),
              h("th", { class: "num" }, t("funnels.median_total")),
            ),
          ),
          h(
            "tbody",
            {},
            values.map((v) => {
              const rows = rowsOf(v);
              const first = rows.find((s) => s.step === 1);
              const end = rows.find((s) => s.step === last);
              const tm = timesOf.get(v);
              return h(
                "tr",
                {},
                h("td", {}, valueText(v)),
                h("td", { class: "num" }, first ? int(first.entities) : "—"),
                stepNames.slice(1).map((_, i) => {
                  const r = rows.find((s) => s.step === i + 2);
                  return h("td", { class: "num" }, r ? `${share(r.conversion)} (${int(r.entities)})` : "—");
                }),
                h("td", { class: "num" }, end ? int(end.entities) : "—"),
                h("td", { class: "num" }, tm ? secondsText(tm.median_seconds) : "—"),
              );
            }),
          ),
        ),
      ),
    );
  }

  // conversion over time: by the period entities entered (hollow: not complete yet)
  const periods = [];
  const labels = new Map();
  for (const r of overTime.periods) {
    if (!labels.has(r.period)) {
      periods.push(r.period);
      labels.set(r.period, r.period_label);
    }
  }
  const ob = section(
    main,
    t("funnels.over_time", { grain: t(`grain.${grain}`), start: overTime.start, end: overTime.end }),
    { class: "card funnel-over-time" },
  );
  const point = (r) =>
    r ? { value: r.conversion, symbol: r.complete ? "circle" : "emptyCircle", symbolSize: r.complete ? 6 : 9, entered: r.entered, converted: r.converted } : null;
  let series;
  if (by) {
    const values = [];
    for (const r of overTime.periods) if (!values.some((v) => v === r[by])) values.push(r[by]);
    series = values.map((v) => ({
      name: valueText(v),
      type: "line",
      connectNulls: false,
      data: periods.map((p) => point(overTime.periods.find((r) => r.period === p && r[by] === v))),
    }));
  } else {
    const byPeriod = new Map(overTime.periods.map((r) => [r.period, r]));
    series = [
      { name: t("funnels.overall"), type: "line", data: periods.map((p) => point(byPeriod.get(p))), lineStyle: { width: 2 } },
      {
        name: t("funnels.entered"),
        type: "bar",
        yAxisIndex: 1,
        data: periods.map((p) => byPeriod.get(p).entered),
        itemStyle: { color: "#dee4f0" },
        tooltip: { valueFormatter: int },
        z: 1,
      },
    ];
  }
  chart(
    ob,
    {
      tooltip: { trigger: "axis", valueFormatter: share },
      legend: { top: 0, type: "scroll" },
      grid: { left: 60, right: by ? 20 : 70, top: 40, bottom: 30 },
      color: by ? PALETTE : ["#3b5bdb", "#dee4f0"],
      xAxis: { type: "category", data: periods.map((p) => labels.get(p) || p.slice(0, 10)) },
      yAxis: [
        { type: "value", scale: true, axisLabel: { formatter: (v) => share(v) } },
        ...(by ? [] : [{ type: "value", splitLine: { show: false }, axisLabel: { formatter: (v) => int(v) } }]),
      ],
      series,
    },
    { height: 320, name: "over-time" },
  );
  if (overTime.periods.some((r) => !r.complete)) ob.append(h("p", { class: "note" }, t("funnels.over_time_note", { within: overTime.within })));
  const notes = pick(all, "notes") || [];
  if (notes.length) main.append(h("ul", { class: "notes" }, notes.map((n) => h("li", {}, n))));
}
