// The decision table editor (dmn-js): load the deployed DMN, open its decision table, deploy the edit.
(function () {
  "use strict";
  const container = document.getElementById("decision-editor");
  if (!container || !window.DmnJS) { return; }
  const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const texts = JSON.parse(document.getElementById("decision-texts").textContent);
  const status = document.getElementById("decision-status");
  const list = document.getElementById("decision-problems");
  const button = document.getElementById("decision-deploy");
  const modeler = new window.DmnJS({container: container, common: {keyboard: {bindTo: window}}});

  function say(message, kind) {
    status.hidden = false;
    status.textContent = message;
    status.className = "design-status flash flash-" + kind;
  }

  function showProblems(problems) {
    list.replaceChildren(...problems.map((p) => {
      const item = document.createElement("li");
      item.className = "design-problem";
      item.textContent = (p.line ? p.line + ": " : "") + (p.element ? p.element + ": " : "") + p.message;
      return item;
    }));
  }

  async function load() {
    try {
      const response = await fetch(container.dataset.xmlUrl, {credentials: "same-origin"});
      if (!response.ok) { throw new Error(texts.loading_failed); }
      await modeler.importXML(await response.text());
      const table = modeler.getViews().find((view) => view.type === "decisionTable");
      if (table) { await modeler.open(table); }
      container.dataset.ready = "true";
    } catch (error) { say(texts.loading_failed, "error"); }
  }

  async function deploy() {
    button.disabled = true;
    say(texts.deploying, "info");
    try {
      const {xml} = await modeler.saveXML({format: true});
      const response = await fetch(container.dataset.deployUrl, {
        method: "POST", credentials: "same-origin", body: xml,
        headers: {"Content-Type": "application/xml", "X-CSRFToken": CSRF, "Accept": "application/json"},
      });
      const type = response.headers.get("Content-Type") || "";
      if (!type.includes("json")) { throw new Error(texts.request_failed.replace("{status}", response.status)); }
      const answer = await response.json();
      showProblems(answer.problems || []);
      say(answer.message, answer.ok ? "success" : "error");
    } catch (error) {
      say(error.message, "error");
    } finally {
      button.disabled = false;
    }
  }

  button.addEventListener("click", deploy);
  load();
})();
