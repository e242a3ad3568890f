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


def test_the_web_app_makes_the_dummy_hash_as_it_starts() -> None:
    """Made lazily for commands, but not on a web app's first sign-in, where its cost would tell an
    unknown name from a wrong password."""
    from dashboard.app import create_app

    _dummy_hash.cache_clear()
    create_app()
    assert _dummy_hash.cache_info().currsize == 1
