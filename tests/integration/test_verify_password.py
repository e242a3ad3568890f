"""Signing in checks the password against the stored hash; an unknown name is checked against a
dummy hash (made on first use, no longer at import) so it is refused the same way, never let in."""

from __future__ import annotations

from sqlalchemy import Engine

from warehouse.users import _dummy_hash, add_user, set_password, verify_password


def test_known_user_right_and_wrong_password_and_unknown_name(engine: Engine) -> None:
    add_user(engine, "alice", "manager")
    set_password(engine, "alice", "a-long-enough-password")
    assert verify_password(engine, "alice", "a-long-enough-password").name == "alice"
    assert verify_password(engine, "alice", "wrong-password-here") is None
    assert verify_password(engine, "nobody", "a-long-enough-password") is None
    assert _dummy_hash() == _dummy_hash()  # made once, then the same hash every time
    assert _dummy_hash().startswith("scrypt:")
