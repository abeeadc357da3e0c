"""Package-level promises: cheap import, CLI help, the README's example runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from memspice.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_import_is_cheap_and_side_effect_free() -> None:
    code = (
        "import sys, memspice, memspice.netlist, memspice.spicelib, memspice.engine, memspice.analysis;"
        "heavy = [m for m in ('matplotlib', 'PySpice', 'cffi') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize("argv", [["--help"], ["hysteresis", "--help"], ["models", "--help"]])
def test_every_command_explains_itself(argv, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "usage: memspice" in text and len(text) > 300


def test_models_lists_parameters_with_units_and_ranges(capsys) -> None:
    assert main(["models"]) == 0
    text = capsys.readouterr().out
    assert "roff" in text and "Ω" in text and "[0, 1]" in text and "one of none, joglekar, biolek, prodromakis" in text


def test_models_json_is_machine_readable(capsys) -> None:
    import json

    assert main(["models", "--json"]) == 0
    catalog = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)}
    assert catalog["hp"]["hysteresis_drive"]["freqs_hz"] == [1.0, 10.0, 100.0]
    assert {p["name"] for p in catalog["vteam"]["parameters"]} >= {"k_on", "k_off", "alpha_on", "alpha_off", "v_on", "v_off"}


def test_readme_example_script_runs(tmp_path) -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "hysteresis_demo.py"), str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "'is_memristor': True" in completed.stdout
    assert (tmp_path / "demo" / "summary.json").exists()


@pytest.mark.parametrize(
    ("script", "args"),
    [("engine_overhead.py", ["--runs", "2"]), ("crossbar_read.py", ["--sizes", "8"])],
)
def test_benchmark_scripts_run(script: str, args: list[str]) -> None:
    """The benchmarks are scripts, not timed tests; this only keeps them runnable."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True, text=True, timeout=300, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "scipy" in completed.stdout or "ratio" in completed.stdout
