/* Dashboard charts: draws each chart of #jm-dashboard-data with the vendored ECharts; a click on a
   bar or slice opens the list behind it; the Chart/Table buttons swap the chart for its table. */
(function () {
  "use strict";
  var node = document.getElementById("jm-dashboard-data");
  if (!node || !window.echarts) { return; }
  var charts = JSON.parse(node.textContent);
  var palette = ["#3a7bd5", "#f0a30a", "#2e9e6b", "#c0392b", "#8e44ad", "#16a085"];

  function option(chart) {
    var base = { color: palette, tooltip: { trigger: chart.kind === "pie" ? "item" : "axis" },
                 grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true } };
    if (chart.kind === "pie") {
      base.legend = { top: 0 };
      base.series = [{ type: "pie", radius: ["35%", "65%"], top: 24, data: chart.series[0].data,
                       label: { formatter: "{b}: {c}" } }];
      return base;
    }
    var horizontal = chart.kind === "stacked-h";
    // Every label while they fit; on the 30-day axis ECharts picks which dates to print.
    var categoryAxis = { type: "category", data: chart.categories,
                         axisLabel: { interval: chart.categories.length > 12 ? "auto" : 0, rotate: horizontal ? 0 : 30 } };
    // Order counts are whole numbers; money axes keep ECharts' own steps.
    var valueAxis = chart.kind === "stacked-h" ? { type: "value", minInterval: 1 } : { type: "value" };
    if (chart.series.length === 1 && chart.series[0].percent) {
      valueAxis.max = 100;
      valueAxis.axisLabel = { formatter: "{value}%" };
    }
    base.legend = chart.series.length > 1 ? { top: 0 } : undefined;
    base.xAxis = horizontal ? valueAxis : categoryAxis;
    base.yAxis = horizontal ? categoryAxis : valueAxis;
    base.series = chart.series.map(function (s) {
      var formatter = s.percent ? "{c}%" : "{c}";
      if (s.money) {  // amounts in yuan as the tables print them: 1,234.50
        formatter = function (p) {
          return Number(p.value).toLocaleString("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
        };
      }
      return { name: s.name, type: "bar", stack: s.stack, data: s.data, barMaxWidth: 36,
               label: { show: chart.series.length === 1, position: horizontal ? "right" : "top",
                        formatter: formatter } };
    });
    return base;
  }

  charts.forEach(function (chart) {
    var box = document.getElementById("jm-chart-" + chart.key);
    if (!box) { return; }
    var drawn = window.echarts.init(box, null, { renderer: "canvas" });
    drawn.setOption(option(chart));
    drawn.on("click", function (params) {
      var link = chart.links[params.dataIndex];
      if (link) { window.location.href = link; }
    });
    window.addEventListener("resize", function () { drawn.resize(); });
  });

  function toggle(key, showTable) {
    var chartBox = document.getElementById("jm-chart-" + key);
    var tableBox = document.getElementById("jm-chart-table-" + key);
    if (chartBox) { chartBox.style.display = showTable ? "none" : ""; }
    if (tableBox) { tableBox.style.display = showTable ? "" : "none"; }
    var panel = document.getElementById("jm-panel-" + key);
    panel.querySelector(".jm-show-chart").classList.toggle("active", !showTable);
    panel.querySelector(".jm-show-table").classList.toggle("active", showTable);
  }
  document.querySelectorAll(".jm-show-table").forEach(function (b) {
    b.addEventListener("click", function () { toggle(b.getAttribute("data-key"), true); });
  });
  document.querySelectorAll(".jm-show-chart").forEach(function (b) {
    b.addEventListener("click", function () { toggle(b.getAttribute("data-key"), false); });
  });
}());
