// Charts for the saved-query gallery and the editor, drawn as SVG with d3 (served from
// /assets/d3.js). Each function takes the element to draw into, the rows (objects keyed by
// column) and a spec naming the columns to use; it returns the <svg> it drew.
(function () {
  "use strict";
  const WIDTH = 760;
  const palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"];

  function text(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  function svgIn(el, height, label) {
    return d3
      .select(el)
      .append("svg")
      .attr("viewBox", [0, 0, WIDTH, height])
      .attr("width", WIDTH)
      .attr("height", height)
      .attr("role", "img")
      .attr("aria-label", label);
  }

  function categoryOf(spec, row) {
    const columns = Array.isArray(spec.category) ? spec.category : [spec.category];
    return columns.map((c) => text(row[c])).filter(Boolean).join(" · ");
  }

  // Horizontal bars, one panel per value column (e.g. amount, and share of GDP).
  function bar(el, rows, spec) {
    const drawn = [];
    for (const column of spec.values) {
      const data = rows
        .map((row) => ({ row: row, name: categoryOf(spec, row), value: Number(row[column]) }))
        .filter((d) => d.name && Number.isFinite(d.value));
      if (!data.length) continue;
      const names = Array.from(new Set(data.map((d) => d.name)));
      const left = Math.min(320, 20 + 6.5 * d3.max(names, (n) => n.length));
      const height = 40 + names.length * 24;
      const heading = document.createElement("h3");
      heading.textContent = (spec.titles && spec.titles[column]) || column;
      el.append(heading);
      const svg = svgIn(el, height, heading.textContent + ": bar chart");
      const x = d3.scaleLinear().domain([0, d3.max(data, (d) => d.value) || 1]).nice().range([left, WIDTH - 30]);
      const y = d3.scaleBand().domain(names).range([20, height - 20]).padding(0.2);
      const big = d3.max(data, (d) => d.value) >= 1e5;
      // large amounts in thousands, millions, billions (B, not SI's G), trillions
      const format = big ? (v) => d3.format("~s")(v).replace("G", "B") : d3.format(",~r");
      svg.append("g").attr("transform", `translate(0,${height - 20})`).call(d3.axisBottom(x).ticks(6).tickFormat(format));
      svg.append("g").attr("transform", `translate(${left},0)`).call(d3.axisLeft(y));
      const bars = svg
        .append("g")
        .selectAll("rect")
        .data(data)
        .join("rect")
        .attr("class", "bar")
        .attr("x", x(0))
        .attr("y", (d) => y(d.name))
        .attr("width", (d) => Math.max(1, x(d.value) - x(0)))
        .attr("height", y.bandwidth())
        .attr("fill", palette[drawn.length % palette.length]);
      bars.append("title").text((d) => `${d.name}: ${format(d.value)}`);
      svg
        .append("g")
        .selectAll("text")
        .data(data)
        .join("text")
        .attr("x", (d) => x(d.value) + 4)
        .attr("y", (d) => y(d.name) + y.bandwidth() / 2)
        .attr("dy", "0.35em")
        .text((d) => format(d.value));
      drawn.push(svg.node());
    }
    return drawn;
  }

  // "2022", "2022-05" and "2022-05-23" as dates, keeping what precision there is for the label.
  function parseDate(value) {
    const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(text(value));
    return m ? new Date(Date.UTC(+m[1], m[2] ? +m[2] - 1 : 0, m[3] ? +m[3] : 1)) : null;
  }

  // One line per dated item, in date order, with a dot on a shared time axis.
  function timeline(el, rows, spec) {
    const data = rows
      .map((row) => ({ row: row, when: parseDate(row[spec.date]), label: text(row[spec.label]), group: text(row[spec.group]) }))
      .filter((d) => d.when)
      .sort((a, b) => a.when - b.when);
    if (!data.length) return [];
    const height = 50 + data.length * 20;
    const svg = svgIn(el, height, `Timeline of ${data.length} dated items`);
    const extent = d3.extent(data, (d) => d.when);
    const x = d3.scaleUtc().domain(extent).nice().range([20, WIDTH * 0.45]);
    const groups = Array.from(new Set(data.map((d) => d.group)));
    const colour = d3.scaleOrdinal(groups, palette);
    svg.append("g").attr("transform", "translate(0,24)").call(d3.axisTop(x).ticks(6));
    const item = svg
      .append("g")
      .selectAll("g")
      .data(data)
      .join("g")
      .attr("class", "item")
      .attr("transform", (d, i) => `translate(0,${40 + i * 20})`);
    item
      .append("line")
      .attr("x1", 20)
      .attr("x2", WIDTH * 0.45)
      .attr("stroke", "#eee");
    item
      .append("circle")
      .attr("class", "event")
      .attr("cx", (d) => x(d.when))
      .attr("r", 5)
      .attr("fill", (d) => colour(d.group))
      .append("title")
      .text((d) => `${text(d.row[spec.date])}: ${d.label}`);
    const label = item.append("text").attr("x", WIDTH * 0.45 + 10).attr("dy", "0.35em");
    label.append("tspan").attr("fill", "#555").text((d) => text(d.row[spec.date]) + "  ");
    // links in a drawing are for the mouse; keyboard users get the same links in the table,
    // without tabbing through every dot first
    label
      .append("a")
      .attr("href", (d) => (spec.href && d.row[spec.href]) || null)
      .attr("tabindex", -1)
      .append("tspan")
      .text((d) => (d.label.length > 54 ? d.label.slice(0, 52) + "…" : d.label));
    legend(el, groups, colour);
    return [svg.node()];
  }

  function legend(el, names, colour) {
    const p = document.createElement("p");
    p.className = "legend";
    for (const name of names) {
      const swatch = document.createElement("span");
      swatch.textContent = "● ";
      swatch.style.color = colour(name);
      p.append(swatch, (name || "other") + "  ");
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
    const height = spec.height || Math.max(360, Math.min(900, 40 * Math.sqrt(list.length) * 3));
    const svg = svgIn(el, height, `Network of ${list.length} actors and ${links.length} relations`);
    const relations = Array.from(new Set(links.map((l) => l.relation)));
    const colour = d3.scaleOrdinal(relations, palette);
    const simulation = d3
      .forceSimulation(list)
      .force("link", d3.forceLink(links).id((d) => d.id).distance(spec.linkDistance || 50))
      .force("charge", d3.forceManyBody().strength(spec.charge || -90))
      .force("x", d3.forceX(WIDTH / 2).strength(0.06))
      .force("y", d3.forceY(height / 2).strength(0.08))
      .stop();
    for (let i = 0; i < 300; i += 1) simulation.tick();
    const clampX = (v) => Math.max(10, Math.min(WIDTH - 10, v));
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
    const minLabel = spec.minLabelDegree || 3; // only hubs are named in a big network; everyone in a small one
    node
      .filter((d) => d.degree >= minLabel)
      .append("text")
      .attr("x", 6)
      .attr("dy", "0.35em")
      .text((d) => (d.label.length > 28 ? d.label.slice(0, 26) + "…" : d.label));
    legend(el, relations, colour);
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
