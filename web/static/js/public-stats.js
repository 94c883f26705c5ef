/* 网上监督 (public statistics): two ECharts charts drawn from the page's JSON block; texts come translated in it. */
(function () {
  "use strict";
  var source = document.getElementById("public-stats-data");
  if (!window.echarts || !source) { return; }
  var data = JSON.parse(source.textContent);
  var lang = document.documentElement.lang === "en" ? "EN" : "ZH";
  var PALETTE = ["#c62828", "#1d4ed8", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#9aa5b1"];
  var charts = [];

  function title(chart) {
    return {text: chart.title, left: "center", top: 0, textStyle: {fontSize: 14, fontWeight: 600}};
  }

  var builders = {
    // The units' first rate, best first, as horizontal bars: long Chinese unit names stay readable on a phone.
    rates: function (chart, node) {
      var items = chart.items.slice().reverse();
      node.style.height = Math.max(180, 60 + items.length * 30) + "px";
      return {
        title: title(chart),
        tooltip: {trigger: "axis", axisPointer: {type: "shadow"}, valueFormatter: function (v) { return v + "%"; }},
        grid: {left: 8, right: 40, top: 32, bottom: 8, containLabel: true},
        xAxis: {type: "value", min: 0, max: 100, axisLabel: {formatter: "{value}%"}},
        yAxis: {type: "category", data: items.map(function (i) { return i.name; }),
                axisLabel: {width: 110, overflow: "truncate"}},
        series: [{name: chart.series, type: "bar", data: items.map(function (i) { return i.value; }),
                  itemStyle: {color: PALETTE[0]}, barMaxWidth: 22,
                  label: {show: true, position: "right", formatter: "{c}%"}}]
      };
    },
    // Cases started per month, one line per frequent value of the chosen field.
    trend: function (chart, node) {
      node.style.height = "320px";
      return {
        title: title(chart),
        color: PALETTE,
        tooltip: {trigger: "axis"},
        legend: {type: "scroll", bottom: 0},
        grid: {left: 8, right: 16, top: 36, bottom: 48, containLabel: true},
        // Each month labelled, centred in its band ("09" over "2026"): six fit a phone and the last stays on screen.
        xAxis: {type: "category", data: chart.months,
                axisLabel: {interval: 0, formatter: function (v) { return v.slice(5) + "\n" + v.slice(0, 4); }}},
        yAxis: {type: "value", minInterval: 1},
        series: chart.series.map(function (s) { return {name: s.name, type: "line", data: s.values}; })
      };
    }
  };

  function empty(chart) {
    return chart.items ? !chart.items.length : !chart.series.length;
  }

  document.querySelectorAll("[data-chart]").forEach(function (node) {
    var kind = node.getAttribute("data-chart");
    var chart = data[kind];
    if (!chart || !builders[kind]) { return; }
    if (empty(chart)) {
      var note = document.createElement("p");
      note.className = "empty";
      note.textContent = chart.title + " · " + chart.empty;
      node.replaceChildren(note);
    } else {
      var option = builders[kind](chart, node);
      option.animation = false;  // drawn at once: slow phones, and screenshots show the whole chart
      var drawn = window.echarts.init(node, null, {locale: lang});
      drawn.setOption(option);
      charts.push(drawn);
    }
    node.setAttribute("data-ready", "1");
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
