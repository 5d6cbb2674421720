// Runs before the page is drawn (a plain, non-deferred script in <head>) so a citizen who chose
// larger text never sees the page jump from small to large. chat.js owns the toggle itself.
(function () {
  "use strict";
  try {
    if (window.localStorage.getItem("antifraud.textSize") === "large") {
      document.documentElement.classList.add("text-large");
    }
  } catch (error) {
    // Storage can be blocked (private mode, third-party iframe): default size then.
  }
})();
