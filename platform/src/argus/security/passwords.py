"""Password hashing with Argon2id (argon2-cffi, RFC 9106 parameters).

Verification of an unknown user still runs one Argon2 verification against a
fixed dummy hash, so response time does not reveal which user names exist.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # Argon2id, t=3, m=64 MiB, p=4
_DUMMY = _hasher.hash("argus-dummy-password-for-timing")


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("a password cannot be empty")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (``None``: unknown user, always false)."""
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """The hash was made with weaker parameters than today's: rehash at next login."""
    return _hasher.check_needs_rehash(stored)
