// Autosave of a task form as the reader's draft (web/inbox/collaboration.py). The form names
// the endpoint in data-draft-url; after a change the form is posted there a few seconds later
// (data-draft-seconds, debounced), and at once when a field is left (change), when the page is
// hidden or closed, so nothing typed is lost. Files are not sent: a draft keeps no uploads.
// The server answers JSON with the words to show ("草稿已保存 09:32"). Without this script the
// 保存草稿 button posts the same form and the page comes back.
(function () {
  "use strict";
  var form = document.querySelector("form[data-draft-url]");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = form.querySelector("[data-draft-status]");
  var delay = Math.max(1, Number(form.dataset.draftSeconds) || 5) * 1000;
  var timer = null;
  var dirty = false;
  var sending = false;
  var again = false;
  var sent = false; // the form itself was submitted: no draft after that

  function show(text) { if (status && text) { status.textContent = text; } }

  function body() {
    var data = new FormData(form);
    var kept = new FormData();
    data.forEach(function (value, name) {
      if (typeof value === "string") { kept.append(name, value); } // files stay out of drafts
    });
    return kept;
  }

  function save() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (!dirty || sent) { return; }
    if (sending) { again = true; return; }
    dirty = false;
    sending = true;
    fetch(form.dataset.draftUrl, {
      method: "POST", body: body(), credentials: "same-origin", keepalive: true,
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      return response.json().catch(function () { return {saved: false}; });
    }).then(function (answer) {
      show(answer.message || form.dataset.draftFailed);
      if (!answer.saved) { form.dataset.draftState = "failed"; } else { form.dataset.draftState = "saved"; }
    }).catch(function () {
      dirty = true; // offline for a moment: the next change or leaving the page tries again
      show(form.dataset.draftFailed);
      form.dataset.draftState = "failed";
    }).then(function () {
      sending = false;
      if (again) { again = false; save(); }
    });
  }

  function changed(event) {
    if (event.target && event.target.type === "file") { return; }
    dirty = true;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, delay);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", function (event) { changed(event); save(); });
  form.addEventListener("submit", function () { sent = true; if (timer) { clearTimeout(timer); } });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { save(); }
  });
  window.addEventListener("pagehide", save);
})();
