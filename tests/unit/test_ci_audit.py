"""CI's audit step (.ci/audit.py) fails on vulnerabilities and says plainly when it could not look."""

from __future__ import annotations

import importlib.util

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)


def test_a_known_vulnerability_fails_the_run() -> None:
    report = {"dependencies": [
        {"name": "orjson", "version": "3.8.3", "vulns": [{"id": "CVE-2024-27454", "fix_versions": ["3.9.15"]}]},
        {"name": "dash", "version": "4.4.1", "vulns": []}]}
    status, message = audit.verdict(report)
    assert status == 1 and "orjson 3.8.3: CVE-2024-27454 (fixed in 3.9.15)" in message


def test_an_unreachable_database_is_said_plainly_and_does_not_fail() -> None:
    skipped = {"dependencies": [{"name": "dash", "skip_reason": "Dependency not found on PyPI"}]}
    for status, message in (audit.verdict(skipped), audit.verdict(None, "ConnectionError: no route")):
        assert status == 0 and "NOT reachable" in message and "skipped" in message


def test_a_clean_audit_says_how_much_it_checked() -> None:
    report = {"dependencies": [{"name": "dash", "version": "4.4.1", "vulns": []},
                               {"name": "x", "skip_reason": "not on PyPI"}]}
    assert audit.verdict(report) == (0, "pip-audit: 1 pinned packages audited, no known vulnerabilities "
                                        "(1 could not be looked up)")


def test_every_pin_is_audited_once() -> None:
    pins = audit.pinned_lines()
    assert "orjson==3.13.0" in pins and "pytest==9.0.3" in pins
    assert len(pins) == len(set(pins)) and not any(p.startswith("-") for p in pins)
