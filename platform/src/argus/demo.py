"""The demo system: what ``argus demo`` runs, a master and a node in one process.

Eight simulated cameras: four IP cameras (two with PTZ, one with audio) and a
four-channel encoder, all through the ``sim`` driver plugin. The loading dock
records only around its door contact (event mode with a pre-event buffer); the
others record continuously, to the ``segments`` backend when it is installed.

:class:`DemoSystem` runs the real parts the way separate processes would: a master
(SQLite in the data directory) with its API, offline sweeper and clock watch; a node
enrolled with it through the API, its cameras configured *on the master* and pushed
to the node by its heartbeats, with its own API. Only the process is shared.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from argus.clocksync import CorrectedClock
from argus.kernel import Kernel
from argus.master.api import create_app as create_master_app
from argus.master.clocks import ClockWatch
from argus.master.config import MasterConfig, MasterSection
from argus.master.db.enums import ActorKind
from argus.master.runtime import ADMIN_PASSWORD_ENV, Master, OfflineSweeper, RolloutDriver
from argus.master.services import configuration, registry
from argus.master.services.audit import Actor
from argus.master.services.errors import NotFound
from argus.master.services.secrets import CredentialVault
from argus.node.api import NodeAuth, load_or_create_token
from argus.node.api import create_app as create_node_app
from argus.node.config import NodeConfig, NodeSection
from argus.node.runtime import Node
from argus.node.status import RateSampler
from argus.node.uplink import Uplink, load_clock_offset
from argus.security.tokens import TokenVerifier, load_public_key
from argus_sdk import SystemClock

_DOOR = [
    {
        "id": "door",
        "name": "Door contact",
        "script": {"active_seconds": 3, "period_seconds": 20, "offset_seconds": 5},
    }
]

_DEVICES: list[dict[str, Any]] = [
    {
        "id": "entrance",
        "driver": "sim",
        "record": ["main", "sub"],
        "settings": {"name": "Entrance", "main_profile": "720p", "ptz": True},
    },
    {
        "id": "lobby",
        "driver": "sim",
        "settings": {"name": "Lobby", "main_profile": "720p", "ptz": True},
    },
    {
        "id": "parking",
        "driver": "sim",
        "settings": {"name": "Parking", "main_profile": "720p", "audio": True},
    },
    {
        "id": "dock",
        "driver": "sim",
        "settings": {"name": "Loading dock", "main_profile": "360p", "inputs": _DOOR},
        "recording": {"mode": "event", "pre_seconds": 4, "post_seconds": 5},
    },
    {
        "id": "yard",
        "driver": "sim-encoder",
        "settings": {"name": "Yard", "channel_count": 4, "channel": {"main_profile": "360p"}},
    },
]


def demo_config(data_dir: Path, *, with_storage: bool) -> NodeConfig:
    storage = None
    if with_storage:
        storage = {
            "backend": "segments",
            "settings": {
                "disks": [{"path": str(data_dir / "disk1"), "min_free_mb": 512}],
                "max_age_days": 1,
            },
        }
    return NodeConfig.model_validate(
        {
            "node": {"id": "demo", "data_dir": str(data_dir)},
            "storage": storage,
            "devices": _DEVICES,
        }
    )


DEMO_NODE = "demo"
DEMO_MASTER = "demo-master"
#: The demo administrator's password, kept (0600) so that a restarted demo can tell it.
PASSWORD_FILE = "admin-password"


class Served:
    """A uvicorn server for ``app`` on its own thread (no signal handlers: the caller's
    main thread owns Ctrl-C)."""

    def __init__(self, app: Any, port: int, name: str) -> None:
        self.name, self.port = name, port
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        self._thread = threading.Thread(target=self.server.run, name=name, daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        """:raises OSError: the server did not come up (its port taken, most often)."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"the {self.name} API cannot listen on 127.0.0.1:{self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=15)


class DemoSystem:
    """The master and the node of the demo; :meth:`start`, then :meth:`stop`.

    :param data_dir: everything the demo keeps: ``master/`` (database, keys), ``node/``
        (index, credential, tokens) and ``disk1/`` (recordings).
    """

    def __init__(
        self, kernel: Kernel, data_dir: Path, *, master_port: int = 5008, node_port: int = 5009
    ) -> None:
        self.kernel = kernel
        self.data_dir = data_dir.resolve()
        self.master_url = f"http://127.0.0.1:{master_port}"
        self.node_url = f"http://127.0.0.1:{node_port}"
        self.with_storage = "segments" in {
            r.value.name for r in kernel.collect("argus_storage_backends")
        }
        self.password = self._password()
        section = MasterSection(
            id=DEMO_MASTER, data_dir=self.data_dir / "master", listen=f"127.0.0.1:{master_port}"
        )
        self.master = Master(MasterConfig(master=section), kernel=kernel)
        self._node_port = node_port
        self.node: Node | None = None
        self.uplink: Uplink | None = None
        self._parts: list[Served | OfflineSweeper | ClockWatch | RolloutDriver | RateSampler] = []

    def start(self) -> None:
        """Bring everything up; on failure, what started is stopped again.

        :raises ArgusError, ServiceError, OSError, httpx.HTTPError: a part cannot start.
        """
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        self.master.start({ADMIN_PASSWORD_ENV: self.password})
        token = self._provision()
        master_api = Served(
            create_master_app(self.master), int(self.master_url.rsplit(":", 1)[1]), "master"
        )
        master_api.start()
        self._parts.append(master_api)
        for part in (
            OfflineSweeper(self.master),
            ClockWatch(self.master),
            RolloutDriver(self.master),
        ):
            part.start()
            self._parts.append(part)

        (self.data_dir / "disk1").mkdir(parents=True, exist_ok=True)
        config = demo_config(self.data_dir, with_storage=self.with_storage)
        node_dir = self.data_dir / "node"
        config = config.model_copy(
            update={
                "node": NodeSection(
                    id=DEMO_NODE,
                    data_dir=node_dir,
                    listen=f"127.0.0.1:{self._node_port}",
                    master_url=self.master_url,
                    heartbeat_seconds=2,
                ),
                "devices": [],
            }
        )
        clock = CorrectedClock(SystemClock())
        clock.set_offset(load_clock_offset(node_dir))
        self.node = node = Node(self.kernel, config, clock=clock, role="demo")
        self.uplink = uplink = Uplink(node, self.master_url, interval=2)
        uplink.manage_plugins(health_seconds=node.config.node.plugin_health_seconds)
        if not uplink.enrolled:
            assert token is not None, "a node the master knows is enrolled already"
            uplink.enrol(token, self.node_url)
        public_key = uplink.master_public_key()
        assert public_key is not None
        verifier = TokenVerifier(load_public_key(public_key), DEMO_NODE, clock)
        auth = NodeAuth(load_or_create_token(node_dir / "node-token"), verifier)
        sampler = RateSampler(node.workers)
        node.start()
        uplink.heartbeat()  # fetches the configuration: the cameras start now
        node_api = Served(create_node_app(node, auth, sampler), self._node_port, "node")
        node_api.start()
        self._parts.append(node_api)
        sampler.start()
        self._parts.append(sampler)
        uplink.start()

    def _provision(self) -> str | None:
        """Create the demo node and its cameras on the master, once; the node's enrolment
        token when the node is new."""
        vault = CredentialVault.in_directory(self.master.data_dir)
        actor = Actor(ActorKind.SYSTEM, None, "demo")
        clock = self.master.clock
        with self.master.session() as session:
            try:
                configuration.node_named(session, DEMO_NODE)
                return None
            except NotFound:
                pass
            token = registry.create_node(
                session, clock, DEMO_NODE, description="The demo's recording node"
            ).token
            if self.with_storage:
                storage = demo_config(self.data_dir, with_storage=True).storage
                assert storage is not None
                configuration.set_storage(
                    session, clock, actor, DEMO_NODE, storage.backend, storage.settings
                )
            for device in _DEVICES:
                name = device["settings"]["name"]
                count = device["settings"].get("channel_count", 1)
                cameras = [configuration.CameraSpec(0, name=name)]
                if count > 1:
                    cameras = [
                        configuration.CameraSpec(c, name=f"{name} {c + 1}") for c in range(count)
                    ]
                configuration.add_device(
                    session,
                    clock,
                    actor,
                    vault,
                    node=DEMO_NODE,
                    ident=device["id"],
                    driver=device["driver"],
                    name=name,
                    settings=device["settings"],
                    record_streams=device.get("record", ["main"]),
                    recording=device.get("recording"),
                    cameras=cameras,
                )
            session.commit()
        return token

    def _password(self) -> str:
        path = self.data_dir / PASSWORD_FILE
        if path.exists():
            return path.read_text().strip()
        password = os.environ.get(ADMIN_PASSWORD_ENV) or secrets.token_urlsafe(12)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        return password

    def stop(self) -> None:
        """Stop in reverse order: APIs and threads, then the node (storage last), the
        master's database."""
        if self.uplink is not None:
            self.uplink.stop()
        for part in reversed(self._parts):
            part.stop()
        self._parts.clear()
        if self.node is not None:
            self.node.stop()
        self.master.close()
