// Draws the coverage bar charts of the dashboard and subdistrict pages with ECharts.
// The data comes from a JSON script element written by the server; nothing is fetched.
(function () {
  "use strict";
  var COLORS = {total: "#9ca3af", org: "#b91c1c", work: "#f59e0b"};
  function draw(el) {
    var data = JSON.parse(document.getElementById(el.getAttribute("data-chart")).textContent);
    var target = data.targets[el.getAttribute("data-target")];
    var chart = echarts.init(el, null, {renderer: "canvas"});
    var bar = function (name, key) {
      return {name: name, type: "bar", data: target[key], itemStyle: {color: COLORS[key]}, barGap: "10%"};
    };
    chart.on("finished", function () { el.setAttribute("data-drawn", "true"); });
    chart.setOption({
      animation: false,
      title: {text: target.title, left: 10, top: 6, textStyle: {fontSize: 14}},
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      legend: {top: 6, right: 10, data: ["总数", "组织覆盖", "工作覆盖"]},
      grid: {left: 44, right: 12, top: 44, bottom: 70},
      xAxis: {type: "category", data: data.areas, axisLabel: {rotate: 35, fontSize: 11, interval: 0}},
      yAxis: {type: "value", minInterval: 1},
      series: [bar("总数", "total"), bar("组织覆盖", "org"), bar("工作覆盖", "work")]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.querySelectorAll("[data-chart]").forEach(draw);
})();
