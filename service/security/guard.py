"""The federation guard as the service uses it: every query and update passes it before the engine.

:mod:`econsec.service.security.federation` holds the pure inspection (which SERVICE / LOAD targets a text
names, and whether the allowlist admits them). This module turns that into the service's
contract: built once from :class:`Settings` (a bad ``ECONSEC_SERVICE_ALLOWLIST`` entry stops
start-up), always installed (there is no "off" switch, so a forgotten argument cannot open the
SSRF hole), and refusals raised as :class:`~econsec.service.errors.ServiceRefused` (400) before
any connection is made.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..errors import ServiceRefused
from ..settings import Settings, SettingsError
from .federation import (
    Allowlist,
    ForbiddenService,
    Resolver,
    Target,
    check_request,
    mentions_remote,
    resolve_targets,
    service_targets,
)

__all__ = ["FederationGuard", "inspect_targets", "targets_from_json"]


def _refused(exc: ForbiddenService) -> ServiceRefused:
    return ServiceRefused(exc.message, target=exc.target, reason=exc.reason, kind=exc.kind)


def inspect_targets(text: str, *, update: bool = False) -> list[dict[str, Any]]:
    """The SERVICE / LOAD targets of ``text`` as JSON-ready dicts, or :class:`ServiceRefused`.

    The expensive half of the guard (a Python lexer pass and rdflib's parser, seconds and hundreds
    of megabytes for a megabyte of text), run by a query worker so that the deadline and the
    memory cap bound it and a kill frees what it took; :meth:`FederationGuard.admit` is the cheap
    half, run by the service on what this returns.
    """
    try:
        return [asdict(target) for target in service_targets(text, update=update)]
    except ForbiddenService as exc:
        raise _refused(exc) from None


def targets_from_json(items: list[dict[str, Any]]) -> list[Target]:
    """The targets :func:`inspect_targets` returned, read back by the service."""
    return [Target(**item) for item in items]


class FederationGuard:
    """Refuses SERVICE / LOAD targets off the allowlist; callable as ``guard(text, update=...)``.

    Allowed targets are also resolved and their addresses checked (loopback, private and
    metadata addresses are refused unless the allowlist names the address itself), so an
    allowlisted DNS name pointing inside the network is caught at the time of the request.
    """

    def __init__(self, allowlist: Allowlist, *, resolver: Resolver | None = None) -> None:
        self.allowlist = allowlist
        self._resolver = resolver

    @classmethod
    def from_settings(cls, settings: Settings) -> FederationGuard:
        try:
            return cls(Allowlist.from_setting(",".join(settings.service_allowlist)))
        except ValueError as exc:
            raise SettingsError(str(exc)) from None

    def __call__(self, text: str, *, update: bool = False) -> list[str]:
        """The allowed SERVICE / LOAD targets of ``text`` (empty for a local request), or 400."""
        try:
            targets = check_request(
                text, self.allowlist, update=update, resolve=True, resolver=self._resolver
            )
        except ForbiddenService as exc:
            raise _refused(exc) from None
        return [t.iri for t in targets if t.iri is not None]

    @staticmethod
    def needs_inspection(text: str) -> bool:
        """Whether ``text`` has a place where the engine could read SERVICE or LOAD (a linear
        search in C); when it has none, calling the guard costs nothing."""
        return mentions_remote(text)

    def admit(self, targets: list[Target]) -> list[str]:
        """The allowlist and address checks on targets a worker found (:func:`inspect_targets`):
        the allowed endpoints, or 400 for the first refused one."""
        try:
            resolve_targets(targets, self.allowlist, resolve=True, resolver=self._resolver)
        except ForbiddenService as exc:
            raise _refused(exc) from None
        return [t.iri for t in targets if t.iri is not None]
