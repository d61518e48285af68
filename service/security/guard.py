"""The federation guard as the service uses it: every query and update passes it before the engine.

:mod:`econsec.service.security.federation` holds the pure inspection (which SERVICE / LOAD targets a text
names, and whether the allowlist admits them). This module turns that into the service's
contract: built once from :class:`Settings` (a bad ``ECONSEC_SERVICE_ALLOWLIST`` entry stops
start-up), always installed (there is no "off" switch, so a forgotten argument cannot open the
SSRF hole), and refusals raised as :class:`~econsec.service.errors.ServiceRefused` (400) before
any connection is made.
"""

from __future__ import annotations

from ..errors import ServiceRefused
from ..settings import Settings, SettingsError
from .federation import Allowlist, ForbiddenService, Resolver, check_request

__all__ = ["FederationGuard"]


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
            raise ServiceRefused(exc.message, target=exc.target, reason=exc.reason, kind=exc.kind) from None
        return [t.iri for t in targets if t.iri is not None]
