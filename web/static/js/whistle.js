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

  // A field the server marked (必填项, too short, …) speaks of the value that was sent: once the
  // user changes that value the message is stale, so it is hidden (and shown again if the value
  // goes back to what was sent). The server checks everything again on the next submit.
  function fieldValue(field) {
    var parts = [];
    field.querySelectorAll("input[name], select[name], textarea[name]").forEach(function (input) {
      if (input.type === "hidden" || input.type === "file") { return; }
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { return; }
      parts.push(input.value);
    });
    return parts.join("\u0000");
  }

  var sentValues = new Map();
  document.querySelectorAll(".form-field.has-error").forEach(function (field) {
    sentValues.set(field, fieldValue(field));
  });

  function refreshError(event) {
    var field = event.target.closest && event.target.closest(".form-field");
    if (!field || !sentValues.has(field)) { return; }
    var stale = fieldValue(field) !== sentValues.get(field);
    field.classList.toggle("has-error", !stale);
    field.querySelectorAll(".field-error").forEach(function (message) { message.hidden = stale; });
    field.querySelectorAll("input:not([type=file]), select, textarea").forEach(function (input) {
      if (stale) { input.removeAttribute("aria-invalid"); } else { input.setAttribute("aria-invalid", "true"); }
    });
  }
  document.addEventListener("input", refreshError);
  document.addEventListener("change", refreshError);

  // Countdowns: the server sends the working intervals between its now and the deadline; remaining
  // time only runs down inside them (lunch, nights and holidays excluded). Lateness runs in calendar
  // time. The device's clock may be wrong by minutes or days, so the page's server time sets an
  // offset once, and every tick reads the server's time as device time plus that offset.
  var offsetMs = null;

  function serverNow() {
    if (offsetMs === null) {
      var carrier = document.querySelector("[data-server-now]");
      var server = carrier ? Date.parse(carrier.getAttribute("data-server-now")) : NaN;
      offsetMs = isNaN(server) ? 0 : server - Date.now();
    }
    return Date.now() + offsetMs;
  }

  function remainingMs(intervals, now) {
    var total = 0;
    intervals.forEach(function (pair) {
      var start = Math.max(Date.parse(pair[0]), now), end = Date.parse(pair[1]);
      if (end > start) { total += end - start; }
    });
    return total;
  }

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (whole, key) {
      return values.hasOwnProperty(key) ? String(values[key]) : whole;
    });
  }

  // The same words the server wrote (data-formats, translated there): calendar time as days and hours,
  // working time in working hours (a working day is not 24 hours).
  function format(ms, formats, working) {
    var minutes = Math.floor(ms / 60000), hours = Math.floor(minutes / 60), rest = minutes % 60;
    var days = Math.floor(hours / 24);
    if (working) {
      if (hours && rest) { return fill(formats.whm, {h: hours, m: rest}); }
      return hours ? fill(formats.wh, {h: hours}) : fill(formats.m, {m: rest});
    }
    if (days) { return fill(formats.dh, {d: days, h: hours % 24}); }
    return hours ? fill(formats.hm, {h: hours, m: rest}) : fill(formats.m, {m: rest});
  }

  function tick() {
    var now = serverNow();
    document.querySelectorAll("[data-countdown]").forEach(function (node) {
      var label = node.querySelector(".remaining"), formats;
      if (!label) { return; }
      try { formats = JSON.parse(node.getAttribute("data-formats")); } catch (error) { return; }
      if (!formats) { return; }  // an older page without the words: keep the server's text
      var intervals = JSON.parse(node.getAttribute("data-countdown"));
      var deadline = Date.parse(node.getAttribute("data-deadline"));
      if (now >= deadline) {
        label.textContent = fill(node.getAttribute("data-overdue-text"), {t: format(now - deadline, formats, false)});
      } else {
        var working = node.getAttribute("data-unit") === "working";
        label.textContent = fill(node.getAttribute("data-left-text"), {t: format(remainingMs(intervals, now), formats, working)});
      }
    });
  }
  tick();
  window.setInterval(tick, 30000);
})();
