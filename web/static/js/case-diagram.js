/* whistle · the case page diagram: the case's version, done steps green, waiting steps orange.
   Loaded after the bpmn-js navigated viewer (global BpmnJS); words come from the container's data attributes. */
(function () {
  "use strict";

  const TASKS = ["bpmn:UserTask", "bpmn:ManualTask", "bpmn:Task"];

  function badge(kind, count, title) {
    const node = document.createElement("span");
    node.className = "case-count " + kind;
    node.title = title;
    node.textContent = String(count);
    return node;
  }

  async function show(container) {
    const viewer = new window.BpmnJS({container: container});
    window.whistleCaseDiagram = viewer;
    const response = await fetch(container.dataset.url, {credentials: "same-origin"});
    if (!response.ok) { throw new Error(String(response.status)); }
    const data = await response.json();
    await viewer.importXML(data.xml);
    const canvas = viewer.get("canvas"), overlays = viewer.get("overlays"), registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport", "auto");
    Object.entries(data.states).forEach(([id, counts]) => {
      if (!registry.get(id)) { return; }
      // A step can be both (one department done, another still at it): waiting is what matters now.
      canvas.addMarker(id, counts.active ? "case-active" : "case-done");
      // Only a task's numbers mean departments; events and call activities count engine bookkeeping.
      if (!TASKS.includes(registry.get(id).type)) { return; }
      const box = document.createElement("div");
      box.className = "case-counts";
      box.dataset.element = id;
      if (counts.completed) { box.append(badge("done", counts.completed, container.dataset.textDone)); }
      if (counts.active) { box.append(badge("active", counts.active, container.dataset.textActive)); }
      overlays.add(id, "case-state", {position: {top: -10, right: 10}, html: box});
    });
    container.dataset.ready = "true";
  }

  document.querySelectorAll("[data-case-diagram]").forEach((container) => {
    show(container).catch(() => {
      const message = document.createElement("p");
      message.className = "error";
      message.setAttribute("role", "alert");
      message.textContent = container.dataset.textFailed;
      container.replaceChildren(message);
    });
  });
})();
