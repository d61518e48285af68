// Search as you type on the home page: asks /search for JSON and lists the matches as links.
// Without this script the form still works (it submits to /search, which answers with a page).
(function () {
  "use strict";
  const form = document.getElementById("search-form");
  if (!form) return;
  const input = document.getElementById("search-q");
  const list = document.getElementById("search-results");
  const status = document.getElementById("search-status");
  const endpoint = form.dataset.endpoint;
  let timer = null;
  let asked = "";

  function show(q, results) {
    list.replaceChildren();
    for (const r of results) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = r.page;
      a.textContent = r.label;
      li.append(a);
      if (r.matched !== r.label) {
        li.append(" (" + r.matched + ")");
      }
      if (r.kinds.length) {
        const kinds = document.createElement("span");
        kinds.className = "kinds";
        kinds.textContent = r.kinds.join(", ");
        li.append(kinds);
      }
      list.append(li);
    }
    status.textContent = results.length
      ? results.length + (results.length === 1 ? " match" : " matches") + " for “" + q + "”"
      : "Nothing found for “" + q + "”";
  }

  async function lookUp() {
    const q = input.value.trim();
    if (q === asked) return;
    asked = q;
    if (!q) {
      list.replaceChildren();
      status.textContent = "";
      return;
    }
    try {
      const response = await fetch(endpoint + "?" + new URLSearchParams({ q: q, limit: "10" }), {
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(response.status + " " + response.statusText);
      const body = await response.json();
      if (input.value.trim() === q) show(q, body.results);
    } catch (error) {
      status.textContent = "Search failed: " + error.message;
    }
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookUp, 150);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    asked = "";
    lookUp();
  });
  // Arrow keys move between the box and the matches; Escape goes back to the box.
  form.parentElement.addEventListener("keydown", function (event) {
    const links = Array.from(list.querySelectorAll("a"));
    const at = links.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && links.length) {
      links[Math.min(at + 1, links.length - 1)].focus();
      event.preventDefault();
    } else if (event.key === "ArrowUp" && at >= 0) {
      (at === 0 ? input : links[at - 1]).focus();
      event.preventDefault();
    } else if (event.key === "Escape" && at >= 0) {
      input.focus();
    }
  });
})();
