// The chat page and the page the widget frames: sends the citizen's message to /api/chat and draws
// the verdict. Every piece of text, the citizen's and the server's, is inserted with createElement /
// textContent and never as HTML, so a message containing markup is only ever shown as text, and
// nothing from a suspicious message (a link, a phone number) is ever made clickable.
(function () {
  "use strict";

  const LANGS = ["zh", "en"];
  const LANG_TAGS = { zh: "zh-Hans", en: "en" };
  const RISKS = ["high", "medium", "low", "none"];
  const RISK_ICONS = { high: "!", medium: "!", low: "?", none: "i" }; // a shape as well as a colour
  const STORAGE_TEXT = "antifraud.textSize";
  const STORAGE_LANG = "antifraud.lang";
  const REQUEST_TIMEOUT_MS = 30000;
  const MAX_REASONS_PER_MARK = 2; // enough to explain a highlight without burying it

  const body = document.body;
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const sendButton = document.getElementById("send");
  const statusLine = document.getElementById("status");
  const announcer = document.getElementById("announcer");
  const langButton = document.getElementById("lang-switch");
  const textButton = document.getElementById("text-size");

  const config = {
    api: body.dataset.api || "/api/chat",
    strings: parseJson(body.dataset.strings),
    scamNames: parseJson(body.dataset.scamNames),
    police: parseJson(body.dataset.police),
    callFirst: parseJson(body.dataset.callFirst),
    callTel: body.dataset.callTel || "",
    parentOrigin: body.dataset.parentOrigin || "",
    region: body.dataset.region || "",
    maxChars: Number(body.dataset.maxChars) || 5000,
  };
  // Inside the widget's iframe we talk to the parent page, and only to the exact origin it named.
  const framed = body.dataset.embed === "true" && config.parentOrigin !== "" && window.parent !== window;

  let lang = LANGS.includes(body.dataset.lang) ? body.dataset.lang : "zh";
  let sessionId = null;
  let pending = false;
  let replyCount = 0;

  // --- small helpers ------------------------------------------------------------------------

  function parseJson(text) {
    try {
      const value = JSON.parse(text || "{}");
      return value && typeof value === "object" ? value : {};
    } catch (error) {
      return {};
    }
  }

  function t(key, language, vars) {
    const table = config.strings[language || lang] || {};
    let text = typeof table[key] === "string" ? table[key] : key;
    for (const [name, value] of Object.entries(vars || {})) {
      if (!value) {
        // The region has no such fact: the sentence that needs it is left out, never filled.
        const sentences = text.match(/[^.!?。！？]+[.!?。！？]*\s*/g) || [text];
        text = sentences.filter((part) => !part.includes("{" + name + "}")).join("").trim();
      }
      text = text.split("{" + name + "}").join(value || "");
    }
    return text;
  }

  function policeNumber(language) {
    const value = config.police[language || lang];
    return typeof value === "string" ? value : ""; // no number stands in for one the region lacks
  }

  // Build an element; children are strings (inserted as text nodes, never parsed) or nodes.
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

  function strings(list) {
    return Array.isArray(list) ? list.filter((item) => typeof item === "string" && item.trim() !== "") : [];
  }

  function setStatus(text) {
    statusLine.textContent = text;
  }

  // Clearing first makes screen readers announce a reply even when it repeats the last one.
  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(() => {
      announcer.textContent = text;
    }, 50);
  }

  function reducedMotion() {
    return window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  // Scroll by hand rather than with scrollIntoView, which inside the widget's iframe could also
  // scroll the host page. In the frame the conversation scrolls by itself; on the page, the window.
  // `above` pixels of what precedes the node stay in view (the citizen's marked message over its verdict).
  function scrollToShow(node, above) {
    const behavior = reducedMotion() ? "auto" : "smooth";
    const margin = (above || 0) + 8;
    if (log.scrollHeight > log.clientHeight && getComputedStyle(log).overflowY === "auto") {
      const top = log.scrollTop + node.getBoundingClientRect().top - log.getBoundingClientRect().top - margin;
      log.scrollTo({ top: Math.max(0, top), behavior });
    } else {
      const top = node.getBoundingClientRect().top + window.scrollY - margin;
      window.scrollTo({ top: Math.max(0, top), behavior });
    }
  }

  function viewHeight() {
    return getComputedStyle(log).overflowY === "auto" ? log.clientHeight : window.innerHeight;
  }

  function postToParent(message) {
    if (framed) window.parent.postMessage(message, config.parentOrigin);
  }

  // --- language and text size ---------------------------------------------------------------

  function applyLang(next) {
    lang = next;
    body.dataset.lang = next;
    document.documentElement.lang = LANG_TAGS[next];
    document.title = t("title");
    for (const node of document.querySelectorAll("[data-i18n]")) {
      node.textContent = t(node.dataset.i18n);
    }
    for (const node of document.querySelectorAll("[data-i18n-aria-label]")) {
      node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
    }
    const key = next === "zh" ? "textZh" : "textEn";
    for (const node of document.querySelectorAll("[data-text-zh]")) {
      if (typeof node.dataset[key] === "string") node.textContent = node.dataset[key];
    }
    langButton.lang = LANG_TAGS[next === "zh" ? "en" : "zh"];
  }

  function switchLang() {
    const next = lang === "zh" ? "en" : "zh";
    applyLang(next);
    try {
      window.localStorage.setItem(STORAGE_LANG, next);
    } catch (error) {
      // Storage blocked: the choice lasts until the page is closed.
    }
    // Keep the choice in the address too, so reloading or sharing the link keeps the language.
    const url = new URL(window.location.href);
    url.searchParams.set("lang", next);
    window.history.replaceState(null, "", url);
  }

  function setLargeText(on) {
    document.documentElement.classList.toggle("text-large", on);
    textButton.setAttribute("aria-pressed", on ? "true" : "false");
    try {
      if (on) window.localStorage.setItem(STORAGE_TEXT, "large");
      else window.localStorage.removeItem(STORAGE_TEXT);
    } catch (error) {
      // Storage blocked: the size still changes for this visit.
    }
  }

  // --- the citizen's message, with evidence marked -------------------------------------------

  // Server spans count Unicode code points (Python); JS strings count UTF-16 units, which differ
  // for emoji. Working on Array.from(text), one entry per code point, uses the server's numbers as is.
  function locate(span, expected, points, text) {
    if (Array.isArray(span) && span.length === 2) {
      const [start, end] = span;
      if (Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= points.length) {
        const slice = points.slice(start, end).join("");
        if (typeof expected !== "string" || expected === "" || slice === expected) return [start, end];
      }
    }
    // The span does not fit the text we sent (should not happen): fall back to finding the words.
    if (typeof expected === "string" && expected !== "") {
      const at = text.indexOf(expected);
      if (at >= 0) {
        const start = Array.from(text.slice(0, at)).length;
        return [start, start + Array.from(expected).length];
      }
    }
    return null;
  }

  function locateIndicators(indicators, points, text) {
    const found = [];
    for (const item of Array.isArray(indicators) ? indicators : []) {
      if (!item || typeof item !== "object") continue;
      const span = locate(item.span, item.text, points, text);
      const shown = typeof item.defanged === "string" && item.defanged ? item.defanged : item.text;
      if (span && typeof shown === "string") found.push({ start: span[0], end: span[1], shown });
    }
    found.sort((a, b) => a.start - b.start);
    // Overlapping indicators cannot both replace the same characters: keep the first.
    return found.filter((item, index) => index === 0 || item.start >= found[index - 1].end);
  }

  function mergeOverlapping(groups) {
    groups.sort((a, b) => a.start - b.start || b.end - a.end);
    const merged = [];
    for (const group of groups) {
      const last = merged[merged.length - 1];
      if (last && group.start < last.end) {
        last.end = Math.max(last.end, group.end);
        last.reasons.push(...group.reasons);
      } else {
        merged.push(group);
      }
    }
    return merged;
  }

  // Evidence often overlaps ("转到安全账户" and "安全账户"): overlapping pieces become one numbered
  // mark that lists every distinct reason, strongest first (the server sends evidence by weight).
  function groupEvidence(evidence, points, text, indicators) {
    let groups = [];
    const unplaced = [];
    (Array.isArray(evidence) ? evidence : []).forEach((item, order) => {
      if (!item || typeof item.why !== "string" || item.why.trim() === "") return;
      const span = locate(item.span, item.text, points, text);
      const reason = { why: item.why, order };
      if (span) groups.push({ start: span[0], end: span[1], reasons: [reason] });
      else unplaced.push(reason);
    });
    groups = mergeOverlapping(groups);
    // A mark never cuts through a link or number, which is shown defanged as one piece.
    for (const group of groups) {
      for (const indicator of indicators) {
        if (indicator.start < group.end && group.start < indicator.end) {
          group.start = Math.min(group.start, indicator.start);
          group.end = Math.max(group.end, indicator.end);
        }
      }
    }
    groups = mergeOverlapping(groups);
    const seen = new Set();
    for (const group of groups) {
      group.reasons.sort((a, b) => a.order - b.order);
      group.whys = [];
      for (const reason of group.reasons) {
        if (!seen.has(reason.why) && group.whys.length < MAX_REASONS_PER_MARK) group.whys.push(reason.why);
        seen.add(reason.why);
      }
    }
    const others = [];
    for (const reason of unplaced) {
      if (!seen.has(reason.why)) others.push(reason.why);
      seen.add(reason.why);
    }
    return { groups: groups.filter((group) => group.whys.length > 0), others };
  }

  // Text between two offsets, with every link or number replaced by its defanged, plain-text form.
  function appendPlain(parent, points, from, to, indicators) {
    let position = from;
    for (const indicator of indicators) {
      if (indicator.start < from || indicator.end > to) continue;
      if (indicator.start > position) parent.append(points.slice(position, indicator.start).join(""));
      parent.append(el("span", { class: "defanged" }, indicator.shown));
      position = indicator.end;
    }
    if (position < to) parent.append(points.slice(position, to).join(""));
  }

  function renderMarked(parent, points, groups, indicators) {
    parent.replaceChildren();
    let position = 0;
    groups.forEach((group, index) => {
      appendPlain(parent, points, position, group.start, indicators);
      const mark = el("mark", { class: "evidence-mark" });
      appendPlain(mark, points, group.start, group.end, indicators);
      mark.append(el("span", { class: "mark-number" }, String(index + 1)));
      parent.append(mark);
      position = group.end;
    });
    appendPlain(parent, points, position, points.length, indicators);
  }

  // --- conversation -------------------------------------------------------------------------

  function addUserMessage(text) {
    const textNode = el("p", { class: "user-text" }, text);
    const article = el("article", { class: "msg msg-user" }, el("p", { class: "visually-hidden" }, t("you")), textNode);
    log.append(article);
    return { article, textNode };
  }

  function addTyping() {
    const node = el(
      "div",
      { class: "msg msg-bot typing", "aria-hidden": "true" },
      el("span", { class: "dot" }),
      el("span", { class: "dot" }),
      el("span", { class: "dot" }),
    );
    log.append(node);
    return node;
  }

  function section(className, heading, ...content) {
    return el("section", { class: "card-section " + className }, el("h3", null, heading), ...content);
  }

  function disclosure(className, summary, ...content) {
    return el("details", { class: "card-section " + className }, el("summary", null, summary), ...content);
  }

  function list(tag, items, className) {
    return el(tag, { class: className || null }, ...items.map((item) => el("li", null, item)));
  }

  // Which kind of answer this is. The API says so (reply.kind); an older server that does not is
  // read from the fields it fills.
  function replyKind(reply, risk, evidence, faq, urgent) {
    if (typeof reply.kind === "string" && reply.kind) return reply.kind;
    if (urgent) return "urgent";
    if (faq) return "faq";
    if ((risk && risk !== "none") || evidence.length > 0) return "verdict";
    return risk ? "cant_tell" : "intro";
  }

  // Who to contact first once money has gone, as the region's own guidance says (bank or police).
  function callLink(language, className) {
    const call = config.callFirst[language || lang];
    if (typeof call !== "string" || !call) return el("p", { class: "urgent-call-text" }, t("urgent_call_plain", language));
    const label = t("urgent_call", language, { call });
    if (!/^\+?[0-9]{2,20}$/.test(config.callTel)) return el("p", { class: "urgent-call-text" }, label);
    return el("a", { class: className, href: "tel:" + config.callTel }, label);
  }

  function renderReply(reply, user, text) {
    const language = LANGS.includes(reply.lang) ? reply.lang : lang;
    const say = (key, vars) => t(key, language, vars);
    const risk = RISKS.includes(reply.risk) ? reply.risk : null; // null: nothing was assessed
    const evidence = Array.isArray(reply.evidence) ? reply.evidence : [];
    const warningSigns = strings(reply.warning_signs);
    const advice = reply.advice && typeof reply.advice === "object" ? reply.advice : {};
    const before = strings(advice.before);
    const after = strings(advice.after);
    const replyText = typeof reply.text === "string" ? reply.text.trim() : "";
    const faq = reply.faq && typeof reply.faq === "object" && typeof reply.faq.answer === "string" ? reply.faq : null;
    const question = typeof reply.question === "string" && reply.question.trim() ? reply.question.trim() : null;
    const nextStep = typeof reply.next_step === "string" && reply.next_step.trim() ? reply.next_step.trim() : null;
    const scamType = typeof reply.scam_type === "string" && reply.scam_type ? reply.scam_type : null;
    const related = (Array.isArray(reply.related) ? reply.related : []).filter(
      (topic) => topic && typeof topic.question === "string" && topic.question.trim(),
    );
    const urgent = reply.urgent === true;
    const kind = replyKind(reply, risk, evidence, faq, urgent);
    const assessed = kind === "verdict" || kind === "urgent" || kind === "cant_tell";

    // Re-draw the citizen's own bubble: links and numbers defanged and, when the message was
    // assessed, the telling words marked and numbered.
    const points = Array.from(text);
    const indicators = locateIndicators(reply.indicators, points, text);
    const { groups, others } = groupEvidence(assessed ? evidence : [], points, text, indicators);
    renderMarked(user.textNode, points, groups, indicators);

    replyCount += 1;
    const headingId = "reply-" + replyCount;
    const shownRisk = risk || "none";
    const card = el("article", {
      class: "msg msg-bot reply kind-" + kind.replace(/[^a-z_]/g, "") + (assessed ? " risk-" + shownRisk : ""),
      lang: LANG_TAGS[language],
      tabindex: "-1",
      "aria-labelledby": headingId,
    });

    if (assessed && risk) {
      card.append(
        el(
          "h2",
          { class: "risk-banner", id: headingId },
          el("span", { class: "risk-icon", "aria-hidden": "true" }, RISK_ICONS[risk]),
          el("span", { class: "risk-label" }, say("risk_" + risk)),
        ),
      );
    } else {
      card.append(el("h2", { class: "visually-hidden", id: headingId }, say("bot")));
    }

    let scamName = typeof reply.scam_type_name === "string" && reply.scam_type_name ? reply.scam_type_name : null;
    if (!scamName && scamType) {
      const names = config.scamNames[scamType] || {};
      scamName = typeof names[language] === "string" ? names[language] : scamType.replace(/_/g, " ");
    }
    if (scamName && (kind === "verdict" || kind === "urgent")) {
      card.append(
        el(
          "p",
          { class: "scam-type" },
          el("span", { class: "scam-type-label" }, say("scam_type") + ": "),
          el("strong", null, scamName),
        ),
      );
    }

    // Money or a code has gone: the one thing to do, big, before anything else to read.
    if (kind === "urgent") {
      const box = el("div", { class: "urgent" }, el("h3", { class: "urgent-title" }, say("urgent_title")));
      box.append(callLink(language, "urgent-call"));
      if (after.length) box.append(list("ol", after, "urgent-steps"));
      card.append(box);
    } else if (urgent) {
      card.append(el("p", { class: "urgent-reminder" }, callLink(language, "urgent-call urgent-call-small")));
    }

    // reply.text is the whole answer as plain text (for SMS and the like). A verdict is laid out from
    // its structured fields instead; the text is shown for the conversational kinds.
    if (replyText && kind !== "verdict" && kind !== "urgent" && kind !== "faq") {
      card.append(el("p", { class: "reply-text" }, replyText));
    }
    if (kind === "cant_tell" && !replyText) card.append(el("p", { class: "none-note" }, say("none_note")));

    // A verdict fits a phone: the risk and the two or three things to do come first; why (the
    // citizen's marked words), what comes next and every warning sign wait behind one expander.
    const why = [];
    let moreBox = null; // the expander goes last, after any question waiting for a yes or no
    if (groups.length || others.length) {
      const items = groups.map((group, index) => {
        const quote = el("q", { class: "reason-quote" });
        appendPlain(quote, points, group.start, group.end, indicators);
        return el(
          "li",
          null,
          el("span", { class: "reason-number", "aria-hidden": "true" }, String(index + 1)),
          el("div", { class: "reason-body" }, quote, ...group.whys.map((why) => el("p", { class: "reason-why" }, why))),
        );
      });
      const parts = [];
      if (items.length) parts.push(el("ol", { class: "reasons" }, ...items));
      if (others.length) parts.push(el("p", { class: "reasons-other-label" }, say("evidence_other")), list("ul", others));
      why.push(section("evidence", say("evidence_heading"), ...parts));
    }
    if (indicators.length) {
      const items = indicators.map((indicator) => el("span", { class: "defanged" }, indicator.shown));
      why.push(section("indicators", say("indicators_heading"), list("ul", items, "indicator-list")));
    }

    if (faq) {
      const faqQuestion = typeof faq.question === "string" ? faq.question.trim() : "";
      card.append(
        section(
          "faq",
          say("faq_heading"),
          faqQuestion ? el("p", { class: "faq-question" }, faqQuestion) : null,
          el("p", { class: "faq-answer" }, faq.answer.trim()),
        ),
      );
    }

    if (kind === "verdict" || kind === "urgent") {
      if (kind === "verdict" && before.length) {
        card.append(section("advice-before", say("before_heading"), list("ol", before.slice(0, 3))));
      }
      if (nextStep) why.push(section("next-step", say("next_heading"), el("p", null, nextStep)));
      if (warningSigns.length) why.push(section("warning-signs", say("warning_heading"), list("ul", warningSigns)));
      if (kind === "verdict" && before.length > 3) {
        why.push(section("advice-more", say("before_more_heading"), list("ul", before.slice(3))));
      }
      if (kind === "verdict" && after.length && !urgent) {
        why.push(section("advice-after", say("after_heading"), list("ul", after)));
      }
      if (why.length) {
        moreBox = el("details", { class: "card-section more" }, el("summary", null, say("more_heading")), ...why);
      }
    } else {
      for (const part of why) card.append(part);
      if (warningSigns.length || before.length) {
        // Nothing recognised: how to check is still worth a tap, but need not fill the screen.
        card.append(
          disclosure(
            "check-yourself",
            say("check_yourself"),
            warningSigns.length ? list("ul", warningSigns) : null,
            before.length ? list("ol", before) : null,
          ),
        );
      }
    }

    if (question) {
      const answers = [say("yes"), say("no")].map((answer) => {
        const button = el("button", { type: "button", class: "quick-reply" }, answer);
        button.addEventListener("click", () => {
          if (!pending) button.classList.add("is-chosen"); // stays visible once the buttons are disabled
          quickReply(answer);
        });
        return button;
      });
      card.append(
        el(
          "section",
          { class: "card-section followup" },
          el("p", { class: "question" }, question),
          el("div", { class: "quick-replies", role: "group", "aria-label": say("quick_replies") }, ...answers),
        ),
      );
    }

    if (related.length) {
      const buttons = related.slice(0, 4).map((topic) => {
        const button = el("button", { type: "button", class: "related-topic" }, topic.question.trim());
        button.addEventListener("click", () => quickReply(topic.question.trim()));
        return el("li", null, button);
      });
      card.append(section("related", say("related_heading"), el("ul", { class: "related-list" }, ...buttons)));
    }

    if (moreBox) card.append(moreBox);

    log.append(card);

    const summary = [say("bot") + ":"];
    if (kind === "urgent") summary.push(say("urgent_title") + ".");
    if (assessed && risk) summary.push(say("risk_" + risk) + ".");
    if (scamName && (kind === "verdict" || kind === "urgent")) summary.push(scamName + ".");
    if (!assessed || kind === "cant_tell") summary.push((faq ? faq.answer : replyText).slice(0, 300));
    if (question) summary.push(question);
    announce(summary.join(" "));

    // The host page learns only the type and the risk, never anything the citizen wrote.
    if (assessed && risk) postToParent({ type: "antifraud:verdict", scam_type: scamType, risk });
    return card;
  }

  function errorKey(error) {
    if (error && error.status === 413) return "error_too_long";
    const code = error && typeof error.code === "string" ? error.code : "";
    if (/too_long|too_large|length/.test(code)) return "error_too_long";
    const fields = error && Array.isArray(error.fields) ? error.fields : [];
    const tooLong = (item) => item && item.field === "message" && /at most|too long/i.test(String(item.message));
    if (error && error.status === 422 && fields.some(tooLong)) return "error_too_long";
    if (error && error.status === 429) return "error_busy";
    if (error && error.status === 503) return "error_network"; // the service is up but cannot answer yet
    if (error && error.status) return "error_generic";
    return "error_network";
  }

  function addError(error) {
    const message = t(errorKey(error), lang, { police: policeNumber() });
    log.append(el("article", { class: "msg msg-bot msg-error", role: "alert" }, el("p", null, message)));
  }

  async function postMessageToApi(text, quiet) {
    const controller = new AbortController();
    const timer = window.setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const payload = { message: text, lang };
      if (quiet) payload.quiet = true;
      if (config.region) payload.region = config.region; // the page's ?region= or the widget's data-region
      if (sessionId) payload.session_id = sessionId;
      const response = await fetch(config.api, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(payload),
        credentials: "same-origin",
        signal: controller.signal,
      });
      let data = null;
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
      if (!response.ok || !data || !data.reply || typeof data.reply !== "object") {
        const problem = data && data.error && typeof data.error === "object" ? data.error : {};
        throw { status: response.status || 500, code: problem.code, fields: problem.fields };
      }
      return data;
    } finally {
      window.clearTimeout(timer);
    }
  }

  async function send(text, quiet) {
    pending = true;
    form.classList.add("is-busy");
    sendButton.setAttribute("aria-disabled", "true");
    for (const button of log.querySelectorAll(".quick-reply, .related-topic")) button.disabled = true;
    const focusWasInInput = document.activeElement === input;

    const user = addUserMessage(text);
    input.value = "";
    const typing = addTyping();
    setStatus(t("sending"));
    scrollToShow(user.article);
    try {
      const data = await postMessageToApi(text, quiet);
      if (typeof data.session_id === "string" && data.session_id) sessionId = data.session_id;
      if (data.reply.speak === false) {
        // Quiet mode with nothing worth saying: the host page hears the verdict, the chat stays as it was.
        typing.remove();
        user.article.remove();
        setStatus("");
        const risk = RISKS.includes(data.reply.risk) ? data.reply.risk : null;
        const scamType = typeof data.reply.scam_type === "string" ? data.reply.scam_type : null;
        if (risk) postToParent({ type: "antifraud:verdict", scam_type: scamType, risk });
        return;
      }
      typing.remove();
      const card = renderReply(data.reply, user, text);
      setStatus("");
      // The verdict's top in view, with as much of the marked message above it as fits in a third.
      scrollToShow(card, Math.min(user.article.offsetHeight + 16, viewHeight() * 0.35));
      // Keep typing where the citizen typed; after a button (now gone) move to the answer itself.
      if (!focusWasInInput) card.focus({ preventScroll: true });
    } catch (error) {
      typing.remove();
      setStatus("");
      addError(error);
    } finally {
      pending = false;
      form.classList.remove("is-busy");
      sendButton.removeAttribute("aria-disabled");
    }
  }

  // One length limit for the page, the API and the conversation (the server's, in code points as
  // Python counts them). A longer paste stays in the box, whole, with the reason: never cut silently.
  function tooLong(text) {
    const length = Array.from(text).length;
    return length > config.maxChars ? t("too_long_local", lang, { length: String(length), limit: String(config.maxChars) }) : "";
  }

  function submit() {
    if (pending) return;
    const text = input.value.trim();
    if (!text) {
      setStatus(t("empty"));
      input.focus();
      return;
    }
    const reason = tooLong(text);
    if (reason) {
      setStatus(reason);
      input.focus();
      return;
    }
    send(text);
  }

  function quickReply(text) {
    if (!pending) send(text);
  }

  // --- wiring -------------------------------------------------------------------------------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });

  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.shiftKey || event.ctrlKey || event.altKey || event.metaKey) return;
    // Enter also confirms a candidate in a Chinese input method: that must not send the message.
    if (event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    submit();
  });

  input.addEventListener("input", () => {
    const reason = tooLong(input.value.trim());
    if (reason) setStatus(reason);
    else if (statusLine.textContent === t("empty") || statusLine.classList.contains("is-too-long")) setStatus("");
    statusLine.classList.toggle("is-too-long", Boolean(reason));
  });

  for (const button of document.querySelectorAll(".example")) {
    button.addEventListener("click", () => {
      input.value = t(button.dataset.example);
      input.focus();
    });
  }

  langButton.addEventListener("click", switchLang);
  textButton.addEventListener("click", () => {
    setLargeText(textButton.getAttribute("aria-pressed") !== "true");
  });

  textButton.setAttribute("aria-pressed", document.documentElement.classList.contains("text-large") ? "true" : "false");
  // A language saved on an earlier visit wins over the browser's, unless the link names one (?lang=).
  if (!new URLSearchParams(window.location.search).has("lang")) {
    let saved = null;
    try {
      saved = window.localStorage.getItem(STORAGE_LANG);
    } catch (error) {
      saved = null;
    }
    if (LANGS.includes(saved) && saved !== lang) applyLang(saved);
  }

  if (framed) {
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") postToParent({ type: "antifraud:close" });
    });
    window.addEventListener("message", (event) => {
      // Only the page that framed us, from the origin it announced, may ask for anything.
      if (event.source !== window.parent || event.origin !== config.parentOrigin) return;
      if (event.data && event.data.type === "antifraud:focus") input.focus();
      // Quiet mode opens the chat on a verdict drawn while hidden: bring that verdict into view.
      const replies = body.dataset.quiet === "true" ? log.querySelectorAll(".reply") : [];
      if (event.data && event.data.type === "antifraud:focus" && replies.length) scrollToShow(replies[replies.length - 1]);
      // Quiet mode (widget data-quiet): a text the host page hands to AntifraudWidget.check().
      const quietText = event.data && event.data.type === "antifraud:check" ? event.data.text : null;
      if (body.dataset.quiet === "true" && typeof quietText === "string" && quietText.trim() && !pending) {
        // Never cut: an over-long text is sent whole and the service says it was too long to check.
        send(quietText.trim(), true);
      }
    });
    postToParent({ type: "antifraud:ready" });
  }
})();
