"""Synthetic N-Quads for the scale benchmarks, streamed to disk (never held in memory).

- :func:`replicate` copies the real build K times with renamed IRIs, so analytical queries see
  the real graph's shape at K times its size.
- :func:`generate` writes N triples in the graph's shape (actors, instruments, materials,
  dated observations, passages with provenance, labels in two languages), spread over several
  named graphs, for the bulk-load benchmark.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ID", "Generated", "generate", "replicate"]

ID = "https://w3id.org/econsec/id/"
ES = "https://w3id.org/econsec/ontology#"
GRAPH = "https://w3id.org/econsec/graph/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
ALT = "<http://www.w3.org/2004/02/skos/core#altLabel>"
DESCRIPTION = "<http://purl.org/dc/terms/description>"
DERIVED = "<http://www.w3.org/ns/prov#wasDerivedFrom>"
XSD = "http://www.w3.org/2001/XMLSchema#"
_BLANK = re.compile(r"(^|\s)_:")


def replicate(source: Path, out: Path, copies: int, *, skip_graphs: tuple[str, ...] = ("ontology",)) -> int:
    """Write ``copies`` renamed copies of ``source`` (N-Quads) to ``out``; return the quads written.

    Copy r renames every ``.../id/...`` IRI to ``.../id/r{r}/...`` and every blank node, so copies
    never share a subject; vocabulary and named-graph IRIs stay, so each named graph grows K-fold.
    Graphs named in ``skip_graphs`` (the ontology) are not copied: they would only repeat.
    """
    lines = source.read_text(encoding="utf-8").splitlines()
    skipped = tuple(f"<{GRAPH}{name}> ." for name in skip_graphs)
    lines = [ln for ln in lines if ln and not ln.endswith(skipped)]
    written = 0
    with out.open("w", encoding="utf-8") as sink:
        for r in range(1, copies + 1):
            prefix = f"<{ID}r{r}/"
            chunk = [_BLANK.sub(rf"\1_:r{r}x", ln.replace(f"<{ID}", prefix)) for ln in lines]
            sink.write("\n".join(chunk))
            sink.write("\n")
            written += len(chunk)
    return written


@dataclass
class Generated:
    """What :func:`generate` wrote."""

    path: Path
    triples: int
    graphs: list[str]
    #: a deterministic sample of subject IRIs, for point lookups
    sample_iris: list[str]


def _lit(text: str, lang: str | None = None) -> str:
    return f'"{text}"@{lang}' if lang else f'"{text}"'


def _typed(value: str, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def generate(
    out: Path, triples: int, *, graphs: int = 8, seed: int = 20261124, sample: int = 2000
) -> Generated:
    """Stream about ``triples`` triples (the exact count is returned) over ``graphs`` named graphs.

    One "unit" (about 25 triples) is an actor, an instrument it issued, an observation of a
    dependence share with value, period and counterpart, and the source passage both come from,
    with labels (English, some Japanese), types, links between units and dates of real precision.
    Materials and countries are shared reference entities in their own graph.
    """
    rng = random.Random(seed)
    graph_iris = [f"<{GRAPH}synthetic-{k}>" for k in range(graphs)]
    reference = f"<{GRAPH}synthetic-reference>"
    materials, countries = 5000, 250
    per_unit = 25
    units = max(1, (triples - 2 * materials - 3 * countries) // per_unit)
    sample_every = max(1, units // sample)
    sample_iris: list[str] = []
    count = 0
    statuses = ["Enacted", "Announced", "Proposed", "Ended", "Postponed"]
    kinds = ["ExportControl", "Agreement", "Subsidy", "Tariff", "InvestmentScreening"]
    with out.open("w", encoding="utf-8", buffering=1 << 22) as sink:
        buf: list[str] = []
        for m in range(materials):
            s = f"<{ID}material/m{m}>"
            buf.append(f"{s} {RDF_TYPE} <{ES}Material> {reference} .")
            buf.append(f"{s} {LABEL} {_lit(f'material {m}', 'en')} {reference} .")
        for c in range(countries):
            s = f"<{ID}country/c{c}>"
            buf.append(f"{s} {RDF_TYPE} <{ES}Country> {reference} .")
            buf.append(f"{s} {LABEL} {_lit(f'country {c}', 'en')} {reference} .")
            buf.append(f"{s} <{ES}iso> {_lit(f'C{c:03d}')} {reference} .")
        count += len(buf)
        sink.write("\n".join(buf) + "\n")
        for u in range(units):
            g = graph_iris[u % graphs]
            actor, inst = f"<{ID}org/a{u}>", f"<{ID}instrument/i{u}>"
            obs, passage = f"<{ID}observation/o{u}>", f"<{ID}passage/p{u}>"
            doc = f"<{ID}document/d{u % 500}>"
            other = f"<{ID}org/a{rng.randrange(units)}>"
            country = f"<{ID}country/c{rng.randrange(countries)}>"
            material = f"<{ID}material/m{rng.randrange(materials)}>"
            year = 1990 + rng.randrange(36)
            month = 1 + rng.randrange(12)
            date = (
                _typed(f"{year}", "gYear")
                if u % 3 == 0
                else _typed(f"{year}-{month:02d}", "gYearMonth")
                if u % 3 == 1
                else _typed(f"{year}-{month:02d}-{1 + rng.randrange(28):02d}", "date")
            )
            buf = [
                f"{actor} {RDF_TYPE} <{ES}Actor> {g} .",
                f"{actor} {LABEL} {_lit(f'Actor {u}', 'en')} {g} .",
                f"{actor} <{ES}basedIn> {country} {g} .",
                f"{actor} <{ES}partnersWith> {other} {g} .",
                f"{inst} {RDF_TYPE} <{ES}{kinds[u % len(kinds)]}> {g} .",
                f"{inst} {RDF_TYPE} <{ES}Instrument> {g} .",
                f"{inst} {LABEL} {_lit(f'Instrument {u}', 'en')} {g} .",
                f"{inst} {ALT} {_lit(f'Instrument number {u} (short)', 'en')} {g} .",
                f"{inst} <{ES}issuedBy> {actor} {g} .",
                f"{inst} <{ES}date> {date} {g} .",
                f"{inst} <{ES}status> <{ES}{statuses[u % len(statuses)]}> {g} .",
                f"{inst} <{ES}covers> {material} {g} .",
                f"{inst} <{ES}targets> {country} {g} .",
                f"{inst} {DESCRIPTION} {_lit(f'A measure of kind {kinds[u % 5]} issued by actor {u} in {year}.')} {g} .",
                f"{inst} {DERIVED} {passage} {g} .",
                f"{obs} {RDF_TYPE} <{ES}DependenceShare> {g} .",
                f"{obs} <{ES}observedActor> {actor} {g} .",
                f"{obs} <{ES}counterpart> {country} {g} .",
                f"{obs} <{ES}material> {material} {g} .",
                f"{obs} <{ES}value> {_typed(f'{rng.randrange(1000) / 10:.1f}', 'decimal')} {g} .",
                f"{obs} <{ES}period> {_typed(str(year), 'gYear')} {g} .",
                f"{obs} {DERIVED} {passage} {g} .",
                f"{passage} <{ES}inDocument> {doc} {g} .",
                f"{passage} <{ES}section> {_lit(f'Section {u % 40}')} {g} .",
            ]
            if u % 3 == 0:
                buf.append(f"{inst} {LABEL} {_lit(f'措置{u}', 'ja')} {g} .")
            else:
                buf.append(f"{actor} {ALT} {_lit(f'A{u}', 'en')} {g} .")
            count += len(buf)
            sink.write("\n".join(buf) + "\n")
            if u % sample_every == 0 and len(sample_iris) < sample:
                sample_iris.append((inst, actor, obs)[u % 3][1:-1])
    return Generated(out, count, [g[1:-1] for g in [*graph_iris, reference]], sample_iris)
