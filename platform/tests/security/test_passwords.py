from __future__ import annotations

import pytest

from argus.security.passwords import hash_password, needs_rehash, verify_password


def test_argon2id_hash_verifies_only_the_right_password() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "Correct horse")
    assert not needs_rehash(stored)


def test_unknown_users_and_broken_hashes_never_verify() -> None:
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")
    with pytest.raises(ValueError, match="empty"):
        hash_password("")
