// Goals: scorecards (a card's score for a period, each item's value, bands, status, score and the
// weight in force, roll-ups and pacing), targets (every metric's bands, where they come from, a form
// for editors to set them, and the chosen metric's trend against its bands) and OKRs (key results'
// progress, the weighted roll-up, guardrails). The tab, the card, the period and the metric live in
// the URL (tab, card, period, metric, tgrain).
import { api, canEdit, chart, fmt, h, label, link, metricOf, param, pick, post, section, select, setParams, showError, statusBadge, t } from "../core.js";
import { anyProvisional, bandSeries, periodText, valueData } from "../trend.js";

export const uses = [];

const TABS = ["scorecards", "targets", "okrs"];

export const words = {
  en: {
    "goals.title": "Goals",
    "goals.tab.scorecards": "Scorecards",
    "goals.tab.targets": "Targets",
    "goals.tab.okrs": "OKRs",
    "goals.card": "Scorecard",
    "goals.period": "Period",
    "goals.period.other": "Other period",
    "goals.period.go": "Show",
    "goals.period.current": "{period} (current)",
    "goals.period.weeks": "Weeks",
    "goals.period.months": "Months",
    "goals.period.quarters": "Quarters",
    "goals.no_cards": "This project has no scorecards (scorecards: in the YAML).",
    "goals.score": "Score",
    "goals.score_of": "{card}, {period}",
    "goals.span": "{start} – {end}, values to {through}",
    "goals.coverage": "scored items hold {share} of the weight",
    "goals.weights": "Weights in force: {sets}",
    "goals.weight_set": "set from {from} ({days} days)",
    "goals.chart": "Weighted scores (share of the card)",
    "goals.earned": "earned",
    "goals.missed": "missed",
    "goals.not_scored": "not scored",
    "goals.items": "Items",
    "goals.item": "Item",
    "goals.weight": "Weight",
    "goals.value": "Value",
    "goals.floor": "Floor",
    "goals.target": "Target",
    "goals.stretch": "Stretch",
    "goals.status": "Status",
    "goals.item_score": "Score",
    "goals.weighted": "Weighted",
    "goals.pacing": "Pacing",
    "goals.projected": "projected {value} ({share} of target)",
    "goals.pacing_line": "{item}: {summary}",
    "goals.on_track": "on track",
    "goals.off_track": "off track",
    "goals.rollup": "card",
    "goals.provisional_mark": "(provisional)",
    "goals.derived": "* bands derived from other periods' targets",
    "goals.prorated": "† target prorated to the days with data",
    "goals.threshold": "met or not",
    "goals.targets": "Target settings",
    "goals.metric": "Metric",
    "goals.per": "Per",
    "goals.per.none": "the whole period",
    "goals.origin": "From",
    "goals.origin.app": "app",
    "goals.set_by": "Set by",
    "goals.set_at": "When",
    "goals.why": "Why",
    "goals.no_targets": "No metric has a target yet.",
    "goals.form": "Set a metric's bands",
    "goals.form.hint": "{metric}: {direction}. Numbers such as 1200, 1,200 or 6.5%; at least one band.",
    "goals.direction.higher": "higher is better (floor ≤ target ≤ stretch)",
    "goals.direction.lower": "lower is better (floor ≥ target ≥ stretch)",
    "goals.period.placeholder": "2026-W47, 2026-11, 2026-Q4",
    "goals.save": "Save target",
    "goals.saving": "Saving…",
    "goals.saved": "Saved: {metric}, {period}.",
    "goals.viewer": "Only editors may set targets.",
    "goals.trend": "{metric} by {grain}, with its bands",
    "goals.grain": "Grain",
    "goals.no_okrs": "This project has no OKRs (okrs: in the YAML).",
    "goals.objective": "Objective",
    "goals.owner": "Owner: {owner}",
    "goals.team": "Team: {team}",
    "goals.okr_period": "{period}, values to {through}",
    "goals.progress": "Progress",
    "goals.rollup_progress": "Weighted progress of its key results: {value}",
    "goals.key_results": "Key results",
    "goals.kr": "Key result",
    "goals.start": "Start",
    "goals.by_hand": "graded by hand",
    "goals.no_progress": "no progress yet",
    "goals.guardrails": "Guardrails",
    "goals.guardrail": "Guardrail",
    "goals.limit": "Limit",
    "goals.limit.floor": "at least {value}",
    "goals.limit.ceiling": "at most {value}",
    "goals.holds": "holds",
    "goals.breached": "breached",
    "goals.no_guardrails": "No guardrails.",
    "goals.watch_rule": "Watch rule",
    "goals.okr_chart": "Progress of {okr}",
  },
  zh: {
    "goals.title": "目标",
    "goals.tab.scorecards": "计分卡",
    "goals.tab.targets": "目标值",
    "goals.tab.okrs": "OKR",
    "goals.card": "计分卡",
    "goals.period": "周期",
    "goals.period.other": "其他周期",
    "goals.period.go": "查看",
    "goals.period.current": "{period}（当前）",
    "goals.period.weeks": "周",
    "goals.period.months": "月",
    "goals.period.quarters": "季度",
    "goals.no_cards": "本项目没有计分卡（YAML 中的 scorecards:）。",
    "goals.score": "得分",
    "goals.score_of": "{card}，{period}",
    "goals.span": "{start} 至 {end}，数值截至 {through}",
    "goals.coverage": "已计分指标占权重的 {share}",
    "goals.weights": "生效的权重：{sets}",
    "goals.weight_set": "自 {from} 起（{days} 天）",
    "goals.chart": "加权得分（占整张计分卡）",
    "goals.earned": "已得",
    "goals.missed": "未得",
    "goals.not_scored": "未计分",
    "goals.items": "指标",
    "goals.item": "指标",
    "goals.weight": "权重",
    "goals.value": "数值",
    "goals.floor": "底线",
    "goals.target": "目标",
    "goals.stretch": "挑战",
    "goals.status": "状态",
    "goals.item_score": "得分",
    "goals.weighted": "加权得分",
    "goals.pacing": "进度预测",
    "goals.projected": "预计期末 {value}（目标的 {share}）",
    "goals.pacing_line": "{item}：{summary}",
    "goals.on_track": "按计划",
    "goals.off_track": "落后于计划",
    "goals.rollup": "计分卡",
    "goals.provisional_mark": "（暂定）",
    "goals.derived": "* 区间由其他周期的目标推算",
    "goals.prorated": "† 目标按有数据的天数折算",
    "goals.threshold": "达标与否",
    "goals.targets": "目标设置",
    "goals.metric": "指标",
    "goals.per": "按",
    "goals.per.none": "整个周期",
    "goals.origin": "来源",
    "goals.origin.app": "应用",
    "goals.set_by": "设定人",
    "goals.set_at": "时间",
    "goals.why": "原因",
    "goals.no_targets": "还没有指标设定目标。",
    "goals.form": "设定指标的目标区间",
    "goals.form.hint": "{metric}：{direction}。可填 1200、1,200 或 6.5% 这样的数值；至少填一个。",
    "goals.direction.higher": "越高越好（底线 ≤ 目标 ≤ 挑战）",
    "goals.direction.lower": "越低越好（底线 ≥ 目标 ≥ 挑战）",
    "goals.period.placeholder": "2026-W47、2026-11、2026-Q4",
    "goals.save": "保存目标",
    "goals.saving": "保存中…",
    "goals.saved": "已保存：{metric}，{period}。",
    "goals.viewer": "只有编辑者可以设定目标。",
    "goals.trend": "{metric}（按{grain}）及其目标区间",
    "goals.grain": "粒度",
    "goals.no_okrs": "本项目没有 OKR（YAML 中的 okrs:）。",
    "goals.objective": "目标",
    "goals.owner": "负责人：{owner}",
    "goals.team": "团队：{team}",
    "goals.okr_period": "{period}，数值截至 {through}",
    "goals.progress": "进度",
    "goals.rollup_progress": "关键结果的加权进度：{value}",
    "goals.key_results": "关键结果",
    "goals.kr": "关键结果",
    "goals.start": "起点",
    "goals.by_hand": "人工评分",
    "goals.no_progress": "暂无进度",
    "goals.guardrails": "护栏指标",
    "goals.guardrail": "护栏",
    "goals.limit": "界限",
    "goals.limit.floor": "不低于 {value}",
    "goals.limit.ceiling": "不高于 {value}",
    "goals.holds": "守住",
    "goals.breached": "已突破",
    "goals.no_guardrails": "没有护栏指标。",
    "goals.watch_rule": "监控规则",
    "goals.okr_chart": "{okr} 的进度",
  },
};

export function title() {
  return t("goals.title");
}

const STATUS_COLOR = {
  below_floor: "#d9534f",
  below_target: "#f0a202",
  on_target: "#2e7d32",
  stretch: "#1565c0",
  provisional: "#9575cd",
};

// the last target saved here: its row is marked after the redraw that follows the save
let lastSaved = null;

export async function render(main, { project }) {
  const tab = TABS.includes(param("tab")) ? param("tab") : "scorecards";
  main.append(
    h("h1", {}, t("goals.title")),
    h(
      "div",
      { class: "tabs", role: "tablist" },
      TABS.map((name) =>
        h(
          "a",
          {
            href: link("/goals", { tab: name }),
            role: "tab",
            class: name === tab ? "active" : null,
            "aria-selected": name === tab ? "true" : "false",
            dataset: { tab: name },
            onclick: (e) => {
              e.preventDefault();
              setParams({ tab: name });
            },
          },
          t(`goals.tab.${name}`),
        ),
      ),
    ),
  );
  const body = h("div", { class: "tab-body", dataset: { tab } });
  main.append(body);
  if (tab === "scorecards") await scorecards(body, project);
  else if (tab === "targets") await targets(body, project);
  else await okrs(body, project);
}

// ---- shared helpers ------------------------------------------------------------------------

const share = (v) => fmt(v, "percent", null, 0);

/** A metric's value as text by its format (from /api/project); a card's score as a percentage. */
function valueText(project, metric, value) {
  const m = metric ? metricOf(project, metric) : null;
  if (!m) return fmt(value, "percent", null, 1);
  return fmt(value, m.format, m.unit, m.decimals);
}

function cardLabel(project, card) {
  if (card.label && card.label !== card.name) return label(card);
  const team = project.teams.find((x) => x.name === (card.team || card.name));
  return team ? label(team) : label(card);
}

/** A progress bar (0–100 %, wider values clipped) with its percentage. */
function progressBar(value) {
  const w = value === null || value === undefined ? 0 : Math.max(0, Math.min(1, value)) * 100;
  return h(
    "span",
    { class: "progress", title: share(value) },
    h("span", { class: "progress-track" }, h("span", { class: "progress-fill", style: { width: `${w.toFixed(1)}%` } })),
    h("span", { class: "progress-text" }, value === null || value === undefined ? t("goals.no_progress") : share(value)),
  );
}

function pacingCell(project, metric, pacing) {
  if (!pacing) return "—";
  return h(
    "span",
    { class: "pacing", title: pick(pacing, "summary") || "" },
    h("span", { class: `badge ${pacing.on_track ? "status-on_target" : "status-below_floor"}` }, t(pacing.on_track ? "goals.on_track" : "goals.off_track")),
    " ",
    t("goals.projected", { value: valueText(project, metric, pacing.projected), share: share(pacing.projected_share) }),
  );
}

// ---- periods for the scorecard's period menu -------------------------------------------------

const DAY = 86400000;

function utc(iso) {
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function isoWeek(date) {
  const d = new Date(date.getTime());
  const wd = d.getUTCDay() || 7;
  d.setUTCDate(d.getUTCDate() + 4 - wd);
  const year = d.getUTCFullYear();
  const week = Math.ceil(((d - Date.UTC(year, 0, 1)) / DAY + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** Weeks, months and quarters up to the one holding `through` (the last day with data). */
function periodChoices(through) {
  const last = utc(through);
  const weeks = [];
  for (let i = 0; i < 12; i += 1) weeks.push(isoWeek(new Date(last.getTime() - i * 7 * DAY)));
  const months = [];
  for (let i = 0; i < 4; i += 1) {
    const d = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() - i, 1));
    months.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`);
  }
  const quarters = [];
  for (let i = 0; i < 3; i += 1) {
    const d = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() - 3 * i, 1));
    quarters.push(`${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`);
  }
  return [
    ["goals.period.weeks", weeks],
    ["goals.period.months", months],
    ["goals.period.quarters", quarters],
  ];
}

function periodMenu(current, chosen, through) {
  const groups = periodChoices(through);
  const known = groups.flatMap(([, ps]) => ps);
  const opt = (p) => h("option", { value: p, selected: p === chosen }, p === current ? t("goals.period.current", { period: p }) : p);
  return h(
    "select",
    { name: "period", onchange: (e) => setParams({ period: e.target.value === current ? null : e.target.value }) },
    known.includes(chosen) ? null : opt(chosen),
    groups.map(([key, ps]) => h("optgroup", { label: t(key) }, ps.map(opt))),
  );
}

// ---- scorecards ----------------------------------------------------------------------------

async function scorecards(body, project) {
  const cards = project.scorecards || [];
  if (!cards.length) {
    body.append(h("p", { class: "note" }, t("goals.no_cards")));
    return;
  }
  const name = cards.some((c) => c.name === param("card")) ? param("card") : cards[0].name;
  const asked = param("period");
  // the card's current period (the API's default) anchors the period menu
  const current = await api(`scorecards/${encodeURIComponent(name)}`);
  let data = current;
  let failed = null;
  if (asked && asked !== current.period) {
    try {
      data = await api(`scorecards/${encodeURIComponent(name)}`, { period: asked });
    } catch (err) {
      failed = err;
    }
  }
  const other = h("input", { type: "text", name: "other_period", placeholder: t("goals.period.placeholder"), maxlength: "20", size: "20" }); // the hint "2026-W47, 2026-11, …" fits
  body.append(
    h(
      "div",
      { class: "controls" },
      h(
        "label",
        {},
        t("goals.card"),
        " ",
        select(
          cards.map((c) => [c.name, cardLabel(project, c)]),
          name,
          { name: "card", onchange: (e) => setParams({ card: e.target.value }) },
        ),
      ),
      h("label", {}, t("goals.period"), " ", periodMenu(current.period, asked || current.period, current.through)),
      h(
        "form",
        {
          class: "inline",
          onsubmit: (e) => {
            e.preventDefault();
            if (other.value.trim()) setParams({ period: other.value.trim() });
          },
        },
        h("label", {}, t("goals.period.other"), " ", other),
        " ",
        h("button", { type: "submit" }, t("goals.period.go")),
      ),
    ),
  );
  if (failed) {
    showError(body, failed);
    return;
  }
  drawCard(body, project, data);
}

function drawCard(body, project, data) {
  const items = data.items;
  const head = section(body, t("goals.score_of", { card: label(data), period: data.period }), { class: "card score-head" });
  head.append(
    h(
      "div",
      { class: "score-line" },
      h("span", { class: "score-big", dataset: { score: data.score ?? "" } }, data.score === null ? "—" : share(data.score)),
      h(
        "span",
        { class: "meta" },
        t("goals.span", { start: data.start, end: data.end, through: data.through }),
        " · ",
        t("goals.coverage", { share: share(data.coverage) }),
      ),
    ),
    h(
      "p",
      { class: "meta" },
      t("goals.weights", { sets: data.weight_sets.map((s) => t("goals.weight_set", { from: s.from, days: s.days })).join("; ") }),
    ),
  );
  const itemName = (i) => `${label(i)}${i.status === "provisional" ? ` ${t("goals.provisional_mark")}` : ""}`;
  const chartBody = section(body, t("goals.chart"));
  chart(
    chartBody,
    {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => fmt(v, "percent", null, 1) },
      legend: { top: 0, data: [t("goals.missed"), t("goals.not_scored")] },
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: (v) => Math.max(v.max, 0.05), axisLabel: { formatter: (v) => fmt(v, "percent", null, 0) } },
      yAxis: { type: "category", inverse: true, data: items.map(itemName) },
      series: [
        {
          name: t("goals.earned"),
          type: "bar",
          stack: "weight",
          barMaxWidth: 26,
          label: {
            show: true,
            position: "insideLeft",
            color: "#fff",
            fontWeight: 600,
            formatter: (p) => (p.value ? fmt(p.value, "percent", null, 1) : ""),
          },
          data: items.map((i) => ({
            value: i.score === null ? null : i.contribution,
            itemStyle: { color: STATUS_COLOR[i.status] || "#3b5bdb" },
          })),
        },
        {
          name: t("goals.missed"),
          type: "bar",
          stack: "weight",
          itemStyle: { color: "#dfe4ec" },
          data: items.map((i) => (i.score === null ? null : Math.max(0, i.weight - i.contribution) || null)),
        },
        {
          name: t("goals.not_scored"),
          type: "bar",
          stack: "weight",
          itemStyle: { color: "#f1ecfb", borderColor: "#9575cd", borderType: "dashed", borderWidth: 1 },
          data: items.map((i) => (i.score === null ? i.weight : null)),
        },
      ],
    },
    { height: Math.max(160, 44 * items.length + 60), name: "scorecard" },
  );
  const bandText = (i, key) => {
    if (i[key] === null || i[key] === undefined) return "—";
    const marks = `${i.bands_derived ? "*" : ""}${i.bands_prorated_days ? "†" : ""}`;
    return `${valueText(project, i.item, i[key])}${marks}`;
  };
  const rows = items.map((i) =>
    h(
      "tr",
      { class: i.status === "provisional" ? "provisional" : null, dataset: { item: i.item, kind: i.kind } },
      h(
        "td",
        {},
        i.kind === "scorecard"
          ? h("a", { href: link("/goals", { tab: "scorecards", card: i.item, period: data.period }), dataset: { card: i.item } }, label(i))
          : h("a", { href: link(`/metric/${encodeURIComponent(i.item)}`) }, label(i)),
        i.kind === "scorecard" ? [" ", h("span", { class: "badge" }, t("goals.rollup"))] : null,
        i.scoring === "threshold" ? [" ", h("span", { class: "badge" }, t("goals.threshold"))] : null,
      ),
      h("td", { class: "num" }, share(i.weight)),
      h("td", { class: "num" }, i.kind === "scorecard" ? share(i.value) : valueText(project, i.item, i.value)),
      h("td", { class: "num" }, bandText(i, "floor")),
      h("td", { class: "num" }, bandText(i, "target")),
      h("td", { class: "num" }, bandText(i, "stretch")),
      h("td", {}, statusBadge(i.status)),
      h("td", { class: "num" }, i.score === null ? "—" : share(i.score)),
      h("td", { class: "num" }, i.contribution === null ? "—" : fmt(i.contribution, "percent", null, 1)),
      h("td", {}, pacingCell(project, i.item, i.pacing)),
    ),
  );
  const table = h(
    "table",
    { class: "data scorecard-items" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["goals.item", "goals.weight", "goals.value", "goals.floor", "goals.target", "goals.stretch", "goals.status", "goals.item_score", "goals.weighted", "goals.pacing"].map(
          (k, n) => h("th", { class: [1, 2, 3, 4, 5, 7, 8].includes(n) ? "num" : null }, t(k)),
        ),
      ),
    ),
    h("tbody", {}, rows),
  );
  const tableBody = section(body, t("goals.items"));
  tableBody.append(h("div", { class: "scroll" }, table));
  const foot = [];
  if (items.some((i) => i.bands_derived)) foot.push(t("goals.derived"));
  if (items.some((i) => i.bands_prorated_days)) foot.push(t("goals.prorated"));
  if (foot.length) tableBody.append(h("p", { class: "note" }, foot.join(" · ")));
  const paced = items.filter((i) => i.pacing);
  if (paced.length) tableBody.append(h("ul", { class: "notes" }, paced.map((i) => h("li", {}, t("goals.pacing_line", { item: label(i), summary: pick(i.pacing, "summary") })))));
  const notes = pick(data, "notes") || [];
  if (notes.length) body.append(h("ul", { class: "notes" }, notes.map((n) => h("li", {}, n))));
}

// ---- targets -------------------------------------------------------------------------------

async function targets(body, project) {
  const [all, editor] = await Promise.all([api("targets"), canEdit()]);
  const withTargets = Object.keys(all);
  const known = (n) => Boolean(metricOf(project, n));
  const fallback = withTargets[0] || project.north_star || project.metrics[0].name;
  const metric = known(param("metric")) ? param("metric") : fallback;
  const m = metricOf(project, metric);
  const grain = ["day", "week", "month", "quarter"].includes(param("tgrain")) ? param("tgrain") : "week";
  const saved = lastSaved;
  lastSaved = null;

  // the chosen metric's trend with its bands
  const controls = h(
    "div",
    { class: "controls" },
    h(
      "label",
      {},
      t("goals.metric"),
      " ",
      select(
        project.metrics.map((x) => [x.name, label(x)]),
        metric,
        { name: "metric", onchange: (e) => setParams({ metric: e.target.value }) },
      ),
    ),
    h(
      "label",
      {},
      t("goals.grain"),
      " ",
      select(
        ["day", "week", "month", "quarter"].map((g) => [g, t(`grain.${g}`)]),
        grain,
        { name: "tgrain", onchange: (e) => setParams({ tgrain: e.target.value }) },
      ),
    ),
  );
  body.append(controls);
  const layout = h("div", { class: "goals-targets" });
  body.append(layout);
  const trend = section(layout, t("goals.trend", { metric: label(m), grain: t(`grain.${grain}`) }), { class: "card trend" });
  const formBox = section(layout, t("goals.form"), { class: "card target-form" });
  try {
    const series = await api(`metrics/${encodeURIComponent(metric)}/series`, { grain });
    const fmtv = (v) => fmt(v, m.format, m.unit, m.decimals);
    chart(
      trend,
      {
        tooltip: { trigger: "axis", valueFormatter: fmtv },
        legend: { top: 0 },
        grid: { left: 8, right: 20, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: series.points.map((p) => periodText(p, grain)) },
        yAxis: { type: "value", scale: true, axisLabel: { formatter: fmtv } },
        series: [
          { name: label(m), type: "line", data: valueData(series.points), symbolSize: 5 },
          ...bandSeries(series.points, m.format, m.unit),
        ],
      },
      { height: 300, name: "target-trend" },
    );
    if (anyProvisional(series.points)) trend.append(h("p", { class: "note" }, t("trend.provisional")));
  } catch (err) {
    showError(trend, err);
  }
  targetForm(formBox, project, metric, editor, saved);

  // every metric's settings
  const list = section(body, t("goals.targets"));
  if (!withTargets.length) {
    list.append(h("p", { class: "note" }, t("goals.no_targets")));
    return;
  }
  const order = new Map(project.metrics.map((x, i) => [x.name, i]));
  const settings = Object.values(all)
    .flat()
    .sort((a, b) => (order.get(a.metric) ?? 1e9) - (order.get(b.metric) ?? 1e9) || String(a.period).localeCompare(String(b.period)));
  const heads = ["goals.metric", "goals.period", "goals.per", "goals.floor", "goals.target", "goals.stretch", "goals.origin", "goals.set_by", "goals.set_at", "goals.why"];
  const table = h(
    "table",
    { class: "data target-settings" },
    h("thead", {}, h("tr", {}, heads.map((k, n) => h("th", { class: [3, 4, 5].includes(n) ? "num" : null }, t(k))))),
    h(
      "tbody",
      {},
      settings.map((s) => {
        const sm = metricOf(project, s.metric);
        const isSaved = saved && saved.metric === s.metric && saved.period === s.period;
        return h(
          "tr",
          {
            class: [s.metric === metric ? "chosen" : "", isSaved ? "saved" : ""].join(" ").trim() || null,
            dataset: { metric: s.metric, period: s.period, origin: s.origin },
          },
          h(
            "td",
            {},
            h(
              "a",
              {
                href: link("/goals", { tab: "targets", metric: s.metric, tgrain: param("tgrain") }),
                onclick: (e) => {
                  e.preventDefault();
                  setParams({ metric: s.metric });
                },
              },
              sm ? label(sm) : s.metric,
            ),
          ),
          h("td", {}, s.period),
          h("td", {}, s.per ? t(`grain.${s.per}`) : "—"),
          h("td", { class: "num" }, valueText(project, s.metric, s.floor)),
          h("td", { class: "num" }, valueText(project, s.metric, s.target)),
          h("td", { class: "num" }, valueText(project, s.metric, s.stretch)),
          h("td", {}, s.origin === "app" ? h("span", { class: "badge origin-app" }, t("goals.origin.app")) : h("code", {}, s.where || "yaml")),
          h("td", {}, s.set_by || "—"),
          h("td", {}, s.set_at ? s.set_at.slice(0, 16).replace("T", " ") : "—"),
          h("td", { class: "why" }, s.why || ""),
        );
      }),
    ),
  );
  list.append(h("div", { class: "scroll" }, table));
  const row = table.querySelector("tr.saved");
  if (row) row.scrollIntoView({ block: "nearest" });
}

function targetForm(box, project, metric, editor, saved) {
  if (!editor) {
    box.append(h("p", { class: "note" }, t("goals.viewer")));
    return;
  }
  const m = metricOf(project, metric);
  const hint = h("p", { class: "note" });
  const setHint = (name) => {
    const x = metricOf(project, name);
    hint.textContent = t("goals.form.hint", { metric: label(x), direction: t(`goals.direction.${x.direction === "lower" ? "lower" : "higher"}`) });
  };
  const metricSel = select(
    project.metrics.map((x) => [x.name, label(x)]),
    m.name,
    { name: "t_metric", onchange: (e) => setHint(e.target.value) },
  );
  setHint(m.name);
  const input = (name, props = {}) => h("input", { type: "text", name, maxlength: "40", autocomplete: "off", ...props });
  const period = input("t_period", { placeholder: t("goals.period.placeholder"), required: true });
  const floor = input("t_floor");
  const target = input("t_target");
  const stretch = input("t_stretch");
  const per = select(
    [["", t("goals.per.none")], ...["day", "week", "month", "quarter"].map((g) => [g, t(`grain.${g}`)])],
    "",
    { name: "t_per" },
  );
  const why = input("t_why", { maxlength: "500" });
  const message = h("div", { class: "form-message", "aria-live": "polite" });
  if (saved) message.append(h("div", { class: "ok" }, t("goals.saved", { metric: saved.label, period: saved.period })));
  const submit = h("button", { type: "submit", class: "primary" }, t("goals.save"));
  const field = (key, el) => h("label", {}, t(key), el);
  const form = h(
    "form",
    {
      class: "stack target-form",
      onsubmit: async (e) => {
        e.preventDefault();
        message.replaceChildren();
        const bands = {};
        for (const [k, el] of [["floor", floor], ["target", target], ["stretch", stretch]]) {
          const v = el.value.trim();
          if (v) bands[k] = /^[-+]?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
        }
        const payload = { metric: metricSel.value, period: period.value.trim(), ...bands };
        if (per.value) payload.per = per.value;
        if (why.value.trim()) payload.why = why.value.trim();
        submit.disabled = true;
        submit.textContent = t("goals.saving");
        try {
          const out = await post("targets", payload);
          const sm = metricOf(project, out.metric);
          lastSaved = { metric: out.metric, period: out.period, label: sm ? label(sm) : out.metric };
          setParams({ metric: out.metric });
        } catch (err) {
          showError(message, err);
          submit.disabled = false;
          submit.textContent = t("goals.save");
        }
      },
    },
    field("goals.metric", metricSel),
    field("goals.period", period),
    h("div", { class: "band-inputs" }, field("goals.floor", floor), field("goals.target", target), field("goals.stretch", stretch)),
    field("goals.per", per),
    field("goals.why", why),
    hint,
    h("div", {}, submit),
  );
  box.append(form, message);
}

// ---- OKRs ----------------------------------------------------------------------------------

async function okrs(body, project) {
  const list = await api("okrs");
  if (!list.length) {
    body.append(h("p", { class: "note" }, t("goals.no_okrs")));
    return;
  }
  for (const o of list) {
    const box = section(body, pick(o, "objective"), { class: "card okr", dataset: { okr: o.okr } });
    box.append(
      h(
        "p",
        { class: "meta" },
        t("goals.okr_period", { period: o.period, through: o.through }),
        o.owner ? [" · ", t("goals.owner", { owner: o.owner })] : null,
        o.team ? [" · ", t("goals.team", { team: (() => { const tm = project.teams.find((x) => x.name === o.team); return tm ? label(tm) : o.team; })() })] : null,
      ),
      h("div", { class: "okr-rollup" }, h("strong", {}, t("goals.progress")), " ", progressBar(o.progress)),
      h("p", { class: "note" }, t("goals.rollup_progress", { value: o.progress === null ? "—" : share(o.progress) })),
    );
    const krs = o.key_results;
    chart(
      box,
      {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => fmt(v, "percent", null, 0) },
        grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: (v) => fmt(v, "percent", null, 0) } },
        yAxis: { type: "category", inverse: true, data: [pick(o, "objective"), ...krs.map((k) => label(k))] },
        series: [
          {
            name: t("goals.progress"),
            type: "bar",
            barMaxWidth: 22,
            label: { show: true, position: "right", formatter: (p) => (p.value === null || p.value === undefined ? "" : fmt(p.value, "percent", null, 0)) },
            data: [
              { value: o.progress, itemStyle: { color: "#1d2330" } },
              ...krs.map((k) => ({
                value: k.progress === null ? null : Math.min(1, Math.max(0, k.progress)),
                itemStyle: { color: k.graded_by_hand ? "#9575cd" : k.progress !== null && k.progress >= 0.7 ? "#2e7d32" : "#3b5bdb" },
              })),
            ],
          },
        ],
      },
      { height: Math.max(120, 40 * (krs.length + 1) + 24), name: `okr-${o.okr}` },
    );
    const kv = (k, v) => (k.metric ? valueText(project, k.metric, v) : "—");
    const totalWeight = krs.reduce((sum, k) => sum + (k.weight || 0), 0);
    box.append(
      h("h3", {}, t("goals.key_results")),
      h(
        "table",
        { class: "data okr-krs" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, t("goals.kr")),
            h("th", { class: "num" }, t("goals.weight")),
            h("th", { class: "num" }, t("goals.start")),
            h("th", { class: "num" }, t("goals.value")),
            h("th", { class: "num" }, t("goals.target")),
            h("th", {}, t("goals.progress")),
            h("th", {}, t("goals.pacing")),
          ),
        ),
        h(
          "tbody",
          {},
          krs.map((k) =>
            h(
              "tr",
              { dataset: { kr: k.metric || label(k) } },
              h(
                "td",
                {},
                k.metric ? h("a", { href: link(`/metric/${encodeURIComponent(k.metric)}`) }, label(k)) : label(k),
                k.graded_by_hand ? [" ", h("span", { class: "badge by-hand" }, t("goals.by_hand"))] : null,
              ),
              h("td", { class: "num" }, fmt(k.weight, "number"), totalWeight ? ` (${share(k.weight / totalWeight)})` : ""),
              h("td", { class: "num" }, kv(k, k.start)),
              h("td", { class: "num" }, kv(k, k.value)),
              h("td", { class: "num" }, kv(k, k.target)),
              h("td", {}, progressBar(k.progress)),
              h("td", {}, pacingCell(project, k.metric, k.pacing)),
            ),
          ),
        ),
      ),
      h("h3", {}, t("goals.guardrails")),
    );
    if (!o.guardrails.length) box.append(h("p", { class: "note" }, t("goals.no_guardrails")));
    else {
      box.append(
        h(
          "table",
          { class: "data okr-guardrails" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", {}, t("goals.guardrail")),
              h("th", {}, t("goals.limit")),
              h("th", { class: "num" }, t("goals.value")),
              h("th", {}, t("goals.status")),
              h("th", {}, t("goals.watch_rule")),
            ),
          ),
          h(
            "tbody",
            {},
            o.guardrails.map((g) =>
              h(
                "tr",
                { dataset: { guardrail: g.metric } },
                h("td", {}, h("a", { href: link(`/metric/${encodeURIComponent(g.metric)}`) }, label(g))),
                h(
                  "td",
                  {},
                  [
                    g.floor !== null ? t("goals.limit.floor", { value: valueText(project, g.metric, g.floor) }) : null,
                    g.ceiling !== null ? t("goals.limit.ceiling", { value: valueText(project, g.metric, g.ceiling) }) : null,
                  ]
                    .filter(Boolean)
                    .join(", "),
                ),
                h("td", { class: "num" }, valueText(project, g.metric, g.value)),
                h(
                  "td",
                  {},
                  g.holds === null
                    ? statusBadge("no_data")
                    : h("span", { class: `badge ${g.holds ? "status-on_target" : "status-below_floor"}` }, t(g.holds ? "goals.holds" : "goals.breached")),
                ),
                h("td", {}, h("code", {}, g.watch_rule)),
              ),
            ),
          ),
        ),
      );
    }
    const notes = pick(o, "notes") || [];
    if (notes.length) box.append(h("ul", { class: "notes" }, notes.map((n) => h("li", {}, n))));
  }
}
