"""Who may write: a bearer token in the ``Authorization`` header equal to ``ECONSEC_UPDATE_TOKEN``.

The checks run before the body is read, so an unauthenticated client cannot make the service
parse anything. In order:

1. no token configured: the service is read-only, every write is 403 (and says how to enable
   writes);
2. a token in the URL (``?access_token=``, ``?token=``...) is refused with 400 whether or not it
   is right: URLs end up in logs, proxies and browser history, so the header is the only place a
   token may travel;
3. no ``Authorization: Bearer`` header, or a wrong token: 401 with ``WWW-Authenticate: Bearer``.

The comparison is constant-time over SHA-256 digests of both tokens, so neither the content nor
the length of a wrong token changes how long the answer takes.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request

from ..errors import BadRequest, ReadOnly, ServiceError
from ..settings import Settings

__all__ = ["TOKEN_QUERY_PARAMETERS", "Unauthorized", "require_writer"]

#: URL parameters that look like a credential; any of them refuses the request
TOKEN_QUERY_PARAMETERS = frozenset({"access_token", "token", "update_token", "auth", "bearer", "api_key"})


class Unauthorized(ServiceError):
    """No valid bearer token for a write."""

    status = 401
    title = "Unauthorized"

    def __init__(self, message: str, *, error: str | None = None) -> None:
        challenge = 'Bearer realm="econsec"'
        if error:
            challenge += f', error="{error}"'
        super().__init__(message, headers={"WWW-Authenticate": challenge})


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def token_matches(given: str, expected: str) -> bool:
    """Constant-time comparison that leaks neither content nor length."""
    return hmac.compare_digest(_digest(given), _digest(expected))


def require_writer(request: Request, settings: Settings) -> None:
    """Raise unless ``request`` may write (see the module docstring for the order of checks)."""
    if settings.update_token is None:
        raise ReadOnly(
            "this service is read-only: no update token is configured (ECONSEC_UPDATE_TOKEN), so writes "
            "(SPARQL Update, Graph Store Protocol) are refused. To enable them, start the service with "
            "ECONSEC_UPDATE_TOKEN set and send that token as 'Authorization: Bearer <token>'. "
            "Nothing was changed."
        )
    in_url = sorted(k for k in request.query_params if k.lower() in TOKEN_QUERY_PARAMETERS)
    if in_url:
        raise BadRequest(
            f"a credential in the URL ({', '.join(in_url)}=) is refused: URLs are logged. Send the token in "
            "the header 'Authorization: Bearer <token>' instead. Nothing was changed."
        )
    header = request.headers.get("authorization")
    if header is None:
        raise Unauthorized(
            "writes need the header 'Authorization: Bearer <token>' with the service's update token "
            "(ECONSEC_UPDATE_TOKEN). Nothing was changed."
        )
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "the Authorization header must read 'Bearer <token>'. Nothing was changed.",
            error="invalid_request",
        )
    if not token_matches(token.strip(), settings.update_token):
        raise Unauthorized("the bearer token is not valid. Nothing was changed.", error="invalid_token")
