"""Netlist.saves (issue 16, point 2): the simulators keep only the vectors a study reads, the
result holds only those (plus the scale), with the values of the full result."""

from __future__ import annotations

import numpy as np
import pytest

from memspice.circuits import CrossbarConfig, FixedConductanceCells, add_crossbar
from memspice.engine import run
from memspice.errors import NetlistError
from memspice.netlist import Netlist, Op
from simulators import needs_ngspice, needs_vacask


def _read_bench() -> tuple[Netlist, list[str]]:
    rng = np.random.default_rng(2)
    netlist = Netlist(title="3x4 read with saves")
    nodes = add_crossbar(netlist, CrossbarConfig(3, 4, r_word_ohm=2.0, r_bit_ohm=3.0),
                         FixedConductanceCells(10.0 ** rng.uniform(-6, -3, (3, 4))), inputs_V=[0.1, -0.2, 0.3])
    netlist.analysis = Op()
    sinks = [name for pair in nodes.bit_sources for name in pair if name is not None]
    return netlist, [f"i({name})" for name in sinks] + [f"v({nodes.word_nodes[1, 2]})"]


def test_saves_render_as_ngspice_save_lines_and_a_vacask_save_statement():
    netlist, saves = _read_bench()
    netlist.saves = saves
    assert ".save i(vbb0) i(vbb1) i(vbb2) i(vbb3) v(w1_2)" in netlist.render()
    assert 'save i(vbb0) i(vbb1) i(vbb2) i(vbb3) v(w1_2)' in netlist.render_vacask()
    netlist.saves = ["v(xc0_0.xstate)"]
    assert 'save v("xc0_0:xstate")' in netlist.render_vacask()  # VACASK's hierarchy, quoted


@pytest.mark.parametrize("bad", ["v(a", "i(v1) ; .control", "v(a b)", "p(r1,i)", "v(a,b)"])
def test_a_bad_save_vector_is_refused(bad):
    netlist, _ = _read_bench()
    netlist.saves = [bad]
    with pytest.raises(NetlistError, match="save vector"):
        netlist.render()


@pytest.mark.parametrize("backend", [pytest.param("shared", marks=needs_ngspice),
                                     pytest.param("subprocess", marks=needs_ngspice),
                                     pytest.param("vacask", marks=needs_vacask)])
def test_a_run_with_saves_holds_only_those_with_the_full_runs_values(backend):
    netlist, saves = _read_bench()
    full = run(netlist, backend=backend)
    netlist.saves = saves
    saved = run(netlist, backend=backend)
    expected = ["i(vbb0)_A", "i(vbb1)_A", "i(vbb2)_A", "i(vbb3)_A", "v(w1_2)_V"]
    assert sorted(saved.columns) == sorted(expected)
    assert len(full.columns) > 3 * len(saved.columns)
    for column in expected:
        np.testing.assert_allclose(saved.column(column), full.column(column), rtol=1e-12, atol=1e-18)
