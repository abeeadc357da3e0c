"""Write margin (issue 5, point 4): the (V_W, pulse width) pass map on real ngspice."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from memspice.errors import ParameterError
from memspice.experiments import write_margin as wm
from memspice.experiments.write_margin import (
    TABLE_COLUMNS,
    WriteMarginConfig,
    run_write_margin,
    write_write_margin_report,
)


@pytest.mark.parametrize("kwargs", [
    {"v_write_V": ()}, {"pulse_width_s": ()}, {"v_write_V": (2.0, math.nan)}, {"v_write_V": (-1.0,)},
    {"v_write_V": (0.0,)}, {"pulse_width_s": (50e-9, math.inf)}, {"pulse_width_s": (0.0,)},
    {"v_write_V": 2.0}, {"v_write_V": "2.0"}, {"v_write_V": (True,)}, {"v_write_V": (2.0, 2.0)},
    {"scheme": "v4"}, {"rows": 0}, {"pattern": "stripes"}, {"targets": ((9, 9),)}, {"engine": "spectre"},
    {"r_wire_ohm": -1.0}, {"disturb_tolerance": 0.0}, {"model": "no-such-model"},
])
def test_bad_input_raises_before_simulation(kwargs, monkeypatch):
    def boom(*args, **kw):  # pragma: no cover - reached only if validation is missing
        raise AssertionError("a simulator ran before validation")

    monkeypatch.setattr(wm, "run_write_scheme", boom)
    with pytest.raises(ParameterError):
        run_write_margin(WriteMarginConfig(**{"rows": 4, "cols": 4, **kwargs}))


def test_grid_is_sorted_and_points_carry_shared_fields():
    config = WriteMarginConfig(v_write_V=(3.2, 1.2, 2.0), pulse_width_s=(50e-9, 10e-9), rows=4, cols=5,
                               r_wire_ohm=2.0, targets=((1, 2),), engine="shared")
    assert config.v_write_V == (1.2, 2.0, 3.2) and config.pulse_width_s == (10e-9, 50e-9)
    point = config.point(2.0, 50e-9)
    assert (point.rows, point.cols, point.r_wire_ohm, point.targets) == (4, 5, 2.0, ((1, 2),))
    assert (point.v_write_V, point.pulse_width_s, point.scheme) == (2.0, 50e-9, "v2")


def test_v2_pass_map_ngspice(tmp_path):
    """Default VTEAM (±1.4 V thresholds), ideal wires, v2 on 4×4:
    1.2 V never switches; 2.0 V switches at 50 ns but not at 10 ns (Δx ≈ (2/1.4 − 1)·k_off/d·10 ns ≈ 0.43 < 0.5);
    3.2 V puts V_W/2 = 1.6 V > 1.4 V on the half-selected cells, so they drift: fail."""
    seen = []
    config = WriteMarginConfig(v_write_V=(1.2, 2.0, 3.2), pulse_width_s=(10e-9, 50e-9), rows=4, cols=4,
                               engine="shared")
    result = run_write_margin(config, progress=lambda *args: seen.append(args))
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
        assert cell[3.2, width].worst_half_selected_abs_d_state > config.disturb_tolerance
        assert cell[3.2, width].worst_unselected_abs_d_state <= 1e-9  # v2: unselected cells see 0 V
    # the disturb grows with the width
    assert cell[3.2, 50e-9].worst_half_selected_abs_d_state > cell[3.2, 10e-9].worst_half_selected_abs_d_state
    passing = {(row.v_write_V, row.pulse_width_s) for row in table.itertuples() if row.passed}
    assert passing == {(2.0, 50e-9)}
    assert (table.energy_J > 0).all()

    written = write_write_margin_report(result, tmp_path)
    assert list(written) == ["write_margin.csv", "write_margin.png", "summary.json"]
    assert (tmp_path / "write_margin.png").stat().st_size > 5000
    frame = pd.read_csv(tmp_path / "write_margin.csv")
    assert list(frame.columns) == list(TABLE_COLUMNS) and frame.passed.sum() == 1
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["n_points"] == 6 and summary["n_passed"] == 1
    assert summary["window"] == [
        {"pulse_width_s": 10e-9, "v_write_min_V": None, "v_write_max_V": None, "n_passed": 0, "contiguous": True},
        {"pulse_width_s": 50e-9, "v_write_min_V": 2.0, "v_write_max_V": 2.0, "n_passed": 1, "contiguous": True},
    ]
