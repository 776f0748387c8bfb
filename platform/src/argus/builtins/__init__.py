"""Argus's own plugins. They are registered through entry points like anybody's."""
