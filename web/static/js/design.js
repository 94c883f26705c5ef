/* whistle · design: bpmn-js glue for the process viewer (live counts) and the modeler (validate, deploy).
   Loaded after exactly one bpmn-js bundle, whose global is BpmnJS. All words come from #design-texts. */
(function () {
  "use strict";

  const TEXTS = JSON.parse((document.getElementById("design-texts") || {}).textContent || "{}");
  const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const REFRESH_MS = 60000;

  function text(key, params) {
    return (TEXTS[key] || key).replace(/\{(\w+)\}/g, (all, name) => (params && name in params ? params[name] : all));
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => {
      if (value === undefined || value === null || value === false) { return; }
      if (name === "text") { node.textContent = value; } else { node.setAttribute(name, value === true ? "" : value); }
    });
    (children || []).forEach((child) => node.append(child));
    return node;
  }

  async function fetchText(url) {
    const response = await fetch(url, {credentials: "same-origin"});
    if (!response.ok) { throw new Error(text("request_failed", {status: response.status})); }
    return response.text();
  }

  // bpmn-moddle drops references it cannot resolve. SpiffWorkflow reads loopDataInputRef /
  // loopDataOutputRef as the name of a case variable (``departments``), which is no element
  // id, so without this a round trip through the modeler would silently lose the list a
  // multi-instance activity loops over. A stand-in with that id is written back as-is.
  const DATA_REFS = ["loopDataInputRef", "loopDataOutputRef"];

  function keepDataRefs(modeler, warnings) {
    const moddle = modeler.get("moddle");
    (warnings || []).forEach((warning) => {
      const property = String(warning.property || "").replace(/^bpmn:/, "");
      if (warning.element && DATA_REFS.includes(property) && warning.value) {
        warning.element.set(property, moddle.create("bpmn:ItemAwareElement", {id: warning.value}));
      }
    });
  }

  async function load(instance, container) {
    const xml = await fetchText(container.dataset.xmlUrl);
    const result = await instance.importXML(xml);
    keepDataRefs(instance, result.warnings);
    instance.get("canvas").zoom("fit-viewport", "auto");
    clearOfPalette(instance, container);
    container.dataset.ready = "true";
    return result;
  }

  // The modeler's palette floats over the canvas's top left, so a diagram fitted to the whole canvas
  // starts under it. Shrink the fit to the room right of the palette and move the diagram there.
  function clearOfPalette(instance, container) {
    const palette = container.querySelector(".djs-palette");
    if (!palette) { return; }  // the viewer has none
    const canvas = instance.get("canvas"), gap = 16;
    const start = palette.offsetLeft + palette.offsetWidth + gap;
    let box = canvas.viewbox();
    if (!box.inner.width || (box.inner.x - box.x) * box.scale >= start) { return; }
    const room = container.clientWidth - start - gap;
    if (room > 0 && box.inner.width * box.scale > room) {
      canvas.zoom(box.scale * room / (box.inner.width * box.scale));
      box = canvas.viewbox();
    }
    canvas.scroll({dx: start - (box.inner.x - box.x) * box.scale, dy: 0});
  }

  function failed(container, error) {
    container.replaceChildren(el("p", {class: "error design-load-error", role: "alert",
                                       text: text("loading_failed") + " " + (error && error.message || "")}));
  }

  // ---- viewer: waiting and overdue tasks per node -------------------------------------------------------

  function startViewer(container) {
    const viewer = new window.BpmnJS({container: container});
    window.whistleDesign = {viewer: viewer};
    const overlays = viewer.get("overlays"), registry = viewer.get("elementRegistry"), canvas = viewer.get("canvas");
    let marked = [];

    async function refresh() {
      const response = await fetch(container.dataset.countsUrl, {credentials: "same-origin"});
      if (!response.ok) { return; }
      const data = await response.json();
      overlays.remove({type: "design-count"});
      marked.forEach((id) => canvas.removeMarker(id, "design-overdue-marker"));
      marked = [];
      Object.entries(data.elements).forEach(([id, counts]) => {
        if (!registry.get(id)) { return; }
        const badge = el("div", {class: "design-counts", "data-element": id}, [
          el("span", {class: "design-count waiting", title: text("waiting"), text: String(counts.waiting)}),
        ]);
        if (counts.overdue) {
          badge.append(el("span", {class: "design-count overdue", title: text("overdue"), text: String(counts.overdue)}));
          canvas.addMarker(id, "design-overdue-marker");
          marked.push(id);
        }
        overlays.add(id, "design-count", {position: {top: -12, right: 12}, html: badge});
      });
      const totals = document.getElementById("design-totals");
      if (totals) { totals.textContent = text("totals", {waiting: data.waiting, overdue: data.overdue, at: data.at}); }
      container.dataset.counted = "true";
    }

    load(viewer, container).then(refresh).then(() => window.setInterval(refresh, REFRESH_MS))
      .catch((error) => failed(container, error));
  }

  // ---- modeler: validate, deploy, problems pinned to shapes, a small properties panel ----------------------

  function startModeler(container) {
    const modeler = new window.BpmnJS({container: container});
    const canvas = modeler.get("canvas"), overlays = modeler.get("overlays"), registry = modeler.get("elementRegistry");
    const selection = modeler.get("selection");
    const status = document.getElementById("design-status");
    const list = document.getElementById("design-problems");
    const countBadge = document.getElementById("design-problem-count");
    const empty = document.getElementById("design-problems-empty");
    let pinned = [];
    let dirty = false;
    // Errors from the last check of this very diagram: 部署 is refused until the diagram changes.
    let blocked = false;
    const deployButton = document.getElementById("design-deploy");
    window.whistleDesign = {modeler: modeler};

    function say(message, kind) {
      status.hidden = false;
      status.className = "design-status flash flash-" + kind;
      status.textContent = message;
    }

    // The shape a problem belongs to: the element itself, or for a process the pool drawing it.
    function shapeFor(id) {
      if (!id) { return null; }
      const found = registry.get(id);
      if (found && found !== canvas.getRootElement() && !found.labelTarget) { return found; }
      return registry.filter((e) => e.type === "bpmn:Participant" && e.businessObject.processRef &&
                                    e.businessObject.processRef.id === id)[0] || null;
    }

    function block(errors) {
      blocked = errors > 0;
      if (blocked) {
        deployButton.setAttribute("aria-disabled", "true");
        deployButton.title = text("deploy_blocked");
      } else {
        deployButton.removeAttribute("aria-disabled");
        deployButton.removeAttribute("title");
      }
    }

    function clearProblems() {
      overlays.remove({type: "design-problem"});
      pinned.forEach((id) => {
        if (registry.get(id)) {
          canvas.removeMarker(id, "design-problem-marker");
          canvas.removeMarker(id, "design-warning-marker");
        }
      });
      pinned = [];
      list.replaceChildren();
      countBadge.hidden = true;
    }

    function focus(shape) {
      selection.select(shape);
      canvas.scrollToElement(shape);
    }

    function showProblems(problems) {
      clearProblems();
      empty.textContent = problems.length ? "" : text("no_problems");
      countBadge.hidden = !problems.length;
      countBadge.textContent = String(problems.length);
      const errored = new Set(problems.filter((p) => p.severity !== "warning").map((p) => p.element));
      problems.forEach((problem, index) => {
        const shape = shapeFor(problem.element);
        const number = String(index + 1);
        const warning = problem.severity === "warning";
        const item = el("li", {class: "design-problem" + (shape ? " pinned" : "") + (warning ? " warning" : ""),
                               "data-element": problem.element || "", "data-severity": problem.severity || "error",
                               tabindex: "0"}, [
          el("span", {class: "design-problem-number", text: number}),
          el("span", {class: "design-problem-kind", text: text(warning ? "warning" : "error")}),
          el("span", {class: "design-problem-where"}, [
            el("code", {translate: "no", text: problem.location}), " ",
            el("code", {translate: "no", text: problem.element || text("no_element")}),
          ]),
          el("span", {class: "design-problem-message", text: problem.message}),
        ]);
        if (shape) {
          item.addEventListener("click", () => focus(shape));
          item.addEventListener("keydown", (event) => { if (event.key === "Enter") { focus(shape); } });
          const pin = el("button", {type: "button", class: "design-pin" + (warning ? " warning" : ""),
                                    "data-problem-for": shape.id, title: problem.message, text: number});
          pin.addEventListener("click", () => { item.scrollIntoView({block: "nearest"}); item.focus(); });
          // Top right: a pool's or lane's top left sits under the palette.
          overlays.add(shape, "design-problem", {position: {top: -12, right: 12}, html: pin});
          // A shape with an error stays red even when it also has warnings.
          canvas.addMarker(shape, warning && !errored.has(problem.element) ? "design-warning-marker" : "design-problem-marker");
          pinned.push(shape.id);
        } else {
          item.title = text("not_in_diagram");
        }
        list.append(item);
      });
    }

    function filename() {
      if (container.dataset.filename) { return container.dataset.filename; }
      const definitions = modeler.getDefinitions();
      const process = (definitions.rootElements || []).find((e) => e.$type === "bpmn:Process" && e.isExecutable);
      return (process ? process.id : "process") + ".bpmn";
    }

    async function send(url, busyKey) {
      const buttons = document.querySelectorAll(".design-toolbar button");
      buttons.forEach((b) => { b.disabled = true; });
      say(text(busyKey), "info");
      try {
        const {xml} = await modeler.saveXML({format: true});
        const response = await fetch(url + "?filename=" + encodeURIComponent(filename()), {
          method: "POST", credentials: "same-origin", body: xml,
          headers: {"Content-Type": "application/xml", "X-CSRFToken": CSRF, "Accept": "application/json"},
        });
        const type = response.headers.get("Content-Type") || "";
        if (!type.includes("json")) { throw new Error(text("request_failed", {status: response.status})); }
        return await response.json();
      } finally {
        buttons.forEach((b) => { b.disabled = false; });
      }
    }

    function errorsIn(problems) {
      return problems.filter((p) => p.severity !== "warning").length;
    }

    async function validate() {
      try {
        const answer = await send(container.dataset.validateUrl, "validating");
        showProblems(answer.problems || []);
        block(errorsIn(answer.problems || []));
        const warned = (answer.problems || []).length > 0;
        say(answer.message, answer.ok ? (warned ? "warning" : "success") : "error");
      } catch (error) { say(error.message, "error"); }
    }

    async function deploy() {
      if (blocked) {  // the server would refuse it too; say why without a round trip
        say(text("deploy_blocked"), "error");
        list.querySelector(".design-problem")?.focus();
        return;
      }
      try {
        const answer = await send(container.dataset.deployUrl, "deploying");
        showProblems(answer.problems || []);
        block(errorsIn(answer.problems || []));
        say(answer.message, answer.ok ? (answer.created ? "success" : "info") : "error");
        if (answer.ok) {
          dirty = false;
          container.dataset.deployedVersion = String(answer.version);
          if (!container.dataset.filename) { container.dataset.filename = answer.key + ".bpmn"; }
        }
      } catch (error) { say(error.message, "error"); }
    }

    async function download() {
      const {xml} = await modeler.saveXML({format: true});
      const link = el("a", {href: URL.createObjectURL(new Blob([xml], {type: "application/xml"})), download: filename()});
      document.body.append(link);
      link.click();
      link.remove();
      URL.revokeObjectURL(link.href);
    }

    document.getElementById("design-validate").addEventListener("click", validate);
    document.getElementById("design-deploy").addEventListener("click", deploy);
    document.getElementById("design-download").addEventListener("click", download);
    modeler.on("commandStack.changed", () => { dirty = true; block(0); });
    window.addEventListener("beforeunload", (event) => {
      if (dirty) { event.preventDefault(); event.returnValue = text("confirm_leave"); }
    });
    startProperties(modeler, document.getElementById("design-props"));
    load(modeler, container).catch((error) => failed(container, error));
  }

  // A few properties bpmn-js has no panel for here: ids, names, form keys, conditions, called processes,
  // and the warnings a designer accepts on a gateway or flow (extension property ``accept``).
  const CAMUNDA = "http://camunda.org/schema/1.0/bpmn";
  const ACCEPTS_ON = ["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway", "bpmn:ParallelGateway",
                      "bpmn:EventBasedGateway", "bpmn:SequenceFlow"];

  // bpmn-js knows no camunda types here, so camunda:properties is a generic element: children in $children.
  function isProperties(value) { return /^camunda:properties$/i.test(value.$type || ""); }

  function acceptOf(bo) {
    const props = ((bo.extensionElements && bo.extensionElements.values) || []).find(isProperties);
    const found = ((props && props.$children) || []).find((c) => c.name === "accept");
    return found ? found.value || "" : "";
  }

  function startProperties(modeler, panel) {
    const modeling = modeler.get("modeling"), moddle = modeler.get("moddle"), canvas = modeler.get("canvas");
    let current = null;

    function setAccept(element, value) {
      const bo = element.businessObject;
      const extensions = bo.extensionElements || moddle.create("bpmn:ExtensionElements", {values: []});
      let props = (extensions.values || []).find(isProperties);
      if (!props) {
        props = moddle.createAny("camunda:properties", CAMUNDA, {$children: []});
        extensions.values = (extensions.values || []).concat([props]);
      }
      const kept = (props.$children || []).filter((c) => c.name !== "accept");
      props.$children = value ? kept.concat([moddle.createAny("camunda:property", CAMUNDA, {name: "accept", value: value})])
        : kept;
      modeling.updateProperties(element, {extensionElements: extensions});
    }

    function field(label, name, value, type) {
      const input = el("input", {name: name, type: type || "text", translate: "no", spellcheck: "false"});
      if (type === "checkbox") { input.checked = !!value; } else { input.value = value || ""; }
      return el("label", {class: type === "checkbox" ? "design-check" : ""}, [text(label), input]);
    }

    function render(element) {
      current = element;
      if (!element || element === canvas.getRootElement() || element.labelTarget) {
        panel.replaceChildren(el("h2", {text: text("props_title")}), el("p", {class: "muted", text: text("props_none")}));
        return;
      }
      const bo = element.businessObject;
      const form = el("form", {class: "stack design-props-form", "data-element": element.id}, [
        el("p", {class: "muted"}, [el("code", {translate: "no", text: element.type.replace("bpmn:", "")})]),
        field("prop_id", "id", bo.id),
      ]);
      if (element.type !== "bpmn:SequenceFlow" || bo.name) { form.append(field("prop_name", "name", bo.name)); }
      if (["bpmn:UserTask", "bpmn:ManualTask", "bpmn:Task", "bpmn:StartEvent"].includes(element.type)) {
        form.append(field("prop_form", "formKey", bo.get("camunda:formKey")));
      }
      if (element.type === "bpmn:SequenceFlow") {
        form.append(field("prop_condition", "condition", bo.conditionExpression && bo.conditionExpression.body));
      }
      if (element.type === "bpmn:CallActivity") { form.append(field("prop_called", "calledElement", bo.calledElement)); }
      if (ACCEPTS_ON.includes(element.type)) { form.append(field("prop_accept", "accept", acceptOf(bo))); }
      if (element.type === "bpmn:Participant" && bo.processRef) {
        form.append(field("prop_process_id", "processId", bo.processRef.id));
        form.append(field("prop_executable", "executable", bo.processRef.isExecutable, "checkbox"));
      }
      form.append(el("div", {class: "actions"}, [el("button", {type: "submit", text: text("prop_apply")})]));
      form.addEventListener("submit", (event) => { event.preventDefault(); apply(element, form); });
      panel.replaceChildren(el("h2", {text: text("props_title")}), form);
    }

    function apply(element, form) {
      const values = Object.fromEntries(new FormData(form).entries());
      const bo = element.businessObject;
      try {
        if ("name" in values && values.name !== (bo.name || "")) { modeling.updateLabel(element, values.name); }
        if ("formKey" in values) { modeling.updateProperties(element, {"camunda:formKey": values.formKey || undefined}); }
        if ("condition" in values) {
          const body = values.condition.trim();
          modeling.updateProperties(element, {conditionExpression: body ?
            moddle.create("bpmn:FormalExpression", {body: body}) : undefined});
        }
        if ("calledElement" in values) { modeling.updateProperties(element, {calledElement: values.calledElement}); }
        if ("accept" in values && values.accept.trim() !== acceptOf(bo)) { setAccept(element, values.accept.trim()); }
        if ("processId" in values) {
          modeling.updateModdleProperties(element, bo.processRef, {id: values.processId,
                                                                   isExecutable: form.elements.executable.checked});
        }
        if (values.id && values.id !== bo.id) { modeling.updateProperties(element, {id: values.id}); }
      } catch (error) {
        form.append(el("p", {class: "field-error", role: "alert", text: error.message}));
      }
    }

    modeler.on("selection.changed", (event) => render(event.newSelection.length === 1 ? event.newSelection[0] : null));
    modeler.on("elements.changed", (event) => {
      if (current && event.elements.includes(current)) { render(current); }
    });
    render(null);
  }

  document.querySelectorAll("[data-mode=viewer]").forEach(startViewer);
  document.querySelectorAll("[data-mode=modeler]").forEach(startModeler);
})();
