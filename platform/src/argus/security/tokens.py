"""Access tokens: Ed25519-signed JWTs (EdDSA) the master issues and nodes verify offline.

The master keeps its signing key in a PEM file (0600); nodes get only the
public key. Tokens are short-lived; a node rejects a token that is expired, not
yet valid, for another node, signed by another key, or malformed — each with a
reason for its audit report, never with details that help a forger.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError

from argus.protocol import Right, TokenClaims, node_audience
from argus_sdk import Clock, SystemClock

ALGORITHM = "EdDSA"
DEFAULT_TTL = 300.0
LEEWAY = 30.0  # seconds of clock difference tolerated between master and node


class InvalidToken(Exception):
    """The token cannot be accepted; ``reason`` is safe to log and to return."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The master's signing key, created (PEM, mode 0600) on first use."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        key = Ed25519PrivateKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def public_pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def load_public_key(pem: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


class TokenIssuer:
    """Signs tokens on the master."""

    def __init__(
        self,
        key: Ed25519PrivateKey,
        master_id: str,
        clock: Clock | None = None,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        self._key, self._master, self._ttl = key, master_id, ttl
        self._clock = clock or SystemClock()

    def issue(
        self,
        *,
        user_id: str,
        user_name: str,
        node_id: str,
        rights: Mapping[str, Sequence[Right]],
        admin: bool = False,
    ) -> str:
        now = int(self._clock.now())
        claims = TokenClaims(
            iss=self._master,
            sub=user_id,
            name=user_name,
            aud=node_audience(node_id),
            iat=now,
            exp=now + int(self._ttl),
            jti=secrets.token_hex(8),
            rights={cam: sorted(set(r)) for cam, r in rights.items()},
            admin=admin,
        )
        return jwt.encode(claims.model_dump(mode="json"), self._key, algorithm=ALGORITHM)


class TokenVerifier:
    """Verifies tokens on a node, offline, with the master's public key."""

    def __init__(
        self, public_key: Ed25519PublicKey, node_id: str, clock: Clock | None = None
    ) -> None:
        self._key, self._audience = public_key, node_audience(node_id)
        self._clock = clock or SystemClock()

    def verify(self, token: str) -> TokenClaims:
        """The token's claims.

        :raises InvalidToken: expired, not yet valid, for another node, bad signature,
            malformed.
        """
        try:
            raw = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                # Times are checked below against the node's clock (a test seam, and
                # the clock the node corrects by its measured offset), not time.time().
                options={
                    "require": ["exp", "iat", "aud", "sub"],
                    "verify_iat": False,
                    "verify_exp": False,
                },
            )
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("token is for another node") from exc
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("token signature does not verify") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        now = self._clock.now()
        if raw["exp"] + LEEWAY < now:
            raise InvalidToken("token expired")
        if raw["iat"] > now + LEEWAY:
            raise InvalidToken("token issued in the future")
        try:
            return TokenClaims.model_validate(raw)
        except ValidationError as exc:
            raise InvalidToken("malformed token claims") from exc
