"""Device credentials encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256).

The key is a file in the master's data directory (:data:`KEY_FILE`), created with
mode 0600 the first time a credential is stored. It is not in the database: a
database dump or backup alone does not reveal credentials, and restoring the
database onto another master needs this file too.

A missing, malformed or wrong key is an error (:class:`CredentialsUnavailable`),
never empty credentials: a device would otherwise be opened without its password.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from argus.master.services.errors import ServiceError

__all__ = ["KEY_FILE", "CredentialVault", "CredentialsUnavailable"]

#: The key's file name in the master's data directory.
KEY_FILE = "credentials.key"


class CredentialsUnavailable(ServiceError):
    """The master cannot encrypt or decrypt device credentials: the key file is missing,
    unreadable, malformed, or not the key the credentials were encrypted with (HTTP 500).
    Restore the key file from the master's backup, or enter the devices' credentials again.
    """


class CredentialVault:
    """Encrypts and decrypts credential dicts with the key in ``key_path``.

    :param key_path: the key file; created (0600) by :meth:`encrypt` when missing.
    """

    def __init__(self, key_path: Path) -> None:
        self.key_path = key_path

    @classmethod
    def in_directory(cls, data_dir: Path) -> CredentialVault:
        """The vault of a master whose data directory is ``data_dir``."""
        return cls(data_dir / KEY_FILE)

    def encrypt(self, credentials: Mapping[str, Any]) -> bytes:
        """``credentials`` (JSON-able) encrypted; creates the key on first use.

        :raises CredentialsUnavailable: the key file exists but is unreadable or malformed.
        """
        plain = json.dumps(dict(credentials), separators=(",", ":"), sort_keys=True)
        return self._fernet(create=True).encrypt(plain.encode())

    def decrypt(self, token: bytes) -> dict[str, Any]:
        """The credentials ``token`` holds.

        :raises CredentialsUnavailable: no key file, a malformed one, or a key other than
            the one ``token`` was encrypted with (or a corrupted token).
        """
        fernet = self._fernet(create=False)
        try:
            plain = fernet.decrypt(bytes(token))
        except InvalidToken as exc:
            raise CredentialsUnavailable(
                f"stored device credentials do not decrypt with the key in {self.key_path}: "
                "the key was replaced or the data corrupted; restore the key file or enter "
                "the credentials again"
            ) from exc
        value = json.loads(plain)
        if not isinstance(value, dict):
            raise CredentialsUnavailable("stored device credentials are not a mapping")
        return value

    def _fernet(self, *, create: bool) -> Fernet:
        key = self._read_key() if not create else self._read_or_create_key()
        try:
            return Fernet(key)
        except ValueError as exc:
            raise CredentialsUnavailable(
                f"{self.key_path} is not a credentials key (32 url-safe base64-encoded bytes): "
                "restore the master's key file"
            ) from exc

    def _read_key(self) -> bytes:
        try:
            return self.key_path.read_bytes().strip()
        except FileNotFoundError as exc:
            raise CredentialsUnavailable(
                f"the credentials key {self.key_path} is missing: stored device credentials "
                "cannot be decrypted; restore the key file or enter the credentials again"
            ) from exc
        except OSError as exc:
            raise CredentialsUnavailable(
                f"cannot read the credentials key {self.key_path}: {exc.strerror}"
            ) from exc

    def _read_or_create_key(self) -> bytes:
        self.key_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self._read_key()
        except OSError as exc:
            raise CredentialsUnavailable(
                f"cannot create the credentials key {self.key_path}: {exc.strerror}"
            ) from exc
        key = Fernet.generate_key()
        with os.fdopen(fd, "wb") as f:
            f.write(key + b"\n")
        return key
