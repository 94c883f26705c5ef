/* whistle: the little JavaScript every page shares (htmx set-up, countdowns). Pages work without it. */
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');

  // Every htmx request carries the page's CSRF token, like the forms do.
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (token) { event.detail.headers["X-CSRFToken"] = token.content; }
  });

  // Show 409/422 answers (who claimed it, what to fix) where the response was meant to go.
  if (window.htmx) {
    window.htmx.config.responseHandling = [
      {code: "204", swap: false},
      {code: "[23]..", swap: true},
      {code: "40[39]", swap: true, error: false},
      {code: "422", swap: true, error: false},
      {code: "[45]..", swap: true, error: true}
    ];
  }

  // The main menu on phones: folded behind a button (a real <button>, so Tab, Enter and Space work);
  // Escape folds it again and gives focus back. Without this script the menu simply stays open.
  var topbar = document.querySelector(".topbar");
  var menuToggle = topbar && topbar.querySelector(".menu-toggle");
  if (menuToggle) {
    var setMenu = function (open) {
      topbar.classList.toggle("menu-open", open);
      menuToggle.setAttribute("aria-expanded", open ? "true" : "false");
    };
    topbar.classList.add("has-menu-toggle");
    menuToggle.hidden = false;
    menuToggle.addEventListener("click", function () {
      setMenu(menuToggle.getAttribute("aria-expanded") !== "true");
    });
    topbar.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && topbar.classList.contains("menu-open")) {
        setMenu(false);
        menuToggle.focus();
      }
    });
  }

  // <select data-submit-on-change>: choosing an option submits its form (no inline onchange: CSP forbids it).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-submit-on-change]") && target.form) {
      if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
    }
  });

  // Countdowns in working time: the server sends the working intervals between now and the
  // deadline; remaining time only runs down inside them (lunch, nights and holidays excluded).
  function remainingMs(intervals, now) {
    var total = 0;
    intervals.forEach(function (pair) {
      var start = Math.max(Date.parse(pair[0]), now), end = Date.parse(pair[1]);
      if (end > start) { total += end - start; }
    });
    return total;
  }

  function format(ms, lang) {
    var minutes = Math.floor(ms / 60000), hours = Math.floor(minutes / 60), rest = minutes % 60;
    if (lang === "en") { return hours ? hours + " h " + rest + " min" : rest + " min"; }
    return hours ? hours + "小时" + rest + "分" : rest + "分钟";
  }

  function tick() {
    var now = Date.now(), lang = document.documentElement.lang === "en" ? "en" : "zh";
    document.querySelectorAll("[data-countdown]").forEach(function (node) {
      var intervals = JSON.parse(node.getAttribute("data-countdown"));
      var deadline = Date.parse(node.getAttribute("data-deadline"));
      var label = node.querySelector(".remaining");
      if (!label) { return; }
      if (now >= deadline) {
        label.textContent = node.getAttribute("data-overdue-text");
      } else {
        var left = node.getAttribute("data-left-text") || "{t}";
        label.textContent = left.replace("{t}", format(remainingMs(intervals, now), lang));
      }
    });
  }
  tick();
  window.setInterval(tick, 30000);
})();
