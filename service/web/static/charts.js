// Charts for the saved-query gallery and the editor, drawn as SVG with d3 (served from
// /assets/d3.js). Each function takes the element to draw into, the rows (objects keyed by
// column) and a spec naming the columns to use; it returns the <svg> it drew.
(function () {
  "use strict";
  const WIDTH = 760;
  // Okabe-Ito: told apart with the common colour-vision deficiencies (yellow left out: too pale on white)
  const palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#999999"];
  const CHAR = 7; // the width of a character of 13 px text, near enough to wrap lines before drawing
  const LINE = 16;

  function text(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  function svgIn(el, height, label, width) {
    const wide = width || WIDTH;
    return d3
      .select(el)
      .append("svg")
      .attr("viewBox", [0, 0, wide, height])
      .attr("width", wide)
      .attr("height", height)
      .attr("role", "img")
      .attr("aria-label", label)
      .attr("font-size", 13);
  }

  // Words into lines of at most `width` characters, breaking between words only (a word longer
  // than a line keeps its own line whole).
  function wrap(value, width) {
    const lines = [];
    let line = "";
    for (const word of text(value).split(/\s+/).filter(Boolean)) {
      if (line && (line + " " + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    }
    if (line) lines.push(line);
    return lines.length ? lines : [""];
  }

  function categoryOf(spec, row) {
    const columns = Array.isArray(spec.category) ? spec.category : [spec.category];
    return columns.map((c) => text(row[c])).filter(Boolean).join(" · ");
  }

  // 3900000000000 -> "3.9 trillion": the words a reader says, not SI's "3.9T"
  function inWords(value) {
    const size = Math.abs(value);
    for (const [scale, word] of [[1e12, "trillion"], [1e9, "billion"], [1e6, "million"]]) {
      if (size >= scale) return `${+(value / scale).toPrecision(3)} ${word}`;
    }
    return d3.format(",~r")(value);
  }

  function isPercent(unit) {
    return ["percent", "per cent", "%"].includes(text(unit).toLowerCase());
  }

  // How a value of this unit is written: 90 percent -> "90%", JPY 3.9e12 -> "JPY 3.9 trillion".
  function formatter(unit) {
    if (isPercent(unit)) return (v) => `${+v.toPrecision(4)}%`;
    if (/^[A-Z]{3}$/.test(text(unit))) return (v) => `${unit} ${inWords(v)}`;
    return (v) => `${inWords(v)}${unit ? " " + unit : ""}`;
  }

  // The unit of a value column: the header's text, or the column holding it when all rows agree.
  function unitOf(spec, column, rows) {
    if (spec.units && spec.units[column]) return spec.units[column];
    const held = spec.unit_columns && spec.unit_columns[column];
    if (!held) return "";
    const seen = Array.from(new Set(rows.map((r) => text(r[held])).filter(Boolean)));
    return seen.length === 1 ? seen[0] : "";
  }

  // Horizontal bars, one panel per value column (e.g. amount, and share of GDP). Where one name
  // has several periods (a 2010 and a 2023 figure), each period is its own bar under the name,
  // coloured and labelled by period: figures never share a bar.
  function bar(el, rows, spec) {
    const drawn = [];
    for (const column of spec.values) {
      const unit = unitOf(spec, column, rows);
      const format = formatter(unit);
      const data = rows
        .filter((row) => row[column] !== null && row[column] !== undefined && row[column] !== "")
        .map((row) => ({
          row: row,
          name: categoryOf(spec, row),
          period: spec.period ? text(row[spec.period]) : "",
          value: Number(row[column]),
        }))
        .filter((d) => d.name && Number.isFinite(d.value));
      if (!data.length) continue;
      const names = Array.from(new Set(data.map((d) => d.name)));
      const periods = Array.from(new Set(data.map((d) => d.period))).sort((a, b) =>
        a === "" ? 1 : b === "" ? -1 : a.localeCompare(b),
      );
      const byPeriod = Boolean(spec.period) && periods.length > 1;
      const colour = d3.scaleOrdinal(periods, palette);
      const left = 250;
      const right = WIDTH - 150;
      const perLine = Math.floor((left - 16) / CHAR);
      const BAR = 22;
      // lay the names out from the top: each has one bar per period it has, and room for its wrapped name
      let y = 12;
      const blocks = [];
      for (const name of names) {
        const bars = data
          .filter((d) => d.name === name)
          .sort((a, b) => periods.indexOf(a.period) - periods.indexOf(b.period));
        const lines = wrap(name, perLine);
        const height = Math.max(bars.length * BAR, lines.length * LINE + 4);
        bars.forEach((d, i) => {
          d.y = y + (height - bars.length * BAR) / 2 + i * BAR;
        });
        blocks.push({ name: name, lines: lines, top: y, height: height });
        y += height + 10;
      }
      const height = y + 50;
      const heading = document.createElement("h3");
      heading.textContent = (spec.titles && spec.titles[column]) || column;
      el.append(heading);
      const svg = svgIn(el, height, heading.textContent + ": bar chart");
      const x = d3.scaleLinear().domain([0, d3.max(data, (d) => d.value) || 1]).nice().range([left, right]);
      svg
        .append("g")
        .attr("class", "axis")
        .attr("transform", `translate(0,${y})`)
        .call(d3.axisBottom(x).ticks(5).tickFormat(isPercent(unit) ? format : inWords))
        .attr("font-size", null); // d3 writes 10 px on its axes; the chart's own size (>= 12 px) applies
      svg
        .append("text")
        .attr("class", "axis-title")
        .attr("x", (left + right) / 2)
        .attr("y", y + 40)
        .attr("text-anchor", "middle")
        .text(unit ? `${isPercent(unit) ? "per cent" : unit}` : "");
      const name = svg
        .append("g")
        .selectAll("text")
        .data(blocks)
        .join("text")
        .attr("class", "category")
        .attr("text-anchor", "end")
        .attr("y", (b) => b.top + b.height / 2 - ((b.lines.length - 1) * LINE) / 2)
        .attr("dy", "0.35em");
      name
        .selectAll("tspan")
        .data((b) => b.lines)
        .join("tspan")
        .attr("x", left - 8)
        .attr("dy", (line, i) => (i ? LINE : 0))
        .text((line) => line);
      // the value as the source gives it: "2010: nearly 90%"
      const qualifier = (d) => (spec.approximation && text(d.row[spec.approximation]) ? text(d.row[spec.approximation]) + " " : "");
      const said = (d) => `${byPeriod ? (d.period || "year not given") + ": " : ""}${qualifier(d)}${format(d.value)}`;
      svg
        .append("g")
        .selectAll("rect")
        .data(data)
        .join("rect")
        .attr("class", "bar")
        .attr("x", x(0))
        .attr("y", (d) => d.y + 2)
        .attr("width", (d) => Math.max(1, x(d.value) - x(0)))
        .attr("height", BAR - 4)
        .attr("fill", (d) => (byPeriod ? colour(d.period) : palette[drawn.length % palette.length]))
        .attr("data-period", (d) => d.period)
        .attr("data-name", (d) => d.name)
        .append("title")
        .text((d) => `${d.name}, ${said(d)}`);
      svg
        .append("g")
        .selectAll("text")
        .data(data)
        .join("text")
        .attr("class", "value")
        .attr("x", (d) => x(d.value) + 4)
        .attr("y", (d) => d.y + BAR / 2)
        .attr("dy", "0.35em")
        .text(said);
      if (byPeriod) {
        const shown = periods.map((p) => p || "year not given");
        legend(el, shown, (p) => colour(p === "year not given" ? "" : p));
      }
      drawn.push(svg.node());
    }
    return drawn;
  }

  // "2022", "2022-05" and "2022-05-23" as dates, keeping what precision there is for the label.
  function parseDate(value) {
    const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(text(value));
    return m ? new Date(Date.UTC(+m[1], m[2] ? +m[2] - 1 : 0, m[3] ? +m[3] : 1)) : null;
  }

  // "2022-10-07" -> "7 Oct 2022", "2023-03" -> "Mar 2023", "2018" -> "2018": the precision the source gives
  function dateText(value) {
    const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(text(value));
    if (!m) return text(value);
    const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    const month = m[2] ? months[+m[2] - 1] : null;
    if (!month) return m[1];
    return m[3] ? `${+m[3]} ${month} ${m[1]}` : `${month} ${m[1]}`;
  }

  // One line per dated item, in date order, with a dot on a shared time axis; long names wrap
  // onto more lines (never cut), and the colour (with its legend) says the group when there are several.
  function timeline(el, rows, spec) {
    const data = rows
      .map((row) => ({ row: row, when: parseDate(row[spec.date]), label: text(row[spec.label]), group: text(row[spec.group]) }))
      .filter((d) => d.when)
      .sort((a, b) => a.when - b.when);
    if (!data.length) return [];
    const axisEnd = WIDTH * 0.4;
    const textStart = axisEnd + 10;
    const perLine = Math.floor((WIDTH - textStart - 4) / CHAR);
    let y = 40;
    for (const d of data) {
      d.lines = wrap(dateText(d.row[spec.date]) + " · " + d.label, perLine);
      d.y = y;
      y += Math.max(20, d.lines.length * LINE + 4);
    }
    const height = y + 10;
    const svg = svgIn(el, height, `Timeline of ${data.length} dated items`);
    const extent = d3.extent(data, (d) => d.when);
    const x = d3.scaleUtc().domain(extent).nice().range([20, axisEnd]);
    const groups = Array.from(new Set(data.map((d) => d.group)));
    const named = groups.filter(Boolean);
    const colour = d3.scaleOrdinal(groups, palette);
    svg
      .append("g")
      .attr("class", "axis")
      .attr("transform", "translate(0,24)")
      .call(d3.axisTop(x).ticks(6))
      .attr("font-size", null);
    const item = svg
      .append("g")
      .selectAll("g")
      .data(data)
      .join("g")
      .attr("class", "item")
      .attr("transform", (d) => `translate(0,${d.y})`);
    item.append("line").attr("x1", 20).attr("x2", axisEnd).attr("stroke", "#e4e4e4");
    item
      .append("circle")
      .attr("class", "event")
      .attr("cx", (d) => x(d.when))
      .attr("r", 5)
      .attr("fill", (d) => (named.length > 1 ? colour(d.group) : palette[0]))
      .append("title")
      .text((d) => `${text(d.row[spec.date])}: ${d.label}${d.group ? " (" + d.group + ")" : ""}`);
    // links in a drawing are for the mouse; keyboard users get the same links in the table,
    // without tabbing through every dot first
    const label = item
      .append("a")
      .attr("href", (d) => (spec.href && d.row[spec.href]) || null)
      .attr("tabindex", -1)
      .append("text")
      .attr("dy", "0.35em");
    label
      .selectAll("tspan")
      .data((d) => d.lines)
      .join("tspan")
      .attr("x", textStart)
      .attr("dy", (line, i) => (i ? LINE : 0))
      .text((line) => line);
    if (named.length > 1) legend(el, groups, (g) => colour(g));
    return [svg.node()];
  }

  // A legend says something only where colours differ in meaning: callers draw one for two or more groups.
  function legend(el, names, colour) {
    const p = document.createElement("p");
    p.className = "legend";
    for (const name of names) {
      const swatch = document.createElement("span");
      swatch.textContent = "● ";
      swatch.style.color = colour(name);
      p.append(swatch, (name || "not stated") + "  ");
    }
    el.append(p);
  }

  // Actors and the bodies they relate to, laid out by a force simulation run to rest before drawing.
  function network(el, rows, spec) {
    const nodes = new Map();
    const links = [];
    for (const row of rows) {
      const a = text(row[spec.source]);
      const b = text(row[spec.target]);
      if (!a || !b) continue;
      if (!nodes.has(a)) nodes.set(a, { id: a, label: text(row[spec.sourceLabel]) || a, degree: 0, href: row[spec.sourceHref] });
      if (!nodes.has(b)) nodes.set(b, { id: b, label: text(row[spec.targetLabel]) || b, degree: 0, href: row[spec.targetHref] });
      nodes.get(a).degree += 1;
      nodes.get(b).degree += 1;
      links.push({ source: a, target: b, relation: text(row[spec.relation]) });
    }
    if (!links.length) return [];
    const list = Array.from(nodes.values());
    // a network takes the width it is given (up to a wide screen's), so names have room
    const W = Math.max(WIDTH, Math.min(1120, el.clientWidth || WIDTH));
    const height = spec.height || Math.max(420, Math.min(1000, 40 * Math.sqrt(list.length) * 3.5));
    const svg = svgIn(el, height, `Network of ${list.length} actors and ${links.length} relations`, W);
    const minLabel = spec.minLabelDegree || 3; // only hubs are named in a big network; everyone in a small one
    const relations = Array.from(new Set(links.map((l) => l.relation)));
    const colour = d3.scaleOrdinal(relations, palette);
    const simulation = d3
      .forceSimulation(list)
      .force("link", d3.forceLink(links).id((d) => d.id).distance(spec.linkDistance || 50))
      .force("charge", d3.forceManyBody().strength(spec.charge || -150))
      // named hubs keep room around them for their names
      .force("collide", d3.forceCollide().radius((d) => (d.degree >= minLabel ? 34 : 9)))
      .force("x", d3.forceX(W / 2).strength(0.05))
      .force("y", d3.forceY(height / 2).strength(0.07))
      .stop();
    for (let i = 0; i < 300; i += 1) simulation.tick();
    const clampX = (v) => Math.max(10, Math.min(W - 150, v)); // a name to the right of its dot stays inside
    const clampY = (v) => Math.max(10, Math.min(height - 10, v));
    svg
      .append("g")
      .attr("stroke-opacity", 0.6)
      .selectAll("line")
      .data(links)
      .join("line")
      .attr("class", "edge")
      .attr("stroke", (d) => colour(d.relation))
      .attr("x1", (d) => clampX(d.source.x))
      .attr("y1", (d) => clampY(d.source.y))
      .attr("x2", (d) => clampX(d.target.x))
      .attr("y2", (d) => clampY(d.target.y))
      .append("title")
      .text((d) => `${d.source.label} ${d.relation} ${d.target.label}`);
    const node = svg
      .append("g")
      .selectAll("a")
      .data(list)
      .join("a")
      .attr("href", (d) => d.href || null)
      .attr("tabindex", -1)
      .attr("transform", (d) => `translate(${clampX(d.x)},${clampY(d.y)})`);
    node
      .append("circle")
      .attr("class", "node")
      .attr("r", (d) => 3 + Math.sqrt(d.degree) * 1.5)
      .attr("fill", "#fff")
      .attr("stroke", "#333")
      .append("title")
      .text((d) => `${d.label} (${d.degree} relation${d.degree === 1 ? "" : "s"})`);
    // a hub's name on up to a few short lines, broken between words (never cut mid-word)
    node
      .filter((d) => d.degree >= minLabel)
      .append("text")
      .attr("x", 6)
      .attr("dy", "0.35em")
      .attr("paint-order", "stroke") // a white halo keeps a name readable over the lines behind it
      .attr("stroke", "#fff")
      .attr("stroke-width", 3)
      .attr("stroke-linejoin", "round")
      .selectAll("tspan")
      .data((d) => wrap(d.label, 20))
      .join("tspan")
      .attr("x", 6)
      .attr("dy", (line, i) => (i ? LINE - 2 : 0))
      .text((line) => line);
    if (relations.length > 1) legend(el, relations, colour);
    return [svg.node()];
  }

  // For the editor: a bar chart when the rows have a name column and at least one number column.
  function guess(columns, rows) {
    const numeric = columns.filter((c) => rows.length && rows.every((r) => r[c] === undefined || typeof r[c] === "number"));
    const named = columns.filter((c) => !numeric.includes(c) && rows.some((r) => typeof r[c] === "string"));
    if (!numeric.length || !named.length) return null;
    const label = named.find((c) => /label|name|title/i.test(c)) || named[0];
    return { kind: "bar", category: label, values: numeric.slice(0, 3) };
  }

  function draw(el, rows, spec) {
    const kinds = { bar: bar, timeline: timeline, network: network };
    return kinds[spec.kind](el, rows, spec);
  }

  window.EconsecCharts = { bar: bar, timeline: timeline, network: network, guess: guess, draw: draw };
})();
