"""Benchmarks of the econsec SPARQL service (scripts a person runs; never part of `make test`)."""
