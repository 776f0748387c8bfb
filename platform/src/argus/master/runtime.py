"""The running master: its database, signing key, token issuer and clock, in one object.

:class:`Master` is what the HTTP API (:mod:`argus.master.api`) and ``argus master run``
share. :meth:`Master.start` migrates the database (refusing one written by a newer
Argus) and, on a master without any user, creates the first administrator.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from packaging.version import Version
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from argus.kernel import Kernel
from argus.master.config import MasterConfig
from argus.master.db import AppUser, PluginPackage, make_engine, require_head, upgrade
from argus.master.db.enums import Right, Scope
from argus.master.services import accounts, packages, profiles, rollouts, watchdog
from argus.master.services.audit import SYSTEM
from argus.master.services.errors import NotFound
from argus.master.services.login import DEFAULT_POLICY, LoginPolicy
from argus.node.plugins import FOLDER, PluginStore
from argus.repository import Repository
from argus.security.tokens import TokenIssuer, load_or_create_signing_key, public_pem
from argus.web.plugins import LoadedSpi
from argus.web.plugins import collect as collect_spotter_plugins
from argus_sdk import Clock, SystemClock

log = logging.getLogger(__name__)

ADMIN_USERNAME = "admin"
ADMIN_PROFILE = "Administrators"
#: Environment variable holding the first administrator's password.
ADMIN_PASSWORD_ENV = "ARGUS_ADMIN_PASSWORD"
#: Where a generated first password is written (mode 0600), in the data directory.
ADMIN_PASSWORD_FILE = "initial-admin-password"


class Master:
    """The master's shared state. Thread-safe: each request opens its own :meth:`session`.

    :param engine: an engine to use instead of one made from the configuration (tests); the
        master then leaves disposing of it to the caller.
    :param clock: the master's clock (sessions, audit times, tokens); a test seam.
    :param kernel: the loaded plugins, for the Spotter plugins the master serves.
    """

    def __init__(
        self,
        config: MasterConfig,
        *,
        engine: Engine | None = None,
        clock: Clock | None = None,
        login_policy: LoginPolicy = DEFAULT_POLICY,
        offline_timeout: float | None = None,
        kernel: Kernel | None = None,
    ) -> None:
        section = config.master
        self.id = section.id
        self.data_dir = section.data_dir
        self.listen = section.listen
        self.clock: Clock = clock or SystemClock()
        self.login_policy = login_policy
        self.offline_timeout = (
            offline_timeout if offline_timeout is not None else section.offline_seconds
        )
        self.package_store = section.package_store
        self.vendor_keys_dir = section.vendor_keys_dir
        self.require_vendor_signature = section.require_vendor_signature
        #: The TUF repository nodes install packages from (keys and metadata).
        self.repository = Repository(self.data_dir / "repository", self.package_store, self.clock)
        #: (node, credential digest) → monotonic time until which the repository routes
        #: take that node's credential without asking the database again.
        self.repository_readers: dict[tuple[str, str], float] = {}
        self.clock_sync_seconds = section.clock_sync_seconds
        self.clock_offset_threshold = section.clock_offset_threshold
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._owns_engine = engine is None
        self.engine = engine if engine is not None else make_engine(section.database_url)
        key = load_or_create_signing_key(section.signing_key_path)
        self.public_key_pem = public_pem(key)
        self.issuer = TokenIssuer(key, self.id, self.clock)
        #: The loaded plugins (drivers for the System Manager's forms, Spotter plugins).
        self.kernel = kernel
        #: Admitted Spotter plugins (.spi), unpacked per version; the active ones are put
        #: on sys.path before the kernel loads (``argus master run``).
        self.spotter_store = PluginStore(self.data_dir / FOLDER, spotter=True)
        #: The Spotter plugins (.spi) of the loaded plugin packages, served to clients.
        #: Updated in place when a .spi is admitted (the web routes hold this dict).
        self.spotter_plugins: dict[str, LoadedSpi] = (
            collect_spotter_plugins(kernel) if kernel is not None else {}
        )
        self._spotter_lock = threading.Lock()

    def start(self, environ: Mapping[str, str] | None = None) -> None:
        """Migrate the database to this Argus's schema and create the first administrator
        if there is no user at all.

        :param environ: where to read :data:`ADMIN_PASSWORD_ENV` (default ``os.environ``).
        :raises DatabaseTooNew: the database was written by a newer Argus; nothing changed.
        :raises Invalid: the password in the environment breaks the password policy.
        """
        upgrade(self.engine)
        require_head(self.engine)
        self.bootstrap(os.environ if environ is None else environ)
        self.sync_repository()

    def sync_repository(self) -> bool:
        """Make the repository publish exactly the admitted packages whose files are in
        the store (after a restore, or packages admitted before the repository existed);
        whether it signed a new version."""
        with self.session() as session:
            if packages.backfill_requires(session, self.package_store):
                session.commit()
            rows = packages.packages(session)
        wanted = {}
        for row in rows:
            if (self.package_store / packages.target_path(row)).is_file():
                wanted[packages.target_path(row)] = packages.target_info(row)
            else:
                log.error(
                    "admitted package %s is missing from %s", row.filename, self.package_store
                )
        return self.repository.sync(wanted)

    def session(self) -> Session:
        """A new session on the master's database; the caller commits or rolls back."""
        return Session(self.engine, expire_on_commit=False)

    def bootstrap(self, environ: Mapping[str, str]) -> bool:
        """Create profile :data:`ADMIN_PROFILE` (administer) and user ``admin`` when the
        database has no user; whether it did.

        The password is :data:`ADMIN_PASSWORD_ENV` when set, else generated and written to
        ``<data_dir>/initial-admin-password`` (0600); the log says which.
        """
        with self.session() as session:
            if session.scalar(select(func.count(AppUser.id))):
                return False
            given = environ.get(ADMIN_PASSWORD_ENV)
            password = given or secrets.token_urlsafe(18)
            try:
                profile = profiles.profile_by_name(session, ADMIN_PROFILE)
            except NotFound:
                grant = profiles.GrantSpec(Scope.ALL, Right.ADMINISTER)
                profile = profiles.create_profile(
                    session, self.clock, SYSTEM, name=ADMIN_PROFILE, grants=[grant]
                )
            accounts.create_user(
                session,
                self.clock,
                SYSTEM,
                username=ADMIN_USERNAME,
                password=password,
                profile=profile,
                display_name="Administrator",
            )
            if given:
                where = f"the password given in {ADMIN_PASSWORD_ENV}"
            else:
                where = f"the password written to {self._write_password(password)}"
            session.commit()
        log.warning("created the first administrator %r with %s", ADMIN_USERNAME, where)
        return True

    def sweep(self) -> int:
        """One offline sweep (:func:`watchdog.sweep_offline`); how many events it opened."""
        with self.session() as session:
            opened = watchdog.sweep_offline(session, self.clock, self.offline_timeout)
            session.commit()
        return len(opened)

    def serve_spotter_plugin(self, package: PluginPackage) -> None:
        """Serve an admitted Spotter plugin to clients from now on: unpacked into the
        Spotter store (checked again), activated when it is the newest version admitted,
        loaded into the master's kernel and listed for Spotter (each client gets it at its
        next start). Without a kernel (tests), it is only unpacked.

        :raises StoreError, PackageRefused: it cannot be unpacked (nothing changes).
        """
        store, project = self.spotter_store, package.name
        with self._spotter_lock:
            folder = store.install(
                project, package.version, [self.package_store / packages.target_path(package)]
            )
            current = store.active().get(project)
            if current is not None and Version(current) >= Version(package.version):
                return
            store.activate(project, package.version)
            if self.kernel is None:
                return
            old = store.path(project, current) if current is not None else None
            self.kernel.reload(project, old=old, new=folder)
            fresh = collect_spotter_plugins(self.kernel)
            # In place, never empty on the way: requests read this dict meanwhile.
            self.spotter_plugins.update(fresh)
            for gone in set(self.spotter_plugins) - set(fresh):
                del self.spotter_plugins[gone]
        log.info("serving Spotter plugin %s %s", project, package.version)

    def advance_rollouts(self) -> int:
        """One step of every running rollout (:func:`rollouts.advance`); how many run."""
        with self.session() as session:
            running = rollouts.advance(session, self.clock)
            session.commit()
        return len(running)

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    def _write_password(self, password: str) -> Path:
        path = self.data_dir / ADMIN_PASSWORD_FILE
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        return path


class Periodic:
    """Calls :meth:`step` every ``interval`` seconds in a thread of its own until stopped."""

    def __init__(self, name: str, interval: float) -> None:
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def step(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.step()


class OfflineSweeper(Periodic):
    """Runs :meth:`Master.sweep` every ``interval`` seconds in a thread until stopped.

    A database error in one sweep is logged with its traceback and the next sweep tries
    again (the database may be restarting).
    """

    def __init__(self, master: Master, interval: float | None = None) -> None:
        super().__init__(
            "offline-sweeper", interval if interval is not None else master.offline_timeout / 3
        )
        self._master = master

    def step(self) -> None:
        try:
            opened = self._master.sweep()
        except SQLAlchemyError:
            log.exception("offline sweep failed; retrying in %.0f s", self._interval)
            return
        if opened:
            log.warning("%d node(s) went offline", opened)


#: Seconds between checks whether the repository's metadata needs re-signing.
REFRESH_SECONDS = 60.0


class RolloutDriver(Periodic):
    """Runs :meth:`Master.advance_rollouts` every ``interval`` seconds in a thread, and
    keeps the repository's metadata from expiring (:meth:`Repository.refresh`).

    A database error in one step is logged and the next step tries again.
    """

    def __init__(self, master: Master, interval: float = 1.0) -> None:
        super().__init__("rollouts", interval)
        self._master = master
        self._next_refresh = 0.0
        self._failing = False

    def step(self) -> None:
        try:
            if time.monotonic() >= self._next_refresh:
                self._master.repository.refresh()  # nodes refuse expired metadata
                self._next_refresh = time.monotonic() + REFRESH_SECONDS
            self._master.advance_rollouts()
        except (SQLAlchemyError, OSError):
            if not self._failing:
                log.exception("advancing rollouts failed; retrying every %.0f s", self._interval)
            self._failing = True
            return
        self._failing = False
