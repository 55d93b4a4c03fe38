// Small behaviours shared by every dashboard page. Everything else is htmx.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) el.form.requestSubmit();
    // "Select all": a checkbox with data-check-all="name" sets every checkbox of that name.
    var all = el.closest && el.closest("[data-check-all]");
    if (all) {
      document.querySelectorAll("input[name='" + all.dataset.checkAll + "']").forEach(function (box) {
        box.checked = all.checked;
      });
    }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      document.getElementById(toggle.getAttribute("aria-controls")).classList.toggle("open", !open);
    }
    var confirmEl = event.target.closest && event.target.closest("[data-confirm]");
    if (confirmEl && !window.confirm(confirmEl.getAttribute("data-confirm"))) event.preventDefault();
  });
  // htmx: show server errors instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    var box = document.getElementById("htmx-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "htmx-error";
      box.className = "flash flash-error";
      box.setAttribute("role", "alert");
      document.getElementById("main").prepend(box);
    }
    box.textContent = status === 403 ? "You do not have permission to do that." :
      status === 429 ? "Too many requests; wait a moment and try again." :
      "Something went wrong (HTTP " + status + "). Your input is kept; try again.";
  });
})();
