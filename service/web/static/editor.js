// The SPARQL editor page: YASGUI (served from /assets) set up for this service. The endpoint is
// this service's /sparql; new tabs start with the graph's prefixes; the saved queries open as
// examples in tabs of their own; YASGUI's share link (the query in the URL) reopens the editor here.
// Errors read as sentences with the place in the query highlighted (the service writes the
// sentence and the spans: service/sparql/syntax_hints.py); our IRIs in answers open their page
// here; dated answers get a timeline and graph-shaped ones (s p o, CONSTRUCT) a drawing.
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

  // --- Our IRIs open their page here -----------------------------------------------------------
  // {public base}X is answered at {root}/X (the contract of the linked-data routes), so a result
  // link to https://w3id.org/econsec/id/country/japan opens /id/country/japan in this tab.
  function localHref(iri) {
    if (typeof iri !== "string" || !config.publicBase || !iri.startsWith(config.publicBase)) return null;
    const rest = iri.slice(config.publicBase.length);
    // "{base}//host/x" would become the protocol-relative "//host/x": another site, not a page here
    return /^[\/\\]/.test(rest) ? null : config.root + "/" + rest;
  }
  function localiseLinks(root) {
    for (const a of root.querySelectorAll("a[href]")) {
      const local = localHref(a.getAttribute("href"));
      if (local) {
        a.setAttribute("href", local);
        a.removeAttribute("target");
        a.title = a.title || "the page of " + a.textContent + " on this service";
      }
    }
  }
  new MutationObserver(function (changes) {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (node.nodeType === 1) localiseLinks(node.parentElement || node);
      }
    }
  }).observe(holder, { childList: true, subtree: true });

  // --- Readable errors -------------------------------------------------------------------------
  // The service answers a malformed query with JSON: the parser's message, its line and column,
  // an explanation in words and the spans to highlight. Shown as a sentence, the spans marked in
  // the editor (CodeMirror counts lines from 0 and columns in UTF-16 units; the service counts
  // from 1 in characters), the parser's own words folded away.
  let marked = [];
  function clearMarks() {
    for (const mark of marked) mark.clear();
    marked = [];
  }
  function toEditor(yasqe, line, column) {
    const text = yasqe.getLine(line - 1) || "";
    return { line: line - 1, ch: Array.from(text).slice(0, Math.max(column - 1, 0)).join("").length };
  }
  function markSpans(yasqe, body) {
    clearMarks();
    const spans = body.marks && body.marks.length ? body.marks : body.line ? [{ line: body.line, column: body.column, length: 1 }] : [];
    spans.forEach(function (span, i) {
      if (!span.line || span.line > yasqe.lineCount()) return;
      const from = toEditor(yasqe, span.line, span.column);
      const text = yasqe.getLine(span.line - 1) || "";
      const after = Array.from(text).slice(0, span.column - 1 + span.length).join("").length;
      const to = { line: from.line, ch: Math.max(after, from.ch + 1) };
      marked.push(yasqe.markText(from, to, { className: i === 0 ? "query-error" : "query-error-related", title: body.explanation || body.message }));
      const lineHandle = yasqe.addLineClass(from.line, "background", i === 0 ? "query-error-line" : "query-error-line-related");
      marked.push({ clear: () => yasqe.removeLineClass(lineHandle, "background", i === 0 ? "query-error-line" : "query-error-line-related") });
      if (i === 0) yasqe.scrollIntoView(from, 80);
    });
  }
  // the JSON error body; or the plain-text one (a CONSTRUCT asks for Turtle, so its errors come as
  // text: "Title: explanation", the excerpt, then "The parser says: error at L:C: ...")
  const TEXT_ERROR = /^([A-Z][^:\n]{0,60}): ([^\n]+)\n/;
  const PARSER_SAYS = /\nThe parser says: ((?:.|\n)*)$/;
  function errorBody(error) {
    const text = error.text || "";
    try {
      const body = JSON.parse(text);
      return body && typeof body === "object" && body.error && body.message ? body : null;
    } catch (_) {
      const head = TEXT_ERROR.exec(text);
      const position = /error at (\d+):(\d+)/.exec(text);
      if (!head || !position) return null;
      const said = PARSER_SAYS.exec(text);
      return {
        error: head[1],
        explanation: head[2],
        message: said ? said[1].trim() : head[2],
        line: Number(position[1]),
        column: Number(position[2]),
      };
    }
  }
  async function readableError(error) {
    const body = errorBody(error);
    if (!body) return undefined; // not ours (a network failure): YASR's own message
    const box = document.createElement("div");
    box.className = "query-error-report";
    box.setAttribute("role", "alert");
    const title = document.createElement("p");
    const strong = document.createElement("strong");
    const at = body.marks && body.marks.length ? body.marks[0] : body;
    strong.textContent = body.error + (at.line ? ` at line ${at.line}, column ${at.column}` : "");
    title.append(strong);
    const said = document.createElement("p");
    said.className = "explanation";
    said.textContent = body.explanation || body.message;
    box.append(title, said);
    if (body.explanation && body.explanation !== body.message) {
      const details = document.createElement("details");
      const summary = document.createElement("summary");
      summary.textContent = "The parser's own message";
      const pre = document.createElement("pre");
      pre.textContent = body.message;
      details.append(summary, pre);
      box.append(details);
    }
    const yasqe = yasgui.getTab() && yasgui.getTab().getYasqe();
    if (yasqe) markSpans(yasqe, body);
    return box;
  }
  Yasgui.Yasr.defaults.errorRenderers = [readableError, ...(Yasgui.Yasr.defaults.errorRenderers || [])];

  // --- Drawings of suitable answers ------------------------------------------------------------
  const DATE_TYPES = /#(date|dateTime|gYear|gYearMonth)$/;
  const LOOKS_DATED = /^\d{4}(-\d{2}(-\d{2})?)?([T ]|$)/;
  function shortName(term) {
    if (!term) return "";
    if (term.type !== "uri") return term.value;
    for (const [prefix, namespace] of Object.entries(config.prefixes)) {
      if (term.value.startsWith(namespace) && term.value.length > namespace.length) return prefix + ":" + term.value.slice(namespace.length);
    }
    return term.value;
  }
  function isDated(term) {
    return term && term.type !== "uri" && term.type !== "bnode" && (DATE_TYPES.test(term.datatype || "") || (!term.datatype && LOOKS_DATED.test(term.value)));
  }
  // rows with a column of dates and something to name each row by
  function timelineOf(variables, bindings) {
    if (!bindings.length) return null;
    const bound = (v) => bindings.filter((b) => b[v]);
    const date = variables.find((v) => bound(v).length && bound(v).every((b) => isDated(b[v])));
    if (!date) return null;
    const literal = variables.filter((v) => v !== date && bound(v).some((b) => b[v].type !== "uri" && !isDated(b[v])));
    const label = literal.find((v) => /label|name|title/i.test(v)) || literal[0] || variables.find((v) => v !== date && bound(v).length);
    if (!label) return null;
    const link = variables.find((v) => v !== date && bound(v).some((b) => b[v].type === "uri"));
    const group = variables.find((v) => {
      if (v === date || v === label || v === link) return false;
      const values = new Set(bound(v).map((b) => b[v].value));
      return values.size > 1 && values.size <= 8;
    });
    const rows = bindings.map((b) => ({
      date: b[date] && b[date].value,
      label: shortName(b[label]) || shortName(b[link]),
      group: group ? shortName(b[group]) : "",
      href: link && b[link] ? localHref(b[link].value) || b[link].value : null,
    }));
    return { spec: { kind: "timeline", date: "date", label: "label", group: "group", href: "href" }, rows: rows };
  }
  const NAMES = new Set(["http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel"]);
  const GRAPH_COLUMNS = [["subject", "predicate", "object"], ["s", "p", "o"]];
  const MAX_EDGES = 400;
  // triples (a CONSTRUCT or DESCRIBE answer, or a SELECT of ?s ?p ?o) as nodes and labelled links
  function graphOf(variables, bindings) {
    const columns = GRAPH_COLUMNS.find((names) => names.every((n) => variables.includes(n)));
    if (!columns || !bindings.length) return null;
    const [s, p, o] = columns;
    const labels = new Map();
    for (const b of bindings) {
      if (b[s] && b[p] && b[o] && NAMES.has(b[p].value) && b[o].type !== "uri") {
        const lang = b[o]["xml:lang"] || b[o].lang || "";
        if (!labels.has(b[s].value) || lang === "en") labels.set(b[s].value, b[o].value);
      }
    }
    const rows = [];
    for (const b of bindings) {
      if (!b[s] || !b[p] || !b[o] || b[o].type === "literal" || b[o].type === "typed-literal") continue;
      if (rows.length >= MAX_EDGES) break;
      rows.push({
        source: b[s].value,
        sourceLabel: labels.get(b[s].value) || shortName(b[s]),
        sourceHref: localHref(b[s].value),
        target: b[o].value,
        targetLabel: labels.get(b[o].value) || shortName(b[o]),
        targetHref: localHref(b[o].value),
        relation: shortName(b[p]),
      });
    }
    if (!rows.length) return null;
    const spec = { kind: "network", source: "source", sourceLabel: "sourceLabel", sourceHref: "sourceHref", target: "target", targetLabel: "targetLabel", targetHref: "targetHref", relation: "relation" };
    // a few dozen links: name every node and spread them out; more: name the hubs only
    const small = rows.length <= 60;
    Object.assign(spec, { minLabelDegree: small ? 1 : 3, linkDistance: small ? 150 : 60, charge: small ? -600 : -120, height: 560 });
    return { spec: spec, rows: rows };
  }
  function answerOf(yasr) {
    const results = yasr.results;
    if (!results || !results.getVariables || results.getError() || !results.getBindings()) return null;
    return { variables: results.getVariables(), bindings: results.getBindings() };
  }
  // a YASR plugin that draws what ``find`` makes of the answer, with charts.js (loaded on first use)
  function drawingPlugin(name, label, icon, find) {
    return class {
      constructor(yasr) {
        this.yasr = yasr;
        this.priority = 4;
        this.label = label;
      }
      canHandleResults() {
        const answer = answerOf(this.yasr);
        return Boolean(config.chartScripts) && answer !== null && find(answer.variables, answer.bindings) !== null;
      }
      async draw() {
        const el = document.createElement("div");
        el.className = "chart " + name;
        this.yasr.resultsEl.append(el);
        try {
          await loadCharts();
          const answer = answerOf(this.yasr);
          const found = answer && find(answer.variables, answer.bindings);
          if (!found) return;
          EconsecCharts.draw(el, found.rows, found.spec);
        } catch (error) {
          el.textContent = "The drawing could not be made: " + error.message;
        }
      }
      getIcon() {
        // a small drawing, not a character: the editor's font may not have one that fits
        const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        svg.setAttribute("viewBox", "0 0 16 16");
        svg.setAttribute("width", "14");
        svg.setAttribute("height", "14");
        svg.setAttribute("aria-hidden", "true");
        svg.innerHTML = icon;
        return svg;
      }
    };
  }
  const TIMELINE_ICON = '<line x1="1" y1="8" x2="15" y2="8" stroke="currentColor"/><circle cx="4" cy="8" r="2" fill="currentColor"/><circle cx="11" cy="8" r="2" fill="currentColor"/>';
  const GRAPH_ICON = '<line x1="4" y1="4" x2="12" y2="12" stroke="currentColor"/><line x1="4" y1="4" x2="12" y2="4" stroke="currentColor"/><circle cx="4" cy="4" r="2.5" fill="currentColor"/><circle cx="12" cy="12" r="2.5" fill="currentColor"/><circle cx="12" cy="4" r="2.5" fill="currentColor"/>';
  Yasgui.Yasr.registerPlugin("timeline", drawingPlugin("timeline", "Timeline", TIMELINE_ICON, timelineOf));
  Yasgui.Yasr.registerPlugin("graph", drawingPlugin("graph", "Graph", GRAPH_ICON, graphOf));

  // The chart a saved query's header names (``#+ chart:``), while its tab shows an answer with the
  // columns the chart reads; a query of one's own gets none (the bar chart's guess is used).
  function headerChart(variables) {
    const tab = yasgui.getTab();
    const example = tab && config.examples.find((e) => e.name === tab.getName());
    const spec = example && example.chart;
    if (!spec) return null;
    for (const [role, column] of Object.entries(spec)) {
      if (role === "kind" || role === "title" || role === "titles") continue;
      for (const name of [].concat(column)) {
        if (!variables.includes(String(name).replace(config.hrefSuffix, ""))) return null;
      }
    }
    return spec;
  }
  // rows for charts.js: numbers as numbers, and beside each of our IRIs its page here
  function chartRows(results) {
    const rows = records(results);
    results.getBindings().forEach(function (binding, i) {
      for (const name of Object.keys(binding)) {
        const local = binding[name].type === "uri" ? localHref(binding[name].value) : null;
        if (local) rows[i][name + config.hrefSuffix] = local;
      }
    });
    return rows;
  }

  // A YASR plugin: the saved query's own chart, else bars for answers with a name column and
  // number columns.
  class ChartPlugin {
    constructor(yasr) {
      this.yasr = yasr;
      this.priority = 5;
      this.label = "Chart";
    }
    spec() {
      const results = this.yasr.results;
      if (!results || !results.getVariables || results.getError() || !results.getBindings()) return null;
      const header = headerChart(results.getVariables());
      if (header) return header;
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
        const spec = this.spec();
        if (!spec || !spec.kind) {
          el.textContent = "This answer has no column of names with a column of numbers to chart.";
          return;
        }
        EconsecCharts.draw(el, chartRows(this.yasr.results), spec);
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
    yasr: { prefixes: config.prefixes, pluginOrder: ["table", "response", "chart", "timeline", "graph"], defaultPlugin: "table" },
  });
  window.econsecYasgui = yasgui; // for the browser tests and the console
  yasgui.on("query", clearMarks);
  yasgui.on("tabSelect", clearMarks);

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
