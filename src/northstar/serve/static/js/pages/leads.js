// Lead rating for sales: choose a lead set (?set=), search its clean leads (?q=, paged by ?offset=),
// rate each 1–5 with a reason and an optional note; the average rating by channel is marketing's
// feedback, and the ratings in force show what sales said last. Viewers see no rating controls
// (the server refuses them: 403).
import { api, canEdit, chart, fmt, h, label, param, post, section, select, setParams, showError, t } from "../core.js";

export const uses = [];

const PAGE = 50;

export const words = {
  en: {
    "leads.title": "Lead rating",
    "leads.set": "Lead set",
    "leads.search": "Search",
    "leads.search_hint": "id, name, campaign or owner",
    "leads.go": "Search",
    "leads.clear": "Clear",
    "leads.none_sets": "This project has no lead sets (leads: in northstar.yml).",
    "leads.by_channel": "Average sales rating by channel",
    "leads.by_channel_note": "Clean leads only; a rating of {accepted} or more counts as accepted.",
    "leads.channel": "Channel",
    "leads.leads": "Leads",
    "leads.rated": "Rated",
    "leads.avg": "Average rating",
    "leads.accepted": "Accepted",
    "leads.no_channel": "(none)",
    "leads.list": "Leads",
    "leads.shown": "{from}–{to} of {total}",
    "leads.nothing": "No lead matches.",
    "leads.prev": "‹ Previous",
    "leads.next": "Next ›",
    "leads.lead": "Lead",
    "leads.name": "Name",
    "leads.campaign": "Campaign",
    "leads.country": "Country",
    "leads.created": "Created",
    "leads.rating": "Current rating",
    "leads.rate": "Rate",
    "leads.score": "Score",
    "leads.reason": "Reason",
    "leads.pick_reason": "reason…",
    "leads.note": "Note (optional)",
    "leads.note_col": "Note",
    "leads.save": "Save",
    "leads.unrated": "not rated",
    "leads.by": "{score}/5 · {reason} · {by}",
    "leads.viewer": "Only editors can rate leads; you are signed in as a viewer.",
    "leads.in_force": "Ratings in force",
    "leads.in_force_count": "{n} leads rated; the latest ratings:",
    "leads.distribution": "Leads per score",
    "leads.at": "When",
    "leads.who": "Who",
  },
  zh: {
    "leads.title": "线索评分",
    "leads.set": "线索集",
    "leads.search": "搜索",
    "leads.search_hint": "编号、姓名、活动或负责人",
    "leads.go": "搜索",
    "leads.clear": "清除",
    "leads.none_sets": "项目中没有线索集（northstar.yml 的 leads:）。",
    "leads.by_channel": "各渠道的平均销售评分",
    "leads.by_channel_note": "仅统计有效线索；评分达到 {accepted} 及以上视为被销售接受。",
    "leads.channel": "渠道",
    "leads.leads": "线索数",
    "leads.rated": "已评分",
    "leads.avg": "平均评分",
    "leads.accepted": "接受率",
    "leads.no_channel": "（无）",
    "leads.list": "线索",
    "leads.shown": "第 {from}–{to} 条，共 {total} 条",
    "leads.nothing": "没有匹配的线索。",
    "leads.prev": "‹ 上一页",
    "leads.next": "下一页 ›",
    "leads.lead": "线索",
    "leads.name": "姓名",
    "leads.campaign": "营销活动",
    "leads.country": "国家/地区",
    "leads.created": "创建时间",
    "leads.rating": "当前评分",
    "leads.rate": "评分",
    "leads.score": "分数",
    "leads.reason": "原因",
    "leads.pick_reason": "选择原因…",
    "leads.note": "备注（可选）",
    "leads.note_col": "备注",
    "leads.save": "保存",
    "leads.unrated": "未评分",
    "leads.by": "{score}/5 · {reason} · {by}",
    "leads.viewer": "只有编辑者可以为线索评分；您当前以查看者身份登录。",
    "leads.in_force": "当前有效的评分",
    "leads.in_force_count": "已评分线索 {n} 条；最近的评分：",
    "leads.distribution": "各分数的线索数",
    "leads.at": "时间",
    "leads.who": "评分人",
  },
};

export function title() {
  return t("leads.title");
}

export async function render(main, { project }) {
  main.append(h("h1", {}, t("leads.title")));
  const sets = project.lead_sets || [];
  if (!sets.length) {
    main.append(h("p", { class: "note" }, t("leads.none_sets")));
    return;
  }
  const set = param("set", sets[0].name);
  const q = param("q", "");
  const offset = Math.max(0, parseInt(param("offset", "0"), 10) || 0);
  const path = `leads/${encodeURIComponent(set)}`;
  const [data, channels, editor] = await Promise.all([
    api(path, { q: q || null, limit: PAGE, offset }),
    api(`${path}/channels`),
    canEdit(),
  ]);
  const reasons = new Map(data.reasons.map((r) => [r.code, r]));
  const reasonText = (code) => (reasons.has(code) ? label(reasons.get(code)) : code || "—");

  const search = h("input", { type: "search", name: "q", value: q, placeholder: t("leads.search_hint"), maxlength: "200" });
  main.append(
    h(
      "div",
      { class: "controls" },
      h(
        "label",
        {},
        t("leads.set"),
        " ",
        select(
          sets.map((s) => [s.name, label(s)]),
          set,
          { name: "set", onchange: (e) => setParams({ set: e.target.value, q: null, offset: null }) },
        ),
      ),
      h(
        "form",
        {
          class: "inline lead-search",
          onsubmit: (e) => {
            e.preventDefault();
            setParams({ q: search.value.trim(), offset: null });
          },
        },
        h("label", {}, t("leads.search"), " ", search),
        h("button", { type: "submit" }, t("leads.go")),
        q ? h("button", { type: "button", class: "link", onclick: () => setParams({ q: null, offset: null }) }, t("leads.clear")) : null,
      ),
    ),
  );

  // marketing's feedback: the average rating of each channel's clean leads
  const fb = section(main, t("leads.by_channel"));
  const rows = channels.channels;
  const names = rows.map((c) => (c.channel === null ? t("leads.no_channel") : c.channel));
  chart(
    fb,
    {
      tooltip: { trigger: "axis", valueFormatter: (v) => fmt(v, "number", null, 2) },
      grid: { left: 40, right: 16, top: 16, bottom: 40 },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 20 : 0 } },
      yAxis: { type: "value", min: 0, max: 5, interval: 1 },
      series: [
        {
          name: t("leads.avg"),
          type: "bar",
          barMaxWidth: 64,
          data: rows.map((c) => c.avg_rating),
          label: { show: true, position: "top", formatter: (p) => (p.value === null ? "" : p.value.toFixed(2)) },
          itemStyle: { color: "#3b5bdb" },
        },
      ],
    },
    { height: 240, name: "rating-by-channel" },
  );
  fb.append(
    h("p", { class: "note" }, t("leads.by_channel_note", { accepted: channels.accepted })),
    h(
      "table",
      { class: "data channel-quality" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, t("leads.channel")),
          h("th", { class: "num" }, t("leads.leads")),
          h("th", { class: "num" }, t("leads.rated")),
          h("th", { class: "num" }, t("leads.avg")),
          h("th", { class: "num" }, t("leads.accepted")),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((c, i) =>
          h(
            "tr",
            { dataset: { channel: c.channel ?? "" } },
            h("td", {}, names[i]),
            h("td", { class: "num" }, fmt(c.leads, "integer")),
            h("td", { class: "num" }, fmt(c.rated, "integer")),
            h("td", { class: "num" }, fmt(c.avg_rating, "number", null, 2)),
            h("td", { class: "num" }, fmt(c.accepted_share, "percent")),
          ),
        ),
      ),
    ),
  );

  // the leads, with the rating controls for editors
  const list = section(main, t("leads.list"));
  if (!editor) list.append(h("p", { class: "note viewer-note" }, t("leads.viewer")));
  if (!data.leads.length) list.append(h("p", { class: "note" }, t("leads.nothing")));
  else {
    list.append(pager(data));
    list.append(h("div", { class: "scroll leads-scroll" }, leadTable(data, path, editor, reasonText)));
  }

  // the ratings in force (the ratings file's and the app's, latest per lead)
  const force = section(main, t("leads.in_force"));
  try {
    const ratings = (await api(`${path}/ratings`)).ratings;
    const perScore = [1, 2, 3, 4, 5].map((s) => ratings.filter((r) => r.score === s).length);
    chart(
      force,
      {
        tooltip: { trigger: "axis" },
        grid: { left: 48, right: 16, top: 16, bottom: 28 },
        xAxis: { type: "category", data: ["1", "2", "3", "4", "5"], name: t("leads.score") },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: t("leads.distribution"), type: "bar", data: perScore, itemStyle: { color: "#2e7d32" } }],
      },
      { height: 160, name: "ratings-per-score" },
    );
    const latest = [...ratings].sort((a, b) => String(b.rated_at || "").localeCompare(String(a.rated_at || ""))).slice(0, 10);
    force.append(
      h("p", { class: "note" }, t("leads.in_force_count", { n: ratings.length })),
      h(
        "table",
        { class: "data ratings-in-force" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", {}, t("leads.lead")), h("th", { class: "num" }, t("leads.score")), h("th", {}, t("leads.reason")), h("th", {}, t("leads.note_col")), h("th", {}, t("leads.who")), h("th", {}, t("leads.at"))),
        ),
        h(
          "tbody",
          {},
          latest.map((r) =>
            h(
              "tr",
              { dataset: { lead: r.lead } },
              h("td", {}, r.lead),
              h("td", { class: "num" }, String(r.score)),
              h("td", {}, reasonText(r.reason)),
              h("td", { class: "rating-note" }, r.note || ""),
              h("td", {}, r.rated_by || "—"),
              h("td", { class: "nowrap" }, r.rated_at ? String(r.rated_at).slice(0, 16).replace("T", " ") : "—"),
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    showError(force, err);
  }
}

function pager(data) {
  const last = Math.min(data.offset + data.leads.length, data.total);
  return h(
    "div",
    { class: "pager" },
    h(
      "button",
      { type: "button", dataset: { page: "prev" }, disabled: data.offset === 0, onclick: () => setParams({ offset: Math.max(0, data.offset - data.limit) || null }) },
      t("leads.prev"),
    ),
    h("span", { class: "note" }, t("leads.shown", { from: fmt(data.offset + 1, "integer"), to: fmt(last, "integer"), total: fmt(data.total, "integer") })),
    h(
      "button",
      { type: "button", dataset: { page: "next" }, disabled: last >= data.total, onclick: () => setParams({ offset: data.offset + data.limit }) },
      t("leads.next"),
    ),
  );
}

function leadTable(data, path, editor, reasonText) {
  return h(
    "table",
    { class: "data leads-table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", {}, t("leads.lead")),
        h("th", {}, t("leads.name")),
        h("th", {}, t("leads.campaign")),
        h("th", {}, t("leads.channel")),
        h("th", {}, t("leads.country")),
        h("th", {}, t("leads.created")),
        h("th", {}, t("leads.rating")),
        editor ? h("th", {}, t("leads.rate")) : null,
      ),
    ),
    h(
      "tbody",
      {},
      data.leads.map((l) =>
        h(
          "tr",
          { dataset: { lead: l.lead } },
          h("td", { class: "nowrap" }, l.lead),
          h("td", {}, l.name || "—"),
          h("td", {}, l.campaign || "—"),
          h("td", {}, l.channel || "—"),
          h("td", {}, l.country || "—"),
          h("td", { class: "nowrap" }, l.created_at ? l.created_at.slice(0, 16).replace("T", " ") : "—"),
          h(
            "td",
            { class: "current-rating" },
            l.rating === null
              ? h("span", { class: "note unrated" }, t("leads.unrated"))
              : [h("span", { class: `badge score-${l.rating}` }, `${l.rating}/5`), " ", reasonText(l.rating_reason), h("div", { class: "note" }, l.rated_by || "")],
          ),
          editor ? h("td", {}, rateForm(l, data, path)) : null,
        ),
      ),
    ),
  );
}

function rateForm(lead, data, path) {
  const score = select(
    [["", "–"], ...[5, 4, 3, 2, 1].map((s) => [String(s), String(s)])],
    lead.rating === null ? "" : String(lead.rating),
    { name: "score", "aria-label": t("leads.score"), required: true }, // the browser asks for it, not a 422
  );
  const reason = select(
    [["", t("leads.pick_reason")], ...data.reasons.map((r) => [r.code, label(r)])],
    lead.rating_reason || "",
    { name: "reason", "aria-label": t("leads.reason") },
  );
  const note = h("input", { type: "text", name: "note", maxlength: "500", placeholder: t("leads.note"), "aria-label": t("leads.note") });
  const problems = h("div", { class: "form-errors", "aria-live": "polite" });
  return h(
    "form",
    {
      class: "inline rate-form",
      onsubmit: async (e) => {
        e.preventDefault();
        problems.replaceChildren();
        const rating = { lead: lead.lead, score: Number(score.value) || 0, reason: reason.value, note: note.value.trim() || null };
        try {
          await post(`${path}/ratings`, { ratings: [rating] });
          setParams({}, { push: false });
        } catch (err) {
          showError(problems, err);
        }
      },
    },
    score,
    reason,
    note,
    h("button", { type: "submit" }, t("leads.save")),
    problems,
  );
}
