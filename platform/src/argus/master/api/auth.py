"""The request's transaction and caller, as FastAPI dependencies.

Every request gets one SQLAlchemy session (:func:`transaction`), committed when the
route returns. When a service raised, the session is rolled back — except after the
refusals that write what they refuse (:data:`KEEP_ON_ERROR`): a :class:`Forbidden`
(its ``denied`` audit entry), a :class:`VersionRefused` (the node marked refused), a
refused package (its failed admission) and a failed login (the failure count, the
lockout, the audit entry), which are committed and then answered with their error.

Users call with ``Authorization: Bearer <session secret>`` from ``POST /api/v1/login``;
nodes call the heartbeat with ``Authorization: Bearer <node credential>``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from argus.master.db import AppUser, UserSession
from argus.master.runtime import Master
from argus.master.services import access, login
from argus.master.services.audit import Actor, Target
from argus.master.services.errors import Forbidden, Unauthenticated
from argus.master.services.packages import PackageNotAdmitted
from argus.master.services.registry import VersionRefused


class LoginFailed(Unauthenticated):
    """A refused login (HTTP 401, :data:`login.LOGIN_FAILED`); its record is committed."""


#: Errors after which the request's session is committed before the error is answered.
KEEP_ON_ERROR = (Forbidden, VersionRefused, LoginFailed, PackageNotAdmitted)


def master_of(request: Request) -> Master:
    master: Master = request.app.state.master
    return master


def client_of(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


#: Requests holding a database session at once; the others wait in the event loop. Fewer
#: than the worker threads (40): a request holding its session (a SQLite write lock, a
#: row lock, a pooled connection) must always find a thread for the rest of its work,
#: or a burst of heartbeats holds every thread waiting for a lock whose holder waits
#: for a thread.
DB_SLOTS = 10


@dataclass
class _Gate:
    slots: anyio.Semaphore
    exits: anyio.CapacityLimiter


def _gate(request: Request) -> _Gate:
    """The app's gate, made in its event loop on first use."""
    gate: _Gate | None = getattr(request.app.state, "db_gate", None)
    if gate is None:
        gate = _Gate(anyio.Semaphore(DB_SLOTS), anyio.CapacityLimiter(DB_SLOTS))
        request.app.state.db_gate = gate
    return gate


async def transaction(request: Request) -> AsyncIterator[Session]:
    """The request's session: committed at the end of the route (see the module doc).

    Waits (in the event loop, holding no thread) while :data:`DB_SLOTS` requests hold a
    session; commit, rollback and close run in a thread of their own limiter.
    """
    gate = _gate(request)
    async with gate.slots:
        session = master_of(request).session()

        async def in_thread(call: Callable[[], object]) -> None:
            with anyio.CancelScope(shield=True):  # a client gone must not leave it open
                await anyio.to_thread.run_sync(call, limiter=gate.exits)

        try:
            yield session
        except KEEP_ON_ERROR:
            await in_thread(session.commit)
            raise
        except BaseException:
            await in_thread(session.rollback)
            raise
        else:
            await in_thread(session.commit)
        finally:
            await in_thread(session.close)


Tx = Annotated[Session, Depends(transaction, scope="function")]


@dataclass(frozen=True, slots=True)
class Caller:
    """A logged-in user calling the API."""

    user: AppUser
    session: UserSession
    secret: str
    actor: Actor

    def require_admin(self, db: Session, master: Master, action: str) -> None:
        """:raises Forbidden: the user may not administer (recorded as ``denied``)."""
        access.require_admin(db, master.clock, self.actor, action=action)

    def require_admin_on(self, db: Session, master: Master, action: str, target: Target) -> None:
        access.require_admin(db, master.clock, self.actor, action=action, target=target)


#: Declares the bearer scheme in the OpenAPI document; the checks are ours (401, not 403).
session_scheme = HTTPBearer(
    scheme_name="session",
    description="The session secret from POST /api/v1/login.",
    auto_error=False,
)
SessionCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(session_scheme)]


def current_caller(request: Request, db: Tx, credentials: SessionCredentials) -> Caller:
    """The user whose session secret the request bears.

    :raises Unauthenticated: no bearer token, or no valid session for it.
    """
    secret = credentials.credentials.strip() if credentials is not None else None
    if not secret:
        raise Unauthenticated("log in first: send Authorization: Bearer <session secret>")
    master = master_of(request)
    row = login.current_session(db, master.clock, secret, policy=master.login_policy)
    return Caller(row.user, row, secret, Actor.of_user(row.user, client_of(request)))


Who = Annotated[Caller, Depends(current_caller, scope="function")]
Running = Annotated[Master, Depends(master_of)]
