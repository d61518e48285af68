"""Federation guard: inspect SPARQL before it runs and refuse SERVICE / LOAD targets off the allowlist.

pyoxigraph (0.5.13) evaluates ``SERVICE <url> { ... }`` and SPARQL Update ``LOAD <url>`` by making
HTTP requests itself. Left alone, any client could make this server fetch any URL (server-side
request forgery: loopback admin ports, the cloud metadata service at 169.254.169.254, private
networks). This module is the check that runs *before* a query or update is handed to the engine.
It is pure (no FastAPI, no I/O except the optional DNS look-up in :func:`resolve_and_check`).

How the caller uses it::

    allowlist = Allowlist.from_setting(settings.service_allowlist)  # ECONSEC_SERVICE_ALLOWLIST, default ""
    try:
        check_request(text, allowlist, update=False, base_iri=base, prefixes=prefixes)
    except ForbiddenService as exc:  # QueryInspectionError is a subclass: same 400
        return error_400(str(exc))
    store.query(text, base_iri=base, prefixes=prefixes, ...)  # same base_iri / prefixes as the check

Pass the guard exactly the ``base_iri`` and ``prefixes`` given to ``Store.query`` / ``Store.update``:
relative IRIs and prefixed names are resolved the way the engine resolves them.

What is refused
---------------
* Every ``SERVICE`` target and every ``LOAD`` source whose normalised URL is not on the allowlist:
  ``SERVICE SILENT``, nested ``SERVICE``, ``SERVICE`` inside sub-queries, ``EXISTS`` / ``NOT
  EXISTS``, ``OPTIONAL``, ``UNION``, ``MINUS``, ``GRAPH`` and update ``WHERE`` clauses, ``LOAD
  SILENT``, ``LOAD ... INTO GRAPH``. One forbidden target refuses the whole request, even when the
  others are allowed. With the default empty allowlist every SERVICE and LOAD is refused.
* ``SERVICE ?var``: a variable endpoint cannot be checked before execution, so it is refused
  outright, whatever the allowlist says.
* URLs that are not plain ``http``/``https`` with a host: ``file:``, ``ftp:``, ``gopher:``,
  ``data:``, ``jar:``, ``javascript:``, relative IRIs left unresolved, ``http:host`` without ``//``.
* Other spellings of a host: user information (``http://allowed@evil/``), percent-encoded hosts,
  a trailing dot, IPv6 addresses not in canonical compressed form, IPv4 addresses written other
  than as canonical dotted decimal (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``,
  ``127.000.000.001``), non-ASCII look-alikes of ASCII names (``allowed.example`` in fullwidth
  letters), characters that have no place in a DNS name, and paths with dot-segments
  (``/sparql/../admin``, ``%2e%2e``). These never match an allowlist entry.

Allowlist matching
------------------
``ECONSEC_SERVICE_ALLOWLIST`` is a comma-separated list of endpoint URLs. Each entry and each
target is normalised: scheme lower-cased; host lower-cased and, when non-ASCII, converted to its
IDNA A-label (UTS #46, the ``idna`` package; without it non-ASCII hosts are refused); IPv6 literals
must be written in canonical compressed form (``[::1]``, not ``[0:0:0:0:0:0:0:1]``); the default
port (80/443) removed; an empty path becomes ``/``. A target matches an entry when scheme, host
and port are equal and the path is equal, or the entry's path ends in ``/`` and is a prefix of the
target's path (``http://peer:8001/`` allows every path on that origin; ``http://peer:8001/sparql``
allows only ``/sparql``). The query string of a target is not
compared; fragments are never sent. An invalid entry makes :meth:`Allowlist.from_setting` raise
``ValueError`` naming it, so a misconfiguration stops the service at start-up instead of silently
allowing something else.

Connect-time address rule (:func:`resolve_and_check`)
-----------------------------------------------------
Allowlisting a *name* trusts whoever controls that name's DNS. :func:`resolve_and_check` resolves
the host of an allowlisted URL and refuses loopback, private (10/8, 172.16/12, 192.168/16),
link-local (169.254/16, including the 169.254.169.254 metadata address), shared (100.64/10),
unspecified, multicast and reserved addresses, their IPv6 equivalents (``::1``, ``fc00::/7``,
``fe80::/10``, ``fec0::/10``) and IPv4 addresses embedded in IPv6 (``::ffff:127.0.0.1``, 6to4,
Teredo, NAT64 ``64:ff9b::/96``): anything that is not a globally routable unicast address.

The one exception: **an allowlist entry that names the address itself** (``http://127.0.0.1:8001/``,
``http://[::1]:8001/``), or the name ``localhost`` for loopback addresses. The operator has then
deliberately allowed that peer (the federation tests run two instances on loopback this way). A DNS
name that merely resolves to a private address is never exempt: to federate with a peer on a
private network, allowlist it by its IP address. Non-canonical numeric spellings are not
exceptions: they are refused before any look-up.

.. _SAFE_FOR_ENGINE_FETCH:

SAFE_FOR_ENGINE_FETCH: when may the engine fetch an allowlisted URL itself?
---------------------------------------------------------------------------
The engine opens the connection itself, after this check, with its own DNS look-up and its own
HTTP client; nothing here can intercept that connection. Handing an allowlisted URL to the engine
is therefore safe only when all of the following hold:

1. every SERVICE / LOAD target in the request is on the allowlist (:func:`check_request`);
2. the allowlisted endpoint is trusted, and in particular **an allowlisted endpoint is trusted not
   to redirect**: a redirect would send the engine's request to a URL this guard never saw.
   (Measured with pyoxigraph 0.5.13: it does not follow 301/302/303/307/308 answers to SERVICE or
   LOAD requests, it fails them with "too many redirects" or "Error 30x"; the test suite pins this,
   so an upgrade that starts following redirects fails a test instead of silently opening a hole.)
3. the allowlisted host's DNS is trusted: the engine resolves the name again when it connects, so
   a name whose answer changes between :func:`resolve_and_check` and the engine's connection (DNS
   rebinding) is not caught here. Allowlist IP literals or names whose DNS you control.

The sentence for the README: "An endpoint on ``ECONSEC_SERVICE_ALLOWLIST`` is trusted: the SPARQL
engine connects to it directly, so it must not redirect (pyoxigraph 0.5.13 refuses redirects, and a
test pins that) and its DNS name must not be able to resolve to an internal address; allowlist IP
addresses or names whose DNS you control." The same text is :data:`SAFE_FOR_ENGINE_FETCH`.

How the text is inspected
-------------------------
A guard that parses the text differently from the engine can be bypassed: the engine runs a
SERVICE that the guard never saw. pyoxigraph's parser (spargebra 0.5) and rdflib's differ in ways
that matter: spargebra matches keywords without a word boundary (``trueSERVICE <u> {}`` and
``1SERVICE <u> {}`` run a SERVICE after the literal, ``SERVICESILENT<u>{}`` and ``LOADSILENT<u>``
are SERVICE SILENT / LOAD SILENT), ends comments at ``\\r`` as well as ``\\n`` (rdflib reads
``#x\\rSERVICE <u> {}`` as one comment), expands ``\\uXXXX`` only inside IRIs and strings (rdflib
expands it everywhere first, so ``"\\u0022"`` opens a string in rdflib's eyes that hides a
following SERVICE), and ends a prefixed name after its first dot group (``ex:a.b.c``). Each of these
was measured against pyoxigraph 0.5.13 and is a test case. So inspection has three layers:

1. the lexer (``lexer.py``), which follows spargebra 0.5's lexical rules (comments, the four string
   forms with their escapes, IRIs with ``\\u`` escapes, variables, blank nodes, numbers, prefixed
   names), gives the tokens in which this module finds every position where the engine could read
   the keyword SERVICE or LOAD; a request with none is
   returned untouched without further parsing (the common case, and cheap);
2. otherwise rdflib's SPARQL parser (``parseQuery`` / ``parseUpdate``) reads a canonical copy of the
   text in which comments are blanked, strings emptied and IRI escapes decoded exactly as the lexer
   saw them, and the parse tree is walked for ``ServiceGraphPattern`` and ``Load`` nodes, resolving
   ``BASE`` and ``PREFIX`` declarations in order (prologues of later update operations apply to
   later operations) and relative IRIs with pyoxigraph's own IRI resolver;
3. the number of SERVICE / LOAD nodes found must cover the lexer's keyword positions. If rdflib
   cannot parse the text, if the counts disagree, or if a ``<`` could be read both as an IRI and as
   the less-than operator in a way that changes where strings and comments start, the request is
   refused with :class:`QueryInspectionError` ("inspection failed"). Requests without a SERVICE or
   LOAD keyword position are never refused by this layer: if they are malformed, the engine reports
   its own syntax error.

Known limits
------------
* Redirects and DNS rebinding, as described under SAFE_FOR_ENGINE_FETCH. An egress firewall that
  stops the server process from reaching internal addresses is the only complete defence against
  both, and is recommended for public deployments.
* The lexical rules are those of spargebra 0.5 (pyoxigraph 0.5.13). The test suite checks the guard
  against the real engine (payloads are proven live, and a property test uses the engine as an
  oracle); re-run it on every pyoxigraph upgrade.
* SPARQL 1.2 syntax rdflib cannot parse (triple terms, ``VERSION``) is refused when it contains a
  SERVICE or LOAD keyword position ("inspection failed"), and passes untouched otherwise.
* rdflib's parser is not thread-safe (RDFLib/rdflib#1282); it is called under a lock. It only runs
  for requests that contain a SERVICE / LOAD keyword position, but a very large such request holds
  the lock while it is parsed (a megabyte takes tens of seconds and hundreds of megabytes): the
  service therefore runs :func:`service_targets` in a query worker, under the query's deadline and
  memory cap, and only :func:`resolve_targets` in its own process (``security/guard.py``).
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final, Literal, TypeAlias

import pyoxigraph
from pyparsing import ParseResults
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import URIRef, Variable

from ..errors import SparqlLexError
from .lexer import IRI_FORBIDDEN, Scan, Token, scan_text

_idna: Any
try:  # UTS #46 IDNA, as URL libraries apply it. Without it, non-ASCII hosts are refused.
    import idna as _idna
except ImportError:  # pragma: no cover - idna ships with httpx/anyio in this project
    _idna = None

__all__ = [
    "SAFE_FOR_ENGINE_FETCH",
    "SETTING_NAME",
    "Allowlist",
    "AllowlistEntry",
    "Endpoint",
    "ForbiddenService",
    "IPAddress",
    "QueryInspectionError",
    "Target",
    "TargetKind",
    "address_refusal",
    "check_request",
    "mentions_remote",
    "normalise_endpoint",
    "resolve_and_check",
    "resolve_targets",
    "service_targets",
]

SETTING_NAME: Final = "ECONSEC_SERVICE_ALLOWLIST"

SAFE_FOR_ENGINE_FETCH: Final = (
    f"An endpoint on {SETTING_NAME} is trusted: the SPARQL engine connects to it directly, so it "
    "must not redirect (pyoxigraph 0.5.13 refuses redirects, and a test pins that) and its DNS name "
    "must not be able to resolve to an internal address; allowlist IP addresses or names whose DNS "
    "you control."
)

TargetKind: TypeAlias = Literal["SERVICE", "LOAD"]
IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver: TypeAlias = Callable[[str, int], Iterable[str]]

_MAX_SHOWN = 300  # longest target echoed back in a message


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


# --------------------------------------------------------------------------------------------
# Errors


class ForbiddenService(Exception):
    """A SERVICE / LOAD target (or a URL about to be fetched) that this server refuses.

    ``str(exc)`` is the full human-readable message, ready for a 400 response. ``target`` is the
    offending IRI (``"?name"`` for a variable endpoint, ``None`` when the text could not be
    inspected), ``kind`` is ``"SERVICE"`` or ``"LOAD"`` when known, ``reason`` the short cause.
    """

    def __init__(
        self, message: str, *, target: str | None, reason: str, kind: TargetKind | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.target = target
        self.reason = reason
        self.kind = kind


class QueryInspectionError(ForbiddenService):
    """The request contains a SERVICE or LOAD keyword but could not be inspected: refused (400).

    A subclass of :class:`ForbiddenService`, so a caller that only catches that still fails closed.
    """

    def __init__(self, detail: str, *, debug: str | None = None) -> None:
        message = (
            f"SERVICE/LOAD inspection failed: {detail}. The request contains the SERVICE or LOAD "
            "keyword and could not be checked against this server's federation allowlist "
            f"({SETTING_NAME}) before running, so it is refused."
        )
        super().__init__(message, target=None, reason=f"inspection failed: {detail}")
        self.detail = detail
        self.debug = debug  # e.g. the inspection parser's own message, for logs (not for clients)


# --------------------------------------------------------------------------------------------
# Endpoint URLs


_SCHEME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_URI_RE: Final = re.compile(r"([^:/?#]+):(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.DOTALL)
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_LABEL_RE: Final = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?")
_HOST_ASCII_RE: Final = re.compile(r"[A-Za-z0-9.\-_]+")
_DOT_SEGMENT_RE: Final = re.compile(r"(?:^|/)(?:\.|%2e){1,2}(?:/|$)", re.IGNORECASE)


class _BadURL(ValueError):
    """A URL that cannot be an allowlisted endpoint; the message says why."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A normalised http(s) endpoint URL."""

    scheme: Literal["http", "https"]
    host: str  # lower-case DNS name / IDNA A-label, dotted-decimal IPv4, or "[v6]" compressed
    host_kind: Literal["dns", "ipv4", "ipv6"]
    port: int  # effective port (default filled in)
    path: str  # starts with "/"
    query: str | None = None

    @property
    def url(self) -> str:
        port = "" if _DEFAULT_PORTS[self.scheme] == self.port else f":{self.port}"
        query = "" if self.query is None else f"?{self.query}"
        return f"{self.scheme}://{self.host}{port}{self.path}{query}"

    @property
    def bare_host(self) -> str:
        """The host without IPv6 brackets, as given to ``getaddrinfo``."""
        return self.host[1:-1] if self.host_kind == "ipv6" else self.host


def _ends_in_number(host: str) -> bool:
    """WHATWG URL "ends in a number": such hosts are parsed (and connected to) as IPv4."""
    labels = host.split(".")
    if labels and labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1] if labels else ""
    if last.isascii() and last.isdigit():
        return True
    return bool(re.fullmatch(r"0[xX][0-9A-Fa-f]*", last))


def _canonical_ipv4(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(
        re.fullmatch(r"0|[1-9][0-9]{0,2}", p) is not None and int(p) <= 255 for p in parts
    )


def _normalise_host(raw: str) -> tuple[str, Literal["dns", "ipv4", "ipv6"]]:
    if not raw:
        raise _BadURL("the URL has no host")
    if "%" in raw:
        raise _BadURL("the host is percent-encoded; write it plainly")
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise _BadURL("the IPv6 address is not closed with ']'")
        inner = raw[1:-1]
        if inner[:1] in ("v", "V"):
            raise _BadURL("IPvFuture addresses are not supported")
        try:
            v6 = ipaddress.IPv6Address(inner)
        except ValueError as exc:
            raise _BadURL(f"'{raw}' is not a valid IPv6 address") from exc
        if inner.lower() != v6.compressed:
            raise _BadURL(
                f"the IPv6 address '{raw}' is not written in its canonical compressed form [{v6.compressed}]"
            )
        return f"[{v6.compressed}]", "ipv6"
    host = raw
    if not host.isascii():
        if _idna is None:
            raise _BadURL("internationalised host names need the 'idna' package, which is missing")
        try:
            host = _idna.encode(host, uts46=True, transitional=False).decode("ascii")
        except (_idna.IDNAError, UnicodeError, ValueError) as exc:
            raise _BadURL(f"the host is not a valid internationalised domain name ({exc})") from exc
        if not any(label.startswith("xn--") for label in host.split(".")):
            raise _BadURL(
                f"the host is written with non-ASCII look-alike characters of '{host}'; write it in ASCII"
            )
    if not _HOST_ASCII_RE.fullmatch(host):
        raise _BadURL("the host contains characters that have no place in a host name")
    host = host.lower()
    if host.endswith("."):
        raise _BadURL("the host ends with a dot, another spelling of the name; write it without the dot")
    if _ends_in_number(host):
        if not _canonical_ipv4(host):
            raise _BadURL(
                f"the numeric host '{host}' is not written as canonical dotted-decimal IPv4 "
                "(decimal, hex, octal and shortened forms are refused)"
            )
        return host, "ipv4"
    if len(host) > 253 or not all(_LABEL_RE.fullmatch(label) for label in host.split(".")):
        raise _BadURL(f"'{host}' is not a valid DNS host name")
    return host, "dns"


def _normalise(url: str) -> Endpoint:
    m = _URI_RE.fullmatch(url)
    if m is None or not _SCHEME_RE.fullmatch(m.group(1)):
        raise _BadURL("it is not an absolute URL")
    scheme = m.group(1).lower()
    if scheme not in _DEFAULT_PORTS:
        raise _BadURL(f"the scheme '{scheme}:' is not allowed; only http and https endpoints are")
    authority, path, query = m.group(2), m.group(3), m.group(4)
    if authority is None:
        raise _BadURL(f"'{scheme}:' is not followed by '//host'")
    if "@" in authority:
        raise _BadURL("the URL carries user information ('...@'), which is never allowed")
    if "\\" in url:
        raise _BadURL("the URL contains a backslash")
    hostport = authority
    port_text: str | None = None
    if authority.startswith("["):
        close = authority.find("]")
        if close < 0:
            raise _BadURL("the IPv6 address is not closed with ']'")
        host_text, rest = authority[: close + 1], authority[close + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise _BadURL("unexpected text after the IPv6 address")
            port_text = rest[1:]
    else:
        host_text, sep, port_text_part = hostport.rpartition(":")
        if sep:
            port_text = port_text_part
        else:
            host_text = hostport
    host, host_kind = _normalise_host(host_text)
    if port_text is None or port_text == "":
        port = _DEFAULT_PORTS[scheme]
    elif port_text.isascii() and port_text.isdigit() and 0 < int(port_text) <= 65535:
        port = int(port_text)
    else:
        raise _BadURL(f"the port '{port_text}' is not a number from 1 to 65535")
    if not path:
        path = "/"
    if not path.startswith("/"):
        raise _BadURL("the path does not start with '/'")
    if _DOT_SEGMENT_RE.search(path):
        raise _BadURL("the path contains '.' or '..' segments")
    if any(ord(c) <= 0x20 or c in '<>"{}|^`' for c in url):
        raise _BadURL("the URL contains characters that are not allowed in IRIs")
    return Endpoint(scheme, host, host_kind, port, path, query)  # type: ignore[arg-type]


def normalise_endpoint(url: str) -> Endpoint:
    """Normalise an http(s) endpoint URL, or raise ``ValueError`` saying why it can never be allowed."""
    return _normalise(url)


# --------------------------------------------------------------------------------------------
# Allowlist


@dataclass(frozen=True, slots=True)
class AllowlistEntry:
    """One allowlisted endpoint; ``prefix`` when its path ends in '/' (allows every path below)."""

    endpoint: Endpoint
    written: str

    @property
    def prefix(self) -> bool:
        return self.endpoint.path.endswith("/")

    def matches(self, target: Endpoint) -> bool:
        e = self.endpoint
        if (e.scheme, e.host, e.port) != (target.scheme, target.host, target.port):
            return False
        return target.path == e.path or (self.prefix and target.path.startswith(e.path))


@dataclass(frozen=True, slots=True)
class Allowlist:
    """The federation allowlist: endpoint URLs that SERVICE and LOAD may reach. Empty by default."""

    entries: tuple[AllowlistEntry, ...] = ()

    @classmethod
    def from_setting(cls, value: str | None) -> Allowlist:
        """Parse ``ECONSEC_SERVICE_ALLOWLIST``: comma-separated endpoint URLs ("" or None: empty).

        Raises ``ValueError`` naming the first entry that cannot be an endpoint.
        """
        entries: list[AllowlistEntry] = []
        for item in (value or "").split(","):
            written = item.strip()
            if not written:
                continue
            try:
                endpoint = _normalise(written)
            except _BadURL as exc:
                raise ValueError(
                    f"{SETTING_NAME} entry {written!r} is not an allowed endpoint URL: {exc}"
                ) from None
            if endpoint.query is not None or "#" in written:
                raise ValueError(
                    f"{SETTING_NAME} entry {written!r} has a query string or fragment; "
                    "list the endpoint URL only"
                )
            entries.append(AllowlistEntry(endpoint, written))
        return cls(tuple(entries))

    @classmethod
    def of(cls, *urls: str) -> Allowlist:
        """Build an allowlist from URLs (same rules as :meth:`from_setting`)."""
        return cls.from_setting(",".join(urls))

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def describe(self) -> str:
        """The normalised entries for messages, or ``"none"``."""
        return ", ".join(e.endpoint.url for e in self.entries) or "none"

    def allows(self, url: str) -> bool:
        """True when ``url`` normalises and matches an entry. Never raises."""
        try:
            target = _normalise(url)
        except _BadURL:
            return False
        return any(e.matches(target) for e in self.entries)

    def check(self, url: str, *, kind: TargetKind = "SERVICE", written: str | None = None) -> Endpoint:
        """The normalised endpoint for an allowed ``url``; raises :class:`ForbiddenService` otherwise."""
        label = _label(kind, url, written)
        try:
            target = _normalise(url)
        except _BadURL as exc:
            raise ForbiddenService(
                f"{label} is refused: {exc}. Only http(s) endpoints named on this server's federation "
                f"allowlist ({SETTING_NAME}) can be reached; allowed: {self.describe()}",
                target=url,
                reason=str(exc),
                kind=kind,
            ) from None
        if not any(e.matches(target) for e in self.entries):
            raise ForbiddenService(
                f"{label} is not on this server's federation allowlist ({SETTING_NAME}); "
                f"allowed: {self.describe()}",
                target=url,
                reason="not on the federation allowlist",
                kind=kind,
            )
        return target

    def names_address(self, endpoint: Endpoint, address: IPAddress) -> bool:
        """True when an entry explicitly names ``endpoint``'s host and that host is ``address``.

        That is an IP-literal entry equal to the address, or the name ``localhost`` for a loopback
        address. Other DNS names are never exempt from the connect-time address rule.
        """
        for entry in self.entries:
            e = entry.endpoint
            if e.host != endpoint.host:
                continue
            if e.host_kind != "dns" and ipaddress.ip_address(e.bare_host) == address:
                return True
            if e.host == "localhost" and _unwrap(address).is_loopback:
                return True
        return False


def _label(kind: TargetKind | None, iri: str, written: str | None = None) -> str:
    shown = f"<{_shorten(iri)}>"
    head = f"{kind} {shown}" if kind else f"URL {shown}"
    if written and written != f"<{iri}>":
        head += f" (written {_shorten(written)})"
    return head


# --------------------------------------------------------------------------------------------
# Connect-time address check


def _unwrap(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")


def address_refusal(address: IPAddress) -> str | None:
    """Why the engine must not connect to ``address`` (a short category), or None if it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded: list[tuple[str, ipaddress.IPv4Address | None]] = [
            ("IPv4-mapped", address.ipv4_mapped),
            ("6to4", address.sixtofour),
            ("Teredo", address.teredo[1] if address.teredo else None),
            ("NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None),
        ]
        for how, v4 in embedded:
            if v4 is not None and (why := address_refusal(v4)):
                return f"{how} {why} ({v4})"
        if address.is_site_local:
            return "site-local"
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local (169.254.0.0/16 holds the cloud metadata service)"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private-network"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "non-public"
    return None


def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def resolve_and_check(
    url: str, allowlist: Allowlist | None = None, *, resolver: Resolver | None = None
) -> list[IPAddress]:
    """Resolve ``url``'s host and refuse any non-public address unless the allowlist names it.

    Returns the addresses (in resolver order, without duplicates). Raises :class:`ForbiddenService`
    when the URL is not a clean http(s) URL (numeric spellings such as ``2130706433`` or ``127.1``
    included), when the host does not resolve, or when any address it resolves to is loopback,
    private, link-local, shared, unspecified, multicast, reserved or otherwise not global, unless
    an entry of ``allowlist`` names that exact address (an IP-literal entry) or is ``localhost`` and
    the address is loopback (see the module docstring). ``resolver(host, port)`` returns address
    strings; the default is ``socket.getaddrinfo``. This is a check *before* the engine connects:
    the engine resolves the name again (see "Known limits").
    """
    return _resolve_and_check(url, allowlist, resolver, _label(None, url), None)


def _resolve_and_check(
    url: str, allowlist: Allowlist | None, resolver: Resolver | None, label: str, kind: TargetKind | None
) -> list[IPAddress]:
    try:
        endpoint = _normalise(url)
    except _BadURL as exc:
        raise ForbiddenService(f"{label} is refused: {exc}", target=url, reason=str(exc), kind=kind) from None
    if endpoint.host_kind == "dns":
        try:
            texts = list((resolver or _getaddrinfo)(endpoint.bare_host, endpoint.port))
        except OSError as exc:
            raise ForbiddenService(
                f"{label} is refused: the host {endpoint.host} could not be resolved ({exc})",
                target=url,
                reason="host could not be resolved",
                kind=kind,
            ) from None
    else:
        texts = [endpoint.bare_host]
    addresses: list[IPAddress] = []
    for text in texts:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone index
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ForbiddenService(
            f"{label} is refused: the host {endpoint.host} resolved to no address",
            target=url,
            reason="host resolved to no address",
            kind=kind,
        )
    for address in addresses:
        why = address_refusal(address)
        if why and not (allowlist is not None and allowlist.names_address(endpoint, address)):
            raise ForbiddenService(
                f"{label} is refused: the host {endpoint.host} resolves to {address}, a "
                f"{why} address. Federation only connects to public addresses, unless an entry of "
                f"{SETTING_NAME} names that address itself",
                target=url,
                reason=f"resolves to {why} address {address}",
                kind=kind,
            )
    return addresses


# --------------------------------------------------------------------------------------------
# Targets


@dataclass(frozen=True, slots=True)
class Target:
    """A SERVICE endpoint or LOAD source found in a request, resolved as the engine resolves it."""

    kind: TargetKind
    iri: str | None  # absolute IRI the engine would fetch; None for SERVICE ?var
    variable: str | None = None  # variable name (without '?') for SERVICE ?var
    silent: bool = False
    written: str = ""  # as written: "<rel>", "ex:name", "?var"

    def describe(self) -> str:
        if self.iri is None:
            return f"{self.kind} {self.written}"
        return _label(self.kind, self.iri, self.written)


# --------------------------------------------------------------------------------------------
# Keyword positions, read from the lexer's tokens (lexer.py follows spargebra 0.5's rules).

_KEYWORD_RE: Final = re.compile(r"service|load", re.IGNORECASE | re.ASCII)
_SILENT: Final = "silent"
_MAX_LEX_RUNS: Final = 16

_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


class _LexError(ValueError):
    """The tokens do not say where SERVICE / LOAD targets are; the request is refused."""


@dataclass(slots=True)
class _LexRun:
    """One reading of the text, and the SERVICE / LOAD keyword positions the engine could see in it."""

    scan: Scan
    hits: int = 0

    @property
    def tokens(self) -> list[Token]:
        return self.scan.tokens


def _count_hits(run: _LexRun, extra_prefixes: Iterable[str]) -> int:
    """Positions where spargebra could read the keyword SERVICE or LOAD (an over-approximation)."""
    sig = [t for t in run.tokens if t.kind not in ("ws", "comment")]
    declared = set(extra_prefixes)
    for k, tok in enumerate(sig):
        if tok.kind == "pname" and tok.local is None and k + 1 < len(sig) and sig[k + 1].kind == "iri":
            declared.add(tok.prefix)
            if _ascii_lower(tok.prefix).startswith("prefix"):
                declared.add(tok.prefix[6:])
    hits = 0
    for k, tok in enumerate(sig):
        if tok.kind == "word":
            # spargebra matches keywords without a word boundary: "trueSERVICE", "SERVICESILENT".
            hits += len(_KEYWORD_RE.findall(tok.text))
        elif tok.kind == "pname":
            previous = sig[k - 1] if k else None
            if tok.local is None and previous is not None and _ascii_lower(previous.text) == "prefix":
                continue  # the prefix being declared
            for m in _KEYWORD_RE.finditer(tok.prefix):
                rest = tok.prefix[m.end() :]
                candidates = {rest}
                if _ascii_lower(rest).startswith(_SILENT):
                    candidates.add(rest[len(_SILENT) :])
                # "SERVICEex:y" is SERVICE + ex:y when the prefix ex: is declared.
                if candidates & declared:
                    hits += 1
    return hits


def _lex_all(text: str, extra_prefixes: Iterable[str]) -> list[_LexRun]:
    """Lex, exploring both readings of every ambiguous '<'. The first run is the IRI reading."""
    prefixes = tuple(extra_prefixes)
    runs: list[_LexRun] = []
    queue: list[frozenset[int]] = [frozenset()]
    seen: set[frozenset[int]] = {frozenset()}
    while queue:
        if len(runs) >= _MAX_LEX_RUNS:
            raise _LexError("too many ambiguous '<' characters")
        forced = queue.pop(0)
        try:
            run = _LexRun(scan_text(text, less_than_at=forced))
        except SparqlLexError as exc:
            raise _LexError(exc.message) from None
        run.hits = _count_hits(run, prefixes)
        runs.append(run)
        for pos in run.scan.ambiguous:
            child = forced | {pos}
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return runs


@dataclass(frozen=True, slots=True)
class _ServiceSite:
    """A SERVICE keyword found by the lexer, and the token naming its endpoint."""

    silent: bool
    target: Token


def _canonical(text: str, run: _LexRun, nonce: str) -> tuple[str, list[_ServiceSite]]:
    """The text as the lexer read it, for rdflib: comments blanked, strings emptied, IRIs decoded.

    Each ``SERVICE [SILENT] target`` becomes ``GRAPH <marker>``: rdflib 7.6's parse action for
    ServiceGraphPattern re-scans the whole input (quadratic, and unbounded recursion for nested
    SERVICE), while GRAPH has the same shape and no such action. The marker numbers the site; the
    endpoint itself is taken from the lexer's token and resolved with the prologue in force there.
    """
    tokens = run.tokens
    significant = [k for k, tok in enumerate(tokens) if tok.kind not in ("ws", "comment")]
    replace: dict[int, str] = {}
    sites: list[_ServiceSite] = []
    for position, k in enumerate(significant):
        tok = tokens[k]
        if tok.kind != "word" or _ascii_lower(tok.text) != "service":
            continue
        following = [tokens[j] for j in significant[position + 1 : position + 2]]
        silent = (
            bool(following) and following[0].kind == "word" and _ascii_lower(following[0].text) == _SILENT
        )
        if silent:
            replace[significant[position + 1]] = ""
        offset = 2 if silent else 1
        if position + offset >= len(significant):
            raise _LexError("SERVICE is not followed by an endpoint")
        target_index = significant[position + offset]
        target = tokens[target_index]
        if target.kind == "iri" and target.decoded is None:
            raise _LexError(
                f"the IRI {_shorten(target.text)} contains escaped characters that IRIs cannot hold"
            )
        if target.kind not in ("iri", "pname", "var"):
            raise _LexError(
                f"SERVICE is followed by {_shorten(target.text)!r}, not an endpoint IRI or variable"
            )
        replace[k] = "GRAPH"
        replace[target_index] = f"<urn:x-econsec-service:{nonce}:{len(sites)}>"
        sites.append(_ServiceSite(silent, target))

    out: list[str] = []
    for k, tok in enumerate(tokens):
        nxt = text[tok.end] if tok.end < len(text) else ""
        if k in replace:
            out.append(replace[k] + " ")
        elif tok.kind == "comment":
            out.append(" ")
        elif tok.kind == "string":
            out.append('""')
            if nxt and nxt in "\"'":
                out.append(" ")
        elif tok.kind == "iri":
            if tok.decoded is None:
                raise _LexError(
                    f"the IRI {_shorten(tok.text)} contains escaped characters that IRIs cannot hold"
                )
            out.append(f"<{tok.decoded}>")
        else:
            out.append(tok.text)
            # Split where spargebra splits but rdflib would not: "ex:a.b" "." "c", "1" "SERVICE".
            split_pname = tok.kind == "pname" and nxt == "."
            split_number = (
                tok.kind == "number" and k + 1 < len(tokens) and tokens[k + 1].kind in ("word", "pname")
            )
            if split_pname or split_number:
                out.append(" ")
    return "".join(out), sites


# --------------------------------------------------------------------------------------------
# Walking rdflib's parse tree

_PARSE_LOCK: Final = threading.Lock()  # rdflib's pyparsing grammar is not thread-safe
_ABSOLUTE_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


@lru_cache(maxsize=4096)
def _engine_resolve(base: str, reference: str) -> str:
    """Resolve ``reference`` against ``base`` with pyoxigraph's own IRI resolver (oxiri)."""
    if any(c in IRI_FORBIDDEN for c in base + reference):
        raise QueryInspectionError(f"cannot resolve <{_shorten(reference)}> against <{_shorten(base)}>")
    try:
        quads = list(
            pyoxigraph.parse(
                f"<{reference}> <urn:x-econsec:p> <urn:x-econsec:o> .",
                format=pyoxigraph.RdfFormat.TURTLE,
                base_iri=base,
            )
        )
        subject = quads[0].subject
    except (SyntaxError, ValueError, IndexError) as exc:
        raise QueryInspectionError(
            f"cannot resolve <{_shorten(reference)}> against BASE <{_shorten(base)}> ({exc})"
        ) from None
    if not isinstance(subject, pyoxigraph.NamedNode):
        raise QueryInspectionError(f"cannot resolve <{_shorten(reference)}>")
    return subject.value


@dataclass(slots=True)
class _Prologue:
    base: str | None
    prefixes: dict[str, str]

    def resolve(self, iri: str) -> str:
        if self.base is None:
            return iri  # the engine requires it to be absolute; a relative one fails the check
        return _engine_resolve(self.base, iri)

    def apply(self, declarations: Iterable[Any]) -> None:
        for decl in declarations:
            if not isinstance(decl, CompValue):
                continue
            iri = str(OrderedDict.get(decl, "iri", ""))
            if decl.name == "Base":
                if self.base is None and not _ABSOLUTE_RE.match(iri):
                    raise QueryInspectionError(f"BASE <{_shorten(iri)}> is not an absolute IRI")
                self.base = self.resolve(iri)
            elif decl.name == "PrefixDecl":
                self.prefixes[str(OrderedDict.get(decl, "prefix") or "")] = self.resolve(iri)


def _children(node: Any) -> list[Any]:
    if isinstance(node, CompValue):
        return list(OrderedDict.values(node))
    if isinstance(node, (list, tuple, ParseResults)):
        return list(node)
    return []


def _pname_target(kind: TargetKind, prefix: str, local: str, silent: bool, prologue: _Prologue) -> Target:
    written = f"{prefix}:{local}"
    if prefix not in prologue.prefixes:
        raise QueryInspectionError(f"the prefix '{prefix}:' used in {kind} {written} is not declared")
    # spargebra drops the backslash of PN_LOCAL_ESC escapes and does not decode %XX.
    return Target(kind, prologue.prefixes[prefix] + local.replace("\\", ""), silent=silent, written=written)


def _term_target(kind: TargetKind, term: Any, silent: bool, prologue: _Prologue) -> Target:
    """A target from rdflib's parse tree (LOAD sources)."""
    if isinstance(term, Variable):
        return Target(kind, None, variable=str(term), silent=silent, written=f"?{term}")
    if isinstance(term, CompValue) and term.name == "pname":
        prefix = str(OrderedDict.get(term, "prefix") or "")
        local = str(OrderedDict.get(term, "localname") or "")
        return _pname_target(kind, prefix, local, silent, prologue)
    if isinstance(term, URIRef):
        raw = str(term)
        return Target(kind, prologue.resolve(raw), silent=silent, written=f"<{raw}>")
    raise QueryInspectionError(f"unexpected {kind} target {term!r}")


def _site_target(site: _ServiceSite, prologue: _Prologue) -> Target:
    """A SERVICE target from the lexer token that names it."""
    tok = site.target
    if tok.kind == "var":
        return Target("SERVICE", None, variable=tok.text[1:], silent=site.silent, written=tok.text)
    if tok.kind == "pname":
        return _pname_target("SERVICE", tok.prefix, tok.local or "", site.silent, prologue)
    if tok.decoded is None:  # _canonical already refuses these; never trust an assert here
        raise QueryInspectionError(f"the IRI {_shorten(tok.text)} cannot be decoded")
    return Target("SERVICE", prologue.resolve(tok.decoded), silent=site.silent, written=tok.text)


@dataclass(slots=True)
class _Walker:
    """Walks rdflib's parse tree in text order, collecting SERVICE sites and LOAD operations."""

    prologue: _Prologue
    sites: list[_ServiceSite]
    marker: re.Pattern[str]
    found: list[Target] = field(default_factory=list)
    seen_sites: set[int] = field(default_factory=set)

    def walk(self, node: Any) -> None:
        stack: list[Any] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, CompValue):
                self.visit(current)
            stack.extend(reversed(_children(current)))

    def visit(self, node: CompValue) -> None:
        silent = bool(OrderedDict.get(node, "silent"))
        if node.name == "GraphGraphPattern":
            m = self.marker.fullmatch(str(OrderedDict.get(node, "term") or ""))
            if m is not None:
                index = int(m.group(1))
                if index in self.seen_sites or index >= len(self.sites):
                    raise QueryInspectionError("a SERVICE clause was parsed twice")
                self.seen_sites.add(index)
                self.found.append(_site_target(self.sites[index], self.prologue))
        elif node.name == "ServiceGraphPattern":  # not produced after _canonical; kept fail-safe
            self.found.append(_term_target("SERVICE", OrderedDict.get(node, "term"), silent, self.prologue))
        elif node.name == "Load":
            self.found.append(_term_target("LOAD", OrderedDict.get(node, "iri"), silent, self.prologue))


def _collect(tree: Any, *, update: bool, walker: _Walker) -> list[Target]:
    if update:
        prologues = list(OrderedDict.get(tree, "prologue") or [])
        requests = list(OrderedDict.get(tree, "request") or [])
        for index, declarations in enumerate(prologues):
            walker.prologue.apply(declarations)  # later operations see earlier declarations too
            if index < len(requests):
                walker.walk(requests[index])
        for request in requests[len(prologues) :]:
            walker.walk(request)
    else:
        parts = list(tree)
        if parts:
            walker.prologue.apply(parts[0])
        for part in parts[1:]:
            walker.walk(part)
    if len(walker.seen_sites) != len(walker.sites):
        raise QueryInspectionError("a SERVICE keyword is not in a place where a graph pattern can be")
    return walker.found


# --------------------------------------------------------------------------------------------
# Public entry points


def service_targets(
    text: str,
    *,
    update: bool,
    base_iri: str | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> list[Target]:
    """Every SERVICE endpoint and LOAD source in a query (``update=False``) or update, in text order.

    ``base_iri`` and ``prefixes`` are the values the caller passes to ``Store.query`` /
    ``Store.update``. Returns ``[]`` quickly for requests without a SERVICE or LOAD keyword
    position. Raises :class:`QueryInspectionError` when the request has such a position but cannot
    be inspected reliably (see the module docstring).
    """
    if not isinstance(text, str):
        raise TypeError(f"SPARQL text must be str, not {type(text).__name__}")
    if _KEYWORD_RE.search(text) is None:
        return []  # the engine matches keywords in ASCII case only: no SERVICE/LOAD possible
    prefix_map = dict(prefixes or {})
    try:
        runs = _lex_all(text, prefix_map)
    except _LexError as exc:
        raise QueryInspectionError(f"the text could not be tokenised ({exc})") from None
    hits = max(run.hits for run in runs)
    if hits == 0:
        return []
    if len(runs) > 1:
        raise QueryInspectionError(
            "a '<' can be read both as an IRI and as the less-than operator, and the two readings "
            "disagree about where strings and comments start"
        )
    nonce = secrets.token_hex(8)
    try:
        canonical, sites = _canonical(text, runs[0], nonce)
    except _LexError as exc:
        raise QueryInspectionError(str(exc)) from None
    try:
        with _PARSE_LOCK:
            tree = parseUpdate(canonical) if update else parseQuery(canonical)
    except Exception as exc:  # pyparsing errors, RecursionError, ValueError from rdflib actions
        raise QueryInspectionError(
            "rdflib's SPARQL grammar, used for inspection, cannot parse it (unsupported syntax, too "
            "deeply nested, or not valid SPARQL)",
            debug=f"{type(exc).__name__}: {_shorten(' '.join(str(exc).split()))}",
        ) from None
    marker = re.compile(f"urn:x-econsec-service:{nonce}:([0-9]+)")
    walker = _Walker(_Prologue(base_iri, dict(prefix_map)), sites, marker)
    found = _collect(tree, update=update, walker=walker)
    if len(found) < hits:
        raise QueryInspectionError(
            f"{hits} place(s) where the engine could read SERVICE or LOAD, but only {len(found)} "
            "SERVICE/LOAD clause(s) were parsed"
        )
    return found


def check_request(
    text: str,
    allowlist: Allowlist,
    *,
    update: bool,
    base_iri: str | None = None,
    prefixes: Mapping[str, str] | None = None,
    resolve: bool = False,
    resolver: Resolver | None = None,
) -> list[Target]:
    """Refuse the request unless every SERVICE / LOAD target is on ``allowlist``; return the targets.

    Raises :class:`ForbiddenService` for the first target (in text order) that is a variable, is
    not a clean http(s) URL, or is not on the allowlist, and :class:`QueryInspectionError` (a
    subclass) when the text cannot be inspected. With ``resolve=True`` each allowed target also
    goes through :func:`resolve_and_check` (a DNS look-up). Nothing here opens a connection to a
    target.
    """
    targets = service_targets(text, update=update, base_iri=base_iri, prefixes=prefixes)
    return resolve_targets(targets, allowlist, resolve=resolve, resolver=resolver)


def mentions_remote(text: str) -> bool:
    """False when no SERVICE or LOAD keyword can be in ``text``: :func:`service_targets` then
    returns ``[]`` without lexing. One regex search without backtracking, linear in C."""
    return _KEYWORD_RE.search(text) is not None


def resolve_targets(
    targets: list[Target],
    allowlist: Allowlist,
    *,
    resolve: bool = False,
    resolver: Resolver | None = None,
) -> list[Target]:
    """The second half of :func:`check_request`, on targets already found: refuse variables and
    targets off ``allowlist``, and with ``resolve=True`` check the addresses they resolve to."""
    for target in targets:
        if target.iri is None:
            raise ForbiddenService(
                f"{target.kind} {target.written} is refused: the endpoint is a variable, so it cannot "
                "be checked before the query runs; write the endpoint IRI instead (federation "
                f"allowlist {SETTING_NAME}; allowed: {allowlist.describe()})",
                target=target.written,
                reason="variable endpoint",
                kind=target.kind,
            )
        allowlist.check(target.iri, kind=target.kind, written=target.written)
    if resolve:
        for target in targets:
            if target.iri is not None:  # variables were refused above
                _resolve_and_check(target.iri, allowlist, resolver, target.describe(), target.kind)
    return targets
