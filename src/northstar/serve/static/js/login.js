// The sign-in page (/login) of a server that needs tokens: the user pastes a token, POST
// /api/session checks it and sets it as an HttpOnly cookie, and the browser goes on to the page it
// was sent here from (?next=, a path on this server only). No data is shown here.
import { addWords, h, lang, param, post, setLang, showError, t } from "./core.js";

addWords({
  en: {
    "login.title": "Sign in",
    "login.intro": "This dashboard needs a token. Paste the token you were given (made with “northstar token create”).",
    "login.token": "Token",
    "login.submit": "Sign in",
    "login.empty": "Paste a token first.",
    language: "Language",
  },
  zh: {
    "login.title": "登录",
    "login.intro": "此仪表盘需要令牌。请粘贴您收到的令牌（由 “northstar token create” 生成）。",
    "login.token": "令牌",
    "login.submit": "登录",
    "login.empty": "请先粘贴令牌。",
    language: "语言",
  },
});

const main = document.getElementById("page");

/** Where to go after signing in: a path on this server (never another site), else the overview. */
function nextPath() {
  const next = param("next", "/");
  const local = next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\");
  return local ? next : "/";
}

function header() {
  const top = document.getElementById("top");
  top.replaceChildren(
    h("a", { class: "brand", href: "/login" }, "★ Northstar"),
    h("ul", { class: "nav" }),
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

async function draw() {
  document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
  document.title = `${t("login.title")} · Northstar`;
  header();
  main.replaceChildren();
  main.dataset.state = "loading";
  const card = h("section", { class: "card login" });
  main.append(h("h1", {}, t("login.title")), card);
  card.append(h("p", {}, t("login.intro")));
  const input = h("input", {
    type: "password",
    name: "token",
    id: "login-token",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    maxlength: "500",
    placeholder: "ns_…",
  });
  const problems = h("div", { class: "form-errors", "aria-live": "polite" });
  const button = h("button", { type: "submit" }, t("login.submit"));
  const form = h(
    "form",
    {
      class: "login-form",
      onsubmit: async (e) => {
        e.preventDefault();
        problems.replaceChildren();
        const token = input.value.trim();
        if (!token) {
          problems.append(h("div", { class: "error", role: "alert" }, t("login.empty")));
          return;
        }
        button.disabled = true;
        try {
          await post("session", { token });
          window.location.assign(nextPath());
        } catch (err) {
          showError(problems, err);
          button.disabled = false;
        }
      },
    },
    h("label", { for: "login-token" }, t("login.token")),
    " ",
    input,
    " ",
    button,
  );
  card.append(form, problems);
  main.dataset.state = "ready";
}

async function redraw() {
  try {
    await draw();
  } catch (err) {
    showError(main, err);
    main.dataset.state = "error";
  }
}

// sent here from a page the user had switched to a language (?next=/alerts?lang=zh): keep it
{
  const q = new URLSearchParams(window.location.search);
  const wanted = new URLSearchParams(nextPath().split("?")[1] || "").get("lang");
  if (!q.get("lang") && (wanted === "en" || wanted === "zh")) {
    q.set("lang", wanted);
    window.history.replaceState({}, "", `${window.location.pathname}?${q}`);
  }
}

window.addEventListener("northstar:navigate", redraw);
window.addEventListener("popstate", redraw);
redraw();
