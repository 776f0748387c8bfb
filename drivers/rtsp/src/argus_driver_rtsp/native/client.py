"""The RTSP methods a recorder needs (RFC 2326 / 7826): OPTIONS, DESCRIBE, SETUP with TCP
interleaving, PLAY, keep-alive and TEARDOWN, authenticated when the camera asks.

:class:`RtspClient` runs the setup on the opening thread; afterwards the
streaming thread sends keep-alives, and :meth:`RtspClient.teardown` may come
from any thread. Responses to keep-alives arrive among the media and are
skipped by the media parser. Request and response texts are never logged:
they carry the credentials.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from argus_driver_rtsp.native.auth import Credentials
from argus_driver_rtsp.native.wire import Response, Wire

#: The session timeout RFC 2326 assumes when the camera states none.
DEFAULT_SESSION_TIMEOUT = 60
_MIN_KEEPALIVE = 5.0
_INTERLEAVED = re.compile(r"interleaved\s*=\s*(\d+)(?:\s*-\s*(\d+))?", re.IGNORECASE)


class RtspStatus(Exception):
    """The camera answered a request with a status other than 2xx."""

    def __init__(self, method: str, status: int, reason: str) -> None:
        super().__init__(f"{method}: {status} {reason}")
        self.method, self.status, self.reason = method, status, reason


@dataclass(frozen=True, slots=True)
class Description:
    """DESCRIBE's answer: the SDP text and the URL its relative controls are based on."""

    sdp: str
    base: str


def control_url(base: str, control: str) -> str:
    """A track's URL from its ``a=control`` (absolute, ``*`` or relative), as FFmpeg forms it."""
    if not control or control == "*":
        return base
    if "://" in control:
        return control
    return base + control if base.endswith("/") else f"{base}/{control}"


class RtspClient:
    """Requests on one RTSP connection, with CSeq, Session and Authorization handled.

    :param url: the stream's URL, without credentials (they go in headers only).
    """

    def __init__(self, wire: Wire, url: str, credentials: Credentials, user_agent: str) -> None:
        self.wire = wire
        self.url = url
        self.session = ""
        self.session_timeout = DEFAULT_SESSION_TIMEOUT
        self._credentials = credentials
        self._user_agent = user_agent
        self._cseq = 0
        self._public: set[str] = set()
        self._aggregate = url

    def request(
        self, method: str, uri: str, deadline: float, headers: dict[str, str] | None = None
    ) -> Response:
        """Send a request and wait for its response; answers one authentication challenge.

        :raises RtspStatus: a status other than 2xx (401 once the credentials were tried).
        :raises TimeoutError, EOFError, OSError, ProtocolError: from the connection.
        """
        tried = False
        while True:
            self.wire.send(
                self._format(method, uri, headers), max(0.0, deadline - time.monotonic())
            )
            response = self._response_to(deadline)
            if response.status != 401:
                break
            retry = (not tried or self._credentials.stale) and self._credentials.present
            if not retry or not self._credentials.accept(
                response.headers.get("www-authenticate", [])
            ):
                break
            tried = True
        if not 200 <= response.status < 300:
            raise RtspStatus(method, response.status, response.reason)
        return response

    def _response_to(self, deadline: float) -> Response:
        """The response whose CSeq is the last request's (older ones are skipped)."""
        while True:
            response = self.wire.read_response(deadline)
            cseq = response.header("cseq")
            if cseq is None or not cseq.strip().isdigit() or int(cseq) >= self._cseq:
                return response

    def _format(self, method: str, uri: str, headers: dict[str, str] | None) -> bytes:
        self._cseq += 1
        lines = [
            f"{method} {uri} RTSP/1.0",
            f"CSeq: {self._cseq}",
            f"User-Agent: {self._user_agent}",
        ]
        if self.session:
            lines.append(f"Session: {self.session}")
        authorization = self._credentials.header(method, uri)
        if authorization is not None:
            lines.append(f"Authorization: {authorization}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    # -- the session -------------------------------------------------------------

    def options(self, deadline: float) -> None:
        """Learn which methods the camera offers (for the keep-alive). A camera that refuses
        OPTIONS for another reason than the credentials gets OPTIONS keep-alives, and
        DESCRIBE says what is wrong, if anything.

        :raises RtspStatus: 401 or 403.
        """
        try:
            response = self.request("OPTIONS", self.url, deadline)
        except RtspStatus as exc:
            if exc.status in (401, 403):
                raise
            return
        public = response.header("public") or ""
        self._public = {m.strip().upper() for m in public.split(",")}

    def describe(self, deadline: float) -> Description:
        response = self.request("DESCRIBE", self.url, deadline, {"Accept": "application/sdp"})
        base = response.header("content-base") or response.header("content-location") or self.url
        self._aggregate = base
        return Description(response.body.decode("utf-8", errors="replace"), base)

    def setup(self, url: str, channels: tuple[int, int], deadline: float) -> tuple[int, int]:
        """SETUP one track interleaved on ``channels``; the (RTP, RTCP) channels granted."""
        transport = f"RTP/AVP/TCP;unicast;interleaved={channels[0]}-{channels[1]}"
        response = self.request("SETUP", url, deadline, {"Transport": transport})
        session = response.header("session")
        if session:
            ident, _, params = session.partition(";")
            self.session = ident.strip()
            found = re.search(r"timeout\s*=\s*(\d+)", params, re.IGNORECASE)
            if found and int(found.group(1)) > 0:
                self.session_timeout = int(found.group(1))
        granted = _INTERLEAVED.search(response.header("transport") or "")
        if granted is None:
            return channels
        rtp = int(granted.group(1))
        return rtp, int(granted.group(2)) if granted.group(2) else rtp + 1

    def play(self, deadline: float) -> None:
        self.request("PLAY", self._aggregate, deadline, {"Range": "npt=0.000-"})

    @property
    def keepalive_interval(self) -> float:
        """Half the session timeout."""
        return max(_MIN_KEEPALIVE, self.session_timeout / 2)

    def keepalive(self, timeout: float) -> None:
        """Send GET_PARAMETER (OPTIONS if the camera does not offer it); the answer is skipped
        by the media parser."""
        method = "GET_PARAMETER" if "GET_PARAMETER" in self._public else "OPTIONS"
        self.wire.send(self._format(method, self._aggregate, None), timeout)

    def teardown(self, timeout: float) -> None:
        """Send TEARDOWN without waiting for the answer. Any thread.

        :raises OSError, TimeoutError: the connection cannot take it.
        """
        if self.session:
            self.wire.send(self._format("TEARDOWN", self._aggregate, None), timeout)
