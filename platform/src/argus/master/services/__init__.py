"""The master's operations on its database: accounts, access, audit, node registry.

Functions take a SQLAlchemy ``Session`` the caller opened and a ``Clock``; the
caller owns the transaction (one per API request or CLI command), so a change
and its audit entry commit together or not at all.
"""
