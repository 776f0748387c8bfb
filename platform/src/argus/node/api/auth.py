"""Who is calling the node API, and what they may do.

Two kinds of credentials, both as ``Authorization: Bearer <token>`` (or
``?token=`` where a browser cannot set headers: ``<video src>``, WebSocket):

- a token signed by the master for this node (when the node has the master's
  public key): verified offline, rights per camera as the token states;
- the node-local token from the token file: full rights, for an operator at the
  node before it is enrolled (and for tests and recovery).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from argus.protocol import Right, TokenClaims
from argus.security.tokens import InvalidToken, TokenVerifier


def load_or_create_token(path: Path) -> str:
    """Read the token file, creating it (mode 0600, random 256-bit token) if missing."""
    try:
        token = path.read_text().strip()
        if token:
            return token
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: a user of the master, or the node-local operator."""

    name: str
    admin: bool = False
    token_id: str = ""
    rights: dict[str, list[Right]] = field(default_factory=dict)

    @classmethod
    def from_claims(cls, claims: TokenClaims) -> Caller:
        return cls(claims.name, claims.admin, claims.jti, dict(claims.rights))

    def may(self, camera: str, right: Right) -> bool:
        return self.admin or right in self.rights.get(camera, ())

    def require(self, camera: str, right: Right) -> None:
        if not self.may(camera, right):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"{self.name} has no {right.value} right on {camera}"
            )


LOCAL = Caller("node-local", admin=True)


class NodeAuth:
    """FastAPI dependency: the :class:`Caller` behind the request, or 401."""

    def __init__(self, local_token: str, verifier: TokenVerifier | None = None) -> None:
        self._local = local_token.encode()
        self._verifier = verifier

    def caller(self, presented: str | None) -> Caller:
        """:raises HTTPException: 401 with the reason when the token is not accepted."""
        if not presented:
            raise _unauthorized("a token is required")
        if secrets.compare_digest(presented.encode(), self._local):
            return LOCAL
        if self._verifier is None:
            raise _unauthorized("invalid token")
        try:
            return Caller.from_claims(self._verifier.verify(presented))
        except InvalidToken as exc:
            raise _unauthorized(exc.reason) from exc

    async def __call__(self, request: Request) -> Caller:
        return self.caller(
            bearer(request.headers.get("authorization")) or request.query_params.get("token")
        )


def bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, reason, headers={"WWW-Authenticate": "Bearer"}
    )


async def current_caller(request: Request) -> Caller:
    """The caller of a request, by the app's :class:`NodeAuth` (401 if none)."""
    auth: NodeAuth = request.app.state.auth
    return await auth(request)


#: The route parameter type that authenticates the request.
Who = Annotated[Caller, Depends(current_caller)]
