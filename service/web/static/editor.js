// The SPARQL editor page: YASGUI (served from /assets) set up for this service. The endpoint is
// this service's /sparql; new tabs start with the graph's prefixes; the saved queries open as
// examples in tabs of their own; YASGUI's share link (the query in the URL) reopens the editor here.
(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("editor-config").textContent);
  const holder = document.getElementById("yasgui");
  if (typeof Yasgui === "undefined") {
    holder.textContent = "The editor script did not load; the endpoint still answers queries at " + config.endpoint + ".";
    return;
  }

  // d3 and our chart code are loaded the first time a chart is drawn, not with the page.
  let chartsReady = null;
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () {
        reject(new Error("could not load " + src));
      };
      document.head.append(script);
    });
  }
  function loadCharts() {
    if (!chartsReady) {
      chartsReady = loadScript(config.chartScripts[0]).then(function () {
        return loadScript(config.chartScripts[1]);
      });
    }
    return chartsReady;
  }

  // Terms of a SPARQL JSON binding as chart values: numbers for numeric literals, text otherwise.
  const NUMERIC = /#(integer|decimal|double|float|long|int|short|nonNegativeInteger|positiveInteger)$/;
  function records(results) {
    return results.getBindings().map(function (binding) {
      const row = {};
      for (const name of Object.keys(binding)) {
        const term = binding[name];
        row[name] = term.type === "literal" && NUMERIC.test(term.datatype || "") ? Number(term.value) : term.value;
      }
      return row;
    });
  }

  // A YASR plugin: a bar chart for answers with a name column and number columns.
  class ChartPlugin {
    constructor(yasr) {
      this.yasr = yasr;
      this.priority = 5;
      this.label = "Chart";
    }
    spec() {
      const results = this.yasr.results;
      if (!results || !results.getVariables || results.getType() !== "json" || !results.getBindings()) return null;
      if (typeof EconsecCharts === "undefined") {
        // not loaded yet: offer the chart when the answer has a number column
        const rows = records(results);
        return rows.some((r) => Object.values(r).some((v) => typeof v === "number")) ? {} : null;
      }
      return EconsecCharts.guess(results.getVariables(), records(results));
    }
    canHandleResults() {
      return Boolean(config.chartScripts) && this.spec() !== null;
    }
    async draw() {
      const el = document.createElement("div");
      el.className = "chart";
      this.yasr.resultsEl.append(el);
      try {
        await loadCharts();
        const spec = EconsecCharts.guess(this.yasr.results.getVariables(), records(this.yasr.results));
        if (!spec) {
          el.textContent = "This answer has no column of names with a column of numbers to chart.";
          return;
        }
        EconsecCharts.draw(el, records(this.yasr.results), spec);
      } catch (error) {
        el.textContent = "The chart could not be drawn: " + error.message;
      }
    }
    getIcon() {
      const icon = document.createElement("span");
      icon.setAttribute("aria-hidden", "true");
      icon.textContent = "▥";
      return icon;
    }
  }
  Yasgui.Yasr.registerPlugin("chart", ChartPlugin);

  const yasgui = new Yasgui(holder, {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: config.endpoint }];
      },
    },
    persistenceId: "econsec-editor",
    populateFromUrl: true,
    yasqe: {
      value: config.starter,
      // prefix and variable completion work offline; the class and property completers ask LOV
      autocompleters: ["prefixes", "variables"],
      prefixCcApi: null,
      editorHeight: "22rem",
    },
    yasr: { prefixes: config.prefixes, pluginOrder: ["table", "response", "chart"], defaultPlugin: "table" },
  });
  window.econsecYasgui = yasgui; // for the browser tests and the console

  // Narrow the examples by words of their names and summaries (as the Wikidata examples dialog does).
  const filter = document.getElementById("example-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      for (const button of document.querySelectorAll("[data-example]")) {
        const example = config.examples[Number(button.dataset.example)];
        const text = (example.name + " " + example.summary).toLowerCase();
        button.parentElement.hidden = !words.every((w) => text.includes(w));
      }
    });
  }

  // The saved queries: each opens in its own tab (or goes back to that tab if it is open).
  for (const button of document.querySelectorAll("[data-example]")) {
    button.addEventListener("click", function () {
      const example = config.examples[Number(button.dataset.example)];
      for (const id of Object.keys(yasgui._tabs)) {
        if (yasgui._tabs[id].getName() === example.name) {
          yasgui.selectTabId(id);
          return;
        }
      }
      const tab = Yasgui.Tab.getDefaults(yasgui);
      tab.name = example.name;
      tab.yasqe.value = example.query;
      yasgui.addTab(true, tab);
    });
  }
})();
