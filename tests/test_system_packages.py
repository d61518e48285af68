"""`make run` and `make test` on a fresh machine: the system-package step (scripts/system-packages.sh).

The script is run with a PATH of our own, so that a package looks missing without uninstalling it,
and with ECONSEC_UID standing in for `id -u`; apt-get is a fake that records what it was asked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "system-packages.sh"
#: what the script itself calls; java, node and npm are left out so they look missing
TOOLS = ("bash", "grep", "id", "fc-list", "python3")


def _bin(tmp_path: Path, *, apt: bool) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        if found is not None:
            (folder / tool).symlink_to(found)
    if apt:
        log = tmp_path / "apt.log"
        fake = folder / "apt-get"
        fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\n', encoding="utf-8")
        fake.chmod(0o755)
    return folder


def _run(tmp_path: Path, uid: str, *, apt: bool) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(_bin(tmp_path, apt=apt)), "ECONSEC_UID": uid, "HOME": os.environ.get("HOME", "/")}
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_not_root_stops_at_once_with_the_exact_command_to_run(tmp_path: Path) -> None:
    done = _run(tmp_path, "1000", apt=True)
    assert done.returncode == 1
    assert "sudo apt-get install -y default-jre-headless nodejs npm" in done.stderr
    assert not (tmp_path / "apt.log").exists(), "nothing was installed"


def test_root_with_apt_installs_what_is_missing(tmp_path: Path) -> None:
    done = _run(tmp_path, "0", apt=True)
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "apt.log").read_text(encoding="utf-8").splitlines()
    assert calls[0] == "update -qq"
    assert calls[1].startswith("install -y -qq default-jre-headless nodejs npm")


def test_root_without_apt_says_what_to_install(tmp_path: Path) -> None:
    done = _run(tmp_path, "0", apt=False)
    assert done.returncode == 1
    assert "apt-get install -y default-jre-headless" in done.stderr


def test_nothing_missing_installs_nothing(tmp_path: Path) -> None:
    """On this machine (the suite needs every package) the script is a no-op."""
    env = {**os.environ, "ECONSEC_UID": "1000"}
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
