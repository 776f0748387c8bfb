"""The administrator's session with a master, and the HTTP client the admin commands share.

``argus login`` stores the master's URL and the session secret in
``$ARGUS_CONFIG_DIR/session.json`` (default ``~/.config/argus/session.json``), readable
by the owner only; every other admin command sends that secret to the master, which
authenticates, authorizes and audits the call. Nothing here touches a database.

Failures end the command with a message on stderr (the master's ``detail`` when it gave
one) and an exit status: :data:`EXIT_REFUSED` when the master refused or found nothing,
:data:`EXIT_USAGE` for a bad command line or an unreachable master, :data:`EXIT_LOGIN`
when there is no valid session.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.markup import escape

#: Where the session file lives (default ``~/.config/argus``).
CONFIG_DIR_ENV = "ARGUS_CONFIG_DIR"
#: The master ``argus login`` logs in to when ``--master`` is not given.
MASTER_ENV = "ARGUS_MASTER"
#: The password ``argus login`` uses instead of prompting (for scripts).
PASSWORD_ENV = "ARGUS_PASSWORD"
#: A new password ``argus users add|passwd`` uses instead of prompting (for scripts).
NEW_PASSWORD_ENV = "ARGUS_NEW_PASSWORD"
SESSION_FILE = "session.json"
DEFAULT_MASTER = "http://127.0.0.1:5008"
API_PREFIX = "/api/v1"
TIMEOUT_S = 30.0

#: Exit statuses: the master refused or found nothing; bad usage or no connection; not
#: logged in (or the session ended).
EXIT_REFUSED, EXIT_USAGE, EXIT_LOGIN = 1, 2, 3

errors = Console(stderr=True)


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    """Print ``message`` on stderr and end the command with ``code``."""
    errors.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


# --- The stored session ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredSession:
    """What ``argus login`` keeps: where the master is and the session secret."""

    master: str
    secret: str
    username: str
    user_id: int
    expires: str


def config_dir() -> Path:
    given = os.environ.get(CONFIG_DIR_ENV)
    return Path(given) if given else Path.home() / ".config" / "argus"


def session_path() -> Path:
    return config_dir() / SESSION_FILE


def load_session() -> StoredSession:
    """The stored session; ends the command (:data:`EXIT_LOGIN`) when there is none."""
    path = session_path()
    try:
        data = json.loads(path.read_text())
        return StoredSession(
            master=str(data["master"]),
            secret=str(data["secret"]),
            username=str(data["username"]),
            user_id=int(data["user_id"]),
            expires=str(data.get("expires", "")),
        )
    except FileNotFoundError:
        fail("not logged in: run argus login --master URL", EXIT_LOGIN)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        fail(f"cannot read the session in {path} ({exc}): run argus login", EXIT_LOGIN)


def save_session(session: StoredSession) -> Path:
    """Write the session file atomically, readable by the owner only."""
    path = session_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(session), f, indent=1)
    tmp.replace(path)
    return path


def forget_session() -> bool:
    """Remove the session file; whether there was one."""
    path = session_path()
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


# --- HTTP ------------------------------------------------------------------------------


def describe(detail: Any) -> str:
    """The master's ``detail``: a message, or FastAPI's list of invalid fields."""
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
                parts.append(f"{where}: {item.get('msg', item)}" if where else str(item.get("msg")))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)


class MasterClient:
    """Calls the master API as the stored session's user.

    :param secret: the session secret; None for the one call that needs none (login).
    :param transport: an httpx transport to use instead of the network (tests).
    """

    def __init__(
        self,
        master: str,
        secret: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.master = master.rstrip("/")
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        try:
            self._http = httpx.Client(
                base_url=self.master + API_PREFIX,
                headers=headers,
                timeout=TIMEOUT_S,
                transport=transport,
            )
        except (httpx.InvalidURL, ValueError) as exc:
            fail(f"{master!r} is not a master URL (http://host:5008): {exc}", EXIT_USAGE)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        login: bool = False,
        accept: frozenset[int] | set[int] = frozenset(),
        content: bytes | None = None,
    ) -> httpx.Response:
        """One call; ends the command with the master's message when it refuses.

        :param login: a 401 is a wrong user name or password, not an ended session.
        :param accept: error statuses returned instead of ending the command.
        """
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            if content is not None:  # raw bytes (an upload), not JSON
                reply = self._http.request(
                    method,
                    path,
                    content=content,
                    params=query,
                    headers={"Content-Type": "application/octet-stream"},
                )
            else:
                reply = self._http.request(method, path, json=body, params=query)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            fail(f"{self.master!r} is not a master URL (http://host:5008): {exc}", EXIT_USAGE)
        except httpx.TransportError as exc:
            fail(f"cannot reach the master at {self.master}: {exc}", EXIT_USAGE)
        if reply.is_success or reply.status_code in accept:
            return reply
        message = self._message(reply)
        if reply.status_code == 401 and not login:
            fail(f"{message} — run argus login", EXIT_LOGIN)
        fail(message, EXIT_REFUSED)

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params).json()

    def send(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """POST, PUT, PATCH or DELETE; the JSON answer, or None when there is none."""
        reply = self.request(method, path, body=body, params=params)
        return reply.json() if reply.content else None

    def close(self) -> None:
        self._http.close()

    @staticmethod
    def _message(reply: httpx.Response) -> str:
        try:
            detail = reply.json().get("detail")
        except (ValueError, AttributeError):
            detail = None
        if detail:
            return describe(detail)
        return f"the master answered {reply.status_code} {reply.reason_phrase}"


def connect() -> MasterClient:
    """A client for the master of the stored session (:data:`EXIT_LOGIN` without one)."""
    session = load_session()
    return MasterClient(session.master, session.secret)
