// The awareness drill (issue 14) on the chat page and in the widget's frame, and the printable
// certificate page. The bot plays a scammer from the library's own scripts (POST /api/drill); the
// citizen answers, asks, goes along or hangs up, and reads a debrief. Everything is practice: the
// striped banner stays on top, every message carries the server's practice prefix, nothing here is
// laid out like a verdict, and nothing is ever posted to the host page (no verdict event).
// Results are kept only in this browser (localStorage); the server stores nothing.
// As in chat.js, every text is inserted with textContent / createElement, never as HTML.
(function () {
  "use strict";

  const STORAGE_RESULTS = "antifraud.drillResults";
  const STORAGE_SCRIPT = "antifraud.drillScript";
  const MAX_RESULTS = 200;
  const REQUEST_TIMEOUT_MS = 30000;
  const body = document.body;

  function parseJson(text) {
    try {
      const value = JSON.parse(text || "{}");
      return value && typeof value === "object" ? value : {};
    } catch (error) {
      return {};
    }
  }

  const config = parseJson(body.dataset.drill);
  if (!config.words || !Object.keys(config.words).length) return;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  function text(value) {
    return typeof value === "string" ? value : "";
  }

  function loadResults() {
    try {
      const value = JSON.parse(window.localStorage.getItem(STORAGE_RESULTS) || "[]");
      return Array.isArray(value) ? value.filter((item) => item && typeof item === "object") : [];
    } catch (error) {
      return [];
    }
  }

  function saveResult(result) {
    try {
      const results = loadResults();
      results.push(result);
      window.localStorage.setItem(STORAGE_RESULTS, JSON.stringify(results.slice(-MAX_RESULTS)));
    } catch (error) {
      // Storage blocked: the drill still works, only the record is not kept.
    }
  }

  // Best result per scam type, in the order first practised.
  function bestByType(results) {
    const best = new Map();
    for (const item of results) {
      const type = text(item.type);
      if (!type) continue;
      const score = Number.isInteger(item.score) ? item.score : -1;
      const known = best.get(type);
      if (!known || score > known.score) best.set(type, { ...item, score, count: (known ? known.count : 0) + 1 });
      else known.count += 1;
    }
    return [...best.values()];
  }

  function scoreText(words, score) {
    return score >= 0 ? words.score.replace("{score}", String(score)) : words.no_score;
  }

  // --- the printable certificate ---------------------------------------------------------------

  const certificate = document.getElementById("certificate");
  if (certificate) {
    const words = config.words[body.dataset.wordsKey] || config.words[body.dataset.lang] || {};
    const holder = document.getElementById("certificate-results");
    const rows = bestByType(loadResults());
    if (rows.length) {
      const table = el(
        "table",
        { class: "certificate-table" },
        el(
          "thead",
          null,
          el("tr", null, el("th", { scope: "col" }, words.type_heading), el("th", { scope: "col" }, words.best)),
        ),
        el(
          "tbody",
          null,
          ...rows.map((row) =>
            el(
              "tr",
              null,
              el("td", null, text(row.name) || text(row.type)),
              el("td", null, scoreText(words, row.score) + " · " + (words["outcome_" + row.outcome] || "")),
            ),
          ),
        ),
      );
      holder.replaceChildren(table);
    }
    document.getElementById("certificate-date").textContent = new Date().toLocaleDateString(
      document.documentElement.lang || undefined,
    );
    document.getElementById("certificate-print").addEventListener("click", () => window.print());
    return;
  }

  // --- the drill in the chat page / widget frame -----------------------------------------------

  const panel = document.getElementById("drill");
  const openButton = document.getElementById("drill-open");
  if (!panel || !openButton) return;
  const picker = document.getElementById("drill-picker");
  const play = document.getElementById("drill-play");
  const log = document.getElementById("drill-log");
  const controls = document.getElementById("drill-controls");
  const after = document.getElementById("drill-after");
  const doubtsBox = document.getElementById("drill-doubts");
  const typesList = document.getElementById("drill-types");
  const progress = document.getElementById("drill-progress");
  const scriptBox = document.getElementById("drill-script");
  const form = document.getElementById("drill-form");
  const input = document.getElementById("drill-input");
  const title = document.getElementById("drill-title");
  const chatStrings = parseJson(body.dataset.strings);
  const police = parseJson(body.dataset.police);

  let script = config.script === "hant" ? "hant" : "hans";
  try {
    const saved = window.localStorage.getItem(STORAGE_SCRIPT);
    if (saved === "hans" || saved === "hant") script = saved;
  } catch (error) {
    // keep the region's
  }
  let state = null;
  let pending = false;
  let running = false;

  function lang() {
    return body.dataset.lang === "en" ? "en" : "zh";
  }

  function key() {
    return lang() === "zh" && script === "hant" && config.words["zh-hant"] ? "zh-hant" : lang();
  }

  function words() {
    return config.words[key()] || config.words[lang()] || {};
  }

  function applyWords() {
    const w = words();
    for (const node of panel.querySelectorAll("[data-drill-word]")) {
      const value = w[node.dataset.drillWord];
      if (typeof value === "string") node.textContent = value;
    }
    openButton.textContent = w.start || openButton.textContent;
    doubtsBox.setAttribute("aria-label", w.doubts_label || "");
    scriptBox.hidden = lang() !== "zh" || running;
    for (const button of scriptBox.querySelectorAll("button")) {
      button.setAttribute("aria-pressed", button.dataset.script === script ? "true" : "false");
    }
    const certificateUrl = config.certificate + "?lang=" + lang() + (key() === "zh-hant" ? "&script=hant" : "");
    for (const link of panel.querySelectorAll("#drill-certificate, #drill-certificate-after")) {
      link.href = certificateUrl;
    }
    renderTypes();
    renderProgress();
  }

  function renderTypes() {
    const w = words();
    const types = Array.isArray(config.types[key()]) ? config.types[key()] : [];
    const items = types.map((type) => {
      const button = el("button", { type: "button", class: "drill-type", "data-type": type.id }, text(type.name));
      button.addEventListener("click", () => start(type.id));
      return el("li", null, button);
    });
    const surprise = el("button", { type: "button", class: "drill-type drill-surprise", "data-type": "surprise" }, w.surprise);
    surprise.addEventListener("click", () => start("surprise"));
    typesList.replaceChildren(el("li", { class: "drill-surprise-item" }, surprise), ...items);
  }

  function renderProgress() {
    const w = words();
    const rows = bestByType(loadResults());
    if (!rows.length) {
      progress.replaceChildren(el("p", { class: "drill-progress-empty" }, w.progress_empty));
      return;
    }
    progress.replaceChildren(
      el(
        "ul",
        { class: "drill-progress-list" },
        ...rows.map((row) =>
          el(
            "li",
            null,
            el("span", { class: "drill-progress-name" }, text(row.name) || text(row.type)),
            " · ",
            el("span", null, w.best + ": " + scoreText(w, row.score)),
          ),
        ),
      ),
    );
  }

  function setOpen(open) {
    body.classList.toggle("drill-mode", open);
    panel.hidden = !open;
    openButton.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      showPicker();
      title.focus({ preventScroll: false });
    } else {
      running = false;
      state = null;
      openButton.focus();
    }
  }

  function showPicker() {
    running = false;
    state = null;
    picker.hidden = false;
    play.hidden = true;
    log.replaceChildren();
    applyWords();
  }

  // A message as the server wrote it; its practice prefix is shown in bold, never left out.
  function message(item, extraClass) {
    const speaker = item.speaker === "scammer" ? "scammer" : "coach";
    const w = words();
    const prefix = text(speaker === "scammer" ? w.prefix_scammer : w.prefix_coach);
    const full = text(item.text);
    const node = el("article", { class: "drill-msg drill-" + speaker + (extraClass ? " " + extraClass : ""), tabindex: "-1" });
    const paragraph = el("p", null);
    if (prefix && full.startsWith(prefix)) {
      paragraph.append(el("strong", { class: "drill-prefix" }, prefix), full.slice(prefix.length));
    } else {
      paragraph.append(full);
    }
    node.append(paragraph);
    return node;
  }

  function section(heading, ...content) {
    return el("section", { class: "drill-section" }, el("h4", null, heading), ...content);
  }

  function list(tag, items) {
    return el(tag, null, ...items.map((item) => el("li", null, item)));
  }

  function renderDebrief(debrief) {
    const w = words();
    const card = el("article", { class: "drill-msg drill-debrief", tabindex: "-1", "aria-labelledby": "drill-debrief-title" });
    card.append(el("h3", { id: "drill-debrief-title", class: "drill-debrief-title" }, w.prefix_coach));
    const outcome = ["spotted", "complied", "abandoned"].includes(debrief.outcome) ? debrief.outcome : "abandoned";
    card.classList.add("drill-outcome-" + outcome);
    const score = Number.isInteger(debrief.score) ? debrief.score : -1;
    card.append(
      el(
        "p",
        { class: "drill-score" },
        el("span", { class: "drill-score-badge" }, w["outcome_" + outcome] || outcome),
        " ",
        scoreText(w, score),
      ),
    );
    for (const line of Array.isArray(debrief.summary) ? debrief.summary : []) card.append(el("p", null, text(line)));
    card.append(
      el(
        "p",
        { class: "drill-stage" },
        w.stage_reached
          .replace("{stage}", text(debrief.stage_name))
          .replace("{index}", String(debrief.stage_index))
          .replace("{total}", String(debrief.stages)),
      ),
    );
    card.append(section(w.type_heading, el("p", null, el("strong", null, text(debrief.scam_type_name))), el("p", null, text(debrief.scam_type_summary))));
    const signs = Array.isArray(debrief.signs) ? debrief.signs : [];
    if (signs.length) {
      card.append(
        section(
          w.signs_heading,
          el(
            "ol",
            { class: "drill-signs" },
            ...signs.map((sign) =>
              el(
                "li",
                null,
                el("p", { class: "drill-when" }, w.step.replace("{turn}", String(sign.turn)).replace("{stage}", text(sign.stage_name))),
                el("p", null, el("span", { class: "drill-label" }, w.said_label + ": "), el("q", null, text(sign.said))),
                ...(Array.isArray(sign.why) ? sign.why : []).map((why) => el("p", { class: "drill-why" }, text(why))),
              ),
            ),
          ),
        ),
      );
    }
    const rebuttals = Array.isArray(debrief.rebuttals) ? debrief.rebuttals : [];
    if (rebuttals.length) {
      card.append(
        section(
          w.rebuttals_heading,
          el(
            "ul",
            { class: "drill-rebuttals" },
            ...rebuttals.map((item) =>
              el(
                "li",
                null,
                el("p", null, el("span", { class: "drill-label" }, w.you_asked + ": "), text(item.doubt)),
                el("p", null, el("span", { class: "drill-label" }, w.they_said + ": "), el("q", null, text(item.answer))),
                el("p", { class: "drill-truth" }, el("span", { class: "drill-label" }, w.truth_label + ": "), text(item.truth)),
              ),
            ),
          ),
        ),
      );
    }
    if (text(debrief.next_step)) card.append(section(w.next_heading, el("p", null, debrief.next_step)));
    const advice = (Array.isArray(debrief.advice) ? debrief.advice : []).map(text).filter(Boolean);
    if (advice.length) card.append(section(w.advice_heading, list("ol", advice)));
    const afterAdvice = (Array.isArray(debrief.after) ? debrief.after : []).map(text).filter(Boolean);
    if (afterAdvice.length) card.append(section(w.after_heading, list("ul", afterAdvice)));
    const hotlines = Array.isArray(debrief.hotlines) ? debrief.hotlines : [];
    if (hotlines.length) {
      card.append(
        section(
          w.hotlines_heading,
          el(
            "ul",
            { class: "drill-hotlines" },
            ...hotlines.map((line) => {
              const number = text(line.number);
              // Only the region's official numbers reach here; they may be called.
              const target = /^\+?[0-9][0-9 -]{1,20}$/.test(number) ? "tel:" + number.replace(/[ -]/g, "") : null;
              return el(
                "li",
                null,
                el("span", null, text(line.name) + " "),
                target ? el("a", { href: target, class: "drill-hotline" }, number) : el("strong", null, number),
              );
            }),
          ),
        ),
      );
    }
    const typeSigns = (Array.isArray(debrief.type_signs) ? debrief.type_signs : []).map(text).filter(Boolean);
    if (typeSigns.length) {
      card.append(el("details", { class: "drill-section" }, el("summary", null, w.type_signs_heading), list("ul", typeSigns)));
    }
    return card;
  }

  function renderDoubts(doubts) {
    const buttons = (Array.isArray(doubts) ? doubts : [])
      .filter((item) => item && typeof item.id === "string" && typeof item.text === "string")
      .map((item) => {
        const button = el("button", { type: "button", class: "drill-doubt" }, item.text);
        button.addEventListener("click", () => act({ action: "doubt", doubt: item.id }, item.text));
        return button;
      });
    doubtsBox.replaceChildren(...buttons);
    doubtsBox.hidden = buttons.length === 0;
  }

  // The newest message just below the sticky practice strip (in the frame, the drill scrolls itself).
  function scrollToEnd(node) {
    const strip = document.getElementById("drill-banner").offsetHeight + 12;
    const scroller = body.classList.contains("layout-embed") ? document.getElementById("main") : null;
    if (scroller && scroller.scrollHeight > scroller.clientHeight) {
      const top = scroller.scrollTop + node.getBoundingClientRect().top - scroller.getBoundingClientRect().top - strip;
      scroller.scrollTop = Math.max(0, top);
    } else {
      const top = node.getBoundingClientRect().top + window.scrollY - strip;
      window.scrollTo({ top: Math.max(0, top) });
    }
  }

  async function api(payload) {
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(config.api, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(payload),
        credentials: "same-origin",
        signal: controller.signal,
      });
      const data = await response.json().catch(() => null);
      if (!response.ok || !data || data.kind !== "drill" || data.practice !== true) throw { status: response.status };
      return data;
    } finally {
      window.clearTimeout(timer);
    }
  }

  function showError(error) {
    const table = chatStrings[lang()] || {};
    const number = typeof police[lang()] === "string" ? police[lang()] : "";
    let line = text(error && error.status ? table.error_generic : table.error_network) || "…";
    if (number) line = line.split("{police}").join(number);
    else line = line.replace(/[^.!?。！？]*\{police\}[^.!?。！？]*[.!?。！？]?/g, "").trim();
    log.append(el("p", { class: "drill-error", role: "alert" }, line));
  }

  function setBusy(busy) {
    pending = busy;
    controls.classList.toggle("is-busy", busy);
    for (const button of controls.querySelectorAll("button")) button.disabled = busy;
  }

  function show(data, focusTarget) {
    state = typeof data.state === "string" ? data.state : null;
    let last = null;
    for (const item of Array.isArray(data.messages) ? data.messages : []) {
      last = message(item);
      log.append(last);
    }
    if (data.done && data.debrief && typeof data.debrief === "object") {
      const card = renderDebrief(data.debrief);
      log.append(card);
      last = card;
      finish(data.debrief);
    } else {
      renderDoubts(data.doubts);
    }
    if (last) {
      scrollToEnd(last);
      if (focusTarget !== input || data.done) last.focus({ preventScroll: true });
    }
  }

  function finish(debrief) {
    running = false;
    state = null;
    controls.hidden = true;
    after.hidden = false;
    saveResult({
      type: text(debrief.scam_type),
      name: text(debrief.scam_type_name),
      outcome: text(debrief.outcome),
      score: Number.isInteger(debrief.score) ? debrief.score : null,
      stage: debrief.stage_index,
      stages: debrief.stages,
      date: new Date().toISOString().slice(0, 10),
    });
    renderProgress();
  }

  async function start(type) {
    if (pending) return;
    running = true;
    picker.hidden = true;
    play.hidden = false;
    controls.hidden = false;
    after.hidden = true;
    scriptBox.hidden = true;
    log.replaceChildren();
    doubtsBox.replaceChildren();
    setBusy(true);
    try {
      const payload = { action: "start", scam_type: type, lang: lang() };
      if (lang() === "zh") payload.script = script;
      if (body.dataset.region) payload.region = body.dataset.region;
      show(await api(payload));
    } catch (error) {
      showError(error);
    } finally {
      setBusy(false);
    }
  }

  async function act(payload, said) {
    if (pending || !state) return;
    const focusTarget = document.activeElement;
    if (said) log.append(el("article", { class: "drill-msg drill-user" }, el("p", null, said)));
    setBusy(true);
    try {
      show(await api({ ...payload, state }), focusTarget);
    } catch (error) {
      showError(error);
    } finally {
      setBusy(false);
      if (focusTarget === input && !controls.hidden) input.focus();
    }
  }

  openButton.addEventListener("click", () => setOpen(panel.hidden));
  document.getElementById("drill-exit").addEventListener("click", () => setOpen(false));
  document.getElementById("drill-hangup").addEventListener("click", () => act({ action: "hang_up" }, words().hang_up));
  document.getElementById("drill-along").addEventListener("click", () => act({ action: "go_along" }, words().go_along));
  document.getElementById("drill-stop").addEventListener("click", () => act({ action: "abandon" }, null));
  document.getElementById("drill-again").addEventListener("click", () => {
    showPicker();
    title.focus();
  });
  document.getElementById("drill-clear").addEventListener("click", () => {
    try {
      window.localStorage.removeItem(STORAGE_RESULTS);
    } catch (error) {
      // nothing kept anyway
    }
    renderProgress();
  });
  for (const button of scriptBox.querySelectorAll("button")) {
    button.addEventListener("click", () => {
      script = button.dataset.script === "hant" ? "hant" : "hans";
      try {
        window.localStorage.setItem(STORAGE_SCRIPT, script);
      } catch (error) {
        // the choice lasts for this visit
      }
      applyWords();
    });
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = input.value.trim();
    if (!value || pending) return;
    input.value = "";
    act({ action: "say", message: value }, value);
  });

  // chat.js switches the page language by changing <body data-lang>: follow it.
  new MutationObserver(() => applyWords()).observe(body, { attributes: true, attributeFilter: ["data-lang"] });

  applyWords();
  // The widget's drill option (data-drill) opens the frame straight into the drill.
  if (new URLSearchParams(window.location.search).get("drill") === "1") setOpen(true);
})();
