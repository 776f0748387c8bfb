"""Passwords, signed access tokens and rights."""
