"""Every registered study through the generated CLI: --help, and --print-config followed by
--config reproducing the summary numbers of the same run given by options (real simulators)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memspice.cli import main
from memspice.errors import ParameterError
from memspice.studies import all_studies

HERE = Path(__file__).resolve().parent

#: A short, real run of each study, as command-line options (no --out).
STUDY_ARGS: dict[str, list[str]] = {
    "hysteresis": ["--model", "vteam", "--set", "r_form=exponential", "--freq", "1e7,1e8", "--cycles", "2",
                   "--points-per-cycle", "200"],
    "coincidence": ["--x", "1,2", "--delta=-2,0,3", "--slot-width", "0.4n"],
    "train-perceptron": ["--max-epochs", "1"],
    "program": ["--rows", "2", "--cols", "2", "--seed", "3", "--max-pulses", "4", "--g-tolerance", "2u"],
    "selector-iv": ["--demo-1s1r", "--mset", "ron=2.5k", "--amplitude", "1.1", "--points-per-period", "1000"],
    "vmm": ["--weights", str(HERE / "vmm_weights.csv"), "--inputs", str(HERE / "vmm_inputs.csv"), "--encoding",
            "bitserial", "--readout", "integrator", "--input-bits", "4", "--adc-bits", "10", "--levels", "7",
            "--read-time", "50n", "--no-differential"],
    "write-scheme": ["--rows", "4", "--cols", "5", "--target", "1,2;3,0", "--scheme", "v3", "--set", "v_off=1.3",
                     "--v-write", "2.2", "--pulse-width", "20n", "--disturb-tolerance", "0.02"],
    "write-margin": ["--rows", "3", "--cols", "3", "--v-writes", "1.2,2", "--pulse-widths", "10n,50n", "--r-wires",
                     "0,2", "--target", "1,1", "--disturb-tolerance", "0.02"],
    "crossbar-read": ["--rows", "12", "--cols", "10", "--pattern", "checkerboard", "--r-word", "2", "--r-bit", "1",
                      "--v-read", "0.3"],
    "read-margin": ["--sizes", "4,8", "--cells", "0T1R,1S1R", "--scheme", "v3", "--r-wire", "2"],
    "snn": ["--epochs", "1", "--slots", "2", "--test-slots", "2", "--window-slots", "0", "--max-step", "1n"],
    "accuracy-chain": ["--hidden", "8", "--draws", "1", "--tile-rows", "32", "--tile-columns", "20", "--test-images",
                       "10", "--check-images", "1", "--randomise", "0"],
}

#: Summary keys that are measurements of the run itself, not results.
RUN_DEPENDENT = {"wall_time_s", "t_generate_s", "t_simulate_s", "t_parse_s", "t_reference_s", "t_total_s"}


def _results(summary: dict) -> dict:
    return {key: value for key, value in summary.items() if key not in RUN_DEPENDENT}


def test_every_study_has_a_cli_case() -> None:
    assert {study.name for study in all_studies()} == set(STUDY_ARGS)


@pytest.mark.parametrize("study", sorted(STUDY_ARGS))
def test_help_explains_every_option(study: str, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main([study, "--help"])
    assert caught.value.code == 0
    text = capsys.readouterr().out
    for option in ("--config", "--print-config", "--engine", "--timeout", "--out"):
        assert option in text
    assert "default" in text and "allowed" in text


@pytest.mark.parametrize("study", sorted(STUDY_ARGS))
def test_printed_config_reproduces_the_run(study: str, tmp_path, capsys) -> None:
    args = STUDY_ARGS[study]
    assert main([study, *args, "--out", str(tmp_path / "direct")]) == 0
    capsys.readouterr()
    assert main([study, *args, "--print-config"]) == 0
    (tmp_path / "study.toml").write_text(capsys.readouterr().out)
    assert not (tmp_path / "printed").exists()
    assert main([study, "--config", str(tmp_path / "study.toml"), "--out", str(tmp_path / "from_file")]) == 0
    direct = json.loads((tmp_path / "direct" / "summary.json").read_text())
    from_file = json.loads((tmp_path / "from_file" / "summary.json").read_text())
    assert _results(from_file) == _results(direct)


def test_options_override_the_config_file(tmp_path, capsys) -> None:
    assert main(["hysteresis", "--model", "hp", "--cycles", "2", "--print-config"]) == 0
    (tmp_path / "hp.toml").write_text(capsys.readouterr().out)
    assert main(["hysteresis", "--config", str(tmp_path / "hp.toml"), "--cycles", "4", "--print-config"]) == 0
    assert "cycles = 4" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["hysteresis", "--model", "hp", "--cycles", "0"], "--cycles=0 is not allowed; allowed: [1, 1000]"),
        (["hysteresis", "--model", "hp", "--freq", "1,x"], "--freq='x' is not allowed"),
        (["hysteresis", "--model", "hp", "--engine", "spectre"], "--engine='spectre' is not allowed; allowed: one of auto"),
        (["hysteresis", "--model", "hp", "--timeout", "0"], "--timeout=0 is not allowed; allowed: (0, 604800] s"),
        (["hysteresis"], "--model is required"),
        (["hysteresis", "--model", "hp", "--freq", "1e30"], "--freq=1e+30 is not allowed; allowed: (0, 1e+12] Hz"),
    ],
)
def test_bad_options_name_the_option_as_typed(argv, message, tmp_path, capsys) -> None:
    out = tmp_path / "never"
    assert main([*argv, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_bad_config_file_keys_name_the_file(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('model = "hp"\ncyclez = 3\n')
    assert main(["hysteresis", "--config", str(bad), "--out", str(tmp_path / "never")]) == 2
    err = capsys.readouterr().err
    assert "cyclez" in err and str(bad) in err and "is not a field" in err


def test_a_study_needs_a_loop_or_a_plan_and_an_analysis() -> None:
    """A Study without ``loop`` and without ``plan`` and ``analyse`` is refused when it is made."""
    from memspice.config import ConfigBase
    from memspice.studies.base import Study

    with pytest.raises(ValueError, match="needs loop, or plan and analyse"):
        Study(name="empty", Config=ConfigBase, title="t", description="d", plan=lambda config: [],
              report=lambda result, folder: {}, cost=lambda config: None)


def test_bool_fields_are_flag_pairs(capsys) -> None:
    """A ``bool`` field becomes ``--NAME`` / ``--no-NAME``; without either the config's default holds."""
    import argparse
    from dataclasses import dataclass

    from memspice.cli_study import add_study_command
    from memspice.config import ConfigBase, setting
    from memspice.studies.base import Study

    @dataclass(frozen=True)
    class Switches(ConfigBase):
        paired: bool = setting(True, doc="a yes/no choice")

    study = Study(name="switches", Config=Switches, title="a bool field", description="A study with one bool field.",
                  loop=lambda config, options, *, progress: None, report=lambda result, folder: {},
                  cost=lambda config: None)

    parser = argparse.ArgumentParser()
    add_study_command(parser.add_subparsers(), study)
    for argv, printed in ((["--no-paired"], "paired = false"), (["--paired"], "paired = true"), ([], "paired = true")):
        args = parser.parse_args(["switches", *argv, "--print-config"])
        assert args.handler(args) == 0
        assert capsys.readouterr().out.strip() == printed
    with pytest.raises(SystemExit):
        parser.parse_args(["switches", "--paired", "false"])


def test_matrix_fields_read_a_file(tmp_path, capsys) -> None:
    """A ``tuple[tuple[float, ...], ...]`` field takes a .npy or .csv file; the printed config holds its numbers."""
    import argparse
    import tomllib
    from dataclasses import dataclass

    import numpy as np

    from memspice.cli_study import add_study_command
    from memspice.config import ConfigBase, setting
    from memspice.studies.base import Study

    @dataclass(frozen=True)
    class Table(ConfigBase):
        matrix: tuple[tuple[float, ...], ...] = setting(((0.0,),), doc="a matrix")

    study = Study(name="table", Config=Table, title="a matrix field", description="A study with one matrix field.",
                  loop=lambda config, options, *, progress: None, report=lambda result, folder: {},
                  cost=lambda config: None)

    parser = argparse.ArgumentParser()
    add_study_command(parser.add_subparsers(), study)
    np.save(tmp_path / "m.npy", np.array([[1, 2], [3, 4]]))
    (tmp_path / "m.csv").write_text("1,2\n3,4\n")
    for name in ("m.npy", "m.csv"):
        args = parser.parse_args(["table", "--matrix", str(tmp_path / name), "--print-config"])
        assert args.handler(args) == 0
        assert tomllib.loads(capsys.readouterr().out) == {"matrix": [[1.0, 2.0], [3.0, 4.0]]}
    args = parser.parse_args(["table", "--matrix", str(tmp_path / "missing.npy"), "--print-config"])
    with pytest.raises(ParameterError, match=r"--matrix=.*missing\.npy.*cannot be read"):
        args.handler(args)


@pytest.mark.parametrize(("command", "fragment"), [("models", "--show MODEL"), ("export-va", "--output")])
def test_help_of_the_catalog_commands(command: str, fragment: str, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0 and fragment in capsys.readouterr().out


def test_top_level_help_lists_every_command(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for name in (*STUDY_ARGS, "models", "export-va"):
        assert name in text


def test_a_repeated_table_option_is_refused(tmp_path, capsys) -> None:
    assert main(["hysteresis", "--model", "hp", "--set", "roff=10k", "--set", "roff=20k", "--out", str(tmp_path / "o")]) == 2
    assert "--set roff is given 2 times (10k, 20k); give each name once" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("engine", ["shared", "vacask"])
def test_one_cycle_is_enough(engine: str, tmp_path) -> None:
    """ngspice writes a uic transient from its first step, not t = 0: the study puts the t = 0 row
    back, so --cycles 1 (inside the advertised range) runs instead of being refused."""
    out = tmp_path / "one"
    assert main(["hysteresis", "--model", "hp", "--cycles", "1", "--engine", engine, "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verdicts"]["is_memristor"] and summary["cycles"] == 1


def test_export_va_into_a_folder_is_refused(tmp_path, capsys) -> None:
    assert main(["export-va", "hp", "-o", str(tmp_path)]) == 2
    assert "is a folder; name the .va file to write" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
