"""RTSP URLs: checking, credential injection and redaction.

A password never leaves this driver in clear: every URL shown in a log line,
an exception or a ``repr`` goes through :func:`redact`, and every text that
came from FFmpeg goes through a :class:`Scrubber` that knows the secrets.
Messages raised here never quote the URL they reject.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

from argus_driver_rtsp.const import DEFAULT_PORTS, SCHEMES

MASK = "***"
MAX_URL_LENGTH = 2048

_SENSITIVE_QUERY = re.compile(r"(?i)^(pass(word|wd)?|pwd|secret|token|auth|(api_?)?key|sig)$")
_USERINFO = re.compile(r"//[^/?#]*@")


def check(url: str) -> str:
    """``url`` stripped of surrounding blanks, if it is a usable RTSP URL.

    :raises ValueError: naming what is wrong, without quoting the URL.
    """
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValueError("the URL contains blanks or control characters (percent-encode them)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("the URL's host or port is malformed") from None
    if parts.scheme.lower() not in SCHEMES:
        raise ValueError("the URL must start with rtsp:// or rtsps://")
    if not parts.hostname:
        raise ValueError("the URL names no host")
    if port == 0:
        raise ValueError("the URL's port must be 1-65535")
    return url


def endpoint(url: str) -> tuple[str, int]:
    """The host and TCP port the RTSP session connects to."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or DEFAULT_PORTS[parts.scheme.lower()]


def split_credentials(url: str) -> tuple[str, str, str]:
    """``(url without user-info, username, password)``, the credentials percent-decoded."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, "", ""
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=hostport)), unquote(user), unquote(password)


def with_credentials(url: str, username: str, password: str) -> str:
    """``url`` (without user-info) carrying the credentials, percent-encoded as FFmpeg expects.

    The result holds a password in clear: hand it to FFmpeg only, never to a log.
    """
    if not username and not password:
        return url
    parts = urlsplit(url)
    userinfo = quote(username, safe="")
    if password:
        userinfo += ":" + quote(password, safe="")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc}"))


def redact(url: str) -> str:
    """``url`` fit for a log: the password and password-like query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO.sub(f"//{MASK}@", url)
    return urlunsplit(parts._replace(netloc=_redact_netloc(parts), query=_redact_query(parts)))


def _redact_netloc(parts: SplitResult) -> str:
    if "@" not in parts.netloc:
        return parts.netloc
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    if not colon:
        return parts.netloc
    return f"{user}:{MASK}@{hostport}" if user else f"{MASK}@{hostport}"


def _redact_query(parts: SplitResult) -> str:
    if not parts.query:
        return parts.query
    fields = []
    for field in parts.query.split("&"):
        name, equals, _ = field.partition("=")
        fields.append(f"{name}={MASK}" if equals and _SENSITIVE_QUERY.match(name) else field)
    return "&".join(fields)


class Scrubber:
    """Masks known secrets (as given and percent-encoded) in any text.

    For texts this driver did not write itself: FFmpeg error messages, which may
    quote the URL it was given.
    """

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Iterable[str]) -> None:
        forms = set()
        for secret in secrets:
            if secret:
                forms.update({secret, quote(secret, safe=""), quote(secret)})
        self._secrets = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        text = _USERINFO.sub(f"//{MASK}@", text)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def __repr__(self) -> str:
        return f"<Scrubber of {len(self._secrets)} secret forms>"
