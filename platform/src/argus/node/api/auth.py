"""Node-local API token, until the master's signed tokens replace it.

Every route requires it: ``Authorization: Bearer <token>``, or ``?token=`` where a
browser cannot set headers (``<video src>``, WebSocket).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import HTTPException, Request, status


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


class TokenAuth:
    """FastAPI dependency checking the node token in constant time."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    def valid(self, presented: str | None) -> bool:
        return presented is not None and secrets.compare_digest(presented.encode(), self._token)

    async def __call__(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        presented = header[7:] if header.lower().startswith("bearer ") else None
        if presented is None:
            presented = request.query_params.get("token")
        if not self.valid(presented):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid node token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
