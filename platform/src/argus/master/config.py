"""The master's configuration file (TOML), validated by pydantic.

```toml
[master]
id = "master-1"
data_dir = "/var/lib/argus-master"
listen = "127.0.0.1:5008"
database = "postgresql+psycopg://argus@db.example/argus"   # default: SQLite in data_dir
signing_key_file = "/etc/argus/master-signing.pem"          # default: in data_dir
offline_seconds = 30          # no heartbeat for this long: the node is offline
clock_sync_seconds = 60       # how often each node's clock offset is measured
clock_offset_threshold = 1.0  # offset (s) that opens a clock-offset watchdog event
```
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from argus_sdk import ConfigurationError


class MasterSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field("master", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", title="Master id")
    data_dir: Path = Field(Path("argus-master-data"), title="Data directory")
    listen: str = Field("127.0.0.1:5008", title="HTTP API address (host:port)")
    database: str | None = Field(
        None,
        title="Database URL",
        description="sqlite:///…, postgresql+psycopg://…, mysql+pyodbc://… or mssql+pyodbc://…; "
        "default: SQLite in the data directory.",
    )
    signing_key_file: Path | None = Field(
        None,
        title="Token signing key (Ed25519 PEM)",
        description="Created on first start if missing; default: in the data directory. Nodes "
        "get its public key at enrolment.",
    )

    offline_seconds: float = Field(
        30.0,
        ge=2,
        le=3600,
        title="Node offline after (s)",
        description="Seconds without a heartbeat after which a node is offline (a "
        "node-offline watchdog event).",
    )
    clock_sync_seconds: float = Field(
        60.0,
        ge=1,
        le=86400,
        title="Clock measurement interval (s)",
        description="How often the master measures each online node's clock offset.",
    )
    clock_offset_threshold: float = Field(
        1.0,
        ge=0,
        le=3600,
        title="Clock offset alarm (s)",
        description="A node clock further than this from the master's opens a clock-offset "
        "watchdog event (the node's recordings are corrected either way).",
    )

    vendor_keys_dir: Path | None = Field(
        None,
        title="Trusted vendor keys",
        description="A folder of <vendor>.pem Ed25519 public keys: a package admitted with "
        "a signature must verify with one of them.",
    )
    require_vendor_signature: bool = Field(
        False,
        title="Require a vendor signature",
        description="Refuse packages that come without a trusted vendor's signature.",
    )

    @property
    def package_store(self) -> Path:
        """Where admitted packages are kept: ``<data_dir>/packages``."""
        return self.data_dir / "packages"

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{(self.data_dir / 'master.sqlite').resolve()}"

    @property
    def signing_key_path(self) -> Path:
        return self.signing_key_file or self.data_dir / "master-signing.pem"


class MasterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    master: MasterSection = Field(default_factory=MasterSection)


def load(path: Path) -> MasterConfig:
    """:raises ConfigurationError: unreadable, bad TOML, or invalid (naming file and field)."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path} is not valid TOML: {exc}") from exc
    try:
        return MasterConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc
