"""RTSP authentication (RFC 2617 as RTSP uses it): Basic and Digest (MD5, qop ``auth`` or none).

:class:`Credentials` answers a ``WWW-Authenticate`` challenge with the
``Authorization`` header value for each later request. Its ``repr`` and every
error it raises leave the password out.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re

_PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)')


def challenge_params(value: str) -> tuple[str, dict[str, str]]:
    """``(scheme lower case, parameters)`` of one ``WWW-Authenticate`` header value."""
    scheme, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(rest):
        quoted = match.group(3)
        text = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group(2)
        params[match.group(1).lower()] = text
    return scheme.lower(), params


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Credentials:
    """A user and password, and the challenge they answer once the camera sent one."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self._password = password
        self._scheme = ""
        self._params: dict[str, str] = {}
        self._count = 0

    def __repr__(self) -> str:
        return f"<Credentials of {self.username!r}>"

    @property
    def present(self) -> bool:
        return bool(self.username or self._password)

    def accept(self, challenges: list[str]) -> bool:
        """Take the best challenge (Digest over Basic); ``False`` if none is usable."""
        offers = dict(challenge_params(c) for c in challenges)
        if "digest" in offers and offers["digest"].get("algorithm", "MD5").upper() == "MD5":
            self._scheme, self._params = "digest", offers["digest"]
            self._count = 0
            return True
        if "basic" in offers:
            self._scheme, self._params = "basic", offers["basic"]
            return True
        return False

    @property
    def stale(self) -> bool:
        """Whether the last Digest challenge said only the nonce was out of date."""
        return self._params.get("stale", "").lower() == "true"

    def header(self, method: str, uri: str) -> str | None:
        """The ``Authorization`` value for a request, ``None`` before any challenge."""
        if self._scheme == "basic":
            pair = f"{self.username}:{self._password}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        if self._scheme != "digest":
            return None
        p = self._params
        realm, nonce = p.get("realm", ""), p.get("nonce", "")
        ha1 = _md5(f"{self.username}:{realm}:{self._password}")
        ha2 = _md5(f"{method}:{uri}")
        fields = [
            f"username={_quote(self.username)}",
            f"realm={_quote(realm)}",
            f"nonce={_quote(nonce)}",
            f"uri={_quote(uri)}",
        ]
        qops = [q.strip() for q in p.get("qop", "").split(",")]
        if "auth" in qops:
            self._count += 1
            nc, cnonce = f"{self._count:08x}", os.urandom(8).hex()
            response = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
            fields += ["qop=auth", f"nc={nc}", f"cnonce={_quote(cnonce)}"]
        else:
            response = _md5(f"{ha1}:{nonce}:{ha2}")
        fields.append(f"response={_quote(response)}")
        if "opaque" in p:
            fields.append(f"opaque={_quote(p['opaque'])}")
        if "algorithm" in p:
            fields.append(f"algorithm={p['algorithm']}")
        return "Digest " + ", ".join(fields)
