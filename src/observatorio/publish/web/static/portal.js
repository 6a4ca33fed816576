/* Observatorio Migratorio Regional — draws each page's charts from the JSON beside them.
   Sets data-chart-ready on every drawn <figure>, data-charts-in-view on <html> when the charts
   of the first screen are drawn (mark "charts-in-view") and data-charts-ready when all are
   (mark "charts-drawn"): the browser tests and the bench wait for them. No request leaves
   this server. */
(function () {
  "use strict";
  var lang = document.documentElement.lang === "en" ? "en" : "es";
  var config = {
    responsive: true, displaylogo: false, locale: lang,
    topojsonURL: "/static/geo/topojson/",
    modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"]
  };

  function registerSpanish() {
    Plotly.register({
      moduleType: "locale", name: "es",
      dictionary: { "Autoscale": "Escala automática", "Reset axes": "Restablecer ejes",
        "Zoom in": "Acercar", "Zoom out": "Alejar", "Pan": "Desplazar", "Zoom": "Zoom",
        "Double-click to zoom back out": "Doble clic para alejar" },
      format: {
        days: ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"],
        shortDays: ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"],
        months: ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
          "septiembre", "octubre", "noviembre", "diciembre"],
        shortMonths: ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct",
          "nov", "dic"],
        date: "%d/%m/%Y", decimal: ",", thousands: "."
      }
    });
  }

  // Legend names longer than the screen allows are broken into lines (a phone would clip them).
  function wrap(text, max) {
    var lines = [], line = "";
    String(text).split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > max) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.join("<br>");
  }

  function fitLegend(fig, width) {
    if (width >= 700) { return; }
    var max = Math.max(16, Math.floor((width - 50) / 7));
    fig.data.forEach(function (trace) {
      if (trace.name && trace.showlegend !== false) { trace.name = wrap(trace.name, max); }
    });
    fig.layout.legend = Object.assign({}, fig.layout.legend, { font: { size: 11 } });
    // maps: the colour scale lies across, under the map, which keeps the phone's width
    fig.data.forEach(function (trace) {
      if (trace.colorbar) {
        trace.colorbar = Object.assign({}, trace.colorbar, {
          orientation: "h", x: 0.5, xanchor: "center", y: 0, yanchor: "top", len: 0.9,
          thickness: 10 });
      }
    });
    // yearly bars: more years than fit side by side would be turned upright by plotly.js and
    // run into the legend under them; keep them level and name every other (or every third)
    // year, always the latest, so that no label is cut
    var xaxis = fig.layout.xaxis;
    if (xaxis && xaxis.type === "category") {
      var years = [];
      fig.data.forEach(function (trace) {
        if (trace.type === "bar" && trace.orientation !== "h") {
          (trace.x || []).forEach(function (x) { if (years.indexOf(x) < 0) { years.push(x); } });
        }
      });
      years.sort();  // the axis orders its categories ascending
      var room = Math.max(1, Math.floor((width - 90) / 40));  // a year needs ~40 px level
      if (years.length > room) {
        var step = Math.ceil(years.length / room);
        xaxis.tickmode = "array";
        xaxis.tickvals = years;
        xaxis.ticktext = years.map(function (year, i) {
          return (years.length - 1 - i) % step === 0 ? year : "";
        });
        xaxis.tickangle = 0;
      }
    }
    // horizontal bars: long category names (causes, routes) wrap too, as tick labels only
    var axis = fig.layout.yaxis;
    if (axis && axis.type === "category") {
      var names = [];
      fig.data.forEach(function (trace) {
        if (trace.orientation === "h") {
          trace.y.forEach(function (y) { if (names.indexOf(y) < 0) { names.push(y); } });
        }
      });
      if (names.length) {
        axis.tickmode = "array";
        axis.tickvals = names;
        axis.ticktext = names.map(function (n) { return wrap(n, Math.floor(max / 2)); });
        // bars are evenly spaced: each gets the height the longest wrapped name needs
        var lines = Math.max.apply(null, axis.ticktext.map(function (t) {
          return t.split("<br>").length;
        }));
        fig.layout.height = Math.max(fig.layout.height || 0,
                                     90 + names.length * Math.max(28, 15 * lines + 8));
      }
    }
  }

  function draw(figureEl) {
    var script = figureEl.querySelector("script.figure-data");
    var target = figureEl.querySelector(".plot");
    if (!script || !target) { return Promise.resolve(); }
    var fig = JSON.parse(script.textContent);
    fitLegend(fig, target.clientWidth || window.innerWidth);
    // a map that draws the world's land fetches it from its own address; the others get the
    // region's small shapes for whatever topojson plotly.js asks for
    var land = fig.layout.geo && fig.layout.geo.showland;
    var own = land ? Object.assign({}, config, { topojsonURL: "/static/geo/land/" }) : config;
    return Plotly.newPlot(target, fig.data, fig.layout, own).then(function () {
      figureEl.setAttribute("data-chart-ready", "true");
    });
  }

  function mark(name) {
    if (window.performance && performance.mark) { performance.mark(name); }
  }

  function inView(figureEl) {
    var box = figureEl.getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  }

  // Charts below the first screen are drawn one at a time after those in view, yielding to
  // the browser between them, so what the reader sees first is drawn first.
  function drawInTurn(figures) {
    return figures.reduce(function (done, figureEl) {
      return done.then(function () {
        return new Promise(function (resolve) { setTimeout(resolve, 0); });
      }).then(function () { return draw(figureEl); });
    }, Promise.resolve());
  }

  function start() {
    var root = document.documentElement;
    var figures = Array.prototype.slice.call(document.querySelectorAll("figure.chart[data-chart]"));
    if (!figures.length || typeof Plotly === "undefined") {
      // nothing to draw (pages without charts do not even load plotly.js)
      root.setAttribute("data-charts-ready", figures.length ? "error" : "true");
      root.setAttribute("data-charts-in-view", figures.length ? "error" : "true");
      mark("charts-in-view");
      mark("charts-drawn");
      return;
    }
    if (lang === "es") { registerSpanish(); }
    var first = figures.filter(inView);
    var later = figures.filter(function (f) { return first.indexOf(f) < 0; });
    Promise.all(first.map(draw)).then(function () {
      root.setAttribute("data-charts-in-view", "true");
      mark("charts-in-view");
      return drawInTurn(later);
    }).then(function () {
      root.setAttribute("data-charts-ready", "true");
      mark("charts-drawn");
    }, function (err) {
      root.setAttribute("data-charts-ready", "error");
      throw err;
    });
    // Picking a map indicator reloads the page with it, so the CSV link and table follow.
    var picker = document.querySelector("[data-map-picker] select");
    if (picker) {
      picker.addEventListener("change", function () { picker.form.submit(); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
})();
