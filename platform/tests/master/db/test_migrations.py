"""Migrations on every engine: from empty to the models, back, and refusing a newer schema."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from argus.master.db import (
    Base,
    DatabaseOutOfDate,
    DatabaseTooNew,
    current_revision,
    downgrade,
    head_revision,
    require_head,
    upgrade,
)

VERSION_TABLE = "alembic_version"


def schema_diff(engine: Engine) -> list[object]:
    """What Alembic's autogenerate would change to make the database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def set_revision(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = :r"), {"r": revision})


def test_the_revisions_are_numbered_in_one_line() -> None:
    assert head_revision() == "0005"


def test_an_empty_database_has_no_revision_and_is_not_usable(engine: Engine) -> None:
    assert current_revision(engine) is None
    with pytest.raises(DatabaseOutOfDate, match=r"\(empty\).*0005"):
        require_head(engine)


def test_migrating_from_empty_gives_exactly_the_models(engine: Engine) -> None:
    assert upgrade(engine) == head_revision()

    assert schema_diff(engine) == []
    assert table_names(engine) == set(Base.metadata.tables) | {VERSION_TABLE}
    assert current_revision(engine) == head_revision()
    require_head(engine)


def test_upgrading_a_current_database_changes_nothing(engine: Engine) -> None:
    upgrade(engine)
    assert upgrade(engine) == head_revision()
    assert schema_diff(engine) == []


def test_upgrade_takes_a_url_and_disposes_its_engine(new_database: Callable[[], str]) -> None:
    url = new_database()
    assert upgrade(url) == head_revision()
    assert downgrade(url, "base") is None


def test_downgrade_to_base_drops_every_table_and_upgrade_restores_them(engine: Engine) -> None:
    upgrade(engine)

    assert downgrade(engine, "base") is None
    assert table_names(engine) <= {VERSION_TABLE}

    upgrade(engine)
    assert schema_diff(engine) == []


def test_a_database_from_a_newer_argus_is_refused_untouched(engine: Engine) -> None:
    upgrade(engine)
    set_revision(engine, "0099")

    with pytest.raises(DatabaseTooNew, match="0099, written by a newer version of Argus"):
        upgrade(engine)
    with pytest.raises(DatabaseTooNew, match="knows revisions up to 0005"):
        require_head(engine)
    with pytest.raises(DatabaseTooNew):
        downgrade(engine, "base")

    assert current_revision(engine) == "0099"
    assert table_names(engine) == set(Base.metadata.tables) | {VERSION_TABLE}


def test_a_revision_argus_never_wrote_is_refused(engine: Engine) -> None:
    upgrade(engine)
    set_revision(engine, "3f2a9c1b7d4e")

    with pytest.raises(DatabaseTooNew, match="by something other than this version of Argus"):
        upgrade(engine)


def test_a_0001_database_with_rows_upgrades_to_node_health_keeping_them(engine: Engine) -> None:
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO node (name, description, state, state_reason, wheel_tags, "
                "desired_config_version, created, updated) VALUES ('old-node', '', 'enrolled', "
                "'', '[]', 3, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
    assert "health" not in {c["name"] for c in inspect(engine).get_columns("node")}

    assert upgrade(engine, "0002") == "0002"
    assert "video_wall" not in table_names(engine)
    assert upgrade(engine) == head_revision() == "0005"
    assert schema_diff(engine) == []
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT name, desired_config_version, health FROM node")
        ).one()
    assert tuple(row) == ("old-node", 3, None)

    assert downgrade(engine, "0001") == "0001"
    assert "health" not in {c["name"] for c in inspect(engine).get_columns("node")}
    assert "video_wall" not in table_names(engine)
