"""Rollouts: bringing admitted plugin packages to nodes, in phases, and knowing what each
node runs.

A rollout names a project and a version range (``acme-driver==2.4.0``) and a set of
nodes (all enrolled ones, or a list). Each node gets the *variant* that fits it
(:func:`choose_variant`): the newest admitted version within the range whose
``argus-sdk`` range includes the node's platform API, and of that version the file whose
wheel tags the node ranks best — a 64-bit file never goes to a 32-bit node, nor the
reverse. A node that nothing fits is reported ``unsupported``, never sent anything.

Nodes go in three phases: the canary nodes, then ``percentage`` % of the others, then
the rest. :func:`advance` (run every second or so by the master) asks the nodes of the
current phase for their version — by setting their desired package
(:class:`~argus.master.db.NodePlugin`), which their next heartbeat receives — and moves
on when every one of them has a result. More than ``max_failures`` failed or rolled-back
nodes halt the rollout; nodes not yet asked keep what they run. A node that reports
nothing within ``node_timeout`` seconds of being asked counts as failed.

Nodes report each package of their plugin store with every heartbeat
(:func:`record_reports`); a report about the target a rollout asked for settles that
node's part. Pins keep a node at a version whatever rollouts come; a removal takes a
package off nodes. Every change an administrator makes is audited.
"""

from __future__ import annotations

import collections
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from argus.master.db.enums import NodeState, RolloutNodeState, RolloutState
from argus.master.db.models import Node, NodePlugin, PluginPackage, Rollout, RolloutNode
from argus.master.db.types import instant
from argus.master.services import access
from argus.master.services.audit import Actor, Target, record
from argus.master.services.errors import Conflict, Invalid, NotFound
from argus.master.services.packages import target_path
from argus.protocol import DesiredPlugin, PluginReport, PluginState
from argus_sdk import Clock

#: Seconds a node may take to report a result once asked.
DEFAULT_NODE_TIMEOUT = 600
DONE = frozenset(
    {
        RolloutNodeState.SUCCEEDED,
        RolloutNodeState.FAILED,
        RolloutNodeState.ROLLED_BACK,
        RolloutNodeState.UNSUPPORTED,
        RolloutNodeState.PINNED,
        RolloutNodeState.SKIPPED,
    }
)
FAILURES = frozenset({RolloutNodeState.FAILED, RolloutNodeState.ROLLED_BACK})
_RESULTS = {
    PluginState.ACTIVE: RolloutNodeState.SUCCEEDED,
    PluginState.FAILED: RolloutNodeState.FAILED,
    PluginState.ROLLED_BACK: RolloutNodeState.ROLLED_BACK,
}
LAST_PHASE = 3


class UnknownRollout(NotFound):
    """No rollout has this id (HTTP 404)."""


@dataclass(frozen=True, slots=True)
class PackageSpec:
    """What a rollout or a pin names: a project and the versions allowed."""

    project: str
    specifier: SpecifierSet

    @classmethod
    def parse(cls, text: str) -> PackageSpec:
        """``acme-driver==2.4.0``, ``acme-driver>=2,<3`` or just ``acme-driver`` (any).

        :raises Invalid: not a requirement, or with extras, markers or a URL.
        """
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            raise Invalid(f"{text!r} is not a package and version such as 'acme==2.4.0'") from exc
        if req.extras or req.marker is not None or req.url:
            raise Invalid(f"{text!r}: name a package and versions only ('acme==2.4.0')")
        return cls(canonicalize_name(req.name), req.specifier)

    def __str__(self) -> str:
        return f"{self.project}{self.specifier}"


@dataclass(frozen=True, slots=True)
class Variant:
    """The package file chosen for one node."""

    package: PluginPackage

    @property
    def target(self) -> str:
        return target_path(self.package)


def choose_variant(
    packages: Sequence[PluginPackage],
    specifier: SpecifierSet,
    node_tags: Sequence[str],
    api_version: str | None,
    *,
    check_sdk: bool = True,
) -> Variant | str:
    """The file of ``packages`` (all of one project) a node should run, or why none fits.

    The newest version within ``specifier`` that has a file whose ``argus-sdk`` range
    includes ``api_version`` and one of whose wheel tags the node has; of that version's
    fitting files, the one with the node's best-ranked tag (earliest in ``node_tags``).
    """
    if api_version is None:
        return "the node has not reported its platform API yet (it does with its heartbeat)"
    ranks = {tag: rank for rank, tag in enumerate(node_tags)}
    versions: dict[Version, list[PluginPackage]] = {}
    for package in packages:
        version = Version(package.version)
        if specifier.contains(version, prereleases=True):
            versions.setdefault(version, []).append(package)
    if not versions:
        return f"no admitted version matches {specifier or 'any version'}"
    reasons: list[str] = []
    for version in sorted(versions, reverse=True):
        fits_api = [p for p in versions[version] if not check_sdk or _supports(p.sdk, api_version)]
        if not fits_api:
            reasons.append(
                f"{version} requires argus-sdk{versions[version][0].sdk}, the node offers "
                f"API {api_version}"
            )
            continue
        ranked = [(min(_ranks(p, ranks)), p) for p in fits_api if _ranks(p, ranks)]
        if not ranked:
            offered = sorted({t for p in fits_api for t in p.tags})
            reasons.append(
                f"no file of {version} fits the node's platform "
                f"({node_tags[0] if node_tags else 'no tags reported'}); files are for "
                f"{', '.join(offered)}"
            )
            continue
        return Variant(min(ranked, key=lambda item: item[0])[1])
    return "; ".join(reasons[:3])


def _supports(sdk: str, api_version: str) -> bool:
    try:
        return SpecifierSet(sdk).contains(api_version, prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False


def _ranks(package: PluginPackage, ranks: dict[str, int]) -> list[int]:
    found = []
    for text in package.tags:
        for tag in parse_tag(str(text)):
            rank = ranks.get(str(tag))
            if rank is not None:
                found.append(rank)
    return found


# -- starting and steering ---------------------------------------------------------


def start(
    session: Session,
    clock: Clock,
    actor: Actor,
    package: str,
    *,
    nodes: Sequence[str] | None = None,
    canary: Sequence[str] | None = None,
    canary_count: int = 1,
    percentage: int = 50,
    max_failures: int = 0,
    node_timeout: int = DEFAULT_NODE_TIMEOUT,
) -> Rollout:
    """Start rolling ``package`` (``name==version`` or a range) out; phase 1 is asked at once.

    :param nodes: node ids; None: every enrolled node.
    :param canary: the phase-1 node ids; None: the first ``canary_count`` nodes by id.
    :raises Forbidden: the actor may not administer.
    :raises Invalid: bad spec, unknown nodes, nothing admitted, out-of-range numbers.
    :raises Conflict: a rollout of the same project is running.
    """
    spec = PackageSpec.parse(package)
    target = Target("package", spec.project, str(spec))
    access.require_admin(session, clock, actor, action="package.rollout", target=target)
    if not 0 <= percentage <= 100:
        raise Invalid(f"the percentage is between 0 and 100, not {percentage}")
    if max_failures < 0 or canary_count < 0 or node_timeout <= 0:
        raise Invalid("max_failures and canary_count cannot be negative; node_timeout > 0")
    admitted = _admitted(session, spec.project)
    if not admitted:
        if _admitted(session, spec.project, libraries=True):
            raise Invalid(
                f"{spec.project} is a dependency, not a plugin: it goes to nodes with the "
                "plugins that need it"
            )
        raise Invalid(f"no package {spec.project!r} was admitted (argus packages add FILE)")
    running = _running(session, spec.project)
    if running is not None:
        raise Conflict(f"rollout {running} of {spec.project} is running: halt or cancel it first")
    members = _nodes(session, nodes)
    if not members:
        raise Invalid("no enrolled node to roll out to")
    names = [n.name for n in members]
    if canary is None:
        canaries = set(names[:canary_count])
    else:
        unknown = set(canary) - set(names)
        if unknown:
            raise Invalid(f"canary nodes not in the rollout: {', '.join(sorted(unknown))}")
        canaries = set(canary)
    rest = [n for n in members if n.name not in canaries]
    second = {n.name for n in rest[: math.ceil(len(rest) * percentage / 100)]}
    rollout = Rollout(
        project=spec.project,
        specifier=str(spec.specifier),
        state=RolloutState.RUNNING,
        phase=1,
        percentage=percentage,
        max_failures=max_failures,
        node_timeout=node_timeout,
        reason="",
        created_by=actor.name,
    )
    session.add(rollout)
    pins = _plugins(session, spec.project)
    for node in members:
        phase = 1 if node.name in canaries else 2 if node.name in second else 3
        member = RolloutNode(node=node, phase=phase, state=RolloutNodeState.WAITING, detail="")
        pin = pins.get(node.id)
        if pin is not None and pin.pinned:
            member.state = RolloutNodeState.PINNED
            member.detail = f"pinned to {pin.desired_version}"
        else:
            chosen = choose_variant(admitted, spec.specifier, node.wheel_tags, node.api_version)
            if isinstance(chosen, str):
                member.state, member.detail = RolloutNodeState.UNSUPPORTED, chosen[:2048]
            else:
                member.version, member.target = chosen.package.version, chosen.target
        rollout.nodes.append(member)
    session.flush()
    record(
        session,
        clock,
        actor=actor,
        action="package.rollout",
        target=Target("rollout", str(rollout.id), str(spec)),
        after=summary(rollout),
    )
    _advance_one(session, clock, rollout)
    return rollout


def halt(session: Session, clock: Clock, actor: Actor, rollout_id: int, reason: str) -> Rollout:
    """Stop a running rollout: nodes not yet asked keep what they run.

    :raises Conflict: it is not running.
    """
    rollout = _rollout_for_admin(session, clock, actor, rollout_id, "package.rollout.halt")
    if rollout.state is not RolloutState.RUNNING:
        raise Conflict(f"rollout {rollout_id} is {rollout.state.value}, not running")
    _finish(rollout, clock, RolloutState.HALTED, f"halted by {actor.name}: {reason}".strip(": "))
    _audit(session, clock, actor, "package.rollout.halt", rollout)
    return rollout


def resume(
    session: Session,
    clock: Clock,
    actor: Actor,
    rollout_id: int,
    max_failures: int | None = None,
) -> Rollout:
    """Continue a halted rollout, optionally tolerating more failures.

    :raises Conflict: it is not halted, or another rollout of the project runs.
    """
    rollout = _rollout_for_admin(session, clock, actor, rollout_id, "package.rollout.resume")
    if rollout.state is not RolloutState.HALTED:
        raise Conflict(f"rollout {rollout_id} is {rollout.state.value}, not halted")
    other = _running(session, rollout.project)
    if other is not None:
        raise Conflict(f"rollout {other} of {rollout.project} is running")
    if max_failures is not None:
        if max_failures < 0:
            raise Invalid("max_failures cannot be negative")
        rollout.max_failures = max_failures
    rollout.state, rollout.reason, rollout.finished = RolloutState.RUNNING, "", None
    _audit(session, clock, actor, "package.rollout.resume", rollout)
    _advance_one(session, clock, rollout)
    return rollout


def cancel(session: Session, clock: Clock, actor: Actor, rollout_id: int) -> Rollout:
    """Give a running or halted rollout up; nodes keep what they run now."""
    rollout = _rollout_for_admin(session, clock, actor, rollout_id, "package.rollout.cancel")
    if rollout.state not in (RolloutState.RUNNING, RolloutState.HALTED):
        raise Conflict(f"rollout {rollout_id} is {rollout.state.value}")
    for member in rollout.nodes:
        if member.state is RolloutNodeState.WAITING:
            member.state, member.detail = RolloutNodeState.SKIPPED, "the rollout was cancelled"
    _finish(rollout, clock, RolloutState.CANCELLED, f"cancelled by {actor.name}")
    _audit(session, clock, actor, "package.rollout.cancel", rollout)
    return rollout


def advance(session: Session, clock: Clock) -> list[Rollout]:
    """Move every running rollout on: ask the nodes of its phase, time out silent ones,
    halt on too many failures, go to the next phase or complete. Returns those running."""
    running = list(
        session.scalars(
            select(Rollout)
            .where(Rollout.state == RolloutState.RUNNING)
            .options(selectinload(Rollout.nodes).selectinload(RolloutNode.node))
            .with_for_update()
        )
    )
    for rollout in running:
        _advance_one(session, clock, rollout)
    return running


def _advance_one(session: Session, clock: Clock, rollout: Rollout) -> None:
    now = instant(clock)
    timeout = dt.timedelta(seconds=rollout.node_timeout)
    while rollout.state is RolloutState.RUNNING:
        for member in rollout.nodes:
            started = member.started
            if member.state is RolloutNodeState.SENT and started and now - started > timeout:
                member.state, member.finished = RolloutNodeState.FAILED, now
                member.detail = f"no result within {rollout.node_timeout} s of being asked"
        failed = [m for m in rollout.nodes if m.state in FAILURES]
        if len(failed) > rollout.max_failures:
            names = ", ".join(f"{m.node.name} ({m.detail[:200]})" for m in failed[:5])
            _finish(
                rollout,
                clock,
                RolloutState.HALTED,
                f"{len(failed)} node(s) failed, more than the {rollout.max_failures} "
                f"tolerated: {names}",
            )
            break
        phase = [m for m in rollout.nodes if m.phase == rollout.phase]
        _ask(session, rollout, [m for m in phase if m.state is RolloutNodeState.WAITING], now)
        if any(m.state not in DONE for m in phase):
            break
        if rollout.phase >= LAST_PHASE:
            _finish(rollout, clock, RolloutState.COMPLETED, "")
            break
        rollout.phase += 1
    session.flush()


def _ask(
    session: Session, rollout: Rollout, members: Sequence[RolloutNode], now: dt.datetime
) -> None:
    """Make each member's chosen version its node's desired one (the node's next heartbeat
    gets it). The nodes' rows are read once, and the dependencies once per file and
    platform: a phase may ask hundreds of nodes."""
    if not members:
        return
    rows = _plugins(session, rollout.project)
    served: dict[tuple[str | None, tuple[str, ...], str | None], list[str]] = {}
    for member in members:
        wanted = rows.get(member.node_id) or _plugin_row(session, member.node_id, rollout.project)
        if wanted.pinned:
            member.state = RolloutNodeState.PINNED
            member.detail = f"pinned to {wanted.desired_version}"
            continue
        node = member.node
        key = (member.target, tuple(node.wheel_tags), node.api_version)
        if key not in served:
            served[key] = _dependencies_of_target(session, member.target, node)
        wanted.desired_version, wanted.target, wanted.rollout_id = (
            member.version,
            member.target,
            rollout.id,
        )
        wanted.dependencies = served[key]
        member.state, member.started = RolloutNodeState.SENT, now


def _finish(rollout: Rollout, clock: Clock, state: RolloutState, reason: str) -> None:
    rollout.state, rollout.reason, rollout.finished = state, reason[:1024], instant(clock)


# -- pins and removals -------------------------------------------------------------


def pin(
    session: Session, clock: Clock, actor: Actor, package: str, nodes: Sequence[str] | None
) -> list[NodePlugin]:
    """Keep ``nodes`` at one version of a package (installing it if they run another);
    rollouts pass them by until :func:`unpin`.

    :raises Invalid: not one exact version (``name==x.y``), or none fits a node.
    """
    spec = PackageSpec.parse(package)
    access.require_admin(
        session, clock, actor, action="package.pin", target=Target("package", spec.project)
    )
    admitted = _admitted(session, spec.project)
    rows = []
    for node in _nodes(session, nodes):
        chosen = choose_variant(admitted, spec.specifier, node.wheel_tags, node.api_version)
        if isinstance(chosen, str):
            raise Invalid(f"node {node.name}: {chosen}")
        row = _plugin_row(session, node.id, spec.project)
        row.desired_version, row.target = chosen.package.version, chosen.target
        row.dependencies = dependencies(session, chosen.package, node)
        row.pinned, row.rollout_id = True, None
        rows.append(row)
    session.flush()
    record(
        session,
        clock,
        actor=actor,
        action="package.pin",
        target=Target("package", spec.project, str(spec)),
        after={"nodes": [r.node.name for r in rows], "package": str(spec)},
    )
    return rows


def unpin(
    session: Session, clock: Clock, actor: Actor, project: str, nodes: Sequence[str] | None
) -> list[NodePlugin]:
    """Let rollouts reach ``nodes`` again; they keep their version until one does."""
    name = canonicalize_name(project)
    access.require_admin(
        session, clock, actor, action="package.unpin", target=Target("package", name)
    )
    rows = _rows(session, name, nodes)
    for row in rows:
        row.pinned = False
    session.flush()
    record(
        session,
        clock,
        actor=actor,
        action="package.unpin",
        target=Target("package", name, name),
        after={"nodes": [r.node.name for r in rows]},
    )
    return rows


def remove(
    session: Session, clock: Clock, actor: Actor, project: str, nodes: Sequence[str] | None
) -> list[NodePlugin]:
    """Take a package off ``nodes`` (all that have it: None): they deactivate it and drop
    it from their plugin store; cameras using its drivers stop until it comes back."""
    name = canonicalize_name(project)
    access.require_admin(
        session, clock, actor, action="package.remove", target=Target("package", name)
    )
    rows = _rows(session, name, nodes)
    for row in rows:
        row.desired_version, row.target, row.pinned, row.rollout_id = None, None, False, None
        row.dependencies = []
    session.flush()
    record(
        session,
        clock,
        actor=actor,
        action="package.remove",
        target=Target("package", name, name),
        after={"nodes": [r.node.name for r in rows]},
    )
    return rows


# -- what nodes run ------------------------------------------------------------


def desired_plugins(session: Session, node: Node) -> list[DesiredPlugin]:
    """The packages ``node`` should run (the :class:`~argus.protocol.HeartbeatReply`'s)."""
    rows = session.scalars(
        select(NodePlugin).where(
            NodePlugin.node_id == node.id, NodePlugin.desired_version.is_not(None)
        )
    )
    return [
        DesiredPlugin(
            project=r.project,
            version=r.desired_version or "",
            target=r.target or "",
            dependencies=[str(t) for t in r.dependencies or ()],
            rollout=r.rollout_id,
        )
        for r in rows
        if r.target
    ]


def record_reports(
    session: Session, clock: Clock, node: Node, reports: Iterable[PluginReport]
) -> None:
    """Keep what a node says about its packages; settle the rollouts waiting on it."""
    reports = list(reports)
    if not reports:
        return  # a heartbeat stays cheap for nodes without store packages
    now = instant(clock)
    query = select(NodePlugin).where(NodePlugin.node_id == node.id)
    rows = {r.project: r for r in session.scalars(query)}
    for report in reports:
        row = rows.get(report.project)
        if row is None:
            row = NodePlugin(
                node_id=node.id, project=report.project, pinned=False, state="", detail=""
            )
            session.add(row)
            rows[report.project] = row
        row.installed_version, row.state = report.version, report.state.value
        row.detail, row.reported = report.detail[:2048], now
    waiting = session.scalars(
        select(RolloutNode)
        .join(Rollout)
        .where(
            RolloutNode.node_id == node.id,
            RolloutNode.state == RolloutNodeState.SENT,
            Rollout.state.in_((RolloutState.RUNNING, RolloutState.HALTED)),
        )
        .options(selectinload(RolloutNode.rollout))
    )
    by_project = {r.project: r for r in reports}
    for member in waiting:
        said = by_project.get(member.rollout.project)
        if said is None or said.target != member.target or said.rollout != member.rollout_id:
            continue  # about another request (an earlier rollout's, a pin's)
        result = _RESULTS.get(said.state)
        if result is not None:
            member.state, member.finished = result, now
            member.detail = said.detail[:2048]
    session.flush()


def installed(session: Session) -> list[NodePlugin]:
    """Every node's packages: desired and reported, by node and project."""
    return list(
        session.scalars(
            select(NodePlugin)
            .join(Node)
            .options(selectinload(NodePlugin.node))
            .order_by(Node.name, NodePlugin.project)
        )
    )


def rollouts(session: Session, limit: int = 100) -> list[Rollout]:
    return list(
        session.scalars(
            select(Rollout)
            .options(selectinload(Rollout.nodes).selectinload(RolloutNode.node))
            .order_by(Rollout.id.desc())
            .limit(limit)
        )
    )


def rollout(session: Session, rollout_id: int) -> Rollout:
    """:raises UnknownRollout: no such rollout."""
    row = session.scalars(
        select(Rollout)
        .where(Rollout.id == rollout_id)
        .options(selectinload(Rollout.nodes).selectinload(RolloutNode.node))
    ).first()
    if row is None:
        raise UnknownRollout(f"no rollout {rollout_id}")
    return row


def counts(rollout: Rollout) -> dict[str, int]:
    """The rollout's nodes by state."""
    return dict(collections.Counter(member.state.value for member in rollout.nodes))


def summary(rollout: Rollout) -> dict[str, object]:
    """Package, state, phase and nodes by state, for the audit trail."""
    return {
        "package": f"{rollout.project}{rollout.specifier}",
        "state": rollout.state.value,
        "phase": rollout.phase,
        "nodes": counts(rollout),
    }


# -- helpers -----------------------------------------------------------------------


def _admitted(session: Session, project: str, *, libraries: bool = False) -> list[PluginPackage]:
    """The admitted node packages of ``project``: plugins, or dependency wheels."""
    rows = session.scalars(
        select(PluginPackage).where(PluginPackage.name == project, PluginPackage.spotter.is_(False))
    )
    return [p for p in rows if bool(p.kinds) != libraries]


def dependencies(session: Session, package: PluginPackage, node: Node) -> list[str]:
    """The repository targets of the dependency wheels to serve with ``package`` to ``node``:
    for each of its requirements (``argus-sdk`` aside), the newest admitted dependency wheel
    within the range that fits the node. Requirements with none admitted are left to the
    node, which checks that it has them before installing."""
    targets = []
    for line in package.requires or ():
        try:
            req = Requirement(str(line))
        except InvalidRequirement:
            continue
        name = canonicalize_name(req.name)
        if name == "argus-sdk" or (
            req.marker is not None and not req.marker.evaluate({"extra": ""})
        ):
            continue  # the platform's own, or needed only for an extra (or elsewhere)
        chosen = choose_variant(
            _admitted(session, name, libraries=True),
            req.specifier,
            node.wheel_tags,
            node.api_version,
            check_sdk=False,
        )
        if isinstance(chosen, Variant):
            targets.append(chosen.target)
    return targets


def _running(session: Session, project: str) -> int | None:
    """The id of the project's running rollout, if one runs."""
    return session.scalars(
        select(Rollout.id).where(Rollout.project == project, Rollout.state == RolloutState.RUNNING)
    ).first()


def _dependencies_of_target(session: Session, target: str | None, node: Node) -> list[str]:
    filename = (target or "").rsplit("/", 1)[-1]
    package = session.scalars(
        select(PluginPackage).where(PluginPackage.filename == filename)
    ).first()
    return dependencies(session, package, node) if package is not None else []


def _nodes(session: Session, names: Sequence[str] | None) -> list[Node]:
    query = select(Node).where(Node.state == NodeState.ENROLLED).order_by(Node.name)
    found = list(session.scalars(query))
    if names is None:
        return found
    wanted = set(names)
    missing = wanted - {n.name for n in found}
    if missing:
        raise Invalid(f"no enrolled node named {', '.join(sorted(missing))}")
    return [n for n in found if n.name in wanted]


def _plugins(session: Session, project: str) -> dict[int, NodePlugin]:
    rows = session.scalars(select(NodePlugin).where(NodePlugin.project == project))
    return {r.node_id: r for r in rows}


def _plugin_row(session: Session, node_id: int, project: str) -> NodePlugin:
    row = session.scalars(
        select(NodePlugin).where(NodePlugin.node_id == node_id, NodePlugin.project == project)
    ).first()
    if row is None:
        row = NodePlugin(node_id=node_id, project=project, pinned=False, state="", detail="")
        session.add(row)
        session.flush()
    return row


def _rows(session: Session, project: str, nodes: Sequence[str] | None) -> list[NodePlugin]:
    query = (
        select(NodePlugin)
        .join(Node)
        .where(NodePlugin.project == project)
        .options(selectinload(NodePlugin.node))
    )
    if nodes is not None:
        _nodes(session, nodes)  # unknown names are an error, not a no-op
        query = query.where(Node.name.in_(list(nodes)))
    return list(session.scalars(query))


def _rollout_for_admin(
    session: Session, clock: Clock, actor: Actor, rollout_id: int, action: str
) -> Rollout:
    access.require_admin(
        session, clock, actor, action=action, target=Target("rollout", str(rollout_id))
    )
    return rollout(session, rollout_id)


def _audit(session: Session, clock: Clock, actor: Actor, action: str, rollout: Rollout) -> None:
    session.flush()
    record(
        session,
        clock,
        actor=actor,
        action=action,
        target=Target("rollout", str(rollout.id), f"{rollout.project}{rollout.specifier}"),
        after=summary(rollout),
        detail=rollout.reason,
    )
