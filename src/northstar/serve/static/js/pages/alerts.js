// Alerts inbox: the alerts newest first (filters: state, metric, severity — in the URL), alerts per
// day by severity, and the selected alert (?alert=ID): its numbers, explanation and history, the
// actions (acknowledge, mark reviewed, close — a false alarm needs its reason) and the 5-Why review
// form (why 1–5, owner, actions, due date; each save is a new version). Viewers see no review form
// (the server refuses them: 403); every text a user wrote is shown as text.
import {
  api,
  canEdit,
  chart,
  fmt,
  h,
  label,
  lang,
  metricOf,
  param,
  pick,
  post,
  section,
  select,
  setParams,
  showError,
  t,
} from "../core.js";

export const uses = [];

const STATES = ["open", "acknowledged", "reviewed", "closed"];
const SEVERITIES = ["critical", "warning", "info"];
const SEVERITY_COLOURS = { critical: "#c62828", warning: "#f08c00", info: "#4c6ef5" };

export const words = {
  en: {
    "alerts.title": "Alerts",
    "alerts.state": "State",
    "alerts.metric": "Metric",
    "alerts.severity": "Severity",
    "alerts.any": "all",
    "alerts.none": "No alerts match. Alerts are stored by watch runs (northstar watch).",
    "alerts.count": "{n} alerts",
    "alerts.per_day": "Alerts per day",
    "alerts.inbox": "Inbox",
    "alerts.period": "Period",
    "alerts.slice": "Slice",
    "alerts.whole": "all",
    "alerts.value": "Value",
    "alerts.expected": "Expected",
    "alerts.change": "Change",
    "alerts.summary": "Summary",
    "alerts.pick": "Choose an alert in the inbox to see its explanation, history and review.",
    "alerts.unknown": "This alert is not in the list shown (a filter hides it).",
    "alerts.rule": "Rule {rule}",
    "alerts.vs": "{value} vs expected {expected}",
    "alerts.closed_because": "Closed: {reason}",
    "alerts.actions": "Actions",
    "alerts.ack": "Acknowledge",
    "alerts.mark_reviewed": "Mark reviewed",
    "alerts.close": "Close",
    "alerts.close_false": "Close as a false alarm",
    "alerts.close_reason": "Reason (required for a false alarm)",
    "alerts.final": "A closed alert is final.",
    "alerts.review": "5-Why review",
    "alerts.why": "Why {n}",
    "alerts.owner": "Owner",
    "alerts.actions_field": "Actions (one per line)",
    "alerts.due": "Due date",
    "alerts.save_review": "Save review",
    "alerts.saved": "Saved version {version}.",
    "alerts.viewer": "Only editors can write reviews; you are signed in as a viewer.",
    "alerts.versions": "Review versions",
    "alerts.version": "Version {version} · {at} · {by}",
    "alerts.version_owner": "Owner {owner}, due {due}",
    "alerts.no_reviews": "No review yet.",
    "alerts.history": "History",
    "alerts.when": "When (UTC)",
    "alerts.who": "Who",
    "alerts.what": "What",
    "alerts.note": "Note",
    "alerts.explanation": "Explanation",
    "alerts.baseline": "{value} against {baseline} ({base}), {pct}",
    "alerts.root_causes": "Root causes",
    "alerts.share": "Share of the change",
    "alerts.parts": "Parts",
    "alerts.before": "Before",
    "alerts.after": "After",
    "alerts.no_explanation": "No explanation was stored with this alert.",
    "alerts.explanation_whole": "This explains {metric} as a whole on that day, not only {slice}: the watch explains the metric, and the slice's own change is the one above.",
    "event.created": "created",
    "event.transition": "moved",
    "event.review": "review",
    "state.open": "open",
    "state.acknowledged": "acknowledged",
    "state.reviewed": "reviewed",
    "state.closed": "closed",
    "severity.critical": "critical",
    "severity.warning": "warning",
    "severity.info": "info",
    "baseline.previous": "the period before",
    "baseline.last_year": "last year",
    "baseline.forecast": "the forecast",
    "baseline.target": "the target",
  },
  zh: {
    "alerts.title": "告警",
    "alerts.state": "状态",
    "alerts.metric": "指标",
    "alerts.severity": "严重程度",
    "alerts.any": "全部",
    "alerts.none": "没有符合条件的告警。告警由监控运行（northstar watch）保存。",
    "alerts.count": "{n} 条告警",
    "alerts.per_day": "每日告警数",
    "alerts.inbox": "收件箱",
    "alerts.period": "周期",
    "alerts.slice": "切片",
    "alerts.whole": "全部",
    "alerts.value": "数值",
    "alerts.expected": "预期",
    "alerts.change": "变化",
    "alerts.summary": "摘要",
    "alerts.pick": "在收件箱中选择一条告警，查看其解释、历史和复盘。",
    "alerts.unknown": "该告警不在当前列表中（被筛选条件隐藏）。",
    "alerts.rule": "规则 {rule}",
    "alerts.vs": "{value}，预期 {expected}",
    "alerts.closed_because": "已关闭：{reason}",
    "alerts.actions": "操作",
    "alerts.ack": "确认",
    "alerts.mark_reviewed": "标记为已复盘",
    "alerts.close": "关闭",
    "alerts.close_false": "作为误报关闭",
    "alerts.close_reason": "原因（误报时必填）",
    "alerts.final": "已关闭的告警不能再变更。",
    "alerts.review": "5 个为什么复盘",
    "alerts.why": "为什么 {n}",
    "alerts.owner": "负责人",
    "alerts.actions_field": "行动项（每行一条）",
    "alerts.due": "截止日期",
    "alerts.save_review": "保存复盘",
    "alerts.saved": "已保存第 {version} 版。",
    "alerts.viewer": "只有编辑者可以填写复盘；您当前以查看者身份登录。",
    "alerts.versions": "复盘版本",
    "alerts.version": "第 {version} 版 · {at} · {by}",
    "alerts.version_owner": "负责人 {owner}，截止 {due}",
    "alerts.no_reviews": "尚无复盘。",
    "alerts.history": "历史",
    "alerts.when": "时间（UTC）",
    "alerts.who": "操作人",
    "alerts.what": "事件",
    "alerts.note": "备注",
    "alerts.explanation": "解释",
    "alerts.baseline": "{value}，对比{base} {baseline}，{pct}",
    "alerts.root_causes": "根因",
    "alerts.share": "占变化的比例",
    "alerts.parts": "组成部分",
    "alerts.before": "之前",
    "alerts.after": "之后",
    "alerts.no_explanation": "该告警没有保存解释。",
    "alerts.explanation_whole": "以下解释的是当天{metric}的整体变化，而不只是 {slice}：监控对整个指标做归因，该切片自身的变化见上方。",
    "event.created": "创建",
    "event.transition": "状态变更",
    "event.review": "复盘",
    "state.open": "未处理",
    "state.acknowledged": "已确认",
    "state.reviewed": "已复盘",
    "state.closed": "已关闭",
    "severity.critical": "严重",
    "severity.warning": "警告",
    "severity.info": "提示",
    "baseline.previous": "上一周期",
    "baseline.last_year": "去年同期",
    "baseline.forecast": "预测值",
    "baseline.target": "目标",
  },
};

export function title() {
  return t("alerts.title");
}

function stateBadge(state) {
  return h("span", { class: `badge state-${state}`, dataset: { state } }, t(`state.${state}`));
}

function severityBadge(severity) {
  return h("span", { class: `badge severity-${severity}` }, t(`severity.${severity}`));
}

/** up / down, and good / bad by the metric's direction: marketing spend +290 % is not good news. */
function changeClass(alert, project) {
  const c = alert.change_pct;
  if (!c) return "";
  const m = metricOf(project, alert.metric);
  const dir = m && m.direction;
  const good = dir === "lower" ? c < 0 : dir === "higher" ? c > 0 : null;
  return `${c > 0 ? "up" : "down"}${good === null ? "" : good ? " good" : " bad"}`;
}

function sliceText(slice, project) {
  const parts = Object.entries(slice || {}).map(([d, v]) => {
    const dim = project.dimensions.find((x) => x.name === d);
    return `${dim ? label(dim) : d} = ${v}`;
  });
  return parts.length ? parts.join(", ") : t("alerts.whole");
}

function metricFormat(project, name) {
  const m = metricOf(project, name);
  return m ? [m.format, m.unit, m.decimals] : ["number", null, null];
}

function changeText(value) {
  // the alert's change_pct is in percent (21.6 means +21.6 %)
  if (value === null || value === undefined) return "—";
  return `${value > 0 ? "+" : ""}${value.toFixed(1)}%`;
}

function when(iso) {
  return iso ? iso.slice(0, 16).replace("T", " ") : "—";
}

export async function render(main, { project }) {
  const state = param("state", "");
  const metric = param("metric", "");
  const severity = param("severity", "");
  const chosen = param("alert", "");
  const [all, editor] = await Promise.all([api("alerts", { state: state || null }), canEdit()]);
  const metrics = [...new Set(all.map((a) => a.metric))].sort();
  const shown = all.filter((a) => (!metric || a.metric === metric) && (!severity || a.severity === severity));

  main.append(h("h1", {}, t("alerts.title")));
  main.append(
    h(
      "div",
      { class: "controls" },
      h(
        "label",
        {},
        t("alerts.state"),
        " ",
        select([["", t("alerts.any")], ...STATES.map((s) => [s, t(`state.${s}`)])], state, {
          name: "state",
          onchange: (e) => setParams({ state: e.target.value }),
        }),
      ),
      h(
        "label",
        {},
        t("alerts.metric"),
        " ",
        select(
          [["", t("alerts.any")], ...metrics.map((m) => [m, label(metricOf(project, m), m)])],
          metric,
          { name: "metric", onchange: (e) => setParams({ metric: e.target.value }) },
        ),
      ),
      h(
        "label",
        {},
        t("alerts.severity"),
        " ",
        select([["", t("alerts.any")], ...SEVERITIES.map((s) => [s, t(`severity.${s}`)])], severity, {
          name: "severity",
          onchange: (e) => setParams({ severity: e.target.value }),
        }),
      ),
      h("span", { class: "note" }, t("alerts.count", { n: shown.length })),
    ),
  );

  // alerts per day, stacked by severity
  const days = [...new Set(shown.map((a) => String(a.period).slice(0, 10)))].sort();
  const perDay = section(main, t("alerts.per_day"));
  chart(
    perDay,
    {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 32, bottom: 28 },
      xAxis: { type: "category", data: days },
      yAxis: { type: "value", minInterval: 1 },
      series: SEVERITIES.map((s) => ({
        name: t(`severity.${s}`),
        type: "bar",
        stack: "alerts",
        barMaxWidth: 48,
        itemStyle: { color: SEVERITY_COLOURS[s] },
        data: days.map((d) => shown.filter((a) => a.severity === s && String(a.period).slice(0, 10) === d).length),
      })),
    },
    { height: 180, name: "alerts-per-day" },
  );

  const layout = h("div", { class: "alerts-layout" });
  main.append(layout);
  const inbox = h("div", { class: "alerts-inbox" });
  const detail = h("div", { class: "alerts-detail" });
  layout.append(inbox, detail);

  const list = section(inbox, t("alerts.inbox"));
  if (!shown.length) list.append(h("p", { class: "note" }, t("alerts.none")));
  else list.append(h("div", { class: "scroll" }, inboxTable(shown, project, chosen)));

  if (!chosen) {
    section(detail, t("alerts.title")).append(h("p", { class: "note" }, t("alerts.pick")));
    return;
  }
  try {
    const alert = await api(`alerts/${encodeURIComponent(chosen)}`);
    drawDetail(detail, alert, project, editor);
  } catch (err) {
    showError(section(detail, t("alerts.title")), err);
  }
}

function inboxTable(alerts, project, chosen) {
  return h(
    "table",
    { class: "data alerts-table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", {}, t("alerts.period")),
        h("th", {}, `${t("alerts.metric")} · ${t("alerts.slice")} · ${t("alerts.summary")}`),
        h("th", { class: "num" }, `${t("alerts.value")} / ${t("alerts.expected")}`),
        h("th", { class: "num" }, t("alerts.change")),
        h("th", {}, t("alerts.state")),
      ),
    ),
    h(
      "tbody",
      {},
      alerts.map((a) => {
        const [format, unit, decimals] = metricFormat(project, a.metric);
        const q = new URLSearchParams(window.location.search);
        q.set("alert", a.id);
        return h(
          "tr",
          { class: a.id === chosen ? "chosen" : null, dataset: { alert: a.id } },
          h("td", { class: "nowrap" }, String(a.period).slice(0, 16).replace("T", " ")),
          h(
            "td",
            { class: "what" },
            h(
              "a",
              {
                href: `${window.location.pathname}?${q}`,
                onclick: (e) => {
                  e.preventDefault();
                  setParams({ alert: a.id });
                },
              },
              label(a),
            ),
            h("span", { class: "slice" }, ` · ${sliceText(a.slice, project)}`),
            h("div", { class: "summary" }, pick(a, "summary")),
          ),
          h(
            "td",
            { class: "num nowrap" },
            fmt(a.value, format, unit, decimals),
            h("span", { class: "note" }, ` / ${fmt(a.expected, format, unit, decimals)}`),
          ),
          h("td", { class: `num ${changeClass(a, project)}` }, changeText(a.change_pct)),
          h("td", { class: "badges" }, severityBadge(a.severity), " ", stateBadge(a.state)),
        );
      }),
    ),
  );
}

function drawDetail(container, alert, project, editor) {
  const [format, unit, decimals] = metricFormat(project, alert.metric);
  const v = (x) => fmt(x, format, unit, decimals);
  const head = section(container, `${label(alert)} · ${sliceText(alert.slice, project)}`, { class: "card alert-head" });
  head.append(
    h("p", { class: "summary-line" }, pick(alert, "summary")),
    h(
      "p",
      { class: "meta" },
      `${String(alert.period).slice(0, 16).replace("T", " ")} · `,
      t("alerts.vs", { value: v(alert.value), expected: v(alert.expected) }),
      ` (${changeText(alert.change_pct)}) · `,
      t("alerts.rule", { rule: alert.rule }),
      " ",
      severityBadge(alert.severity),
      " ",
      stateBadge(alert.state),
    ),
  );
  if (alert.close_reason) head.append(h("p", { class: "close-reason" }, t("alerts.closed_because", { reason: alert.close_reason })));

  // actions: acknowledge, mark reviewed, close (with a reason for a false alarm)
  const acts = section(container, t("alerts.actions"), { class: "card alert-actions" });
  const problems = h("div", { class: "form-errors", "aria-live": "polite" });
  const move = async (to, note) => {
    problems.replaceChildren();
    try {
      await post(`alerts/${encodeURIComponent(alert.id)}/transition`, { to, note: note || null });
      setParams({}, { push: false });
    } catch (err) {
      showError(problems, err);
    }
  };
  if (alert.state === "closed") acts.append(h("p", { class: "note" }, t("alerts.final")));
  else {
    const buttons = h("div", { class: "alert-buttons" });
    if (alert.state === "open") {
      buttons.append(h("button", { type: "button", dataset: { action: "acknowledge" }, onclick: () => move("acknowledged") }, t("alerts.ack")));
    }
    if (alert.state === "acknowledged") {
      buttons.append(h("button", { type: "button", dataset: { action: "reviewed" }, onclick: () => move("reviewed") }, t("alerts.mark_reviewed")));
    }
    const reason = h("input", { type: "text", name: "close_reason", maxlength: "500", placeholder: t("alerts.close_reason"), "aria-label": t("alerts.close_reason") });
    const falseAlarm = alert.state !== "reviewed";
    const closeForm = h(
      "form",
      {
        class: "inline close-form",
        onsubmit: (e) => {
          e.preventDefault();
          move("closed", reason.value.trim());
        },
      },
      reason,
      h("button", { type: "submit", dataset: { action: "close" } }, falseAlarm ? t("alerts.close_false") : t("alerts.close")),
    );
    acts.append(buttons, closeForm);
  }
  acts.append(problems);

  // the 5-Why review: a form for editors (prefilled with the latest version), every version below
  const rev = section(container, t("alerts.review"), { class: "card alert-review" });
  if (!editor) rev.append(h("p", { class: "note viewer-note" }, t("alerts.viewer")));
  else if (alert.state !== "closed") rev.append(reviewForm(alert));
  const versions = [...(alert.reviews || [])].reverse();
  rev.append(h("h3", {}, t("alerts.versions")));
  if (!versions.length) rev.append(h("p", { class: "note" }, t("alerts.no_reviews")));
  for (const r of versions) {
    rev.append(
      h(
        "div",
        { class: "review-version", dataset: { version: r.version } },
        h("div", { class: "meta" }, t("alerts.version", { version: r.version, at: when(r.at), by: r.by })),
        h("ol", { class: "why-chain" }, r.whys.map((w) => h("li", {}, w))),
        h("div", { class: "meta" }, t("alerts.version_owner", { owner: r.owner, due: r.due })),
        r.actions.length ? h("ul", { class: "review-actions" }, r.actions.map((a) => h("li", {}, a))) : null,
      ),
    );
  }

  drawExplanation(section(container, t("alerts.explanation"), { class: "card alert-explanation" }), alert, project, v);

  const hist = section(container, t("alerts.history"));
  hist.append(
    h(
      "table",
      { class: "data alert-history" },
      h("thead", {}, h("tr", {}, h("th", {}, t("alerts.when")), h("th", {}, t("alerts.who")), h("th", {}, t("alerts.what")), h("th", {}, t("alerts.note")))),
      h(
        "tbody",
        {},
        alert.history.map((e) =>
          h(
            "tr",
            {},
            h("td", { class: "nowrap" }, when(e.at)),
            h("td", {}, e.actor),
            h("td", {}, t(`event.${e.kind}`), e.to_state ? [" → ", stateBadge(e.to_state)] : null),
            h("td", {}, e.note || ""),
          ),
        ),
      ),
    ),
  );
}

function reviewForm(alert) {
  const last = alert.review;
  const whys = [1, 2, 3, 4, 5].map((n) =>
    // the first why, the owner and the due date are required (the browser says so before the
    // server's field-by-field 422 would)
    h("input", { type: "text", name: `why${n}`, maxlength: "1000", required: n === 1, value: last && last.whys[n - 1] ? last.whys[n - 1] : "" }),
  );
  const owner = h("input", { type: "text", name: "owner", maxlength: "200", required: true, value: last ? last.owner : "" });
  const actions = h("textarea", { name: "actions", rows: "3", maxlength: "4000" });
  actions.value = last ? last.actions.join("\n") : "";
  const due = h("input", { type: "date", name: "due", required: true, value: last ? last.due : "" });
  const problems = h("div", { class: "form-errors", "aria-live": "polite" });
  const form = h(
    "form",
    {
      class: "stack review-form",
      onsubmit: async (e) => {
        e.preventDefault();
        problems.replaceChildren();
        const body = {
          whys: whys.map((w) => w.value.trim()).filter(Boolean),
          owner: owner.value.trim(),
          actions: actions.value
            .split("\n")
            .map((a) => a.trim())
            .filter(Boolean),
          due: due.value || null,
        };
        try {
          await post(`alerts/${encodeURIComponent(alert.id)}/review`, body);
          setParams({}, { push: false });
        } catch (err) {
          showError(problems, err);
        }
      },
    },
    whys.map((w, i) => h("label", {}, t("alerts.why", { n: i + 1 }), w)),
    h("label", {}, t("alerts.owner"), owner),
    h("label", {}, t("alerts.actions_field"), actions),
    h("label", {}, t("alerts.due"), due),
    h("div", {}, h("button", { type: "submit", class: "primary" }, t("alerts.save_review"))),
    problems,
  );
  return form;
}

function drawExplanation(body, alert, project, v) {
  const e = alert.explanation;
  if (!e) {
    body.append(h("p", { class: "note" }, t("alerts.no_explanation")));
    return;
  }
  const pct = e.pct === null || e.pct === undefined ? "—" : `${e.pct > 0 ? "+" : ""}${(e.pct * 100).toFixed(1)}%`;
  // an alert on a slice (device = desktop) carries the explanation of the whole metric: say so,
  // or its numbers (178 against 191) read as contradicting the alert's (41 against 71)
  if (Object.keys(alert.slice || {}).length) {
    body.append(h("p", { class: "note explanation-whole" }, t("alerts.explanation_whole", { metric: label(alert), slice: sliceText(alert.slice, project) })));
  }
  body.append(
    h(
      "p",
      { class: "headline" },
      t("alerts.baseline", { value: v(e.value), baseline: v(e.baseline_value), base: t(`baseline.${e.baseline}`), pct }),
    ),
  );
  const causes = (e.root_causes && e.root_causes.causes) || [];
  if (causes.length) {
    body.append(h("h3", {}, t("alerts.root_causes")));
    body.append(
      h(
        "table",
        { class: "data" },
        h("thead", {}, h("tr", {}, h("th", {}, t("alerts.slice")), h("th", { class: "num" }, t("alerts.change")), h("th", { class: "num" }, t("alerts.share")))),
        h(
          "tbody",
          {},
          causes.slice(0, 8).map((c) =>
            h(
              "tr",
              {},
              h("td", {}, sliceText(c.combination, project)),
              h("td", { class: "num" }, v(c.change)),
              h("td", { class: "num" }, `${(c.share * 100).toFixed(1)}%`),
            ),
          ),
        ),
      ),
    );
  }
  const parts = e.parts || [];
  if (parts.length) {
    const dim = Object.keys(parts[0]).find((k) => !["before", "after", "change", "share"].includes(k));
    const d = project.dimensions.find((x) => x.name === dim);
    body.append(h("h3", {}, `${t("alerts.parts")}${dim ? ` · ${d ? label(d) : dim}` : ""}`));
    body.append(
      h(
        "table",
        { class: "data" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", {}, d ? label(d) : dim || ""), h("th", { class: "num" }, t("alerts.before")), h("th", { class: "num" }, t("alerts.after")), h("th", { class: "num" }, t("alerts.change"))),
        ),
        h(
          "tbody",
          {},
          parts.slice(0, 8).map((p) =>
            h("tr", {}, h("td", {}, String(p[dim] ?? "—")), h("td", { class: "num" }, v(p.before)), h("td", { class: "num" }, v(p.after)), h("td", { class: "num" }, v(p.change))),
          ),
        ),
      ),
    );
  }
  const notes = (lang() === "zh" ? e.notes_zh : e.notes) || [];
  if (notes.length) body.append(h("ul", { class: "notes" }, notes.map((n) => h("li", {}, n))));
}
