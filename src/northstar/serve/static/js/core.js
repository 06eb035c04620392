// What every page shares: the URL's filters, the language, the API client, DOM building
// (text only: nothing from the data or the user is ever parsed as HTML), charts and formats.
//
// A page module (static/js/pages/<name>.js) exports:
//   uses   — the shared filters it honours: any of "range" (from and to), "from", "to", "grain",
//            "where" (the others are shown disabled on that page);
//   words  — {en: {...}, zh: {...}}: its own words, looked up by t();
//   render(main, ctx) — draws the page into <main>; ctx = {project, arg}. Called again (after
//            main is emptied and its charts disposed) whenever the URL's query changes.

const WORDS = { en: {}, zh: {} };

export function addWords(words) {
  for (const lang of ["en", "zh"]) Object.assign(WORDS[lang], (words && words[lang]) || {});
}

// ---- the URL: shared filters and page parameters -------------------------------------------

/** The current query parameters (a fresh URLSearchParams). */
export function query() {
  return new URLSearchParams(window.location.search);
}

/** A page parameter (or a shared one: from, to, grain, lang). */
export function param(name, fallback = null) {
  const v = query().get(name);
  return v === null || v === "" ? fallback : v;
}

/** The dimension filters kept in the URL as f=dimension:value (repeated), in order. */
export function filters() {
  return query()
    .getAll("f")
    .map((f) => {
      const i = f.indexOf(":");
      return i > 0 ? [f.slice(0, i), f.slice(i + 1)] : null;
    })
    .filter(Boolean);
}

/** The API's `where` for the dimension filters: dim = 'value' joined by `and` (quotes doubled;
 *  the server parses it and accepts known columns only). Values of one dimension are or-ed. */
export function whereOf(fs = filters()) {
  const byDim = new Map();
  for (const [d, v] of fs) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(d)) continue;
    if (!byDim.has(d)) byDim.set(d, []);
    byDim.get(d).push(`'${v.replaceAll("'", "''")}'`);
  }
  const parts = [...byDim].map(([d, vs]) => (vs.length === 1 ? `${d} = ${vs[0]}` : `${d} in (${vs.join(", ")})`));
  return parts.length ? parts.join(" and ") : null;
}

const SHARED = ["from", "to", "grain", "f", "lang"];

/** Change the URL's query (null or "" removes a key; arrays repeat it) and redraw the page. */
export function setParams(changes, { push = true } = {}) {
  const q = query();
  for (const [k, v] of Object.entries(changes)) {
    q.delete(k);
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  }
  const url = `${window.location.pathname}${q.toString() ? `?${q}` : ""}`;
  if (push) window.history.pushState({}, "", url);
  else window.history.replaceState({}, "", url);
  window.dispatchEvent(new Event("northstar:navigate"));
}

/** A link to `path` keeping the shared filters (and the language), plus `extra` parameters. */
export function link(path, extra = {}) {
  const q = query();
  const out = new URLSearchParams();
  for (const k of SHARED) q.getAll(k).forEach((v) => out.append(k, v));
  for (const [k, v] of Object.entries(extra)) {
    out.delete(k);
    if (v !== null && v !== undefined && v !== "") out.set(k, String(v));
  }
  const s = out.toString();
  return s ? `${path}?${s}` : path;
}

// ---- language ------------------------------------------------------------------------------

/** en or zh: ?lang=, else the last choice (localStorage), else the browser's languages. */
export function lang() {
  const given = param("lang");
  if (given === "en" || given === "zh") return given;
  try {
    const kept = window.localStorage.getItem("northstar.lang");
    if (kept === "en" || kept === "zh") return kept;
  } catch (_) {
    /* storage may be off */
  }
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  for (const l of langs) {
    const low = String(l).toLowerCase();
    if (low.startsWith("zh")) return "zh";
    if (low.startsWith("en")) return "en";
  }
  return "en";
}

export function setLang(value) {
  try {
    window.localStorage.setItem("northstar.lang", value);
  } catch (_) {
    /* storage may be off */
  }
  setParams({ lang: value }, { push: false });
}

/** The word `key` in the page's language, with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const l = lang();
  const text = WORDS[l][key] ?? WORDS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** An API object's label in the page's language (label_zh / label), else its name. */
export function label(obj, fallback = "") {
  if (!obj) return fallback;
  if (lang() === "zh" && obj.label_zh) return obj.label_zh;
  return obj.label || obj.name || obj.metric || fallback;
}

/** The zh or en member of a pair such as (message, message_zh) or (notes, notes_zh). */
export function pick(obj, key) {
  if (!obj) return undefined;
  return lang() === "zh" && obj[`${key}_zh`] !== undefined && obj[`${key}_zh`] !== null ? obj[`${key}_zh`] : obj[key];
}

// ---- the API -------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super((lang() === "zh" && err.message_zh) || err.message || `HTTP ${status}`);
    this.status = status;
    this.code = err.code || "http_error";
    this.issues = err.issues || [];
  }
}

function queryString(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === null || v === undefined || v === "") continue;
    if (Array.isArray(v)) {
      if (v.length) q.set(k, v.join(","));
    } else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

async function answer(response) {
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** GET /api/<path> with query `params` (null and "" left out; arrays comma-joined). */
export async function api(path, params = {}) {
  const response = await fetch(`/api/${path}${queryString(params)}`, {
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  return answer(response);
}

/** POST JSON to /api/<path> (the server refuses writes that are not same-origin JSON). */
export async function post(path, body) {
  const response = await fetch(`/api/${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    credentials: "same-origin",
    body: JSON.stringify(body),
  });
  return answer(response);
}

let projectPromise = null;
/** /api/project, fetched once per page load. */
export function project() {
  if (!projectPromise) projectPromise = api("project");
  return projectPromise;
}

let mePromise = null;
/** /api/me — who is calling ({name, role, token_required}) — fetched once per page load. */
export function me() {
  if (!mePromise) mePromise = api("me");
  return mePromise;
}

/** Whether the caller may write targets, reviews and ratings (an editor; the server refuses
 *  viewers with 403 anyway — pages hide or disable those forms for them). */
export async function canEdit() {
  try {
    return (await me()).role === "editor";
  } catch (_) {
    return false;
  }
}

/** The project's metric `name` (from /api/project), or undefined. */
export function metricOf(proj, name) {
  return proj.metrics.find((m) => m.name === name);
}

// ---- DOM -----------------------------------------------------------------------------------

/** An element: h("a", {href, class: "x", onclick}, "text", child…). Children are nodes or text
 *  (set as text, never parsed as HTML); null/false children are skipped; arrays are flattened. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked" || k === "disabled" || k === "selected") el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A <select> of [value, text] options with `selected` chosen. */
export function select(options, selected, props = {}) {
  return h(
    "select",
    props,
    options.map(([v, text]) => h("option", { value: v, selected: String(v) === String(selected) }, text)),
  );
}

/** A message box in `container`: an API error (its code and message) or any error. */
export function showError(container, err) {
  const box = h(
    "div",
    { class: "error", role: "alert" },
    h("strong", {}, err && err.code ? `${t("Error")} (${err.code})` : t("Error")),
    " ",
    (err && err.message) || String(err),
  );
  if (err && err.issues && err.issues.length) {
    box.append(h("ul", {}, err.issues.map((i) => h("li", {}, (lang() === "zh" && i.message_zh) || i.message || JSON.stringify(i)))));
  }
  container.append(box);
  return box;
}

/** A section with a heading; returns its body element. */
export function section(container, title, props = {}) {
  const body = h("div", { class: "section-body" });
  container.append(h("section", { class: "card", ...props }, h("h2", {}, title), body));
  return body;
}

// ---- charts --------------------------------------------------------------------------------

const charts = new Set();

/** An ECharts chart in a new element appended to `container`; `data-chart` becomes "ready" once
 *  it has drawn (the browser tests wait for it). Charts resize with the window. */
export function chart(container, option, { height = 320, name = "" } = {}) {
  const el = h("div", { class: "chart", style: { height: `${height}px` }, dataset: { chart: "pending", name } });
  container.append(el);
  const c = window.echarts.init(el, null, { renderer: "canvas" });
  c.on("finished", () => {
    el.dataset.chart = "ready";
  });
  c.setOption({ animation: false, ...option });
  charts.add(c);
  return c;
}

export function disposeCharts() {
  for (const c of charts) c.dispose();
  charts.clear();
}

window.addEventListener("resize", () => {
  for (const c of charts) c.resize();
});

// ---- numbers and dates ---------------------------------------------------------------------

/** A metric's value as text by its format (number, integer, percent, currency, duration). */
export function fmt(value, format = "number", unit = null, decimals = null) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  const locale = lang() === "zh" ? "zh-CN" : "en-US";
  const n = (x, d) => x.toLocaleString(locale, { maximumFractionDigits: d, minimumFractionDigits: 0 });
  switch (format) {
    case "percent":
      return `${n(value * 100, decimals ?? 1)}%`;
    case "integer":
      return n(Math.round(value), 0);
    case "currency":
      return `${unit ? `${unit} ` : ""}${n(value, decimals ?? 2)}`;
    case "duration":
      if (lang() === "zh") {
        return value >= 86400 ? `${n(value / 86400, 1)} 天` : value >= 3600 ? `${n(value / 3600, 1)} 小时` : value >= 60 ? `${n(value / 60, 1)} 分钟` : `${n(value, 1)} 秒`;
      }
      return value >= 86400 ? `${n(value / 86400, 1)} d` : value >= 3600 ? `${n(value / 3600, 1)} h` : value >= 60 ? `${n(value / 60, 1)} min` : `${n(value, 1)} s`;
    default: {
      const abs = Math.abs(value);
      const text = n(value, decimals ?? (abs >= 100 ? 0 : abs >= 1 ? 2 : 4));
      return unit ? `${text} ${unit}` : text;
    }
  }
}

/** A fractional change as a signed percentage (+12.3%). */
export function pct(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  const s = (value * 100).toFixed(1);
  return `${value > 0 ? "+" : ""}${s}%`;
}

/** The status of a value against its bands, as words and a CSS class. */
export function statusBadge(status) {
  return h("span", { class: `badge status-${status || "none"}` }, t(`status.${status || "no_target"}`));
}

addWords({
  en: {
    Error: "Error",
    Loading: "Loading…",
    "status.below_floor": "below floor",
    "status.below_target": "below target",
    "status.on_target": "on target",
    "status.stretch": "stretch reached",
    "status.no_target": "no target",
    "status.no_data": "no data",
    "status.provisional": "provisional",
    "status.filtered": "filtered: targets are for the whole business",
    "band.floor": "floor",
    "band.target": "target",
    "band.stretch": "stretch",
    "trend.provisional": "Hollow grey points are provisional: the window of a repeat rate or conversion is still open, so the value will still rise.",
  },
  zh: {
    Error: "错误",
    Loading: "加载中…",
    "status.below_floor": "低于底线",
    "status.below_target": "低于目标",
    "status.on_target": "达到目标",
    "status.stretch": "达到挑战目标",
    "status.no_target": "无目标",
    "status.no_data": "无数据",
    "status.provisional": "暂定",
    "status.filtered": "已筛选：目标针对整体业务",
    "band.floor": "底线",
    "band.target": "目标",
    "band.stretch": "挑战",
    "trend.provisional": "空心灰点为暂定值：复购率或转化率的观察窗口尚未结束，数值还会上升。",
  },
});
