/*
  Anti-fraud chat widget loader. One tag on any page:

    <script src="https://HOST/widget.js" async data-lang="zh" data-region="cn" data-position="right"></script>

  data-lang      "zh" or "en" (default: the browser's language)
  data-region    hotlines shown in the chat: cn, hk, tw, sg, intl (default: the service's own)
  data-position  "right" (default) or "left": the corner of the launcher button
  data-drill     "true": the launcher opens the awareness drill (practise a scam call) instead of the checker
  data-quiet     "true": quiet mode for pages such as a payment form: a small launcher, and text the page
                 hands to check() opens the chat only when the risk is high or medium

  It draws a launcher button (inside a closed Shadow DOM, so the host page's CSS cannot break it and
  ours cannot leak out) that opens the chat, served by HOST, in an iframe. The host page's CSP must
  allow HOST in script-src and frame-src, and HOST's ANTIFRAUD_FRAME_ANCESTORS must list the page.

  JS API, on window.AntifraudWidget (a "antifraud-widget:ready" event fires on window once it exists):
    open()                 open the chat
    close()                close it
    on(event, fn)          "verdict" -> fn({scam_type, risk}), "open", "close"; returns an unsubscribe function
    off(event, fn)         stop listening
    check(text)            quiet mode: check text the page has (a payment reference, a post); the "verdict"
                           event fires either way, the chat opens only at high or medium risk
  The verdict event carries the scam type and risk level only, never anything the citizen wrote.
*/
(function () {
  "use strict";

  // Must be read now, while this script runs: document.currentScript is null afterwards.
  var script = document.currentScript;
  if (!script || !script.src || window.AntifraudWidget) return;

  var scriptUrl = new URL(script.src, window.location.href);
  var chatOrigin = scriptUrl.origin; // the only origin whose messages we accept
  var data = script.dataset || {};
  var lang = pickLang(data.lang);
  var region = /^[a-z][a-z0-9_]{0,63}$/.test(data.region || "") ? data.region : "";
  var position = data.position === "left" ? "left" : "right";
  var drillMode = data.drill === "true";
  var quiet = data.quiet === "true";
  var MAX_CHECK_CHARS = 5000;
  var queued = []; // texts handed to check() before the frame was ready

  var TEXT = {
    zh: { launcher: "防骗助手", title: "防骗助手", close: "关闭", frame: "防骗助手对话窗口", drill: "防骗演练" },
    en: { launcher: "Scam check", title: "Scam Check", close: "Close", frame: "Scam check chat", drill: "Scam drill" },
  };
  var text = TEXT[lang];
  // Said plainly when this site may not frame the chat (the operator has not listed it).
  var BLOCKED = {
    zh: {
      message: "这个网站还没有获准显示防骗助手，所以这里打不开对话。您可以在新窗口里使用它：",
      open: "在新窗口打开防骗助手",
      owner: "网站管理员：请让防骗助手的运营方把本网站加入 ANTIFRAUD_FRAME_ANCESTORS。",
    },
    en: {
      message: "This website is not yet allowed to show the scam checker, so the chat cannot open here. "
        + "You can use it in a new window:",
      open: "Open the scam checker in a new window",
      owner: "Site owner: ask the scam checker's operator to add this site to ANTIFRAUD_FRAME_ANCESTORS.",
    },
  }[lang];
  var LOAD_GRACE_MS = 1500; // after the frame's load event, for its "ready" message to arrive
  var READY_TIMEOUT_MS = 20000; // a frame that has neither loaded nor said it is ready failed
  if (drillMode) text = { launcher: text.drill, title: text.drill, close: text.close, frame: text.frame, drill: text.drill };

  var CSS = [
    ":host { all: initial; }",
    ".launcher, .panel { position: fixed; z-index: 2147483000; font-family: system-ui, -apple-system, 'Segoe UI',",
    "  Roboto, Arial, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif; }",
    ".launcher { bottom: 20px; display: inline-flex; align-items: center; gap: 10px; min-height: 60px;",
    "  padding: 10px 22px 10px 14px; border: 3px solid #ffffff; border-radius: 999px; background: #0b3d91;",
    "  color: #ffffff; font-size: 20px; font-weight: 700; line-height: 1.2; cursor: pointer;",
    "  box-shadow: 0 4px 14px rgba(0, 0, 0, 0.35); }",
    ".launcher:hover { background: #082c69; }",
    ".launcher:focus-visible, .close:focus-visible { outline: 3px solid #1a1f29; outline-offset: 2px;",
    "  box-shadow: 0 0 0 7px #ffbf47; }",
    ".launcher svg { width: 34px; height: 34px; flex: none; }",
    ".right { right: 20px; } .left { left: 20px; }",
    // Quiet mode: a small round launcher that keeps out of the way of the host's own form.
    ".quiet { min-height: 52px; width: 52px; padding: 6px; justify-content: center; gap: 0; }",
    ".quiet svg { width: 32px; height: 32px; }",
    ".quiet .label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }",
    ".panel { bottom: 96px; width: min(420px, calc(100vw - 40px)); height: min(680px, calc(100vh - 120px));",
    "  display: flex; flex-direction: column; overflow: hidden; border-radius: 16px; background: #ffffff;",
    "  border: 2px solid #0b3d91; box-shadow: 0 10px 40px rgba(0, 0, 0, 0.35); }",
    ".panel[hidden] { display: none; }",
    ".bar { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 6px 8px 6px 16px;",
    "  background: #0b3d91; color: #ffffff; font-size: 18px; font-weight: 700; }",
    ".close { min-width: 48px; min-height: 48px; padding: 4px 14px; border: 2px solid #ffffff; border-radius: 10px;",
    "  background: transparent; color: #ffffff; font: inherit; font-size: 17px; cursor: pointer; }",
    ".close:hover { background: #082c69; }",
    "iframe { flex: 1 1 auto; width: 100%; border: 0; background: #eef2f7; }",
    ".blocked { flex: 1 1 auto; padding: 20px; font-size: 18px; line-height: 1.5; color: #1a1f29; overflow: auto; }",
    ".blocked p { margin: 0 0 14px; }",
    ".blocked a { display: inline-block; padding: 12px 16px; border-radius: 10px; background: #0b3d91;",
    "  color: #ffffff; font-weight: 700; text-decoration: none; }",
    ".blocked .owner { margin-top: 18px; font-size: 14px; color: #4a5568; }",
    "@media (max-width: 480px), (max-height: 560px) {",
    "  .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; border: 0; }",
    "}",
    "@media (forced-colors: active) { .launcher, .panel, .close { border-color: CanvasText; } }",
  ].join("\n");

  var listeners = { verdict: [], open: [], close: [] };
  var host, root, launcher, panel, iframe;
  var frameReady = false;
  var blocked = false;
  var isOpen = false;
  var openWhenBuilt = false;

  function pickLang(value) {
    if (value === "zh" || value === "en") return value;
    var browser = (navigator.language || "").toLowerCase();
    return browser.indexOf("zh") === 0 ? "zh" : "en";
  }

  function emit(name, payload) {
    listeners[name].slice().forEach(function (fn) {
      try {
        fn(payload);
      } catch (error) {
        // A host page's broken listener must not break the widget; report it without stopping.
        window.setTimeout(function () {
          throw error;
        });
      }
    });
  }

  function svg(tag, attrs) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    return node;
  }

  function shieldIcon() {
    var icon = svg("svg", { viewBox: "0 0 64 64", "aria-hidden": "true", focusable: "false" });
    icon.appendChild(svg("path", { d: "M32 4 8 13v17c0 15.4 10.2 26.6 24 30 13.8-3.4 24-14.6 24-30V13L32 4z", fill: "#ffffff" }));
    icon.appendChild(svg("path", { d: "M32 11 15 17.5V30c0 11.3 7.1 20 17 23 9.9-3 17-11.7 17-23V17.5L32 11z", fill: "#0b3d91" }));
    icon.appendChild(
      svg("path", {
        d: "m22.5 31.5 6.5 6.5 13-13",
        fill: "none",
        stroke: "#ffffff",
        "stroke-width": "5.5",
        "stroke-linecap": "round",
        "stroke-linejoin": "round",
      }),
    );
    return icon;
  }

  // Constructed stylesheets are not blocked by a host page's strict style-src; <style> is the fallback.
  function addStyles(shadow) {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      shadow.adoptedStyleSheets = [sheet];
    } catch (error) {
      var style = document.createElement("style");
      style.textContent = CSS;
      shadow.appendChild(style);
    }
  }

  function embedUrl() {
    var url = new URL("embed", scriptUrl); // next to widget.js, so a path prefix keeps working
    url.searchParams.set("lang", lang);
    if (region) url.searchParams.set("region", region);
    if (drillMode) url.searchParams.set("drill", "1");
    if (quiet) url.searchParams.set("quiet", "1");
    url.searchParams.set("origin", window.location.origin); // the only origin the chat will post to
    return url.href;
  }

  function pageUrl() {
    var url = new URL("./", scriptUrl); // the chat page itself, for a new window
    url.searchParams.set("lang", lang);
    if (region) url.searchParams.set("region", region);
    return url.href;
  }

  // Instead of a grey, broken frame: this site is not on the service's list of sites allowed to
  // frame the chat (ANTIFRAUD_FRAME_ANCESTORS); a link that works anyway.
  function showBlocked() {
    if (blocked) return;
    blocked = true;
    if (iframe) iframe.remove();
    var box = document.createElement("div");
    box.className = "blocked";
    box.setAttribute("role", "alert");
    var message = document.createElement("p");
    message.textContent = BLOCKED.message;
    var link = document.createElement("a");
    link.href = pageUrl();
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = BLOCKED.open;
    var owner = document.createElement("p");
    owner.className = "owner";
    owner.textContent = BLOCKED.owner;
    box.appendChild(message);
    box.appendChild(link);
    box.appendChild(owner);
    panel.appendChild(box);
  }

  function ensureFrame() {
    if (iframe || blocked) return;
    iframe = document.createElement("iframe");
    iframe.title = text.frame;
    iframe.src = embedUrl();
    iframe.setAttribute("referrerpolicy", "no-referrer");
    iframe.setAttribute("allow", "clipboard-write");
    // The chat says "ready" as soon as its script runs, before the frame's load event. A frame the
    // browser refused (this site is not in ANTIFRAUD_FRAME_ANCESTORS) loads an error page instead and
    // never says it; nor does one that could not load at all. No request the host page's CSP might
    // block is needed to tell.
    iframe.addEventListener("load", function () {
      window.setTimeout(function () {
        if (!frameReady) showBlocked();
      }, LOAD_GRACE_MS);
    });
    panel.appendChild(iframe);
    window.setTimeout(function () {
      if (!frameReady) showBlocked();
    }, READY_TIMEOUT_MS);
  }

  function focusChat() {
    if (!iframe) return;
    iframe.focus();
    if (frameReady) iframe.contentWindow.postMessage({ type: "antifraud:focus" }, chatOrigin);
  }

  function open() {
    if (!panel) {
      openWhenBuilt = true; // called before <body> existed: open as soon as the button is drawn
      return;
    }
    if (isOpen) return focusChat();
    ensureFrame();
    panel.hidden = false;
    isOpen = true;
    launcher.setAttribute("aria-expanded", "true");
    focusChat();
    emit("open", {});
  }

  function close(returnFocus) {
    if (!isOpen) return;
    var focusInside = document.activeElement === host;
    panel.hidden = true; // kept in the page, so the conversation is still there when reopened
    isOpen = false;
    launcher.setAttribute("aria-expanded", "false");
    if (returnFocus || focusInside) launcher.focus();
    emit("close", {});
  }

  function onMessage(event) {
    // Exactly our chat frame: right origin AND the very window we created.
    if (!iframe || event.origin !== chatOrigin || event.source !== iframe.contentWindow) return;
    var message = event.data;
    if (!message || typeof message !== "object") return;
    if (message.type === "antifraud:ready") {
      frameReady = true;
      if (isOpen) focusChat();
      queued.splice(0).forEach(sendCheck);
    } else if (message.type === "antifraud:close") {
      close(true);
    } else if (message.type === "antifraud:verdict") {
      var risk = ["high", "medium", "low", "none"].indexOf(message.risk) >= 0 ? message.risk : null;
      var scamType = typeof message.scam_type === "string" ? message.scam_type.slice(0, 64) : null;
      if (risk) emit("verdict", { scam_type: scamType, risk: risk }); // a fresh object: nothing else passes
      // Quiet mode speaks only when it matters: a checked text at high or medium risk opens the chat.
      if (quiet && (risk === "high" || risk === "medium")) open();
    }
  }

  function build() {
    host = document.createElement("div");
    host.setAttribute("data-antifraud-widget", "");
    root = host.attachShadow({ mode: "closed" });
    addStyles(root);

    launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "launcher " + position + (quiet ? " quiet" : "");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "antifraud-panel");
    launcher.appendChild(shieldIcon());
    var label = document.createElement("span");
    label.className = "label";
    label.textContent = text.launcher;
    launcher.appendChild(label);
    if (quiet) launcher.title = text.launcher;
    launcher.addEventListener("click", function () {
      if (isOpen) close(true);
      else open();
    });

    panel = document.createElement("div");
    panel.id = "antifraud-panel";
    panel.className = "panel " + position;
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", text.title);

    var bar = document.createElement("div");
    bar.className = "bar";
    var title = document.createElement("span");
    title.textContent = text.title;
    var closeButton = document.createElement("button");
    closeButton.type = "button";
    closeButton.className = "close";
    closeButton.textContent = "\u00d7 " + text.close;
    closeButton.addEventListener("click", function () {
      close(true);
    });
    bar.appendChild(title);
    bar.appendChild(closeButton);
    panel.appendChild(bar);

    // Escape anywhere in the widget closes it; inside the iframe the chat page reports Escape itself.
    root.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isOpen) {
        event.stopPropagation();
        close(true);
      }
    });

    root.appendChild(launcher);
    root.appendChild(panel);
    document.body.appendChild(host);
    window.addEventListener("message", onMessage);
  }

  function sendCheck(value) {
    iframe.contentWindow.postMessage({ type: "antifraud:check", text: value }, chatOrigin);
  }

  // Quiet mode: the page hands over a text (never sent anywhere but HOST's own frame) to be checked.
  function check(value) {
    if (typeof value !== "string" || !value.trim()) return;
    value = value.slice(0, MAX_CHECK_CHARS);
    if (!panel) {
      queued.push(value);
      return;
    }
    ensureFrame();
    if (frameReady) sendCheck(value);
    else queued.push(value);
  }

  window.AntifraudWidget = Object.freeze({
    open: open,
    check: check,
    close: function () {
      close(false);
    },
    on: function (name, fn) {
      if (!listeners[name] || typeof fn !== "function") throw new Error("AntifraudWidget.on: unknown event or listener");
      listeners[name].push(fn);
      return function () {
        listeners[name] = listeners[name].filter(function (other) {
          return other !== fn;
        });
      };
    },
    off: function (name, fn) {
      if (listeners[name]) {
        listeners[name] = listeners[name].filter(function (other) {
          return other !== fn;
        });
      }
    },
  });

  function start() {
    build();
    window.dispatchEvent(new Event("antifraud-widget:ready"));
    if (openWhenBuilt) open();
    if (queued.length) ensureFrame(); // check() called before <body> existed
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
