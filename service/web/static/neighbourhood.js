// An entity's neighbourhood, readable however busy: the links from /neighbourhood/{path} grouped
// by relation and direction in two columns around the entity, each group headed by its relation
// (with the direction and how many), its first few members drawn and "+N more" for the rest (a
// click shows them all). Arrows point the way the graph states the link; each relation has its
// own colour (and, past eight, dash) from a colour-blind-safe palette (Okabe-Ito). Names are
// wrapped, never cut. Scroll or the buttons zoom, dragging the background pans, dragging a
// thing moves it.
(function () {
  "use strict";
  const el = document.getElementById("neighbourhood");
  if (!el) return;
  if (typeof d3 === "undefined") {
    el.textContent = "The drawing's scripts are not installed (run make setup with npm); the tables above list the same links.";
    return;
  }
  const found = /^(.*)\/id\/(.+)$/.exec(window.location.pathname);
  if (!found) return;
  const SHOWN = 4;
  const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C6D00"];
  const DASHES = ["", "6 3", "2 3"];
  const WIDTH = 1100;

  function wrap(text, width) {
    const lines = [];
    let line = "";
    for (const word of text.split(/\s+/)) {
      if (line && (line + " " + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    }
    if (line) lines.push(line);
    return lines;
  }

  function draw(center, rows, expanded) {
    el.replaceChildren();
    // one group per (relation, direction), biggest first
    const groups = new Map();
    for (const r of rows) {
      const out = r.from === center.iri;
      const key = (r.predicate || r.relation) + (out ? " out" : " in");
      if (!groups.has(key)) groups.set(key, { key: key, relation: r.relation, out: out, members: [] });
      const other = out
        ? { iri: r.to, label: r.toLabel, href: r.to__href }
        : { iri: r.from, label: r.fromLabel, href: r.from__href };
      const g = groups.get(key);
      if (!g.members.some(function (m) { return m.iri === other.iri; })) g.members.push(other);
    }
    const list = Array.from(groups.values()).sort(function (a, b) {
      return b.members.length - a.members.length || a.relation.localeCompare(b.relation);
    });
    list.forEach(function (g, i) {
      g.index = i;
      g.colour = PALETTE[i % PALETTE.length];
      g.dash = DASHES[Math.floor(i / PALETTE.length) % DASHES.length];
      g.members.sort(function (a, b) { return a.label.localeCompare(b.label); });
    });

    // two columns of groups, each group a heading and its first members, the shorter column
    // taking the next group; the entity in the middle, a curve to each member
    const LINE = 15;
    const columns = [{ side: -1, height: 0, items: [] }, { side: 1, height: 0, items: [] }];
    const nodes = [];
    const thingIds = new Set();
    for (const g of list) {
      const shown = expanded.has(g.key) ? g.members : g.members.slice(0, SHOWN);
      const column = columns[0].height <= columns[1].height ? columns[0] : columns[1];
      column.items.push({ heading: g, y: column.height + LINE });
      column.height += LINE * 1.6;
      for (const m of shown) {
        const lines = wrap(m.label, 34);
        column.items.push({ node: m, group: g, lines: lines, y: column.height + LINE });
        column.height += lines.length * LINE + 6;
        thingIds.add(m.iri);
      }
      const rest = g.members.length - shown.length;
      if (rest > 0) {
        column.items.push({ more: g, rest: rest, y: column.height + LINE });
        column.height += LINE + 6;
      }
      column.height += 10;
    }
    const height = Math.max(240, columns[0].height, columns[1].height) + 20;
    const middle = height / 2;
    const CX = WIDTH / 2;
    const COLUMN_X = 190;

    const svg = d3.create("svg")
      .attr("viewBox", [0, 0, WIDTH, height])
      .attr("height", height)
      .attr("role", "img")
      .attr("aria-label", "Links of " + center.label + ", grouped by relation");
    const defs = svg.append("defs");
    for (const g of list) {
      defs.append("marker")
        .attr("id", "arrow-" + g.index)
        .attr("viewBox", "0 -5 10 10").attr("refX", 10).attr("refY", 0)
        .attr("markerWidth", 8).attr("markerHeight", 8).attr("orient", "auto")
        .append("path").attr("d", "M0,-5L10,0L0,5").attr("fill", g.colour);
    }
    const layer = svg.append("g");
    const zoom = d3.zoom().scaleExtent([0.4, 4]).on("zoom", function (event) {
      layer.attr("transform", event.transform);
    });
    svg.call(zoom);
    const edges = layer.append("g").attr("fill", "none");
    const things = layer.append("g");
    const centre = { x: CX, y: middle };

    function curve(from, to) {
      const mx = (from.x + to.x) / 2;
      return "M" + from.x + "," + from.y + "C" + mx + "," + from.y + " " + mx + "," + to.y + " " + to.x + "," + to.y;
    }
    const placed = [];
    for (const column of columns) {
      const x = CX + column.side * COLUMN_X;
      const anchor = column.side < 0 ? "end" : "start";
      const dx = column.side < 0 ? -10 : 10;
      for (const item of column.items) {
        if (item.heading) {
          const g = item.heading;
          things.append("text").attr("class", "relation")
            .attr("x", x + dx).attr("y", item.y).attr("text-anchor", anchor)
            .attr("font-weight", 700).attr("fill", g.colour === "#000000" ? "#333" : g.colour)
            .text((g.out ? "this " + g.relation + " … →" : "… " + g.relation + " this →") + " (" + g.members.length + ")");
        } else if (item.node) {
          const g = item.group;
          const point = { x: x, y: item.y - 4, group: g, item: item };
          placed.push(point);
          const holder = things.append("g").attr("class", "thing").attr("transform", "translate(" + point.x + "," + point.y + ")");
          holder.append("circle").attr("class", "node").attr("r", 5)
            .attr("fill", g.colour).attr("stroke", "#fff").attr("stroke-width", 1.5);
          const text = holder.append("a").attr("href", item.node.href || null).append("text")
            .attr("x", dx).attr("y", 4).attr("text-anchor", anchor).attr("fill", "#1b1b1b");
          item.lines.forEach(function (line, i) {
            text.append("tspan").attr("x", dx).attr("dy", i ? LINE : 0).text(line);
          });
          text.append("title").text(item.node.label);
          point.holder = holder;
        } else if (item.more) {
          const g = item.more;
          const more = things.append("text").attr("class", "more")
            .attr("x", x + dx).attr("y", item.y).attr("text-anchor", anchor)
            .attr("fill", "#1a5fb4").attr("text-decoration", "underline")
            .attr("tabindex", 0).attr("role", "button").style("cursor", "pointer")
            .text("+" + item.rest + " more");
          more.append("title").text("Show all " + g.members.length + " (" + g.relation + ")");
          more.on("click keydown", function (event) {
            if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
            event.preventDefault();
            expanded.add(g.key);
            draw(center, rows, expanded);
          });
        }
      }
    }
    const edge = edges.selectAll("path").data(placed).join("path")
      .attr("class", "edge")
      .attr("stroke", function (p) { return p.group.colour; })
      .attr("stroke-width", 1.4)
      .attr("stroke-opacity", 0.8)
      .attr("stroke-dasharray", function (p) { return p.group.dash; })
      .attr("marker-end", function (p) { return "url(#arrow-" + p.group.index + ")"; });
    edge.append("title").text(function (p) {
      return p.group.out
        ? center.label + " — " + p.group.relation + " → " + p.item.node.label
        : p.item.node.label + " — " + p.group.relation + " → " + center.label;
    });
    function place() {
      edge.attr("d", function (p) {
        const side = p.x < CX ? -1 : 1;
        const atCentre = { x: centre.x + side * 12, y: centre.y };
        const atThing = { x: p.x - side * 7, y: p.y };
        return p.group.out ? curve(atCentre, atThing) : curve(atThing, atCentre);
      });
      for (const p of placed) p.holder.attr("transform", "translate(" + p.x + "," + p.y + ")");
      hub.attr("transform", "translate(" + centre.x + "," + centre.y + ")");
    }
    const hub = layer.append("g").attr("class", "centre");
    hub.append("circle").attr("class", "node").attr("r", 10).attr("fill", "#1b1b1b");
    const name = hub.append("text").attr("text-anchor", "middle").attr("y", -18)
      .attr("font-size", 15).attr("font-weight", 700)
      .attr("paint-order", "stroke").attr("stroke", "#fff").attr("stroke-width", 4);
    wrap(center.label, 28).forEach(function (line, i, lines) {
      name.append("tspan").attr("x", 0).attr("dy", i ? "1.1em" : -(lines.length - 1) * 1.1 + "em").text(line);
    });
    place();
    // drag a thing (or the entity) to move it; drag the background to pan
    const drag = d3.drag()
      .on("start", function (event) { event.sourceEvent.stopPropagation(); })
      .on("drag", function (event, p) { p.x += event.dx; p.y += event.dy; place(); });
    for (const p of placed) p.holder.datum(p).call(drag).style("cursor", "move");
    hub.datum(centre).call(drag).style("cursor", "move");

    el.append(svg.node());
    const controls = document.createElement("div");
    controls.className = "controls";
    for (const [text, factor] of [["+", 1.4], ["−", 1 / 1.4], ["Reset", 0]]) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      b.setAttribute("aria-label", factor > 1 ? "Zoom in" : factor ? "Zoom out" : "Reset the view");
      b.addEventListener("click", function () {
        if (factor) svg.transition().call(zoom.scaleBy, factor);
        else draw(center, rows, expanded);
      });
      controls.append(b);
    }
    el.append(controls);
    el.dataset.drawn = "1";
    el.dataset.things = String(thingIds.size + 1);
  }

  fetch(found[1] + "/neighbourhood/" + found[2] + "?limit=200", { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error(response.status + " " + response.statusText);
      return response.json();
    })
    .then(function (body) {
      if (!body.rows.length) {
        el.textContent = "No links to other entities.";
        return;
      }
      // the page's own title names the entity (a document has a title rather than a label)
      const heading = document.querySelector("h1");
      const center = { iri: body.iri, label: heading ? heading.textContent.trim() : body.iri };
      draw(center, body.rows, new Set());
    })
    .catch(function (error) {
      el.textContent = "The neighbourhood could not be drawn: " + error.message;
    });
})();
