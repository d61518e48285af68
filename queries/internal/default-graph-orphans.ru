#+ summary: >
#+   Remove from the default graph (the store's copy of the union of the named graphs) every triple
#+   with a blank node that no named graph holds any more. Run after graphs are dropped: a delete
#+   cannot name a blank node, so such triples leave their graph only with the graph itself.
DELETE { ?s ?p ?o }
WHERE {
  ?s ?p ?o
  FILTER (isBlank(?s) || isBlank(?o))
  FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } }
}
