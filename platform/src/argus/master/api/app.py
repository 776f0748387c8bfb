"""The master's HTTP API (FastAPI, OpenAPI at /docs), on port 5008 by default.

Routes are under ``/api/v1``: sessions (:mod:`.sessions`), users and profiles
(:mod:`.users`), nodes (:mod:`.nodes`), watchdog and audit (:mod:`.records`).
The services' errors become HTTP statuses here, in one place, with the service's
message as ``detail``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from argus import __version__, web
from argus.master.api import (
    configuration,
    drivers,
    nodes,
    packages,
    records,
    repository,
    rollouts,
    sessions,
    spotter,
    system,
    users,
    walls,
)
from argus.master.runtime import Master
from argus.master.services.errors import (
    Conflict,
    Invalid,
    NotFound,
    Refused,
    ServiceError,
    Unauthenticated,
)

#: Service error → HTTP status; the first class the error is an instance of wins.
STATUSES: tuple[tuple[type[ServiceError], int], ...] = (
    (NotFound, status.HTTP_404_NOT_FOUND),
    (Conflict, status.HTTP_409_CONFLICT),
    (Invalid, status.HTTP_422_UNPROCESSABLE_CONTENT),
    (Refused, status.HTTP_403_FORBIDDEN),
    (Unauthenticated, status.HTTP_401_UNAUTHORIZED),
)


def create_app(master: Master) -> FastAPI:
    app = FastAPI(
        title="Argus master API",
        version=__version__,
        description="Users, profiles, nodes, watchdog events and the audit trail; logins "
        "hand out the profile download and per-node tokens.",
    )
    app.state.master = master
    routers = (
        sessions,
        users,
        nodes,
        records,
        configuration,
        drivers,
        packages,
        rollouts,
        repository,
        system,
        spotter,
        walls,
    )
    for module in routers:
        app.include_router(module.router, prefix="/api/v1")
    app.add_exception_handler(ServiceError, _service_error)
    web.mount(app, master.spotter_plugins)
    return app


def status_of(error: ServiceError) -> int:
    for cls, code in STATUSES:
        if isinstance(error, cls):
            return code
    return status.HTTP_500_INTERNAL_SERVER_ERROR


async def _service_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    code = status_of(error)
    headers = {"WWW-Authenticate": "Bearer"} if code == status.HTTP_401_UNAUTHORIZED else None
    return JSONResponse({"detail": str(error)}, status_code=code, headers=headers)
