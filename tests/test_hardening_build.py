"""`make install` leaves a fresh clone clean: the built catalog is untracked and byte-stable."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILT = "translations/zh/LC_MESSAGES/messages.po"


def _i18n_module():
    spec = importlib.util.spec_from_file_location("jm_i18n_build", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="needs a git checkout")
def test_built_catalog_is_ignored_and_not_tracked() -> None:
    assert _git("ls-files", "translations/zh").stdout == ""
    assert _git("check-ignore", "-q", BUILT).returncode == 0


def test_two_builds_write_identical_bytes_and_leave_the_files_alone(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    module = _i18n_module()
    monkeypatch.setattr(module, "ZH_DIR", tmp_path)
    module.build()
    first = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    times = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    module.build()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == first
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == times
    assert b"POT-Creation-Date: 2026-01-01" in first["messages.po"]
