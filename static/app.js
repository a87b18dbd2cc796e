// Fynode Accounting Connect: the little JavaScript the pages use (no inline scripts: CSP).
(function () {
  "use strict";
  document.documentElement.classList.remove("no-js");
  // After an HTMX swap, move focus to the new result so screen readers and keyboards follow it.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    var focusable = (target && target.querySelector && target.querySelector("[data-focus]")) ||
      document.querySelector("[data-focus]");
    if (focusable) { focusable.focus({ preventScroll: false }); }
  });
  // Without JavaScript a form simply posts; with it, a second click while a request runs is ignored
  // (htmx's hx-disabled-elt does this for HTMX forms; this covers plain forms marked data-once).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-once")) {
      if (form.dataset.submitted) { event.preventDefault(); return; }
      form.dataset.submitted = "1";
    }
  });
  // A language change applies at once when JavaScript is on; the button remains for no-JS use.
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "lang-select") { event.target.form.submit(); }
  });
})();
