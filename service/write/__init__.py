"""The write path: SPARQL 1.1 Update and Graph Store Protocol writes, validated before they commit.

Every write goes the same way (:mod:`.service`): compute the exact change (a
:class:`~econsec.service.store.base.WriteDelta`) without touching the store, validate the nodes
the change touches against the SHACL shapes on a small neighbourhood graph (:mod:`.validation`),
then hand the delta to the backend, which commits it in one transaction.
"""
