"""The project installs like a Python package: pyproject metadata, pinned dependencies, console commands.

Installs into a throw-away virtual environment that sees the already-installed dependencies
(``--system-site-packages``, ``--no-deps``, ``--no-build-isolation``), so nothing is fetched.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from release import __version__
from tests.conftest import ROOT


def test_install_gives_both_commands_with_version(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                          "--no-build-isolation", "--no-index", "-e", str(ROOT)], capture_output=True, text=True,
                         timeout=300, check=False, cwd=tmp_path)
    assert pip.returncode == 0, pip.stderr[-2000:]
    for command in ("vvu-etl", "vvu-dashboard"):
        shown = subprocess.run([str(venv / "bin" / command), "--version"], capture_output=True, text=True,
                               timeout=60, check=False, cwd=tmp_path)
        assert shown.returncode == 0 and shown.stdout.strip().endswith(__version__), (command, shown.stderr)
    meta = subprocess.run([str(venv / "bin" / "python"), "-c", "import importlib.metadata as m; "
                           "d = m.metadata('essex-vvu-dashboard'); print(d['Requires-Python']); "
                           "print('\\n'.join(m.requires('essex-vvu-dashboard')))"],
                          capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path)
    lines = meta.stdout.splitlines()
    assert lines[0] == ">=3.11"
    pins = [r.split("#")[0].strip() for r in (ROOT / "requirements.txt").read_text().splitlines()
            if r.strip() and not r.startswith("#")]
    assert sorted(lines[1:]) == sorted(pins)  # dependencies are read from the pinned requirements
