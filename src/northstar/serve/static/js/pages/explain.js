// Explain: why a metric changed between a period and its baseline (the period before, the same
// period last year, a forecast or the target). The headline, the driver tree (each node's value,
// change, and contribution to its parent's change, coloured by whether it helped), a waterfall of
// contributions that adds up exactly to the change, the parts and mix/rate tables, and the root
// causes (combinations of dimension values). Page parameters in the URL: metric, date, vs, by
// (comma-separated dimensions), wf (the waterfall's split: top or net); the grain is shared.
import { api, chart, fmt, h, label, metricOf, param, pct, pick, section, select, setParams, t } from "../core.js";

export const uses = ["grain"];
export const defaultGrain = "day";

export const words = {
  en: {
    "explain.title": "Explain",
    "explain.metric": "Metric",
    "explain.date": "Day",
    "explain.vs": "Compare with",
    "explain.vs.previous": "the period before",
    "explain.vs.last_year": "the same period last year",
    "explain.vs.forecast": "the forecast (mean of the 4 periods before)",
    "explain.vs.target": "the target",
    "explain.by": "Root causes over",
    "explain.on": "on {period}: ",
    "explain.against": "vs {baseline} ({vs}); ",
    "explain.change": "change",
    "explain.change_col": "Change",
    "explain.gap": "gap",
    "explain.baseline_periods": "Baseline periods: {periods}",
    "explain.tree": "Driver tree",
    "explain.no_tree": "{metric} has no driver identity (the drivers: section), so there is no tree to split its change over.",
    "explain.no_tree_parts": "{metric} has no tree of drivers (no identity in the drivers: section); its parts by {dim} below add up to the change.",
    "explain.node_effect": "to parent {effect} ({share})",
    "explain.tip.before": "Baseline",
    "explain.tip.after": "Now",
    "explain.tip.change": "Change",
    "explain.tip.to_parent": "Contribution to {parent} (share of its change)",
    "explain.tip.to_root": "Contribution to {root}",
    "explain.tip.method": "Split",
    "explain.waterfall": "Contributions to the {word} ({total}); they add up to it exactly",
    "explain.wf": "Waterfall",
    "explain.wf.top": "first level of the tree",
    "explain.wf.net": "net per driver (a metric in two places counted once)",
    "explain.total": "Total {word}",
    "explain.others": "{n} others",
    "explain.residual": "residual (identity does not hold)",
    "explain.residual_target": "not explained by the drivers' targets",
    "explain.unsplit": "not split (the parts overlap)",
    "explain.parts": "By {dim} (the parts add up to the whole)",
    "explain.before": "Baseline",
    "explain.after": "Now",
    "explain.share": "Share of change",
    "explain.mix": "Mix and rate effects by {dim} (they add up to the change of the ratio)",
    "explain.weight": "Share before → now",
    "explain.rate_col": "Rate before → now",
    "explain.mix_effect": "Mix",
    "explain.rate_effect": "Rate",
    "explain.effect": "Effect",
    "explain.causes": "Root causes (combinations of 1–3 of {dims}, by share of the change)",
    "explain.causes_none": "Root causes",
    "explain.causes_pick": "Tick dimensions above to search for the combinations of their values that explain the change.",
    "explain.no_causes": "No combination of dimension values explains the change.",
    "explain.combination": "Combination",
    "explain.expected": "Expected",
    "explain.actual": "Actual",
    "explain.explained": "Explained together: {share} of the change. Method: {method}",
  },
  zh: {
    "explain.title": "归因",
    "explain.metric": "指标",
    "explain.date": "日期",
    "explain.vs": "对比",
    "explain.vs.previous": "上一周期",
    "explain.vs.last_year": "去年同期",
    "explain.vs.forecast": "预测值（前 4 个同期均值）",
    "explain.vs.target": "目标",
    "explain.by": "根因维度",
    "explain.on": "于 {period}：",
    "explain.against": "对比 {baseline}（{vs}）；",
    "explain.change": "变化",
    "explain.change_col": "变化",
    "explain.gap": "差距",
    "explain.baseline_periods": "基准期：{periods}",
    "explain.tree": "驱动因素树",
    "explain.no_tree": "{metric} 没有驱动因素恒等式（drivers: 部分），无法按驱动因素拆分其变化。",
    "explain.no_tree_parts": "{metric} 没有驱动因素树（drivers: 部分没有恒等式）；下方按{dim}拆分的各部分之和等于其变化。",
    "explain.node_effect": "对上级贡献 {effect}（{share}）",
    "explain.tip.before": "基准",
    "explain.tip.after": "本期",
    "explain.tip.change": "变化",
    "explain.tip.to_parent": "对{parent}的贡献（占其变化）",
    "explain.tip.to_root": "对{root}的贡献",
    "explain.tip.method": "拆分方法",
    "explain.waterfall": "各项对{word}的贡献（{total}），合计恰好等于它",
    "explain.wf": "瀑布图",
    "explain.wf.top": "树的第一层",
    "explain.wf.net": "按指标合计（同一指标出现多次时合并）",
    "explain.total": "总{word}",
    "explain.others": "其他 {n} 项",
    "explain.residual": "残差（恒等式不成立）",
    "explain.residual_target": "驱动因素目标未覆盖的差距",
    "explain.unsplit": "未拆分部分（各部分有重叠）",
    "explain.parts": "按{dim}拆分（各部分之和 = 总量）",
    "explain.before": "基准",
    "explain.after": "本期",
    "explain.share": "占变化",
    "explain.mix": "按{dim}的结构效应与比率效应（合计 = 比率的变化）",
    "explain.weight": "占比 基准→本期",
    "explain.rate_col": "比率 基准→本期",
    "explain.mix_effect": "结构效应",
    "explain.rate_effect": "比率效应",
    "explain.effect": "合计",
    "explain.causes": "根因（{dims} 的 1–3 维组合，按解释的变化占比排序）",
    "explain.causes_none": "根因",
    "explain.causes_pick": "勾选上方的维度，查找能解释这次变化的维度取值组合。",
    "explain.no_causes": "没有找到能解释这次变化的维度组合。",
    "explain.combination": "组合",
    "explain.expected": "基准",
    "explain.actual": "本期",
    "explain.explained": "合计解释变化的 {share}。方法：{method}",
  },
};

export function title() {
  return t("explain.title");
}

const VS = ["previous", "last_year", "forecast", "target"];
const GOOD = "#2e7d32";
const BAD = "#c62828";
const FLAT = "#8a94a3";
const TOP = 12; // waterfall bars before the rest are summed into "others"

const num = (v) => v !== null && v !== undefined && Number.isFinite(v);

/** A change in a metric's units, signed; a percent metric's change in percentage points. */
function delta(v, m) {
  if (!num(v)) return "—";
  const sign = v > 0 ? "+" : v < 0 ? "−" : "";
  const a = Math.abs(v);
  if (m && m.format === "percent") return `${sign}${fmt(a * 100, "number", "pp", m.decimals ?? 2)}`;
  return `${sign}${fmt(a, m ? m.format : "number", m ? m.unit : null, m ? m.decimals : null)}`;
}

function value(v, m) {
  return fmt(num(v) ? v : null, m ? m.format : "number", m ? m.unit : null, m ? m.decimals : null);
}

/** good / bad / flat: an effect on `root` of `effect` (positive = it pushed the root up). */
function tone(effect, root) {
  if (!num(effect) || effect === 0) return "flat";
  return (root && root.direction === "lower" ? effect < 0 : effect > 0) ? "good" : "bad";
}
const toneColor = (k) => (k === "good" ? GOOD : k === "bad" ? BAD : FLAT);

function periodText([a, b]) {
  return a === b ? a : `${a} – ${b}`;
}

// The metric the page opens on: the north star when it has a driver tree, else the first
// headline KPI, then the first metric, that has one (serve/warm.py's explain_default, the same)
function explainDefault(project) {
  const metrics = project.metrics || [];
  const order = [project.north_star, ...(project.supporting || []), ...metrics.map((m) => m.name)].filter(Boolean);
  const withTree = new Set(metrics.filter((m) => m.drivers).map((m) => m.name));
  return order.find((n) => withTree.has(n)) || project.north_star || (metrics[0] && metrics[0].name);
}

export async function render(main, { project }) {
  const metrics = project.metrics;
  const name = param("metric", explainDefault(project));
  const grain = param("grain", defaultGrain);
  const vs = param("vs", "previous");
  const by = (param("by", "") || "").split(",").filter(Boolean);
  const wf = param("wf", "top");
  const m = metricOf(project, name);
  main.append(h("h1", {}, t("explain.title"), m ? ` · ${label(m)}` : ""));

  // controls, kept in the URL; drawn before the answer so that a refusal (no target, no last
  // year) can be changed here
  const dims = project.dimensions;
  const toggle = (d, on) => {
    const next = on ? [...by, d] : by.filter((x) => x !== d);
    setParams({ by: dims.map((x) => x.name).filter((x) => next.includes(x)).join(",") });
  };
  main.append(
    h(
      "div",
      { class: "controls" },
      h(
        "label",
        {},
        t("explain.metric"),
        " ",
        select(
          metrics.map((x) => [x.name, label(x)]),
          name,
          { name: "metric", onchange: (e) => setParams({ metric: e.target.value }) },
        ),
      ),
      h(
        "label",
        {},
        t("explain.date"),
        " ",
        h("input", { type: "date", name: "date", value: param("date", ""), onchange: (e) => setParams({ date: e.target.value }) }),
      ),
      h(
        "label",
        {},
        t("explain.vs"),
        " ",
        select(
          VS.map((v) => [v, t(`explain.vs.${v}`)]),
          vs,
          { name: "vs", onchange: (e) => setParams({ vs: e.target.value }) },
        ),
      ),
    ),
    h(
      "fieldset",
      { class: "controls explain-by" },
      h("legend", {}, t("explain.by")),
      dims.map((d) =>
        h(
          "label",
          {},
          h("input", { type: "checkbox", name: "by", value: d.name, checked: by.includes(d.name), onchange: (e) => toggle(d.name, e.target.checked) }),
          " ",
          label(d),
        ),
      ),
    ),
  );

  const r = await api(`explain/${encodeURIComponent(name)}`, { date: param("date"), vs, grain, by });
  const root = m || metricOf(project, r.metric);
  const dateInput = main.querySelector("input[name=date]");
  if (dateInput && !dateInput.value) dateInput.value = r.period[1];
  const info = (n) => metricOf(project, n);
  const word = r.baseline === "target" ? t("explain.gap") : t("explain.change");

  // the headline
  const rootTone = tone(r.change, root);
  main.append(
    h(
      "p",
      { class: "headline", dataset: { change: num(r.change) ? String(r.change) : "" } },
      h("strong", {}, label(root)),
      " ",
      t("explain.on", { period: periodText(r.period) }),
      h("strong", {}, value(r.value, root)),
      " ",
      t("explain.against", { baseline: value(r.baseline_value, root), vs: t(`explain.vs.${r.baseline}`) }),
      h("span", { class: `change ${rootTone}` }, `${word} ${delta(r.change, root)} (${pct(r.pct)})`),
    ),
    h("p", { class: "meta" }, t("explain.baseline_periods", { periods: r.baseline_periods.map(periodText).join(", ") })),
  );

  // the driver tree
  const treeBody = section(main, t("explain.tree"));
  if (!r.drivers.length) {
    // a metric with only `over:` (orders over channel) has no tree but does have parts: say where
    // the split is, not that there is none
    const partsDim = r.parts.length ? Object.keys(r.parts[0])[0] : null;
    treeBody.append(
      h(
        "p",
        { class: "note no-tree" },
        partsDim ? t("explain.no_tree_parts", { metric: label(root), dim: dimLabel(project, partsDim) }) : t("explain.no_tree", { metric: label(root) }),
      ),
    );
  } else drawTree(treeBody, r.drivers, root, info);

  // the waterfall
  const wfItems = waterfallItems(r, wf, info);
  if (wfItems.length) {
    const body = section(main, t("explain.waterfall", { word, total: delta(r.change, root) }));
    if (r.drivers.length) {
      body.append(
        h(
          "div",
          { class: "controls" },
          h(
            "label",
            {},
            t("explain.wf"),
            " ",
            select(
              ["top", "net"].map((k) => [k, t(`explain.wf.${k}`)]),
              wf,
              { name: "wf", onchange: (e) => setParams({ wf: e.target.value }) },
            ),
          ),
        ),
      );
    }
    drawWaterfall(body, wfItems, r.change, root, word);
  }

  // the parts (an over: metric's values per dimension value)
  if (r.parts.length) {
    const dim = Object.keys(r.parts[0])[0];
    const rows = r.parts.map((p) => [String(p[dim] ?? "—"), p.before, p.after, p.change, p.share]);
    table(section(main, t("explain.parts", { dim: dimLabel(project, dim) })), [dimLabel(project, dim), t("explain.before"), t("explain.after"), t("explain.change_col"), t("explain.share")], rows.map(([v, b, a, c, s]) => [v, value(b, root), value(a, root), delta(c, root), pct(s)]), "parts");
  }
  // mix and rate (ratio metrics, per dimension asked for)
  for (const [dim, frame] of Object.entries(r.mix || {})) {
    const top = [...frame].sort((a, b) => Math.abs(b.effect ?? 0) - Math.abs(a.effect ?? 0));
    table(
      section(main, t("explain.mix", { dim: dimLabel(project, dim) })),
      [dimLabel(project, dim), t("explain.weight"), t("explain.rate_col"), t("explain.mix_effect"), t("explain.rate_effect"), t("explain.effect")],
      top.map((x) => [
        String(x[dim] ?? "—"),
        `${fmt(x.weight_before, "percent")} → ${fmt(x.weight_after, "percent")}`,
        `${value(x.rate_before, root)} → ${value(x.rate_after, root)}`,
        delta(x.mix, root),
        delta(x.rate, root),
        delta(x.effect, root),
      ]),
      `mix-${dim}`,
    );
  }
  // root causes
  const causeDims = r.dimensions.length ? r.dimensions : by;
  const causes = section(
    main,
    causeDims.length ? t("explain.causes", { dims: causeDims.map((d) => dimLabel(project, d)).join(", ") }) : t("explain.causes_none"),
  );
  if (!r.root_causes) causes.append(h("p", { class: "note" }, t("explain.causes_pick")));
  else if (!r.root_causes.causes.length) causes.append(h("p", { class: "note" }, t("explain.no_causes")));
  else {
    table(
      causes,
      ["#", t("explain.combination"), t("explain.expected"), t("explain.actual"), t("explain.change_col"), t("explain.share")],
      r.root_causes.causes.map((c, i) => [
        String(i + 1),
        Object.entries(c.combination)
          .map(([d, v]) => `${dimLabel(project, d)} = ${v}`)
          .join(" & "),
        value(c.expected, root),
        value(c.real, root),
        delta(c.change, root),
        pct(c.share),
      ]),
      "causes",
      2,
    );
    causes.append(h("p", { class: "note" }, t("explain.explained", { share: pct(r.root_causes.explained), method: pick(r.root_causes, "method") })));
  }
  const notes = pick(r, "notes") || [];
  if (notes.length) main.append(h("ul", { class: "notes" }, notes.map((n) => h("li", {}, n))));
}

function dimLabel(project, dim) {
  const d = project.dimensions.find((x) => x.name === dim);
  return d ? label(d) : dim;
}

/** A table: header texts and rows of texts (the first `left` columns left, the others right). */
function table(container, head, rows, name, left = 1) {
  container.append(
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { class: "data", dataset: { table: name } },
        h("thead", {}, h("tr", {}, head.map((x, i) => h("th", { class: i >= left ? "num" : null }, x)))),
        h(
          "tbody",
          {},
          rows.map((row) => h("tr", {}, row.map((x, i) => h("td", { class: i >= left ? "num" : null }, x)))),
        ),
      ),
    ),
  );
}

/** The drivers' rows (depth first, with levels) as a nested ECharts tree. */
function drawTree(container, drivers, root, info) {
  const made = [];
  const stack = [];
  let leaves = 0;
  for (const row of drivers) {
    const parentNode = row.level > 0 ? stack[row.level - 1] : null;
    const parentRow = parentNode ? parentNode.row : null;
    const m = info(row.node);
    const pm = parentRow ? info(parentRow.node) : null;
    const effectTone = row.level === 0 ? tone(row.change, root) : tone(row.contribution_to_root, root);
    const color = toneColor(effectTone);
    const share = parentRow && num(parentRow.change) && parentRow.change !== 0 ? row.contribution_to_parent / parentRow.change : null;
    const lines = [
      `{head|${m ? label(m) : row.node}}`,
      `${value(row.value_before, m)} → ${value(row.value_after, m)}`,
      `${t("explain.tip.change")} ${delta(row.change, m)}`,
    ];
    if (parentRow) lines.push(t("explain.node_effect", { effect: delta(row.contribution_to_parent, pm), share: fmt(share, "percent") }));
    const node = {
      name: m ? label(m) : row.node,
      value: row.contribution_to_root,
      row,
      tone: effectTone,
      children: [],
      itemStyle: { color, borderColor: color },
      text: lines.join("\n"),
      label: { borderColor: color },
      tip: [
        `${m ? label(m) : row.node}`,
        `${t("explain.tip.before")}: ${value(row.value_before, m)}`,
        `${t("explain.tip.after")}: ${value(row.value_after, m)}`,
        `${t("explain.tip.change")}: ${delta(row.change, m)}`,
        parentRow ? `${t("explain.tip.to_parent", { parent: pm ? label(pm) : parentRow.node })}: ${delta(row.contribution_to_parent, pm)} (${fmt(share, "percent")})` : null,
        row.level > 1 ? `${t("explain.tip.to_root", { root: label(root) })}: ${delta(row.contribution_to_root, root)}` : null,
        row.method ? `${t("explain.tip.method")}: ${row.method}` : null,
        pick(row, "note") || null,
      ].filter(Boolean),
    };
    stack[row.level] = node;
    stack.length = row.level + 1;
    if (parentNode) parentNode.children.push(node);
    made.push(node);
  }
  for (const n of made) if (!n.children.length) leaves += 1;
  const depth = Math.max(...drivers.map((d) => d.level));
  chart(
    container,
    {
      tooltip: { trigger: "item", formatter: (p) => (p.data && p.data.tip ? p.data.tip.map(escapeTip).join("<br>") : "") },
      series: [
        {
          type: "tree",
          data: [made[0]],
          orient: "TB",
          top: 40,
          bottom: 90,
          left: 90,
          right: 90,
          symbol: "circle",
          symbolSize: 12,
          expandAndCollapse: false,
          initialTreeDepth: -1,
          edgeShape: "polyline",
          lineStyle: { color: "#b8c2d0", width: 1.2 },
          label: {
            position: "bottom",
            verticalAlign: "top",
            distance: 8,
            align: "center",
            backgroundColor: "#fff",
            borderWidth: 1,
            borderRadius: 4,
            padding: [4, 6],
            color: "#1f2933",
            fontSize: 11,
            lineHeight: 15,
            formatter: (p) => p.data.text,
            rich: { head: { fontWeight: "bold", fontSize: 12, lineHeight: 16 } },
          },
        },
      ],
    },
    { height: Math.max(300, 150 * (depth + 1) + 40), name: "tree" },
  );
  container.dataset.leaves = String(leaves);
}

/** Tooltip text is HTML in ECharts: escape what comes from the data. */
function escapeTip(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** The waterfall's bars: [label, contribution]; they add up to the change exactly. The tree's
 *  first level (or the net per driver), else the parts, else the first dimension's mix effects. */
function waterfallItems(r, wf, info) {
  let items = [];
  if (r.drivers.length) {
    if (wf === "net" && r.net_by_driver.length) items = r.net_by_driver.map((d) => [d.driver, d.contribution]);
    else items = r.drivers.filter((d) => d.level === 1).map((d) => [d.node, d.contribution_to_root]);
    items = items.map(([n, c]) => {
      const m = info(n);
      return [m ? label(m) : n, c];
    });
    const before = r.residual ? r.residual.before : null;
    const after = r.residual ? r.residual.after : null;
    if (num(before) && num(after)) {
      const gap = after - before;
      if (Math.abs(gap) > 1e-9 * Math.max(Math.abs(r.value || 0), 1)) {
        items.push([r.baseline === "target" ? t("explain.residual_target") : t("explain.residual"), gap]);
      }
    }
  } else if (r.parts.length) {
    const dim = Object.keys(r.parts[0])[0];
    items = r.parts.map((p) => [String(p[dim] ?? "—"), p.change]);
  } else {
    const dims = Object.keys(r.mix || {});
    if (dims.length) items = r.mix[dims[0]].map((x) => [String(x[dims[0]] ?? "—"), x.effect]);
  }
  if (!items.length || !num(r.change) || items.some(([, c]) => !num(c))) return [];
  // parts whose values overlap (an entity in two values) do not add up to the whole: say so with
  // one bar rather than draw a waterfall that misses the change
  const sum = items.reduce((s, [, c]) => s + c, 0);
  if (Math.abs(r.change - sum) > 1e-9 * Math.max(Math.abs(r.change), Math.abs(r.value || 0), 1)) {
    items.push([t("explain.unsplit"), r.change - sum]);
  }
  items.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  if (items.length > TOP + 1) {
    const rest = items.slice(TOP);
    items = [...items.slice(0, TOP), [t("explain.others", { n: rest.length }), rest.reduce((s, [, c]) => s + c, 0)]];
  }
  return items;
}

/** The standard waterfall: a transparent base stacked under each bar (stacked across signs, so
 *  a bar that crosses zero is drawn right), the total from zero. */
function drawWaterfall(container, items, total, root, word) {
  const base = [];
  const bars = [];
  let running = 0;
  for (const [, c] of items) {
    const end = running + c;
    base.push(Math.min(running, end));
    bars.push({ value: Math.abs(c), contribution: c, itemStyle: { color: toneColor(tone(c, root)) } });
    running = end;
  }
  base.push(0);
  bars.push({ value: total, contribution: total, total: true, itemStyle: { color: "#3b5bdb" } });
  const names = [...items.map(([n]) => n), t("explain.total", { word })];
  chart(
    container,
    {
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        formatter: (ps) => {
          const p = ps.find((x) => x.seriesIndex === 1);
          return p ? `${escapeTip(p.name)}: ${escapeTip(delta(p.data.contribution, root))}` : "";
        },
      },
      grid: { left: 80, right: 24, top: 24, bottom: names.length > 6 ? 90 : 40 },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0, width: 130, overflow: "truncate" } },
      yAxis: { type: "value", axisLabel: { formatter: (v) => value(v, root) } },
      series: [
        { name: "base", type: "bar", stack: "waterfall", stackStrategy: "all", silent: true, itemStyle: { color: "transparent", borderColor: "transparent" }, emphasis: { disabled: true }, data: base },
        {
          name: word,
          type: "bar",
          stack: "waterfall",
          stackStrategy: "all",
          data: bars,
          label: { show: true, position: "top", formatter: (p) => delta(p.data.contribution, root), fontSize: 11 },
        },
      ],
    },
    { height: 360, name: "waterfall" },
  );
}
