// The dashboard's frame: header and navigation, the language switch, the shared filter bar, and
// the page module named by <main data-page>, redrawn whenever the URL's query changes.
import {
  addWords,
  disposeCharts,
  filters,
  h,
  label,
  lang,
  link,
  me,
  param,
  post,
  project,
  select,
  setLang,
  setParams,
  showError,
  t,
} from "./core.js";

const NAV = [
  ["overview", "/"],
  ["heatmap", "/heatmap"],
  ["funnels", "/funnels"],
  ["retention", "/retention"],
  ["explain", "/explain"],
  ["goals", "/goals"],
  ["alerts", "/alerts"],
  ["leads", "/leads"],
];

addWords({
  en: {
    "nav.overview": "Overview",
    "nav.metric": "KPI",
    "nav.heatmap": "Anomalies",
    "nav.funnels": "Funnels",
    "nav.retention": "Retention",
    "nav.explain": "Explain",
    "nav.goals": "Goals",
    "nav.alerts": "Alerts",
    "nav.leads": "Leads",
    "filter.from": "From",
    "filter.to": "To",
    "filter.grain": "Grain",
    "filter.add": "Add filter",
    "filter.dimension": "Dimension",
    "filter.value": "Value",
    "filter.remove": "Remove filter {what}",
    "filter.clear": "Clear",
    "filter.unused": "not used on this page",
    "grain.hour": "hour",
    "grain.day": "day",
    "grain.week": "week",
    "grain.month": "month",
    "grain.quarter": "quarter",
    "grain.year": "year",
    language: "Language",
    "account.logout": "Sign out",
    "role.viewer": "viewer",
    "role.editor": "editor",
  },
  zh: {
    "nav.overview": "总览",
    "nav.metric": "指标",
    "nav.heatmap": "异常",
    "nav.funnels": "漏斗",
    "nav.retention": "留存",
    "nav.explain": "归因",
    "nav.goals": "目标",
    "nav.alerts": "告警",
    "nav.leads": "线索",
    "filter.from": "开始",
    "filter.to": "结束",
    "filter.grain": "粒度",
    "filter.add": "添加筛选",
    "filter.dimension": "维度",
    "filter.value": "值",
    "filter.remove": "移除筛选 {what}",
    "filter.clear": "清除",
    "filter.unused": "本页不使用",
    "grain.hour": "小时",
    "grain.day": "日",
    "grain.week": "周",
    "grain.month": "月",
    "grain.quarter": "季度",
    "grain.year": "年",
    language: "语言",
    "account.logout": "退出登录",
    "role.viewer": "查看者",
    "role.editor": "编辑者",
  },
});

const main = document.getElementById("page");
const pageName = main.dataset.page;
const pageArg = main.dataset.arg || "";
let mod = null;

function header(proj) {
  const top = document.getElementById("top");
  top.replaceChildren();
  const active = pageName === "metric" ? "overview" : pageName;
  top.append(
    h("a", { class: "brand", href: link("/") }, "★ ", proj ? proj.name : "Northstar"),
    h(
      "ul",
      { class: "nav" },
      NAV.map(([name, path]) =>
        h("li", {}, h("a", { href: link(path), class: name === active ? "active" : null, dataset: { nav: name } }, t(`nav.${name}`))),
      ),
    ),
    h(
      "div",
      { class: "lang", role: "group", "aria-label": t("language") },
      ["en", "zh"].map((l) =>
        h(
          "button",
          { type: "button", class: l === lang() ? "active" : null, dataset: { lang: l }, onclick: () => setLang(l) },
          l === "en" ? "English" : "简体中文",
        ),
      ),
    ),
  );
}

function filterBar(proj, uses) {
  const bar = document.getElementById("filters");
  bar.replaceChildren();
  const off = (what) => !uses.includes(what);
  // "range" enables both dates; a page may use only one of them ("from" or "to")
  const offDate = (key) => off("range") && off(key);
  const unused = t("filter.unused");
  const dateInput = (key) =>
    h(
      "label",
      { class: offDate(key) ? "off" : null, title: offDate(key) ? unused : null },
      t(`filter.${key}`),
      " ",
      h("input", {
        type: "date",
        name: key,
        value: param(key, ""),
        disabled: offDate(key),
        onchange: (e) => setParams({ [key]: e.target.value }),
      }),
    );
  bar.append(dateInput("from"), dateInput("to"));
  // hour is offered only when the URL asks for it (the KPI page draws it; the select would otherwise
  // show "day" over an hourly chart)
  const grains = [...(param("grain") === "hour" ? ["hour"] : []), "day", "week", "month", "quarter", "year"].map((g) => [g, t(`grain.${g}`)]);
  bar.append(
    h(
      "label",
      { class: off("grain") ? "off" : null, title: off("grain") ? unused : null },
      t("filter.grain"),
      " ",
      select(grains, param("grain", mod && mod.defaultGrain ? mod.defaultGrain : "day"), {
        name: "grain",
        disabled: off("grain"),
        onchange: (e) => setParams({ grain: e.target.value }),
      }),
    ),
  );
  // dimension filters: chips, and a form to add one
  const dims = proj ? proj.dimensions : [];
  const current = filters();
  // a page that ignores the dimension filters shows them faded (kept in the URL for the next page),
  // so nobody reads its numbers as filtered
  const chips = h("span", { class: off("where") ? "chips off" : "chips", title: off("where") && current.length ? unused : null });
  current.forEach(([d, v], i) => {
    const dim = dims.find((x) => x.name === d);
    const what = `${dim ? label(dim) : d} = ${v}`;
    chips.append(
      h(
        "span",
        { class: "chip", dataset: { filter: `${d}:${v}` } },
        what,
        h(
          "button",
          {
            type: "button",
            "aria-label": t("filter.remove", { what }),
            onclick: () => setParams({ f: current.filter((_, j) => j !== i).map(([a, b]) => `${a}:${b}`) }),
          },
          "×",
        ),
      ),
    );
  });
  const dimSelect = select(
    dims.map((d) => [d.name, label(d)]),
    dims.length ? dims[0].name : "",
    { name: "dimension", "aria-label": t("filter.dimension"), disabled: off("where") },
  );
  const valueInput = h("input", {
    type: "text",
    name: "value",
    placeholder: t("filter.value"),
    "aria-label": t("filter.value"),
    disabled: off("where"),
    maxlength: "200",
  });
  const form = h(
    "form",
    {
      class: off("where") ? "filter-add off" : "filter-add",
      title: off("where") ? unused : null,
      onsubmit: (e) => {
        e.preventDefault();
        const v = valueInput.value.trim();
        if (!v || !dimSelect.value) return;
        setParams({ f: [...current.map(([a, b]) => `${a}:${b}`), `${dimSelect.value}:${v}`] });
      },
    },
    dimSelect,
    valueInput,
    h("button", { type: "submit", disabled: off("where") }, t("filter.add")),
  );
  bar.append(chips, form);
  if (current.length || param("from") || param("to")) {
    bar.append(
      h("button", { type: "button", class: "link", onclick: () => setParams({ f: [], from: null, to: null }) }, t("filter.clear")),
    );
  }
}

// a server that needs tokens: who is signed in, and a way out; a lost session goes to /login
async function account() {
  let who = null;
  try {
    who = await me();
  } catch (_) {
    return;
  }
  if (!who.token_required) return;
  const top = document.getElementById("top");
  if (top.querySelector(".account")) return;
  const logout = async () => {
    await post("session/logout", {});
    window.location.assign("/login");
  };
  top.insertBefore(
    h(
      "div",
      { class: "account" },
      h("span", { class: "who", dataset: { role: who.role } }, `${who.name} · ${t(`role.${who.role}`)}`),
      " ",
      h("button", { type: "button", class: "link", dataset: { action: "logout" }, onclick: logout }, t("account.logout")),
    ),
    top.querySelector(".lang"),
  );
}

function toLogin(err) {
  if (!err || err.status !== 401) return false;
  window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
  return true;
}

async function draw() {
  document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
  disposeCharts();
  main.replaceChildren(h("p", { class: "loading" }, t("Loading")));
  let proj = null;
  try {
    if (!mod) {
      mod = await import(`./pages/${pageName}.js`);
      if (mod.words) addWords(mod.words);
    }
    proj = await project();
  } catch (err) {
    if (toLogin(err)) return;
    header(null);
    main.replaceChildren();
    showError(main, err);
    return;
  }
  header(proj);
  await account();
  filterBar(proj, mod.uses || []);
  document.title = `${mod.title ? mod.title(pageArg, proj) : t(`nav.${pageName}`)} · ${proj.name} · Northstar`;
  main.replaceChildren();
  main.dataset.state = "loading";
  try {
    await mod.render(main, { project: proj, arg: pageArg });
    main.dataset.state = "ready";
  } catch (err) {
    showError(main, err);
    main.dataset.state = "error";
  }
}

window.addEventListener("northstar:navigate", draw);
window.addEventListener("popstate", draw);
draw();
