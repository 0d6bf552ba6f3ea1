"""Run a command with a directory mounted as a tiny or read-only file system, to
meet real ENOSPC and EROFS (needs root and ``unshare``; tests skip otherwise), and
with a file-size limit, to meet real EFBIG."""

from __future__ import annotations

import functools
import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


@functools.cache
def can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


def run_on_mount(args: list[str], directory: Path, *, size: str = "1m", readonly: bool = False,
                 fill_from: Path | None = None, timeout: float = 120, env: dict[str, str] | None = None,
                 then: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """``args`` with ``directory`` a fresh tmpfs of ``size`` (``fill_from``'s files
    copied in), read-only if asked, in a private mount namespace; ``then`` runs
    after it in the same namespace (its output follows a line ``--- then ---``;
    the exit status is that of ``args``)."""
    script = _mount_script(directory, size=size, readonly=readonly, fill_from=fill_from, then=then)
    return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout, env=env)


def start_on_mount(args: list[str], directory: Path, *, size: str,
                   env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``run_on_mount`` started, not waited for: read its pipes as it runs."""
    script = _mount_script(directory, size=size, readonly=False, fill_from=None, then=None)
    return subprocess.Popen(["unshare", "-m", "sh", "-c", script, "sh", *args], cwd=REPO_ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def _mount_script(directory: Path, *, size: str, readonly: bool, fill_from: Path | None,
                  then: list[str] | None) -> str:
    if not can_mount():
        pytest.skip("needs root and unshare to mount a small or read-only file system")
    directory.mkdir(parents=True, exist_ok=True)
    steps = [f"mount -t tmpfs -o size={size} tmpfs {shlex.quote(str(directory))}"]
    if fill_from is not None:
        steps.append(f"cp -a {shlex.quote(str(fill_from))}/. {shlex.quote(str(directory))}/")
    if readonly:
        steps.append(f"mount -o remount,ro {shlex.quote(str(directory))}")
    script = " && ".join(steps) + ' && { "$@"; status=$?; }'
    if then is not None:
        script += " && echo '--- then ---' && " + " ".join(shlex.quote(a) for a in then)
    return script + " ; exit ${status:-1}"


def run_with_file_limit(args: list[str], limit_bytes: int, *, timeout: float = 120,
                        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``args`` where no file may grow beyond ``limit_bytes`` (writes fail with EFBIG)."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, env=env,
                          preexec_fn=limit)


def python(*args: str) -> list[str]:
    return [sys.executable, *args]
