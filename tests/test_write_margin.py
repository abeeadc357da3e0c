"""Write margin (issue 5, point 4): the (V_W, pulse width) pass map on real ngspice."""

from __future__ import annotations

import dataclasses
import json
import math

import pandas as pd
import pytest

import memspice.engine
from memspice.engine.options import RunOptions
from memspice.errors import ParameterError
from memspice.flows.grid import Grid
from memspice.studies.write_margin import TABLE_COLUMNS, WriteMarginConfig, run_write_margin, write_write_margin_report
from memspice.studies.write_scheme import WriteSchemeConfig

SHARED = RunOptions(engine="shared")

#: Keys of the bad inputs that belong to the base write-scheme config; the rest are grid axes.
_BASE_KEYS = {"scheme", "rows", "pattern", "targets", "r_wire_ohm", "disturb_tolerance", "model"}


def _config(**kwargs) -> WriteMarginConfig:
    """A 4×4 grid (or the sizes given), ``kwargs`` split between the base config and the grid."""
    small = {} if "sizes" in kwargs else {"rows": 4, "cols": 4}
    base = {**small, **{k: v for k, v in kwargs.items() if k in _BASE_KEYS}}
    return WriteMarginConfig(base=WriteSchemeConfig(**base), **{k: v for k, v in kwargs.items() if k not in _BASE_KEYS})


@pytest.mark.parametrize("kwargs", [
    {"v_write_V": ()}, {"pulse_width_s": ()}, {"v_write_V": (2.0, math.nan)}, {"v_write_V": (-1.0,)},
    {"v_write_V": (0.0,)}, {"pulse_width_s": (50e-9, math.inf)}, {"pulse_width_s": (0.0,)},
    {"v_write_V": 2.0}, {"v_write_V": "2.0"}, {"v_write_V": (True,)}, {"v_write_V": (2.0, 2.0)},
    {"scheme": "v4"}, {"rows": 0}, {"pattern": "stripes"}, {"targets": ((9, 9),)},
    {"r_wire_ohm": -1.0}, {"disturb_tolerance": 0.0}, {"model": "no-such-model"},
    {"sizes": ()}, {"sizes": (4, 0)}, {"sizes": (4, 4)}, {"sizes": (2.5,)}, {"sizes": (True,)}, {"sizes": 4},
    {"sizes": "4,8"}, {"sizes": (1, 4), "targets": ((1, 1),)},  # (1, 1) is outside the 1×1 array
    {"r_wires_ohm": ()}, {"r_wires_ohm": (0.0, -1.0)}, {"r_wires_ohm": (1.0, math.nan)}, {"r_wires_ohm": (1.0, 1.0)},
    {"r_wires_ohm": 5.0}, {"r_wires_ohm": (False,)},
    {"pulse_width_s": (50.0,)}, {"v_write_V": tuple(0.1 * k for k in range(1, 101)), "sizes": tuple(range(1, 22))},
    {"sizes": (4,), "rows": 16}, {"r_wires_ohm": (0.0, 5.0), "r_wire_ohm": 1.0},
])
def test_bad_input_raises_before_simulation(kwargs, monkeypatch):
    def boom(*args, **kw):  # pragma: no cover - reached only if validation is missing
        raise AssertionError("a simulator ran before validation")

    monkeypatch.setattr(memspice.engine, "run", boom)
    with pytest.raises(ParameterError):
        run_write_margin(_config(**kwargs))


def test_bad_engine_raises_before_simulation(monkeypatch):
    monkeypatch.setattr(memspice.engine, "run", lambda *a, **k: pytest.fail("a simulator ran"))
    with pytest.raises(ParameterError):
        run_write_margin(_config(v_write_V=(2.0,), pulse_width_s=(50e-9,)), options=RunOptions(engine="spectre"))


@pytest.mark.parametrize("kwargs, words", [
    ({"sizes": (4, 0)}, ["sizes", "0", "[1, 256]"]),
    ({"sizes": (4, 4)}, ["sizes", "4,4", "once"]),
    ({"sizes": (1, 4), "targets": ((1, 1),)}, ["sizes", "1", "1×1"]),
    ({"r_wires_ohm": (0.0, -1.0)}, ["r_wires_ohm", "-1", "[0, 10000]"]),
    ({"r_wires_ohm": ()}, ["r_wires_ohm", "empty"]),
    ({"sizes": (4,), "rows": 16}, ["base.rows", "16", "sizes"]),
])
def test_sweep_lists_errors_name_parameter_and_value(kwargs, words):
    with pytest.raises(ParameterError) as error:
        _config(**kwargs)
    for word in words:
        assert word in str(error.value)


def test_grid_is_sorted_and_points_carry_shared_fields():
    base = WriteSchemeConfig(rows=4, cols=5, r_wire_ohm=2.0, targets=((1, 2),))
    config = WriteMarginConfig(base=base, v_write_V=(3.2, 1.2, 2.0), pulse_width_s=(50e-9, 10e-9))
    assert config.v_write_V == (1.2, 2.0, 3.2) and config.pulse_width_s == (10e-9, 50e-9)
    point = config.point(2.0, 50e-9)
    assert (point.rows, point.cols, point.r_wire_ohm, point.targets) == (4, 5, 2.0, ((1, 2),))
    assert (point.v_write_V, point.pulse_width_s, point.scheme) == (2.0, 50e-9, "v2")
    # the grid: one write-scheme config per point, V_W fastest
    assert isinstance(config.grid, Grid) and len(config.grid) == config.n_points == 6
    assert all(isinstance(c, WriteSchemeConfig) for c in config.grid.configs())
    assert [(p.coords["pulse_width_s"], p.coords["v_write_V"]) for p in config.grid] == [
        (w, v) for w in (10e-9, 50e-9) for v in (1.2, 2.0, 3.2)]
    assert config.grid.points[4].config == dataclasses.replace(base, v_write_V=2.0, pulse_width_s=50e-9)
    # the config is data: TOML and back give the same grid
    assert WriteMarginConfig.from_dict(config.to_dict()) == config


def test_v2_pass_map_ngspice(tmp_path):
    """Default VTEAM (±1.4 V thresholds), ideal wires, v2 on 4×4:
    1.2 V never switches; 2.0 V switches at 50 ns but not at 10 ns (Δx ≈ (2/1.4 − 1)·k_off/d·10 ns ≈ 0.43 < 0.5);
    3.2 V puts V_W/2 = 1.6 V > 1.4 V on the half-selected cells, so they drift: fail."""
    seen = []
    config = WriteMarginConfig(v_write_V=(1.2, 2.0, 3.2), pulse_width_s=(10e-9, 50e-9),
                               base=WriteSchemeConfig(rows=4, cols=4))
    result = run_write_margin(config, options=SHARED, progress=lambda *args: seen.append(args))
    table = result.table
    assert list(table.columns) == list(TABLE_COLUMNS) and len(table) == 6 and len(seen) == 6
    cell = {(row.v_write_V, row.pulse_width_s): row for row in table.itertuples()}

    assert not cell[1.2, 10e-9].switched and not cell[1.2, 50e-9].switched
    assert not cell[2.0, 10e-9].switched and cell[2.0, 50e-9].switched
    assert cell[3.2, 10e-9].switched and cell[3.2, 50e-9].switched
    for v in (1.2, 2.0):  # half-selected below threshold: rate exactly 0 (up to round-off)
        for width in (10e-9, 50e-9):
            assert cell[v, width].worst_half_selected_abs_d_state <= 1e-9
            assert cell[v, width].worst_half_selected_v_peak_V == pytest.approx(v / 2, rel=1e-2)
    for width in (10e-9, 50e-9):
        assert cell[3.2, width].worst_half_selected_abs_d_state > config.base.disturb_tolerance
        assert cell[3.2, width].worst_unselected_abs_d_state <= 1e-9  # v2: unselected cells see 0 V
    # the disturb grows with the width
    assert cell[3.2, 50e-9].worst_half_selected_abs_d_state > cell[3.2, 10e-9].worst_half_selected_abs_d_state
    passing = {(row.v_write_V, row.pulse_width_s) for row in table.itertuples() if row.passed}
    assert passing == {(2.0, 50e-9)}
    assert (table.energy_J > 0).all()

    written = write_write_margin_report(result, tmp_path)
    assert [name for name in written if not name.endswith(".cir")] == ["write_margin.csv", "write_margin.png",
                                                                       "summary.json"]
    assert sorted(name for name in written if name.endswith(".cir")) == sorted(table.netlist)
    assert "write_scheme_4x4_0ohm_50ns_2V.cir" in written
    assert (tmp_path / "write_margin.png").stat().st_size > 5000
    frame = pd.read_csv(tmp_path / "write_margin.csv")
    assert list(frame.columns) == list(TABLE_COLUMNS) and frame.passed.sum() == 1
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["n_points"] == 6 and summary["n_passed"] == 1
    # every window entry names its (array, r_wire) map, even when there is only one
    one_map = {"rows": 4, "cols": 4, "r_wire_ohm": 0.0}
    assert summary["window"] == [
        {**one_map, "pulse_width_s": 10e-9, "v_write_min_V": None, "v_write_max_V": None, "n_passed": 0,
         "contiguous": True},
        {**one_map, "pulse_width_s": 50e-9, "v_write_min_V": 2.0, "v_write_max_V": 2.0, "n_passed": 1,
         "contiguous": True},
    ]
    assert (summary["rows"], summary["cols"], summary["r_wire_ohm"]) == (4, 4, 0.0)
    assert summary["arrays"] == [[4, 4]] and summary["r_wires_ohm"] == [0.0]


def test_sizes_and_wires_sweep_ngspice(tmp_path):
    """2 sizes × 2 wire resistances × 2 V_W × 1 width = 8 points (about 1 s): 1.2 V is below the
    1.4 V threshold and never switches; 2.0 V at 50 ns switches and V_W/2 = 1 V disturbs nothing."""
    config = WriteMarginConfig(v_write_V=(2.0, 1.2), pulse_width_s=(50e-9,), sizes=(4, 2), r_wires_ohm=(5.0, 0.0),
                               base=WriteSchemeConfig(targets=((1, 1),)))
    assert config.arrays == ((2, 2), (4, 4)) and config.wires == (0.0, 5.0) and config.n_points == 8
    seen = []
    result = run_write_margin(config, options=SHARED, progress=lambda *args: seen.append(args))
    table = result.table
    assert list(table.columns) == list(TABLE_COLUMNS) and len(table) == 8
    assert TABLE_COLUMNS[:5] == ("rows", "cols", "r_wire_ohm", "v_write_V", "pulse_width_s")
    assert [done for done, *_ in seen] == list(range(1, 9)) and {total for _, total, *_ in seen} == {8}
    assert [tuple(row) for row in table[["rows", "cols", "r_wire_ohm", "v_write_V"]].itertuples(index=False)] == [
        (n, n, r, v) for n in (2, 4) for r in (0.0, 5.0) for v in (1.2, 2.0)]
    assert (table.passed == (table.v_write_V == 2.0)).all()
    assert not table[table.v_write_V == 1.2].switched.any()
    assert (table.worst_half_selected_abs_d_state <= 1e-9).all()

    written = write_write_margin_report(result, tmp_path)
    assert [name for name in written if not name.endswith(".cir")] == ["write_margin.csv", "write_margin.png",
                                                                       "summary.json"]
    assert len([name for name in written if name.endswith(".cir")]) == 8
    assert (tmp_path / "write_margin.png").stat().st_size > 20000  # four panels
    frame = pd.read_csv(tmp_path / "write_margin.csv")
    assert list(frame.columns) == list(TABLE_COLUMNS) and len(frame) == 8
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["arrays"] == [[2, 2], [4, 4]] and summary["r_wires_ohm"] == [0.0, 5.0]
    assert summary["rows"] is None and summary["r_wire_ohm"] is None
    assert [(w["rows"], w["cols"], w["r_wire_ohm"]) for w in summary["window"]] == [
        (2, 2, 0.0), (2, 2, 5.0), (4, 4, 0.0), (4, 4, 5.0)]
    assert all((w["v_write_min_V"], w["v_write_max_V"], w["n_passed"]) == (2.0, 2.0, 1) for w in summary["window"])


def test_cli_sweep_lists(tmp_path, capsys):
    from memspice.cli import main

    for argv, words in (
        (["--sizes", "4,x"], ["--sizes", "'x'", "whole number"]),
        (["--sizes", "4,,8"], ["--sizes", "empty"]),
        (["--r-wires", "0,-1"], ["--r-wires", "-1", "[0, 10000]"]),
        (["--sizes", "4", "--rows", "16"], ["--sizes", "--rows"]),
        (["--r-wires", "0,5", "--r-wire", "1"], ["--r-wires", "--r-wire"]),
        (["--v-write", "2.5"], ["--v-write", "--v-writes"]),
        (["--pulse-widths", "50"], ["--pulse-widths", "50"]),
    ):
        assert main(["write-margin", *argv, "--out", str(tmp_path / "x")]) == 2
        message = capsys.readouterr().err
        for word in words:
            assert word in message, (argv, message)
    assert not (tmp_path / "x").exists()
    assert main(["write-margin", "--sizes", "2,3", "--r-wires", "0,2", "--v-writes", "2", "--pulse-widths", "50n",
                 "--engine", "shared", "--out", str(tmp_path / "ok")]) == 0
    captured = capsys.readouterr()
    assert "[4/4] 3x3, r_wire 2 ohm, V_W 2 V" in captured.err
    assert "3x3, r_wire 2 ohm, pulse width 5e-08 s: passing V_W 2 .. 2 V" in captured.out
    assert len(pd.read_csv(tmp_path / "ok" / "write_margin.csv")) == 4


def test_two_workers_give_the_serial_table(tmp_path) -> None:
    """--workers 2 runs the grid's points on a process pool (each its own simulator): the same
    table, point for point, as the serial run."""
    import pandas as pd

    from memspice.cli import main

    argv = ["write-margin", "--rows", "4", "--cols", "4", "--v-writes", "1.6,2.4,3.2", "--pulse-widths", "10n,50n",
            "--engine", "subprocess"]
    assert main([*argv, "--out", str(tmp_path / "serial")]) == 0
    assert main([*argv, "--workers", "2", "--out", str(tmp_path / "pool")]) == 0
    serial, pool = (pd.read_csv(tmp_path / name / "write_margin.csv").drop(columns=["wall_time_s"])
                    for name in ("serial", "pool"))
    pd.testing.assert_frame_equal(serial, pool)
