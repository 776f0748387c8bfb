"""The package repository: TUF metadata signed by the master, verified by nodes.

The master keeps a :class:`Repository` over its package store and serves its files;
each node keeps a :class:`PackageUpdater` that refreshes the signed metadata and
downloads packages only when they verify against it. Whatever a node refuses raises
:class:`RepositoryError`, whose message names the attack or fault it saw.
"""

from argus.repository.publisher import Expiry, Repository, RepositoryError, TargetInfo
from argus.repository.updater import PackageUpdater

__all__ = ["Expiry", "PackageUpdater", "Repository", "RepositoryError", "TargetInfo"]
