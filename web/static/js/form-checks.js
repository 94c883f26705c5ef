// Files are checked in the browser before a form is sent: a file over the size limit, files
// that add up to more than a form may carry, or a type the server refuses are named beside
// the field and the form is not sent (the server would answer a large form with a 413 only
// after the whole upload). The limits and the words come from data- attributes the server
// writes (web/upload_rules.py); the server checks everything again.
(function () {
  "use strict";
  if (window.whistleFormChecks) { return; } // the macro may include this file once per upload field
  window.whistleFormChecks = true;

  function problems(input) {
    var maxFile = Number(input.dataset.maxFileBytes);
    var maxTotal = Number(input.dataset.maxTotalBytes);
    var extensions = (input.dataset.extensions || "").split(" ").filter(Boolean);
    var found = [];
    var total = 0;
    Array.prototype.forEach.call(input.files || [], function (file) {
      var name = file.name.toLowerCase();
      total += file.size;
      if (extensions.length && !extensions.some(function (ext) { return name.endsWith(ext); })) {
        found.push(input.dataset.wrongType.replace("{name}", file.name));
      } else if (maxFile && file.size > maxFile) {
        found.push(input.dataset.tooLarge.replace("{name}", file.name));
      }
    });
    if (maxTotal && total > maxTotal) { found.push(input.dataset.tooMuch); }
    return found;
  }

  function show(input) {
    var found = problems(input);
    var box = document.getElementById(input.getAttribute("aria-describedby"));
    // A page script may hide stale messages once a field changes: this one is fresh, so shown.
    if (box) { box.textContent = found.join("；"); box.hidden = false; }
    input.setAttribute("aria-invalid", found.length ? "true" : "false");
    return found.length === 0;
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input.checked-upload")) { show(event.target); }
  });

  document.addEventListener("submit", function (event) {
    var inputs = event.target.querySelectorAll("input.checked-upload");
    var first = null;
    Array.prototype.forEach.call(inputs, function (input) {
      if (!show(input) && !first) { first = input; }
    });
    if (first) {
      event.preventDefault();
      event.stopImmediatePropagation();
      first.focus();
    }
  }, true);
})();
