"""Logging in and out, and the logged-in user's node tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from argus.master.api.auth import LoginFailed, Running, Tx, Who, client_of
from argus.master.api.models import (
    CameraAccessOut,
    LoginReply,
    LoginRequest,
    NodeAccessOut,
    ProfileDownload,
    TokensOut,
)
from argus.master.services import access, login
from argus.master.services.access import UserProfile

router = APIRouter(tags=["sessions"])


@router.post("/login", response_model=LoginReply)
def log_in(body: LoginRequest, request: Request, db: Tx, master: Running) -> LoginReply:
    """Open a session: its secret, the profile download and one token per node.

    Every failure gets the same answer (401), whatever the reason.
    """
    result = login.login(
        db,
        master.clock,
        body.username,
        body.password,
        client_of(request),
        policy=master.login_policy,
    )
    if isinstance(result, login.LoginRefused):
        raise LoginFailed(result.message)
    profile = access.profile_for(db, result.user)
    return LoginReply(
        session=result.secret,
        expires=result.session.expires,
        profile=profile_download(profile),
        tokens=access.tokens_for(db, master.issuer, result.user, profile),
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
def log_out(request: Request, db: Tx, master: Running, caller: Who) -> Response:
    """End the caller's session."""
    login.logout(db, master.clock, caller.secret, client_of(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/tokens", response_model=TokensOut)
def my_tokens(db: Tx, master: Running, caller: Who) -> TokensOut:
    """Fresh node tokens for the caller (tokens are short-lived: fetch new ones before
    they expire)."""
    return TokensOut(tokens=access.tokens_for(db, master.issuer, caller.user))


def profile_download(profile: UserProfile) -> ProfileDownload:
    return ProfileDownload(
        user_id=profile.user_id,
        username=profile.username,
        display_name=profile.display_name,
        profile=profile.profile,
        admin=profile.admin,
        nodes=[
            NodeAccessOut(
                name=node.name,
                address=node.address,
                cameras=[
                    CameraAccessOut(ident=c.ident, name=c.name, rights=sorted(c.rights))
                    for c in node.cameras
                ],
            )
            for node in profile.nodes
        ],
    )
