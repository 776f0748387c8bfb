"""Rollouts: variant choice, phases, results from heartbeats, halts, pins and removals,
on every engine."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from packaging.specifiers import SpecifierSet
from sqlalchemy import select
from sqlalchemy.orm import Session

from argus import __version__
from argus.master.db.enums import RolloutNodeState, RolloutState
from argus.master.db.models import AuditEntry, NodePlugin, PluginPackage, Rollout
from argus.master.services import registry, rollouts
from argus.master.services.audit import SYSTEM
from argus.master.services.errors import Conflict, Invalid
from argus.master.services.rollouts import PackageSpec, Variant, choose_variant
from argus.protocol import (
    EnrolReply,
    EnrolRequest,
    Heartbeat,
    HeartbeatReply,
    PluginReport,
    PluginState,
)
from argus.security.tokens import public_pem
from argus_sdk import API_VERSION
from argus_sdk.testing import ManualClock

PEM = public_pem(Ed25519PrivateKey.generate())
TAGS_64 = ["cp311-cp311-linux_x86_64", "cp311-abi3-linux_x86_64", "py3-none-any"]
TAGS_32 = ["cp311-cp311-linux_i686", "cp311-abi3-linux_i686", "py3-none-any"]
SDK = ">=1.0,<2"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def package(
    version: str, tag: str = "py3-none-any", sdk: str = SDK, name: str = "acme-driver"
) -> PluginPackage:
    filename = f"{name.replace('-', '_')}-{version}-{tag}.whl"
    return PluginPackage(
        name=name,
        version=version,
        filename=filename,
        sha256="0" * 64,
        size=1,
        kinds=["camera-driver"],
        tags=[tag],
        sdk=sdk,
        spotter=False,
        vendor="",
        admitted_by="admin",
    )


def admit(session: Session, *rows: PluginPackage) -> None:
    session.add_all(rows)
    session.flush()


def node(session: Session, clock: ManualClock, name: str, tags: list[str] = TAGS_64) -> EnrolReply:
    token = registry.create_node(session, clock, name).token
    reply = registry.enrol(
        session,
        clock,
        EnrolRequest(
            token=token,
            node_id=name,
            platform_version=__version__,
            architecture="x86_64",
            os="Linux",
            wheel_tags=tags,
            listen_address="http://127.0.0.1:5009",
        ),
        PEM,
        "master",
    )
    beat(session, clock, name, reply.credential, [])
    return reply


def beat(
    session: Session,
    clock: ManualClock,
    name: str,
    credential: str,
    plugins: list[PluginReport],
) -> HeartbeatReply:
    return registry.heartbeat(
        session,
        clock,
        credential,
        Heartbeat(
            node_id=name,
            sent=clock.now(),
            platform_version=__version__,
            api_version=API_VERSION,
            plugins=plugins,
        ),
    )


def state(rollout: Rollout) -> RolloutState:
    """The rollout's state, unnarrowed (it changes under the type checker's feet)."""
    return rollout.state


def fleet(session: Session, clock: ManualClock, count: int) -> dict[str, str]:
    """``count`` enrolled 64-bit nodes n1… and their credentials."""
    return {f"n{i}": node(session, clock, f"n{i}").credential for i in range(1, count + 1)}


def report(
    rollout: Rollout, target: str, state: PluginState, version: str | None, detail: str = ""
) -> PluginReport:
    project, _, _ = target.partition("/")
    return PluginReport(
        project=project,
        version=version,
        target=target,
        state=state,
        detail=detail,
        rollout=rollout.id,
    )


# -- variants ------------------------------------------------------------------------


def test_the_newest_fitting_version_and_the_best_ranked_tag_are_chosen() -> None:
    files = [
        package("2.3.0"),
        package("2.4.0"),
        package("2.4.0", "cp311-abi3-linux_x86_64"),
        package("2.4.0", "cp311-abi3-linux_i686"),
    ]
    for tags, expected in ((TAGS_64, "linux_x86_64"), (TAGS_32, "linux_i686")):
        chosen = choose_variant(files, SpecifierSet(">=2"), tags, API_VERSION)
        assert isinstance(chosen, Variant)
        assert chosen.package.version == "2.4.0"
        assert chosen.package.filename.endswith(f"{expected}.whl")


def test_no_fallback_between_32_and_64_bit() -> None:
    files = [package("2.4.0", "cp311-abi3-linux_x86_64")]
    chosen = choose_variant(files, SpecifierSet("==2.4.0"), TAGS_32, API_VERSION)
    assert isinstance(chosen, str)
    assert "no file of 2.4.0 fits the node's platform (cp311-cp311-linux_i686)" in chosen
    assert "cp311-abi3-linux_x86_64" in chosen


def test_a_version_whose_sdk_range_excludes_the_node_gives_way_to_an_older_one() -> None:
    files = [package("3.0.0", sdk=">=2,<3"), package("2.4.0")]
    chosen = choose_variant(files, SpecifierSet(""), TAGS_64, API_VERSION)
    assert isinstance(chosen, Variant) and chosen.package.version == "2.4.0"
    only_new = choose_variant(files[:1], SpecifierSet(""), TAGS_64, API_VERSION)
    assert isinstance(only_new, str)
    assert f"3.0.0 requires argus-sdk>=2,<3, the node offers API {API_VERSION}" in only_new


def test_nothing_fits_without_a_matching_version_or_a_reported_api() -> None:
    files = [package("2.4.0")]
    assert "no admitted version matches ==9" in str(
        choose_variant(files, SpecifierSet("==9"), TAGS_64, API_VERSION)
    )
    assert "platform API" in str(choose_variant(files, SpecifierSet(""), TAGS_64, None))


@pytest.mark.parametrize("text", ["acme[x]==1", "acme==1; python_version<'3'", "==1", "a b"])
def test_a_package_spec_names_a_project_and_versions_only(text: str) -> None:
    with pytest.raises(Invalid):
        PackageSpec.parse(text)


# -- phases --------------------------------------------------------------------------


def test_phases_go_canary_then_percentage_then_the_rest(
    session: Session, clock: ManualClock
) -> None:
    admit(session, package("2.4.0"))
    creds = fleet(session, clock, 5)
    rollout = rollouts.start(session, clock, SYSTEM, "acme-driver==2.4.0", percentage=50)
    phases = {m.node.name: m.phase for m in rollout.nodes}
    assert phases == {"n1": 1, "n2": 2, "n3": 2, "n4": 3, "n5": 3}
    target = rollout.nodes[0].target
    assert target == "acme-driver/2.4.0/acme_driver-2.4.0-py3-none-any.whl"

    # Only the canary is asked: its heartbeat reply names the package, the others' don't.
    assert [p.target for p in beat(session, clock, "n1", creds["n1"], []).plugins or []] == [target]
    assert beat(session, clock, "n2", creds["n2"], []).plugins == []
    beat(session, clock, "n1", creds["n1"], [report(rollout, target, PluginState.INSTALLING, None)])
    rollouts.advance(session, clock)
    assert rollout.phase == 1
    beat(session, clock, "n1", creds["n1"], [report(rollout, target, PluginState.ACTIVE, "2.4.0")])
    rollouts.advance(session, clock)
    assert rollout.phase == 2
    assert {m.node.name: m.state for m in rollout.nodes if m.phase == 2} == {
        "n2": RolloutNodeState.SENT,
        "n3": RolloutNodeState.SENT,
    }
    assert rollout.nodes[3].state is RolloutNodeState.WAITING
    for name in ("n2", "n3", "n4", "n5"):
        beat(
            session,
            clock,
            name,
            creds[name],
            [report(rollout, target, PluginState.ACTIVE, "2.4.0")],
        )
        rollouts.advance(session, clock)
    assert state(rollout) is RolloutState.COMPLETED
    assert rollout.finished is not None
    assert {m.state for m in rollout.nodes} == {RolloutNodeState.SUCCEEDED}
    rows = session.scalars(select(NodePlugin)).all()
    assert {(r.node.name, r.installed_version, r.state) for r in rows} == {
        (f"n{i}", "2.4.0", "active") for i in range(1, 6)
    }
    actions = session.scalars(select(AuditEntry.action)).all()
    assert "package.rollout" in actions


def test_failures_past_the_threshold_halt_and_spare_the_others(
    session: Session, clock: ManualClock
) -> None:
    admit(session, package("2.4.0"))
    creds = fleet(session, clock, 4)
    rollout = rollouts.start(
        session, clock, SYSTEM, "acme-driver==2.4.0", canary=["n1", "n2"], max_failures=1
    )
    target = rollout.nodes[0].target or ""
    beat(
        session,
        clock,
        "n1",
        creds["n1"],
        [report(rollout, target, PluginState.FAILED, None, "boom")],
    )
    rollouts.advance(session, clock)
    assert state(rollout) is RolloutState.RUNNING  # one failure is tolerated
    beat(
        session,
        clock,
        "n2",
        creds["n2"],
        [report(rollout, target, PluginState.ROLLED_BACK, "2.3.0", "health check: no packets")],
    )
    rollouts.advance(session, clock)
    assert state(rollout) is RolloutState.HALTED
    assert "2 node(s) failed, more than the 1 tolerated" in rollout.reason
    assert "n2 (health check: no packets)" in rollout.reason
    # The nodes of later phases were never asked.
    assert beat(session, clock, "n3", creds["n3"], []).plugins == []
    assert {m.node.name: m.state for m in rollout.nodes if m.phase > 1} == {
        "n3": RolloutNodeState.WAITING,
        "n4": RolloutNodeState.WAITING,
    }
    # Resumed with a higher tolerance, it goes on.
    rollouts.resume(session, clock, SYSTEM, rollout.id, max_failures=2)
    assert state(rollout) is RolloutState.RUNNING and rollout.phase == 2


def test_a_silent_node_fails_after_the_node_timeout(session: Session, clock: ManualClock) -> None:
    admit(session, package("2.4.0"))
    fleet(session, clock, 2)
    rollout = rollouts.start(session, clock, SYSTEM, "acme-driver==2.4.0", node_timeout=60)
    clock.advance(61)
    rollouts.advance(session, clock)
    assert state(rollout) is RolloutState.HALTED
    assert "no result within 60 s" in rollout.nodes[0].detail


def test_unsupported_and_pinned_nodes_are_reported_not_counted(
    session: Session, clock: ManualClock
) -> None:
    admit(session, package("2.4.0", "cp311-abi3-linux_x86_64"), package("2.3.0"))
    creds = {
        "n1": node(session, clock, "n1").credential,
        "n2": node(session, clock, "n2", TAGS_32).credential,
        "n3": node(session, clock, "n3").credential,
    }
    rollouts.pin(session, clock, SYSTEM, "acme-driver==2.3.0", ["n3"])
    rollout = rollouts.start(session, clock, SYSTEM, "acme-driver==2.4.0", percentage=100)
    states = {m.node.name: m.state for m in rollout.nodes}
    assert states["n2"] is RolloutNodeState.UNSUPPORTED
    assert states["n3"] is RolloutNodeState.PINNED
    target = rollout.nodes[0].target or ""
    beat(session, clock, "n1", creds["n1"], [report(rollout, target, PluginState.ACTIVE, "2.4.0")])
    rollouts.advance(session, clock)
    assert state(rollout) is RolloutState.COMPLETED
    # The pin holds: n3 is still asked for 2.3.0.
    [desired] = beat(session, clock, "n3", creds["n3"], []).plugins or []
    assert desired.version == "2.3.0"


def test_one_running_rollout_per_project(session: Session, clock: ManualClock) -> None:
    admit(session, package("2.4.0"))
    fleet(session, clock, 1)
    first = rollouts.start(session, clock, SYSTEM, "acme-driver==2.4.0")
    with pytest.raises(Conflict, match=f"rollout {first.id} of acme-driver is running"):
        rollouts.start(session, clock, SYSTEM, "acme-driver")
    rollouts.cancel(session, clock, SYSTEM, first.id)
    assert state(first) is RolloutState.CANCELLED


def test_refusals_name_the_problem(session: Session, clock: ManualClock) -> None:
    fleet(session, clock, 1)
    with pytest.raises(Invalid, match="no package 'acme-driver' was admitted"):
        rollouts.start(session, clock, SYSTEM, "acme-driver==1")
    admit(session, package("2.4.0"))
    with pytest.raises(Invalid, match="no enrolled node named ghost"):
        rollouts.start(session, clock, SYSTEM, "acme-driver", nodes=["ghost"])
    with pytest.raises(Invalid, match="percentage"):
        rollouts.start(session, clock, SYSTEM, "acme-driver", percentage=101)


def test_remove_takes_the_package_off_the_nodes(session: Session, clock: ManualClock) -> None:
    admit(session, package("2.4.0"))
    creds = fleet(session, clock, 2)
    rollouts.pin(session, clock, SYSTEM, "acme-driver==2.4.0", None)
    assert len(beat(session, clock, "n1", creds["n1"], []).plugins or []) == 1
    rollouts.remove(session, clock, SYSTEM, "acme-driver", ["n1"])
    assert beat(session, clock, "n1", creds["n1"], []).plugins == []
    assert len(beat(session, clock, "n2", creds["n2"], []).plugins or []) == 1


def test_a_node_that_reports_no_plugin_store_gets_no_plugins(
    session: Session, clock: ManualClock
) -> None:
    admit(session, package("2.4.0"))
    creds = fleet(session, clock, 1)
    rollouts.start(session, clock, SYSTEM, "acme-driver==2.4.0")
    reply = registry.heartbeat(
        session,
        clock,
        creds["n1"],
        Heartbeat(node_id="n1", sent=0.0, platform_version=__version__),
    )
    assert reply.plugins is None


def test_a_report_about_an_earlier_request_does_not_settle_a_new_rollout(
    session: Session, clock: ManualClock
) -> None:
    admit(session, package("2.4.0"))
    creds = fleet(session, clock, 1)
    first = rollouts.start(session, clock, SYSTEM, "acme-driver==2.4.0")
    target = first.nodes[0].target or ""
    failed = report(first, target, PluginState.FAILED, None, "download interrupted")
    beat(session, clock, "n1", creds["n1"], [failed])
    rollouts.advance(session, clock)
    assert state(first) is RolloutState.HALTED

    second = rollouts.start(session, clock, SYSTEM, "acme-driver==2.4.0")
    [desired] = beat(session, clock, "n1", creds["n1"], [failed]).plugins or []
    assert desired.rollout == second.id
    rollouts.advance(session, clock)
    assert second.nodes[0].state is RolloutNodeState.SENT  # the stale failure is ignored
    beat(session, clock, "n1", creds["n1"], [report(second, target, PluginState.ACTIVE, "2.4.0")])
    rollouts.advance(session, clock)
    assert state(second) is RolloutState.COMPLETED
