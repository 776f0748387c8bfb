"""What the master's services raise, and what the caller should do about it.

Each class maps to one HTTP status, so the API layer translates them in one
place. Messages are written for the person at the other end: safe to show,
and saying what to do next.

Services check before they change: when one of these is raised, the session
holds no change from the call, except the audit entry of a refused request
(:class:`Forbidden` is recorded as ``denied``). Commit the session after a
:class:`Forbidden` to keep that entry; rolling back loses only the entry.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the services' errors; ``str(error)`` is safe to show to the caller."""


class NotFound(ServiceError):
    """The object named does not exist (any more): HTTP 404; reload the list."""


class Conflict(ServiceError):
    """The request clashes with the current state (a name taken, a profile in use, the last
    administrator): HTTP 409; change that state first, as the message says."""


class Invalid(ServiceError):
    """The request breaks a rule (user name, password policy, a grant naming no camera):
    HTTP 422; correct the request."""


class Refused(ServiceError):
    """The caller may not do this: HTTP 403; do not retry as is."""


class Forbidden(Refused):
    """The actor lacks the right (administer, or the old password): recorded in the audit
    trail as ``denied``."""


class Unauthenticated(ServiceError):
    """No valid login: the session is unknown, expired or revoked, or the account cannot
    use it any more: HTTP 401; log in again."""
