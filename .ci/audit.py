"""CI's dependency audit: pip-audit over the pinned requirements, when a vulnerability database answers.

Fatal (exit 1) when a pinned package has a known vulnerability. When the database cannot be reached
(a closed network: pip-audit then either fails to connect or skips every package as "not found"),
it says so plainly and exits 0, so an offline CI run still tests the code but never claims an audit
it did not do. Run as ``python .ci/audit.py`` from the project root.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = ("requirements.txt", "requirements-dev.txt")


def pinned_lines() -> list[str]:
    """Every ``name==version`` pin of the requirements files (``-r`` includes and comments dropped)."""
    lines = []
    for name in FILES:
        for raw in (ROOT / name).read_text(encoding="utf-8").splitlines():
            line = raw.split("#", 1)[0].strip()
            if line and not line.startswith("-") and line not in lines:
                lines.append(line)
    return lines


def verdict(report: dict | None, error: str = "") -> tuple[int, str]:
    """(exit status, message) from pip-audit's JSON report, or from its failure when it gave none."""
    if report is None:
        return 0, f"pip-audit: vulnerability database NOT reachable, audit skipped ({error.strip()[-200:]})"
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    if vulnerable:
        found = "; ".join(f"{d['name']} {d['version']}: " + ", ".join(
            f"{v['id']} (fixed in {', '.join(v.get('fix_versions') or ['no release yet'])})" for v in d["vulns"])
            for d in vulnerable)
        return 1, f"pip-audit: KNOWN VULNERABILITIES in pinned packages: {found}"
    audited = [d for d in deps if not d.get("skip_reason")]
    if not audited:
        return 0, (f"pip-audit: vulnerability database NOT reachable (none of the {len(deps)} pinned packages "
                   "could be looked up), audit skipped")
    skipped = len(deps) - len(audited)
    return 0, f"pip-audit: {len(audited)} pinned packages audited, no known vulnerabilities" + (
        f" ({skipped} could not be looked up)" if skipped else "")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        req, out = Path(tmp) / "pins.txt", Path(tmp) / "report.json"
        req.write_text("\n".join(pinned_lines()) + "\n", encoding="utf-8")
        try:
            run = subprocess.run([sys.executable, "-m", "pip_audit", "-r", str(req), "--no-deps", "--disable-pip",
                                  "--progress-spinner", "off", "--timeout", "15", "-f", "json", "-o", str(out)],
                                 capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False)
            report = json.loads(out.read_text(encoding="utf-8")) if out.exists() and out.stat().st_size else None
            error = run.stderr
        except (subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
            report, error = None, str(exc)
    status, message = verdict(report, error)
    print(message, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
