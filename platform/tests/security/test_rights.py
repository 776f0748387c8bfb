from __future__ import annotations

from argus.protocol import Right
from argus.security.rights import Grant, effective_rights, is_admin

GROUPS = {"outdoor": frozenset({"gate", "yard"}), "indoor": frozenset({"lobby"})}
CAMERAS = ["gate", "yard", "lobby", "vault"]


def test_rights_add_up_over_all_group_and_camera_grants() -> None:
    grants = [
        Grant("all", Right.LIVE),
        Grant("group", Right.PLAYBACK, "outdoor"),
        Grant("camera", Right.PTZ, "gate"),
        Grant("camera", Right.EXPORT, "not-on-this-node"),
    ]
    rights = effective_rights(grants, CAMERAS, GROUPS)
    assert rights["gate"] == {Right.LIVE, Right.PLAYBACK, Right.PTZ}
    assert rights["yard"] == {Right.LIVE, Right.PLAYBACK}
    assert rights["lobby"] == rights["vault"] == {Right.LIVE}
    assert "not-on-this-node" not in rights


def test_no_grant_means_no_camera_and_administer_is_separate() -> None:
    grants = [Grant("group", Right.LIVE, "indoor"), Grant("all", Right.ADMINISTER)]
    assert effective_rights(grants, CAMERAS, GROUPS) == {"lobby": frozenset({Right.LIVE})}
    assert is_admin(grants) and not is_admin(grants[:1])
