"""Real database servers for tests: a private PostgreSQL and a private MariaDB.

Each server runs from a fresh data directory under the system's temporary
directory, listens on 127.0.0.1 on a free port with durability switched off
(a test database is thrown away), and is started with :class:`subprocess.Popen`
so that it is stopped by its own PID — never by name. A test first asks why
the server cannot run here and skips with that reason (``argus.testing.strict``
turns the skip into a failure in CI)::

    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    with PostgresServer() as server:
        url = server.create_database("argus_test")   # postgresql+psycopg://…

MariaDB is reached through pyodbc and MariaDB's ODBC driver (``mysql+pyodbc``),
so that tests exercise SQLAlchemy's pyodbc path against a real server; no SQL
Server can run on these machines.

When the tests run as root, the servers run as the ``postgres`` and ``mysql``
system users (PostgreSQL refuses to run as root); otherwise as the current
user. Nothing here imports pytest.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from argus.master.db.odbc import mariadb_url

HOST = "127.0.0.1"
#: The ODBC driver name odbc-mariadb registers in /etc/odbcinst.ini.
MARIADB_ODBC_DRIVER = "MariaDB Unicode"
_POSTGRES_ROOTS = (Path("/usr/lib/postgresql"),)
_MARIADB_BINARIES = ("mariadb-install-db", "mariadbd")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _check_identifier(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a plain lower-case SQL identifier")
    return name


def _as_root() -> bool:
    return os.geteuid() == 0


def _system_user_missing(user: str, package: str) -> str | None:
    """Why ``user`` cannot run a server (only matters when the tests run as root)."""
    if not _as_root():
        return None
    try:
        pwd.getpwnam(user)
    except KeyError:
        return f"the {user!r} system user does not exist; install {package}"
    return None


def postgres_bindir() -> Path | None:
    """The directory of ``initdb`` and ``postgres``: Debian's version 15 if present, else the
    newest installed version, else one found on ``PATH``."""
    candidates: list[Path] = []
    for root in _POSTGRES_ROOTS:
        if root.is_dir():
            versions = [p for p in root.iterdir() if p.name.isdigit()]
            versions.sort(key=lambda p: (p.name != "15", -int(p.name)))
            candidates += [p / "bin" for p in versions]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "postgres").is_file():
            return bindir
    return None


@functools.cache
def postgres_missing() -> str | None:
    """Why a private PostgreSQL cannot run on this machine, or ``None`` if it can."""
    if postgres_bindir() is None:
        return "PostgreSQL's initdb and postgres not found; install postgresql-15"
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        return f"psycopg is not importable ({exc}); install psycopg[binary]"
    return _system_user_missing("postgres", "postgresql-15")


@functools.cache
def mariadb_missing() -> str | None:
    """Why a private MariaDB reached through pyodbc cannot run here, or ``None`` if it can."""
    missing = [name for name in _MARIADB_BINARIES if shutil.which(name) is None]
    if missing:
        return f"{', '.join(missing)} not found; install mariadb-server"
    try:
        import pyodbc  # type: ignore[import-not-found, unused-ignore]  # stub not PEP 561
    except ImportError as exc:
        return f"pyodbc is not importable ({exc}); install unixodbc and pyodbc"
    if MARIADB_ODBC_DRIVER not in pyodbc.drivers():
        return f"ODBC driver {MARIADB_ODBC_DRIVER!r} is not registered; install odbc-mariadb"
    return _system_user_missing("mysql", "mariadb-server")


class _Server:
    """A database server as a child process with its own temporary data directory.

    Subclasses say how to initialise the directory, the command that runs the
    server, how to tell it is ready and which signal shuts it down quickly.
    """

    kind = "server"
    system_user = ""
    stop_signal = signal.SIGTERM
    #: False when the program switches to ``system_user`` itself (mariadbd --user).
    popen_as_user = True

    def __init__(self) -> None:
        self.port = 0
        self.root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError(f"the {self.kind} is not running")
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def datadir(self) -> Path:
        if self.root is None:
            raise RuntimeError(f"the {self.kind} has no data directory yet")
        return self.root / "data"

    @property
    def rundir(self) -> Path:
        """The server's own directory for sockets, its PID file and temporary files."""
        if self.root is None:
            raise RuntimeError(f"the {self.kind} has no data directory yet")
        return self.root / "run"

    def start(self, ready_timeout: float = 60.0) -> Self:
        """Initialise a data directory, start the server and wait until it accepts clients.

        :raises RuntimeError: initialisation failed or the server did not get ready
            within ``ready_timeout`` s (the message carries the end of its log).
        """
        if self.running:
            raise RuntimeError(f"the {self.kind} already runs (pid {self.pid})")
        self._make_root()
        try:
            self._initialise()
            self.port = free_port()
            self._log = (self.datadir.parent / "server.log").open("ab")
            self._process = self._popen(self._command(), stdout=self._log)
            self._wait_ready(ready_timeout)
            self._bootstrap()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 30.0) -> int | None:
        """Shut down (fast mode), SIGKILL after ``timeout`` s, and delete the data directory.

        :returns: the server's exit status, ``None`` if it was not running.
        """
        code = None
        process = self._process
        if process is not None:
            if process.poll() is None:
                process.send_signal(self.stop_signal)
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.send_signal(signal.SIGKILL)
                    process.wait(timeout)
            code = process.returncode
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        return code

    def log(self) -> str:
        """The end of the server's log (and of the initialisation's output)."""
        if self.root is None:
            return ""
        path = self.root / "server.log"
        try:
            text = path.read_bytes().decode(errors="replace").strip()
        except OSError:
            return "(no log)"
        return text[-3000:] or "(empty log)"

    def _make_root(self) -> None:
        # Under the system temp dir, traversable by the server's system user: pytest's
        # own temp dirs are private to the user running the tests.
        self.root = Path(tempfile.mkdtemp(prefix=f"argus-{self.kind}-"))
        self.root.chmod(0o711)
        for path in (self.datadir, self.rundir):
            path.mkdir(mode=0o700)
            self._chown(path)

    def _chown(self, path: Path) -> None:
        if _as_root() and self.system_user:
            entry = pwd.getpwnam(self.system_user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _popen(self, args: Sequence[str], *, stdout: IO[bytes] | int) -> subprocess.Popen[bytes]:
        """Start ``args`` as the system user (when root) so that its PID is the server's."""
        extra: dict[str, Any] = {}
        if _as_root() and self.system_user and self.popen_as_user:
            entry = pwd.getpwnam(self.system_user)
            extra = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        return subprocess.Popen(
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            env=self._environment(),
            **extra,
        )

    def _environment(self) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
        if self.root is not None:
            env["HOME"] = str(self.root)
        return env

    def _run(self, args: Sequence[str], *, what: str, timeout: float = 120.0) -> None:
        """Run an initialisation step to completion; its output goes to the log."""
        assert self.root is not None
        with (self.root / "server.log").open("ab") as out:
            process = self._popen(args, stdout=out)
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout)
                raise RuntimeError(f"{what} took more than {timeout} s: {self.log()}") from None
        if code != 0:
            raise RuntimeError(f"{what} failed with status {code}: {self.log()}")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"the {self.kind} exited while starting: {self.log()}")
            not_ready = self._probe()
            if not_ready is None:
                return
            last = not_ready
            time.sleep(0.1)
        raise RuntimeError(
            f"the {self.kind} was not ready after {timeout} s ({last}): {self.log()}"
        )

    def _initialise(self) -> None:
        raise NotImplementedError

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _probe(self) -> str | None:
        """``None`` if the server accepts clients, else why not (yet)."""
        raise NotImplementedError

    def _bootstrap(self) -> None:
        """Prepare the running server (accounts) before tests use it."""

    def __enter__(self) -> Self:
        return self if self.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class PostgresServer(_Server):
    """A private PostgreSQL (Debian's 15 by preference) on 127.0.0.1, trust authentication.

    The superuser is ``postgres`` without a password; fsync, synchronous commit
    and full-page writes are off.
    """

    kind = "postgresql"
    system_user = "postgres"
    # SIGINT is PostgreSQL's "fast" shutdown: it disconnects clients instead of waiting.
    stop_signal = signal.SIGINT
    superuser = "postgres"

    def _bindir(self) -> Path:
        bindir = postgres_bindir()
        if bindir is None:
            raise RuntimeError(postgres_missing() or "PostgreSQL not found")
        return bindir

    def _initialise(self) -> None:
        args = [str(self._bindir() / "initdb"), "-D", str(self.datadir), "-U", self.superuser]
        args += ["--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]
        self._run(args, what="initdb")

    def _command(self) -> list[str]:
        args = [str(self._bindir() / "postgres"), "-D", str(self.datadir)]
        args += ["-h", HOST, "-p", str(self.port), "-k", str(self.rundir)]
        for option in ("fsync=off", "synchronous_commit=off", "full_page_writes=off"):
            args += ["-c", option]
        return args

    def _connect(self, database: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(
            host=HOST,
            port=self.port,
            user=self.superuser,
            dbname=database,
            connect_timeout=5,
            autocommit=True,
        )

    def _probe(self) -> str | None:
        import psycopg

        try:
            self._connect().close()
        except psycopg.OperationalError as exc:
            return str(exc)
        return None

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://{self.superuser}@{HOST}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` (a plain identifier); its SQLAlchemy URL."""
        with contextlib.closing(self._connect()) as conn:
            conn.execute(f'CREATE DATABASE "{_check_identifier(name)}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting whoever still uses it."""
        with contextlib.closing(self._connect()) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{_check_identifier(name)}" WITH (FORCE)')


class MariadbServer(_Server):
    """A private MariaDB on 127.0.0.1, reached through pyodbc and MariaDB's ODBC driver.

    ``root`` (no password) connects over the server's Unix socket only, to
    create databases; tests connect over TCP as :attr:`user`, who may do
    anything in the databases :meth:`create_database` made. InnoDB flushes its
    log once a second instead of at every commit.
    """

    kind = "mariadb"
    system_user = "mysql"
    popen_as_user = False  # mariadbd --user=mysql drops root itself
    user = "argus"
    password = "argus-test;{pw}"  # exercises the ODBC quoting of the URL builder

    @property
    def socket_path(self) -> Path:
        return self.rundir / "mariadbd.sock"

    def _user_option(self) -> list[str]:
        return [f"--user={self.system_user}"] if _as_root() else []

    def _initialise(self) -> None:
        args = ["mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}"]
        args += self._user_option()
        args += ["--auth-root-authentication-method=normal", "--skip-test-db"]
        args += ["--skip-name-resolve"]
        self._run(args, what="mariadb-install-db")

    def _command(self) -> list[str]:
        assert self.root is not None
        args = ["mariadbd", "--no-defaults", f"--datadir={self.datadir}", *self._user_option()]
        args += [f"--port={self.port}", f"--bind-address={HOST}", f"--socket={self.socket_path}"]
        args += [f"--pid-file={self.rundir / 'mariadbd.pid'}", f"--tmpdir={self.rundir}"]
        args += ["--skip-name-resolve", "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0"]
        args += ["--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M"]
        args += ["--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci"]
        return args

    def _root_connection(self) -> Any:
        import pyodbc  # type: ignore[import-not-found, unused-ignore]  # stub not PEP 561

        driver = "{" + MARIADB_ODBC_DRIVER + "}"
        return pyodbc.connect(
            f"DRIVER={driver};SOCKET={self.socket_path};UID=root;PWD=;",
            autocommit=True,
            timeout=5,
        )

    def _probe(self) -> str | None:
        import pyodbc  # type: ignore[import-not-found, unused-ignore]  # stub not PEP 561

        try:
            with socket.create_connection((HOST, self.port), timeout=1):
                pass
            self._root_connection().close()
        except (OSError, pyodbc.Error) as exc:
            return str(exc)
        return None

    def _bootstrap(self) -> None:
        # The password is a constant without quotes or backslashes: safe as a literal.
        self._as_root(f"CREATE USER '{self.user}'@'{HOST}' IDENTIFIED BY '{self.password}'")

    def _as_root(self, sql: str) -> None:
        with contextlib.closing(self._root_connection()) as conn:
            conn.execute(sql)

    def url(self, database: str) -> str:
        """The ``mysql+pyodbc`` SQLAlchemy URL of ``database`` for :attr:`user`."""
        return mariadb_url(
            driver=MARIADB_ODBC_DRIVER,
            server=HOST,
            port=self.port,
            database=database,
            user=self.user,
            password=self.password,
        )

    def create_database(self, name: str) -> str:
        """Create an empty utf8mb4 database ``name`` for :attr:`user`; its SQLAlchemy URL."""
        name = _check_identifier(name)
        self._as_root(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        self._as_root(f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{self.user}'@'{HOST}'")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._as_root(f"DROP DATABASE IF EXISTS `{_check_identifier(name)}`")
