"""Content negotiation, once for every route (RFC 9110 §12.5.1).

Each route has a table of offers (the SPARQL endpoint's result and RDF formats in
``sparql/formats.py``, a saved query's answer formats, a resource's RDF syntaxes); this module
picks from any such table the same way, so a client gets the same choice whatever it asks:

- an offer takes the quality of the most specific Accept range that matches it
  (``type/subtype`` over ``type/*`` over ``*/*``); ``q=0`` excludes it;
- wildcards match an offer's canonical media type only; an alias counts when named exactly
  (``text/*`` means CSV or TSV, not SPARQL XML by way of its ``text/xml`` alias);
- the best quality wins and ties go to the earlier offer, so a table's order is its preference;
- no usable Accept means the table's first offer.

Browsers are told apart from clients the same way everywhere (:func:`wants_html`): HTML must be
named, not reached by ``*/*``, and ranked no lower than any machine format the client names.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, TypeVar

from starlette.requests import Request

__all__ = [
    "HTML_TYPES",
    "MediaRange",
    "MediaTyped",
    "Offer",
    "best_offer",
    "named_quality",
    "parse_accept",
    "quality",
    "root_path",
    "wants_html",
    "wants_json",
]

#: the media types of a page for people
HTML_TYPES = ("text/html", "application/xhtml+xml")


class Offer(Protocol):
    """A row of a negotiation table: its canonical media type and the ones that also select it."""

    @property
    def media_type(self) -> str: ...

    @property
    def media_types(self) -> tuple[str, ...]: ...


class MediaTyped:
    """What every table row shares: a canonical media type, aliases, and the Content-Type to send.

    A mixin for the rows' dataclasses (which declare ``media_type`` and ``aliases`` themselves).
    """

    media_type: str
    aliases: tuple[str, ...]

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *self.aliases)

    @property
    def content_type(self) -> str:
        """The Content-Type header: textual types say their charset."""
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type


OfferT = TypeVar("OfferT", bound=Offer)


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header."""

    type: str
    subtype: str
    q: float

    @property
    def specificity(self) -> int:
        return 0 if self.type == "*" else 1 if self.subtype == "*" else 2

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        return (self.type in ("*", main)) and (self.subtype in ("*", sub))


#: Accept headers longer than this are read up to here: a real client's is a few hundred bytes
MAX_ACCEPT = 4096


@lru_cache(maxsize=512)
def parse_accept(header: str | None) -> tuple[MediaRange, ...]:
    """Parse an Accept header leniently: malformed entries are skipped, a bad q counts as 1.

    Cached: clients send the same few headers all day, and a tuple of frozen ranges is safe to share.
    """
    ranges = []
    for part in (header or "")[:MAX_ACCEPT].split(","):
        fields = [f.strip() for f in part.split(";")]
        main, _, sub = fields[0].lower().partition("/")
        if not main or not sub:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 1.0
        ranges.append(MediaRange(main, sub, q))
    return tuple(ranges)


def quality(offer: Offer, ranges: Sequence[MediaRange]) -> float:
    """The quality the client gives ``offer``: the best over its media types, each by its most
    specific matching range (wildcards reach the canonical media type only)."""
    best = 0.0
    for media_type in offer.media_types:
        exact_only = media_type != offer.media_type
        matching = [r for r in ranges if r.matches(media_type) and not (exact_only and r.specificity < 2)]
        if matching:
            most_specific = max(r.specificity for r in matching)
            best = max(best, max(r.q for r in matching if r.specificity == most_specific))
    return best


def best_offer(offers: Sequence[OfferT], accept: str | None) -> OfferT | None:
    """The offer to answer with, or None when the client accepts none of them.

    Without a usable Accept header the first offer is the answer.
    """
    if not offers:
        return None
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    chosen: OfferT | None = None
    chosen_q = 0.0
    for offer in offers:
        q = quality(offer, ranges)
        if q > chosen_q:
            chosen, chosen_q = offer, q
    return chosen


def named_quality(ranges: Sequence[MediaRange], media_types: Iterable[str]) -> float:
    """The best q the client gives one of ``media_types`` by naming it (wildcards do not count)."""
    types = tuple(media_types)
    return max((r.q for r in ranges if r.specificity == 2 and any(r.matches(m) for m in types)), default=0)


@lru_cache(maxsize=512)
def wants_html(accept: str | None, machine_types: tuple[str, ...]) -> bool:
    """A page when HTML is named explicitly and ranked no lower than any of ``machine_types`` named.

    Browsers name ``text/html`` and rank ``*/*`` low; scripts send ``*/*`` or the format they
    read. ``machine_types`` is what the route could answer instead (RDF syntaxes, result formats).
    """
    ranges = parse_accept(accept)
    html = named_quality(ranges, HTML_TYPES)
    return html > 0 and html >= named_quality(ranges, machine_types)


def wants_json(accept: str | None) -> bool:
    """JSON for clients whose best-ranked named type is JSON (or ``+json``); text otherwise.

    Used for error bodies: a script that asked for JSON gets an object it can read.
    """
    for media in sorted(parse_accept(accept), key=lambda r: -r.q):
        if media.q <= 0:
            continue
        if media.type == "application" and (media.subtype == "json" or media.subtype.endswith("+json")):
            return True
        if media.type == "text" or media.type == "*":
            return False
    return False


def root_path(request: Request) -> str:
    """The path the service is mounted under (``--root-path`` behind a proxy), without a trailing
    slash: every link a page or a description writes starts with it."""
    return str(request.scope.get("root_path", "")).rstrip("/")
