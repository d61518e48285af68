// A saved query's page: sort and filter the table in the page, and pick a parameter's value by
// name (suggestions from /search, restricted to the parameter's class); the form still sends
// the IRI, so the address of the answer keeps it. Without scripts the table is plain and the
// parameter is a drop-down of names.
(function () {
  "use strict";

  function key(cell) {
    return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim().toLowerCase();
  }

  function compare(kind) {
    if (kind === "number") return (a, b) => (a === "" ? 1 : b === "" ? -1 : Number(a) - Number(b));
    return (a, b) => (a === "" ? 1 : b === "" ? -1 : a.localeCompare(b));
  }

  function sortable(table) {
    const body = table.tBodies[0];
    const heads = Array.from(table.tHead.rows[0].cells);
    heads.forEach((th, index) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = th.textContent;
      button.title = "Sort by " + th.textContent;
      th.textContent = "";
      th.append(button);
      button.addEventListener("click", () => {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach((h) => h.removeAttribute("aria-sort"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const rows = Array.from(body.rows);
        const kind = rows.some((r) => r.cells[index].classList.contains("number")) ? "number" : "text";
        const order = compare(kind);
        rows.sort((a, b) => {
          const x = key(a.cells[index]);
          const y = key(b.cells[index]);
          if (x === "" || y === "") return order(x, y); // empty cells last either way
          return ascending ? order(x, y) : order(y, x);
        });
        body.append(...rows);
      });
    });
  }

  function filterable(table) {
    const tools = document.querySelector(".table-tools");
    const box = document.getElementById("table-filter");
    const count = document.getElementById("table-count");
    if (!tools || !box) return;
    tools.hidden = false;
    const rows = Array.from(table.tBodies[0].rows);
    const show = () => {
      const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const row of rows) {
        const text = row.textContent.toLowerCase();
        const match = words.every((w) => text.includes(w));
        row.hidden = !match;
        if (match) shown += 1;
      }
      count.textContent = words.length ? `${shown} of ${rows.length} rows` : "";
    };
    box.addEventListener("input", show);
  }

  // A name box with suggestions above each drop-down of things: typing asks the search for
  // things of the parameter's class; choosing one sets the drop-down (adding the option).
  function byName(select, index) {
    const box = document.createElement("input");
    box.type = "search";
    box.autocomplete = "off";
    box.id = select.id + "-name";
    box.setAttribute("aria-label", (select.labels[0] ? select.labels[0].textContent : select.name) + " by name");
    box.placeholder = "Type a name";
    const list = document.createElement("datalist");
    list.id = select.id + "-suggestions";
    box.setAttribute("list", list.id);
    const chosen = select.selectedOptions[0];
    box.value = chosen ? chosen.textContent : "";
    const wrap = document.createElement("div");
    wrap.className = "name-picker";
    const label = select.labels[0];
    select.replaceWith(wrap);
    wrap.append(box, list, select);
    select.hidden = true;
    if (label) label.htmlFor = box.id; // the visible label now names the box one types in
    const known = new Map(Array.from(select.options).map((o) => [o.textContent, o.value]));
    const pick = () => {
      const iri = known.get(box.value);
      // a name that matches nothing would silently run the previous choice: the form says so instead
      box.setCustomValidity(iri ? "" : "Pick one of the suggested names");
      if (!iri) return;
      let option = Array.from(select.options).find((o) => o.value === iri);
      if (!option) {
        option = new Option(box.value, iri);
        select.add(option);
      }
      select.value = iri;
    };
    let timer = null;
    let asked = 0;
    box.addEventListener("input", () => {
      pick();
      clearTimeout(timer);
      const q = box.value.trim();
      if (q.length < 2 || q.length > 200) return;
      timer = setTimeout(async () => {
        const ticket = ++asked;
        const params = new URLSearchParams({ q: q, limit: "12" });
        if (select.dataset.class) params.set("class", select.dataset.class);
        try {
          const answer = await fetch(select.dataset.search + "?" + params, { headers: { Accept: "application/json" } });
          if (!answer.ok || ticket !== asked) return;
          const found = (await answer.json()).results || [];
          list.replaceChildren();
          for (const r of found) {
            if (!r.iri || !r.label) continue;
            known.set(r.label, r.iri);
            list.append(new Option(r.label, r.label));
          }
          // the drop-down's own names match too (they are of the right class by construction)
          const lower = q.toLowerCase();
          for (const o of select.options) {
            if (o.textContent.toLowerCase().includes(lower) && !found.some((r) => r.iri === o.value)) {
              list.append(new Option(o.textContent, o.textContent));
            }
          }
          pick();
        } catch (error) {
          /* the drop-down's names stay available */
        }
      }, 150);
    });
    box.addEventListener("change", pick);
    // before the suggestions answer, the drop-down's names are offered
    for (const o of select.options) list.append(new Option(o.textContent, o.textContent));
    return index;
  }

  function start() {
    const table = document.getElementById("results");
    if (table && table.tHead) {
      sortable(table);
      filterable(table);
    }
    document.querySelectorAll("select.by-name").forEach(byName);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
