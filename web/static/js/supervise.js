/* Supervision charts: ECharts (vendored) fed by the board's JSON endpoints; texts come translated from them. */
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var COLOURS = {grey: "#9aa5b1", yellow: "#f9a825", orange: "#ef6c00", red: "#c62828"};
  var lang = document.documentElement.lang === "en" ? "EN" : "ZH";

  function title(data) {
    return {text: data.title, left: "center", top: 0, textStyle: {fontSize: 14, fontWeight: 600}};
  }

  var builders = {
    departments: function (data) {
      return {
        title: title(data),
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
        grid: {left: 40, right: 12, top: 36, bottom: 60},
        xAxis: {type: "category", data: data.items.map(function (i) { return i.short_name; }),
                axisLabel: {interval: 0, rotate: data.items.length > 4 ? 30 : 0}},
        yAxis: {type: "value", minInterval: 1},
        series: [{name: data.series, type: "bar", data: data.items.map(function (i) { return i.value; }),
                  itemStyle: {color: COLOURS.red}, barMaxWidth: 36}]
      };
    },
    levels: function (data) {
      return {
        title: title(data),
        tooltip: {trigger: "item", formatter: "{b}: {c} ({d}%)"},
        legend: {bottom: 0, type: "scroll"},
        series: [{name: data.series, type: "pie", radius: ["35%", "62%"], center: ["50%", "52%"],
                  label: {position: "inside", formatter: "{c}", color: "#fff", fontWeight: 700},
                  data: data.items.map(function (i) {
                    return {name: i.label, value: i.value, itemStyle: {color: COLOURS[i.colour] || COLOURS.red}};
                  })}]
      };
    },
    trend: function (data) {
      return {
        title: title(data),
        tooltip: {trigger: "axis"},
        grid: {left: 40, right: 16, top: 36, bottom: 40},
        xAxis: {type: "category", boundaryGap: false,
                data: data.items.map(function (i) { return i.week.replace(/^\d{4}-/, ""); })},
        yAxis: {type: "value", minInterval: 1},
        series: [{name: data.series, type: "line", areaStyle: {opacity: 0.15},
                  data: data.items.map(function (i) { return i.value; }), itemStyle: {color: COLOURS.red}}]
      };
    }
  };

  function draw(node, data) {
    node.setAttribute("aria-label", data.title);
    var total = data.items.reduce(function (sum, i) { return sum + i.value; }, 0);
    if (!total) {
      var empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = data.title + " · " + data.empty;
      node.replaceChildren(empty);
    } else {
      var chart = window.echarts.init(node, null, {locale: lang});
      var option = builders[node.getAttribute("data-chart")](data);
      option.animation = false;  // drawn at once: slow office PCs, and screenshots show the whole chart
      chart.setOption(option);
      window.addEventListener("resize", function () { chart.resize(); });
    }
    node.setAttribute("data-ready", "1");
  }

  document.querySelectorAll("[data-chart][data-src]").forEach(function (node) {
    fetch(node.getAttribute("data-src"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) { draw(node, data); })
      .catch(function () { node.setAttribute("data-ready", "error"); });
  });
})();
