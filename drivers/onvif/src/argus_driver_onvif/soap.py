"""SOAP calls to the camera's ONVIF services, with errors translated at this edge.

The SOAP client is zeep, built from the WSDL files that onvif-zeep ships. The
``onvif`` package itself is never imported: at import it configures the root
logger (``logging.basicConfig``), and its camera class clears the process's
proxy variables and opens an event subscription on the camera. Parsed WSDL
documents are shared by every camera of the process (they are read-only);
each camera has its own zeep clients, HTTP session and WS-Security token.

A message raised here names the camera by ``settings.where`` (never with the
password) and never quotes a request or a reply.
"""

from __future__ import annotations

import copy
import datetime
import email.utils
import functools
import importlib.util
import logging
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import zeep
import zeep.exceptions
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from argus_driver_onvif.const import SERVICES
from argus_driver_onvif.settings import OnvifCameraSettings
from argus_sdk import (
    ArgusError,
    AuthenticationFailed,
    ConfigurationError,
    DeviceUnavailable,
    InvalidRequest,
    Unsupported,
)

#: Service namespaces in GetServices → this driver's service names.
_SERVICE_NAMESPACES = {
    "http://www.onvif.org/ver10/media/wsdl": "media",
    "http://www.onvif.org/ver20/ptz/wsdl": "ptz",
}

#: Fault subcodes (ONVIF Core, 5.11.2) and what they tell the host.
_AUTH_SUBCODES = ("NotAuthorized", "FailedAuthentication", "InvalidSecurity")
_UNSUPPORTED_SUBCODES = ("ActionNotSupported", "NotSupported", "NoPTZProfile")
_INVALID_SUBCODES = ("InvalidArgVal", "InvalidArgs", "NoProfile", "NoToken", "NoEntity")


@functools.cache
def wsdl_dir() -> Path:
    """The WSDL folder that onvif-zeep installs beside its package (``site-packages/wsdl``)."""
    spec = importlib.util.find_spec("onvif")
    if spec is None or spec.origin is None:
        raise ConfigurationError("onvif-zeep is not installed (it provides the ONVIF WSDLs)")
    folder = Path(spec.origin).parent.parent / "wsdl"
    if not (folder / "devicemgmt.wsdl").is_file():
        raise ConfigurationError(f"onvif-zeep's WSDL files are missing from {folder}")
    return folder


_documents: dict[str, Any] = {}
_documents_lock = threading.Lock()


def _document(service: str) -> Any:
    """The parsed WSDL of ``service`` (about 0.2 s the first time in a process)."""
    with _documents_lock:
        document = _documents.get(service)
        if document is None:
            path = wsdl_dir() / SERVICES[service][0]
            loader = Transport()  # type: ignore[no-untyped-call]
            document = zeep.wsdl.Document(str(path), loader, settings=_SETTINGS)  # type: ignore[arg-type]
            _documents[service] = document
        return document


_SETTINGS = zeep.Settings(strict=False, xml_huge_tree=True)

#: A camera clock this far from the host's (seconds) is followed by the WS-Security
#: token's Created time; cameras accept a few minutes of skew at most.
CLOCK_TOLERANCE = 5.0
#: The camera's clock is asked again after another refusal no sooner than this (s).
CLOCK_RECHECK = 60.0


class ClockedToken(UsernameToken):
    """A password-digest UsernameToken whose Created time follows the camera's clock.

    Cameras refuse a token created more than a few minutes from their own time, and
    many run without NTP. ``offset`` (seconds, camera minus host) is learnt by
    :meth:`OnvifClient.call` after a refusal. Thread-safe: each request gets its own copy.
    """

    offset: float = 0.0

    def _create_password_digest(self) -> Any:
        token = copy.copy(self)
        now = datetime.datetime.now(datetime.UTC)
        token.created = now + datetime.timedelta(seconds=self.offset)
        return UsernameToken._create_password_digest(token)  # type: ignore[no-untyped-call]


class OnvifClient:
    """The device, media and PTZ services of one camera. Thread-safe (zeep and requests are)."""

    def __init__(self, settings: OnvifCameraSettings, log: logging.Logger) -> None:
        self.where = settings.where
        self._log = log
        self._settings = settings
        self._session = requests.Session()
        self._session.trust_env = False  # a camera on the LAN is never reached through a proxy
        self._transport = Transport(  # type: ignore[no-untyped-call]
            session=self._session, timeout=settings.timeout, operation_timeout=settings.timeout
        )
        password = settings.password.get_secret_value()
        self._wsse = (
            ClockedToken(settings.username, password, use_digest=True)  # type: ignore[no-untyped-call]
            if settings.username
            else None
        )
        self._clock_checked = -CLOCK_RECHECK
        self._lock = threading.Lock()
        self._services: dict[str, Any] = {}
        self._xaddrs: dict[str, str] = {"devicemgmt": settings.device_url}

    def call(
        self,
        service: str,
        operation: str,
        *,
        reply: bool = True,
        faults_as: type[ArgusError] | None = None,
        **params: Any,
    ) -> Any:
        """The reply of ``operation`` of ``service``.

        :param reply: ``False`` for a command whose reply carries nothing the caller
            needs: a successful reply that cannot be parsed is then taken as done (and
            ``None`` returned) — the camera accepted the command, only its answer is
            malformed (ipycam's PTZ replies are).
        :param faults_as: raise this error for a SOAP fault that is not a refused login
            (an old device answers an operation it lacks with any fault).
        :raises AuthenticationFailed, DeviceUnavailable, Unsupported, InvalidRequest:
            see :func:`translate`.
        """
        proxy = self._service(service)
        error: ArgusError | None = None
        try:
            return getattr(proxy, operation)(**params)
        except _UNREADABLE as exc:
            if not reply:
                self._log.debug(
                    "%s: %s.%s: reply ignored (%s)",
                    self.where,
                    service,
                    operation,
                    type(exc).__name__,
                )
                return None
            error = translate(exc, self.where, f"{service}.{operation}")
        except _CALL_ERRORS as exc:
            error = translate(exc, self.where, f"{service}.{operation}")
            refused = isinstance(error, AuthenticationFailed)
            if faults_as is not None and isinstance(exc, zeep.exceptions.Fault) and not refused:
                error = faults_as(str(error))
        if isinstance(error, AuthenticationFailed) and self._follow_camera_clock():
            return self.call(service, operation, reply=reply, faults_as=faults_as, **params)
        raise error  # outside the handler: zeep's exception is not its context

    def _follow_camera_clock(self) -> bool:
        """After a refusal: whether the camera's clock is off and the token now follows it.

        The camera's time comes from GetSystemDateAndTime, which ONVIF answers without
        a login, or else from the HTTP ``Date`` of the device service's reply.
        """
        if self._wsse is None:
            return False
        with self._lock:
            if time.monotonic() - self._clock_checked < CLOCK_RECHECK:
                return False
            self._clock_checked = time.monotonic()
        camera_time = self._camera_time()
        if camera_time is None:
            return False
        offset = (camera_time - datetime.datetime.now(datetime.UTC)).total_seconds()
        if abs(offset - self._wsse.offset) <= CLOCK_TOLERANCE:
            return False
        self._wsse.offset = offset
        self._log.warning(
            "%s: the camera's clock is %+.0f s off the node's; WS-Security follows it "
            "(set the camera to NTP)",
            self.where,
            offset,
        )
        return True

    def _camera_time(self) -> datetime.datetime | None:
        try:
            client = zeep.Client(  # type: ignore[no-untyped-call]
                _document("devicemgmt"), transport=self._transport, settings=_SETTINGS
            )
            proxy = client.create_service(  # type: ignore[no-untyped-call]
                SERVICES["devicemgmt"][1], self._xaddrs["devicemgmt"]
            )
            reply = proxy.GetSystemDateAndTime().UTCDateTime
            d, t = reply.Date, reply.Time
            return datetime.datetime(
                d.Year, d.Month, d.Day, t.Hour, t.Minute, t.Second, tzinfo=datetime.UTC
            )
        except _CLOCK_ERRORS:
            pass
        try:
            answer = self._session.get(self._xaddrs["devicemgmt"], timeout=self._settings.timeout)
            return email.utils.parsedate_to_datetime(answer.headers["Date"])
        except (requests.RequestException, KeyError, TypeError, ValueError):
            return None

    def has(self, service: str) -> bool:
        """Whether the camera announced ``service`` (after :meth:`discover_services`)."""
        return service in self._xaddrs

    def discover_services(self) -> None:
        """Learn where the media and PTZ services are: GetServices (ONVIF 2.0 and later),
        or GetCapabilities on devices that lack it."""
        found: dict[str, str] = {}
        try:
            services = self.call(
                "devicemgmt", "GetServices", faults_as=Unsupported, IncludeCapability=False
            )
            for entry in services or ():
                name = _SERVICE_NAMESPACES.get(str(getattr(entry, "Namespace", "")))
                if name is not None and getattr(entry, "XAddr", None):
                    found[name] = str(entry.XAddr)
        except (Unsupported, InvalidRequest) as exc:
            self._log.debug("%s: GetServices: %s; asking GetCapabilities", self.where, exc)
        if not found:
            caps = self.call("devicemgmt", "GetCapabilities", Category="All")
            for service, attribute in (("media", "Media"), ("ptz", "PTZ")):
                capability = getattr(caps, attribute, None)
                xaddr = getattr(capability, "XAddr", None) if capability is not None else None
                if xaddr:
                    found[service] = str(xaddr)
        with self._lock:
            for service, xaddr in found.items():
                self._xaddrs[service] = self._reachable(xaddr)

    def _reachable(self, url: str) -> str:
        """``url`` with the configured host and port when the settings ask for it."""
        if not self._settings.stream_host_from_settings:
            return url
        return rehost(url, self._settings.host, self._settings.port)

    def _service(self, service: str) -> Any:
        with self._lock:
            proxy = self._services.get(service)
            if proxy is not None:
                return proxy
            xaddr = self._xaddrs.get(service)
        if xaddr is None:
            raise Unsupported(f"{self.where}: the camera has no ONVIF {service} service")
        client = zeep.Client(  # type: ignore[no-untyped-call]
            _document(service), wsse=self._wsse, transport=self._transport, settings=_SETTINGS
        )
        proxy = client.create_service(SERVICES[service][1], xaddr)  # type: ignore[no-untyped-call]
        with self._lock:
            self._services[service] = proxy
        return proxy

    def get(self, url: str) -> requests.Response:
        """HTTP GET ``url`` (a snapshot), logging in with Digest or Basic when asked to."""
        error: ArgusError | None = None
        try:
            reply = self._session.get(url, timeout=self._settings.timeout)
            if reply.status_code == 401 and self._settings.username:
                challenge = reply.headers.get("WWW-Authenticate", "").lower()
                password = self._settings.password.get_secret_value()
                auth: requests.auth.AuthBase = (
                    requests.auth.HTTPDigestAuth(self._settings.username, password)
                    if challenge.startswith("digest")
                    else requests.auth.HTTPBasicAuth(self._settings.username, password)
                )
                reply = self._session.get(url, timeout=self._settings.timeout, auth=auth)
            if reply.status_code in (401, 403):
                error = AuthenticationFailed(
                    f"{self.where}: the camera refused the credentials for the snapshot "
                    f"(HTTP {reply.status_code})"
                )
            elif reply.status_code >= 400:
                error = DeviceUnavailable(
                    f"{self.where}: the snapshot failed (HTTP {reply.status_code})",
                    retry_after=_retry_after(reply),
                )
            else:
                return reply
        except requests.RequestException as exc:
            error = translate(exc, self.where, "snapshot")
        raise error

    def close(self) -> None:
        self._session.close()


#: A reply that came (HTTP 200) but cannot be parsed.
_UNREADABLE: tuple[type[Exception], ...] = (
    zeep.exceptions.XMLParseError,
    zeep.exceptions.XMLSyntaxError,
    zeep.exceptions.UnexpectedElementError,
    SyntaxError,  # lxml's XMLSyntaxError: a reply that is not XML
    ValueError,  # lxml refuses some malformed replies with ValueError (invalid tag names)
)
_CALL_ERRORS: tuple[type[Exception], ...] = (zeep.exceptions.Error, requests.RequestException)
#: GetSystemDateAndTime failed or its reply lacks the UTC time.
_CLOCK_ERRORS: tuple[type[Exception], ...] = (
    *_CALL_ERRORS,
    *_UNREADABLE,
    AttributeError,
    TypeError,
)


def rehost(url: str, host: str, port: int | None = None) -> str:
    """``url`` with its host (and, if given, port) replaced; user-info kept."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    new_host = f"[{host}]" if ":" in host else host
    new_port = port if port is not None else parts.port
    netloc = new_host + (f":{new_port}" if new_port else "")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{netloc}" if userinfo else netloc))


def _retry_after(reply: requests.Response) -> float | None:
    """The seconds a 503 or 429 reply asks to wait (``Retry-After`` in seconds), if any."""
    value = reply.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


def _subcodes(fault: zeep.exceptions.Fault) -> list[str]:
    names = [str(fault.code or "")]
    for code in fault.subcodes or ():
        names.append(getattr(code, "localname", None) or str(code))
    return names


def translate(exc: Exception, where: str, what: str) -> ArgusError:
    """The SDK error that tells the host what to do about ``exc`` from ``what``."""
    if isinstance(exc, zeep.exceptions.Fault):
        reason = str(exc.message or "")
        codes = " ".join(_subcodes(exc))
        lowered = f"{reason} {codes}".lower()
        if any(c.lower() in lowered for c in _AUTH_SUBCODES) or "not authori" in lowered:
            return AuthenticationFailed(f"{where}: the camera refused the credentials ({reason})")
        if any(c.lower() in lowered for c in _UNSUPPORTED_SUBCODES) or "not supported" in lowered:
            return Unsupported(f"{where}: the camera does not support {what} ({reason})")
        if any(c.lower() in lowered for c in _INVALID_SUBCODES):
            return InvalidRequest(f"{where}: the camera refused {what} ({reason})")
        return DeviceUnavailable(f"{where}: {what} failed ({reason})")
    if isinstance(exc, zeep.exceptions.TransportError):
        if exc.status_code in (401, 403):
            return AuthenticationFailed(
                f"{where}: the camera refused the credentials (HTTP {exc.status_code})"
            )
        return DeviceUnavailable(f"{where}: {what} failed (HTTP {exc.status_code})")
    if isinstance(exc, requests.Timeout):
        return DeviceUnavailable(f"{where}: no answer to {what} in time")
    if isinstance(exc, requests.ConnectionError):
        return DeviceUnavailable(f"{where}: cannot connect ({_cause(exc)})")
    if isinstance(exc, requests.RequestException):
        return DeviceUnavailable(f"{where}: {what} failed ({type(exc).__name__})")
    return DeviceUnavailable(f"{where}: the camera's reply to {what} cannot be read")


def _cause(exc: BaseException) -> str:
    """The innermost OS-level reason of a connection error, without the URL."""
    text = str(exc)
    for marker in (
        "Connection refused",
        "No route to host",
        "Name or service not known",
        "timed out",
        "Connection reset",
        "Network is unreachable",
        "Temporary failure in name resolution",
    ):
        if marker.lower() in text.lower():
            return marker.lower()
    return type(exc).__name__
