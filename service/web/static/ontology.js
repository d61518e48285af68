// The ontology page: a class entry is folded; a link to ontology#Term (from another page, the
// index, or a hash IRI) opens the entry it names, and "Open all" unfolds every class for reading
// or printing. Without scripts the entries stay folded and each opens with a click.
(function () {
  "use strict";
  function openTarget() {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (target && target.tagName === "DETAILS") {
      target.open = true;
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  const all = document.getElementById("open-all");
  if (all) {
    all.addEventListener("click", function () {
      const folded = document.querySelectorAll("details.term:not([open])");
      for (const entry of document.querySelectorAll("details.term")) entry.open = folded.length > 0;
      all.textContent = folded.length > 0 ? "Fold all" : "Open all";
    });
  }
})();
