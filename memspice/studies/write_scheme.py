"""Write-scheme validation: one write pulse through a crossbar of thresholded memristors.

A ``rows × cols`` array of catalog memristors (initial states from a data pattern,
:mod:`memspice.circuits.patterns`) receives one write pulse on its target cells through a
write scheme (:mod:`memspice.circuits.write_schemes`). A transient (``uic``, states start
where the pattern puts them) gives every cell's state before and after the pulse, the
largest |voltage| it saw, and the energy the sources drew. The scheme passes when every
selected cell switched and no other cell drifted more than the disturb tolerance.

Default device: VTEAM with thresholds ±1.4 V (:data:`memspice.spicelib.presets.WRITE_DEVICE_PARAMS`;
any other model starts from its catalog defaults, :func:`~memspice.spicelib.presets.default_params`).
With V_W = 2.0 V the selected cell sees 2.0 V > 1.4 V and switches in a few tens of ns
(k_off = 0.3 m/s, d = 3 nm: dx/dt = (2.0/1.4 − 1)·k_off/d ≈ 4.3e7 /s, so a 50 ns pulse switches
it fully, while 10 ns moves x by ~0.43, short of the default ``switch_threshold`` of 0.5).
Half-selected cells see V_W/2 = 1.0 V (v2) or V_W/3 ≈ 0.67 V (v3), below threshold, so their
rate is exactly 0 (V/2 holds for V_W < 2.8 V). VTEAM's polarity: a positive cell voltage raises
x (toward OFF); the targets therefore start at ``target_state0`` = 0 (ON) and a positive pulse
switches them to x → 1.

The bench is one netlist; the saved ``write_scheme.cir`` runs with ``ngspice -b``, and a
``write_scheme.sim`` (VACASK) with ``vacask`` in its folder, beside the Verilog-A source and
compiled module it loads.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from memspice.analysis.crossbar_readers import cell_voltages
from memspice.circuits.cells import state_nodes
from memspice.circuits.crossbar import CrossbarConfig, CrossbarNodes, add_crossbar
from memspice.circuits.crossbar_cells import CellSite, MemristorCells
from memspice.circuits.patterns import PATTERNS, pattern_values
from memspice.circuits.write_schemes import (
    HALF_SELECTED,
    SCHEMES,
    SELECTED,
    UNSELECTED,
    SchemeBias,
    WritePulse,
    scheme_bias,
    validate_targets,
)
from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine import Waveforms
from memspice.engine.options import RunOptions
from memspice.errors import ParameterError
from memspice.netlist import Netlist, Tran
from memspice.spicelib.catalog import MemristorModel, get_model
from memspice.spicelib.presets import default_params
from memspice.engine.budget import RunCost, array_cost, transient_points
from memspice.spicelib.variation import PopulationConfig
from memspice.studies.base import Job, ProgressCallback, Study, register_study, run_plan
from memspice.studies.report import netlist_files, write_report

if TYPE_CHECKING:  # pandas is imported where a table is built, not with the study
    import pandas as pd

#: Largest number of word lines (and of bit lines) of the array.
MAX_LINES = 256
#: Largest number of maximum time steps (stop time / max step) of the write transient.
MAX_TIME_STEPS = 200_000
#: File stem of the bench's netlist.
NETLIST_STEM = "write_scheme"


@dataclass(frozen=True)
class WriteSchemeConfig(ConfigBase):
    """One write pulse through one scheme (SI units), validated before any simulator starts.

    ``params`` are overrides of the model's write preset (:func:`~memspice.spicelib.presets.default_params`:
    the ±1.4 V write device for VTEAM, the catalog defaults otherwise); after construction they
    hold every parameter, resolved and range-checked. ``state_on``/``state_off`` are the model
    states the data pattern uses for ON and OFF; the targets start at ``target_state0``.
    """

    scheme: str = setting("v2", choices=SCHEMES, doc="biasing scheme of the unselected lines")
    rows: int = setting(8, low=1, high=MAX_LINES, doc="word lines of the array")
    cols: int = setting(8, low=1, high=MAX_LINES, doc="bit lines of the array")
    model: str = setting("vteam", doc="catalog memristor (`memspice models`; vteam starts from the ±1.4 V write device)")
    params: Mapping[str, Any] = setting(
        default_factory=dict, cli="set", doc="model parameter overrides, SI units, e.g. v_off=1.2 or roff=200k",
    )
    v_write_V: float = setting(
        2.0, unit="V", low=0.0, low_open=True, high=20.0, cli="v-write",
        doc="write amplitude V_W (the selected word line is V_W above its bit line)",
    )
    pulse_width_s: float = setting(50e-9, unit="s", low=1e-12, high=10e-6, cli="pulse-width", doc="flat top of the pulse")
    rise_s: float = setting(1e-9, unit="s", low=1e-12, high=1e-6, cli="rise", doc="rise and fall time of the pulse")
    delay_s: float = setting(5e-9, unit="s", low=0.0, high=1e-6, cli="delay", doc="start of the pulse")
    r_wire_ohm: float = setting(
        0.0, unit="Ω", low=0.0, high=1e4, cli="r-wire", doc="resistance of every word- and bit-line segment",
    )
    pattern: str = setting("worst", choices=PATTERNS, doc="initial states of the other cells (worst: all ON)")
    seed: int = setting(0, low=0, high=10**9, doc="seed of the random pattern")
    state_on: float = setting(0.0, doc="model state of an ON cell (within the model's state bounds)")
    state_off: float = setting(1.0, doc="model state of an OFF cell (within the model's state bounds)")
    targets: tuple[tuple[int, int], ...] = setting(
        ((0, 0),), low=0, high=MAX_LINES - 1, cli="target",
        doc="cells to write as ROW,COL pairs separated by ';' (e.g. 3,4;5,1)",
    )
    target_state0: float = setting(0.0, doc="initial state of the targets (within the model's state bounds)")
    disturb_tolerance: float = setting(
        0.01, low=0.0, low_open=True, high=1e6, unit="model state",
        doc="largest |Δstate| allowed on a half-selected or unselected cell",
    )
    switch_threshold: float = setting(
        0.5, low=0.0, low_open=True, high=1e6, unit="model state",
        doc="|Δstate| a selected cell must reach to count as switched",
    )
    population: PopulationConfig = setting(
        default_factory=PopulationConfig,
        doc="device population: model parameters drawn per cell from --seed (--vary NAME=KIND:SPREAD)",
    )

    def check(self) -> None:
        try:
            model = get_model(self.model)
        except ParameterError as error:
            raise ConfigError("model", self.model, "a model name from `memspice models`", reason=f"is unknown ({error})") from None
        overrides = {**default_params(self.model), **model.parse_overrides(self.params)}
        object.__setattr__(self, "params", types.MappingProxyType(model.resolve(overrides)))
        try:
            object.__setattr__(self, "targets", validate_targets(self.targets, self.rows, self.cols))
        except ParameterError as error:
            raise ConfigError("targets", self.targets, f"distinct cells inside the {self.rows} × {self.cols} array",
                              reason=f"is not allowed ({error})") from None
        state = model.parameter(model.state_initial)
        for name in ("state_on", "state_off", "target_state0"):
            value = getattr(self, name)
            low, high = state.bounds
            if not low <= value <= high:
                raise ConfigError(name, value, f"{state.range_text()} (the state of {model.name})")
            model.resolve({**self.params, model.state_initial: value})
        self.population.refuse_conductance_variation(f"{model.name} memristors")
        self.population.refuse_cycle_variation("write-scheme")
        self.cell_params  # draws (and so checks) the varied parameters
        pulse = self.pulse
        max_step = min(pulse.rise_s, pulse.width_s / 20)
        steps = self.stop_s / max_step
        if steps > MAX_TIME_STEPS:
            name = "rise_s" if pulse.rise_s < pulse.width_s / 20 else "pulse_width_s"
            raise ConfigError(name, getattr(self, name), f"a pulse whose transient needs at most {MAX_TIME_STEPS} "
                              f"maximum steps (stop {self.stop_s:g} s / max step {max_step:g} s = {steps:.3g})",
                              reason="needs too many time steps")

    @functools.cached_property
    def pulse(self) -> WritePulse:
        """The write pulse (amplitude, width, edges, delay)."""
        return WritePulse(self.v_write_V, self.pulse_width_s, self.rise_s, self.rise_s, self.delay_s)

    @functools.cached_property
    def bias(self) -> SchemeBias:
        """Line levels, terminations and cell roles of the scheme."""
        return scheme_bias(self.scheme, self.rows, self.cols, self.targets, self.pulse)

    @property
    def crossbar(self) -> CrossbarConfig:
        return CrossbarConfig(self.rows, self.cols, r_word_ohm=self.r_wire_ohm, r_bit_ohm=self.r_wire_ohm)

    @property
    def stop_s(self) -> float:
        """End of the transient: the pulse's end plus a tail (s)."""
        return self.pulse.end_s + max(5e-9, self.pulse.length_s * 0.1)

    @property
    def catalog_model(self) -> MemristorModel:
        return get_model(self.model)

    def initial_states(self) -> np.ndarray:
        """``(rows, cols)`` states before the pulse: the pattern, with the targets at ``target_state0``."""
        states = pattern_values(self.rows, self.cols, self.pattern, on=self.state_on, off=self.state_off, seed=self.seed)
        for r, c in self.targets:
            states[r, c] = self.target_state0
        return states

    def cells(self) -> MemristorCells:
        return MemristorCells(self.catalog_model, self.initial_states(), self.params, self.cell_params)

    @functools.cached_property
    def cell_params(self) -> dict[str, np.ndarray]:
        """The model parameters drawn per cell by the population (name -> ``(rows, cols)``)."""
        return self.population.draw_parameters(self.catalog_model, self.params, (self.rows, self.cols), self.seed)


@dataclass(frozen=True)
class WriteSchemeResult:
    """One write: states before and after, peak |cell voltage| (all ``(rows, cols)``), the energy
    drawn (J), the netlist that ran and, for VACASK, the module files it loads (name -> bytes)."""

    config: WriteSchemeConfig
    netlist_name: str
    netlist_text: str
    modules: Mapping[str, bytes]
    state_before: np.ndarray
    state_after: np.ndarray
    v_peak_V: np.ndarray
    energy_J: float
    backend: str
    engine_version: str
    t_simulate_s: float
    t_total_s: float

    @property
    def d_state(self) -> np.ndarray:
        return self.state_after - self.state_before

    @property
    def roles(self) -> np.ndarray:
        return self.config.bias.roles

    def corners(self) -> dict[str, dict[str, Any]]:
        """IR-drop report: role and peak |voltage| of the cell nearest to both its word-line driver
        and its bit-line sink (``near``: row rows−1, column 0) and of the farthest one (``far``:
        row 0, column cols−1), which sits behind the whole word line and the whole bit line."""
        config = self.config
        cells = {"near": (config.rows - 1, 0), "far": (0, config.cols - 1)}
        return {name: {"cell": [r, c], "role": str(self.roles[r, c]), "v_peak_V": float(self.v_peak_V[r, c])}
                for name, (r, c) in cells.items()}

    def summary(self) -> dict[str, Any]:
        """The JSON-ready summary: per-target switch, worst disturbs, corners, energy, verdict, engine."""
        config = self.config
        d = np.abs(self.d_state)
        roles = self.roles

        def worst(values: np.ndarray, role: str) -> float | None:
            chosen = values[roles == role]
            return float(chosen.max()) if chosen.size else None

        switched = {f"{r},{c}": bool(d[r, c] >= config.switch_threshold) for r, c in config.targets}
        worst_half = worst(d, HALF_SELECTED)
        worst_un = worst(d, UNSELECTED)
        disturb_ok = all(x is None or x <= config.disturb_tolerance for x in (worst_half, worst_un))
        selected = self.v_peak_V[roles == SELECTED]
        return {
            "scheme": config.scheme, "rows": config.rows, "cols": config.cols, "model": config.model,
            "params": dict(config.params),
            "v_write_V": config.v_write_V, "pulse_width_s": config.pulse_width_s, "r_wire_ohm": config.r_wire_ohm,
            "pattern": config.pattern, "targets": [list(t) for t in config.targets],
            "seed": config.seed, "population": config.population.to_dict(),
            "word_levels_V": [None if math.isnan(x) else float(x) for x in config.bias.word_levels_V],
            "bit_levels_V": [None if math.isnan(x) else float(x) for x in config.bias.bit_levels_V],
            "role_counts": config.bias.role_counts(),
            "selected_switched": switched,
            "all_selected_switched": all(switched.values()),
            "selected_min_v_peak_V": float(selected.min()),
            "selected_v_peak_V": {f"{r},{c}": float(self.v_peak_V[r, c]) for r, c in zip(*np.nonzero(roles == SELECTED))},
            "corners": self.corners(),
            "worst_half_selected_abs_d_state": worst_half,
            "worst_unselected_abs_d_state": worst_un,
            "worst_half_selected_v_peak_V": worst(self.v_peak_V, HALF_SELECTED),
            "worst_unselected_v_peak_V": worst(self.v_peak_V, UNSELECTED),
            "disturb_tolerance": config.disturb_tolerance,
            "switch_threshold": config.switch_threshold,
            "energy_J": self.energy_J,
            "verdict": "pass" if all(switched.values()) and disturb_ok else "fail",
            "engine": {"backend": self.backend, "version": self.engine_version},
            "netlists": [self.netlist_name, *sorted(self.modules)],
            "t_simulate_s": self.t_simulate_s, "t_total_s": self.t_total_s,
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """``cells``: row, col, role, state_before, state_after, d_state, v_peak_V (one row per cell)."""
        import pandas as pd

        r, c = np.indices((self.config.rows, self.config.cols))
        return {"cells": pd.DataFrame({
            "row": r.ravel(), "col": c.ravel(), "role": self.roles.ravel().astype(str),
            "state_before": self.state_before.ravel(), "state_after": self.state_after.ravel(),
            "d_state": self.d_state.ravel(), "v_peak_V": self.v_peak_V.ravel(),
            **{name: values.ravel() for name, values in self.config.cell_params.items()},
        })}


def build_netlist(config: WriteSchemeConfig) -> tuple[Netlist, CrossbarNodes, np.ndarray]:
    """The write bench: array, scheme terminations, a ``uic`` transient over the pulse.
    Returns the netlist, the crossbar nodes and the ``(rows, cols)`` state node names."""
    netlist = Netlist(title=(f"memspice write scheme {config.scheme}: {config.rows}x{config.cols} {config.model}, "
                             f"V_W {config.v_write_V:g} V, {config.pulse_width_s:g} s, r_wire {config.r_wire_ohm:g} ohm, "
                             f"pattern {config.pattern}"))
    cells = config.cells()
    bias = config.bias
    nodes = add_crossbar(netlist, config.crossbar, cells, word_lines=list(bias.word_lines),
                         bit_lines=list(bias.bit_lines))
    site = CellSite(prefix=nodes.prefix, word_nodes=nodes.word_nodes, bit_nodes=nodes.bit_nodes)
    states = state_nodes(cells, site)["memristor"]
    pulse = config.pulse
    netlist.analysis = Tran(step_s=min(pulse.rise_s, pulse.width_s) / 4, stop_s=config.stop_s,
                            max_step_s=min(pulse.rise_s, pulse.width_s / 20), uic=True)
    # A table of the targets' states for a person running the saved netlist with `ngspice -b`.
    netlist.print_vectors = [f"v({states[r, c]})" for r, c in config.targets]
    # No Netlist.saves: analyse() reads every vector but the drivers' own nodes, and VACASK's
    # float-scheme transient (floating lines) takes other time steps when a save list changes
    # its node order, so saving the subset would cost exactness and gain nothing.
    return netlist, nodes, states


def plan(config: WriteSchemeConfig) -> list[Job]:
    """One transient: the write pulse on the whole array."""
    netlist, _, _ = build_netlist(config)
    return [Job(NETLIST_STEM, netlist, f"{config.rows}x{config.cols} {config.scheme} write")]


def analyse(config: WriteSchemeConfig, jobs: Sequence[Job], outputs: Sequence[Waveforms]) -> WriteSchemeResult:
    """States before/after, peak cell voltages and source energy out of the transient's waveforms."""
    from memspice.analysis.energy import source_energies
    started = time.perf_counter()
    (job,), (waveforms,) = jobs, outputs
    _, nodes, states = build_netlist(config)  # the node names (the job's netlist has the same)
    state_columns = np.char.add(np.char.add("v(", states.astype(str)), ")_V")
    state_before, state_after = waveforms.family(state_columns, point=0), waveforms.family(state_columns, point=-1)
    v_peak = np.abs(cell_voltages(nodes, waveforms, point=None)).max(axis=0)
    energy = float(sum(source_energies(waveforms, job.netlist).values()))
    modules = netlist_files(waveforms)
    t_simulate = waveforms.simulate_time_s if waveforms.simulate_time_s is not None else waveforms.wall_time_s
    return WriteSchemeResult(
        config=config, netlist_name=f"{job.name}{waveforms.netlist_suffix}", netlist_text=waveforms.netlist_text,
        modules=dict(modules), state_before=state_before,
        state_after=state_after, v_peak_V=v_peak, energy_J=energy, backend=waveforms.backend,
        engine_version=waveforms.engine_version, t_simulate_s=float(t_simulate),
        t_total_s=waveforms.wall_time_s + time.perf_counter() - started,
    )


def run_write_scheme(
    config: WriteSchemeConfig, *, options: RunOptions | None = None, progress: ProgressCallback | None = None,
) -> WriteSchemeResult:
    """Simulate one write pulse; read states before/after, peak cell voltages and source energy."""
    started = time.perf_counter()
    result = run_plan(plan, analyse, config, options, progress=progress)
    return dataclasses.replace(result, t_total_s=time.perf_counter() - started)


def write_scheme_title(result: WriteSchemeResult) -> str:
    """The figure's title: scheme, array, pulse, wires, pattern and the verdict."""
    config = result.config
    return (f"{config.scheme} write, {config.rows}×{config.cols} {config.model}, V_W = {config.v_write_V:g} V, "
            f"{config.pulse_width_s * 1e9:g} ns, r_wire = {config.r_wire_ohm:g} Ω, pattern {config.pattern}: "
            f"{result.summary()['verdict']}")


def write_write_scheme_report(result: WriteSchemeResult, out_dir: Path) -> dict[str, Path]:
    """Write the netlist (with the modules a VACASK netlist loads), ``cells.csv``,
    ``write_scheme.png`` and, last, ``summary.json``."""
    from memspice.analysis.write_plots import plot_write_scheme

    def figure(path: Path) -> Path:
        return plot_write_scheme(np.abs(result.d_state), result.v_peak_V, result.roles == SELECTED, path,
                                 state_label=f"|Δ{result.config.model} state|", title=write_scheme_title(result))

    return write_report(
        out_dir,
        texts={result.netlist_name: result.netlist_text},
        files=result.modules,
        tables={f"{name}.csv": frame for name, frame in result.tables().items()},
        figures={"write_scheme.png": figure},
        summary=result.summary(),
    )


_EPILOG = """\
outputs in DIR:
  cells.csv          row,col,role,state_before,state_after,d_state,v_peak_V
  write_scheme.png   heat maps of |Δstate| and peak |cell voltage|
  summary.json       switched per target, worst disturb, corners, energy, pass/fail
  write_scheme.cir   the netlist (`ngspice -b write_scheme.cir` runs it), or write_scheme.sim
                     for VACASK with the .va source and .osdi module it loads (`vacask write_scheme.sim`)

example:
  memspice write-scheme --scheme v2 --rows 16 --cols 16 --v-write 2 --pulse-width 50n --r-wire 1 --target 3,4 --out out/v2
"""


_TITLE = "validate a V/2, V/3 or floating half-select write on a memristor array"
_DESCRIPTION = (
    "Apply one write pulse to the target cells of a rows x cols memristor array through a half-select "
    "scheme, simulate the transient, and report whether each selected cell switched and how far every "
    "half-selected and unselected cell moved (disturb), with the peak voltage each cell saw and the energy "
    "drawn. Schemes: v2 (unselected lines at V_W/2), v2_symmetric (Prezioso: +V_W/2 on the selected word "
    "line, -V_W/2 on the selected bit line, others grounded), v3 (V_W/3 and 2V_W/3), float (unselected lines "
    "open). Default device: VTEAM with +-1.4 V thresholds, so V/2 holds below V_W = 2.8 V."
)


def _g(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def summary_lines(result: WriteSchemeResult) -> list[str]:
    s = result.summary()
    near, far = s["corners"]["near"], s["corners"]["far"]
    return [
        f"selected switched: {s['selected_switched']}; worst half-selected |d_state| "
        f"{_g(s['worst_half_selected_abs_d_state'])} (v_peak {_g(s['worst_half_selected_v_peak_V'])} V); "
        f"worst unselected |d_state| {_g(s['worst_unselected_abs_d_state'])}; v_peak near corner "
        f"{near['cell']} ({near['role']}) {near['v_peak_V']:.3g} V, far corner {far['cell']} ({far['role']}) "
        f"{far['v_peak_V']:.3g} V; energy {s['energy_J']:.3g} J -> {s['verdict']}",
    ]


def cost(config: WriteSchemeConfig) -> RunCost:
    """One transient of the whole array over the pulse, at its maximum step."""
    pulse = config.pulse
    return array_cost(f"a {config.rows}x{config.cols} write transient", config.rows, config.cols, device="memristor",
                      wires=config.r_wire_ohm > 0,
                      time_points=transient_points(config.stop_s, min(pulse.rise_s, pulse.width_s / 20)),
                      points_option="--pulse-width")


STUDY = register_study(Study(
    name="write-scheme", Config=WriteSchemeConfig, title=_TITLE, description=_DESCRIPTION, epilog=_EPILOG,
    plan=plan, analyse=analyse, loop=run_write_scheme, cost=cost, report=write_write_scheme_report,
    summary_lines=summary_lines,
))
