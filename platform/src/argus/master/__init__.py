"""The master: users and rights, configuration, node registry, audit trail, packages."""
