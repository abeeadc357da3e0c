"""Write-scheme validation: one write pulse through a crossbar of thresholded memristors.

A ``rows × cols`` array of catalog memristors (initial states from a data pattern) receives
one write pulse on its target cells through a write scheme (:mod:`memspice.circuits.write_schemes`).
A transient (``uic``, states start where the pattern puts them) gives every cell's state
before and after the pulse, the largest |voltage| it saw, and the energy the sources drew.
The scheme passes when every selected cell switched and no other cell drifted more than the
disturb tolerance.

Default device: VTEAM with thresholds ±1.4 V (:data:`WRITE_PARAMS`). With V_W = 2.0 V the
selected cell sees 2.0 V > 1.4 V and switches in a few tens of ns (k_off = 0.3 m/s, d = 3 nm:
dx/dt = (2.0/1.4 − 1)·k_off/d ≈ 4.3e7 /s, so a 50 ns pulse switches it fully, while 10 ns
moves x by ~0.43, short of the default ``switch_threshold`` of 0.5). Half-selected cells see
V_W/2 = 1.0 V (v2) or V_W/3 ≈ 0.67 V (v3), below threshold, so their rate is exactly 0 (V/2
holds for V_W < 2.8 V). VTEAM's polarity: a positive cell voltage raises x (toward OFF); the targets
therefore start at ``target_state0`` = 0 (ON) and a positive pulse switches them to x → 1.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from memspice.circuits.cells import state_nodes
from memspice.circuits.crossbar import CrossbarConfig, CrossbarNodes, add_crossbar
from memspice.circuits.crossbar_cells import CellSite, MemristorCells
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
from memspice.engine import Waveforms, run
from memspice.engine.runner import AUTO, VACASK, resolve_backend
from memspice.errors import ParameterError
from memspice.files import (
    write_csv_atomic,
    write_json_atomic,
    write_text_atomic,
)
from memspice.circuits.patterns import PATTERNS, pattern_values
from memspice.netlist import Netlist, Tran
from memspice.spicelib.presets import WRITE_DEVICE_PARAMS
from memspice.validation import finite_number, positive_int

#: VTEAM parameters of the default write device (:mod:`memspice.spicelib.presets`).
WRITE_PARAMS = WRITE_DEVICE_PARAMS


def state_pattern(rows: int, cols: int, *, pattern: str, state_on: float, state_off: float,
                  seed: int = 0) -> np.ndarray:
    """Initial states under ``pattern`` (:mod:`memspice.circuits.patterns`)."""
    return pattern_values(rows, cols, pattern, on=state_on, off=state_off, seed=seed)


@dataclass(frozen=True)
class WriteSchemeConfig:
    """One write pulse through one scheme. SI units; validated before any simulator starts.

    Attributes
    ----------
    scheme: one of :data:`~memspice.circuits.write_schemes.SCHEMES`.
    rows, cols: array size.
    model, params: catalog memristor and parameter overrides (default VTEAM + :data:`WRITE_PARAMS`).
    v_write_V: write amplitude V_W (> 0; the word side of the selected cell is V_W above its bit side).
    pulse_width_s, rise_s, delay_s: pulse timing (flat top, edges, start).
    r_wire_ohm: resistance of every word- and bit-line segment (Ω, ≥ 0).
    pattern: initial states of the array (:data:`PATTERNS`); ``seed`` for ``random``.
    state_on, state_off: the model states the pattern uses for ON and OFF.
    targets: cells to write, ``((row, col), ...)``; they start at ``target_state0``.
    disturb_tolerance: largest |d_state| allowed on a half-selected or unselected cell.
    switch_threshold: |d_state| a selected cell must reach to count as switched.
    engine: ``auto``, ``shared``, ``subprocess`` or ``vacask``.
    """

    scheme: str = "v2"
    rows: int = 8
    cols: int = 8
    model: str = "vteam"
    params: Mapping[str, Any] = field(default_factory=lambda: dict(WRITE_PARAMS))
    v_write_V: float = 2.0
    pulse_width_s: float = 50e-9
    rise_s: float = 1e-9
    delay_s: float = 5e-9
    r_wire_ohm: float = 0.0
    pattern: str = "worst"
    seed: int = 0
    state_on: float = 0.0
    state_off: float = 1.0
    targets: tuple[tuple[int, int], ...] = ((0, 0),)
    target_state0: float = 0.0
    disturb_tolerance: float = 0.01
    switch_threshold: float = 0.5
    engine: str = AUTO
    timeout_s: float = 3600.0
    pulse: WritePulse = field(init=False, repr=False)
    bias: SchemeBias = field(init=False, repr=False)
    crossbar: CrossbarConfig = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from memspice.spicelib import get_model

        if self.scheme not in SCHEMES:
            raise ParameterError(f"scheme={self.scheme!r} is not known; use one of {', '.join(SCHEMES)}")
        for name in ("rows", "cols"):
            positive_int(getattr(self, name), name)
        v = finite_number(self.v_write_V, "v_write_V")
        if v <= 0:
            raise ParameterError(f"v_write_V={v!r} must be > 0 V (the selected word line is V_W above its bit line)")
        if self.pattern not in PATTERNS:
            raise ParameterError(f"pattern={self.pattern!r} is not allowed; use one of {', '.join(PATTERNS)}")
        for name in ("disturb_tolerance", "switch_threshold"):
            if finite_number(getattr(self, name), name) <= 0:
                raise ParameterError(f"{name}={getattr(self, name)!r} must be > 0")
        r_wire = finite_number(self.r_wire_ohm, "r_wire_ohm")
        if r_wire < 0:
            raise ParameterError(f"r_wire_ohm={r_wire!r} must be >= 0 Ω")
        if finite_number(self.timeout_s, "timeout_s") <= 0:
            raise ParameterError(f"timeout_s={self.timeout_s!r} must be > 0 s")
        try:
            model = get_model(self.model)
        except Exception as error:  # noqa: BLE001 - report any lookup failure as a parameter error
            raise ParameterError(str(error)) from None
        object.__setattr__(self, "params", dict(model.resolve(dict(self.params))))
        object.__setattr__(self, "targets", validate_targets(self.targets, self.rows, self.cols))
        resolve_backend(self.engine, allow_auto=True)
        pulse = WritePulse(v, self.pulse_width_s, self.rise_s, self.rise_s, self.delay_s)
        object.__setattr__(self, "pulse", pulse)
        object.__setattr__(self, "bias", scheme_bias(self.scheme, self.rows, self.cols, self.targets, pulse))
        object.__setattr__(self, "crossbar", CrossbarConfig(self.rows, self.cols, r_word_ohm=r_wire, r_bit_ohm=r_wire))
        self.cells()  # range-checks the states against the model

    def initial_states(self) -> np.ndarray:
        states = state_pattern(self.rows, self.cols, pattern=self.pattern, state_on=self.state_on,
                               state_off=self.state_off, seed=self.seed)
        for r, c in self.targets:
            states[r, c] = self.target_state0
        return states

    def cells(self) -> MemristorCells:
        from memspice.spicelib import get_model

        return MemristorCells(get_model(self.model), self.initial_states(), self.params)


@dataclass(frozen=True)
class WriteSchemeResult:
    config: WriteSchemeConfig
    netlist_text: str
    state_before: np.ndarray
    state_after: np.ndarray
    v_peak_V: np.ndarray
    energy_J: float
    backend: str
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
            "params": {k: v for k, v in config.params.items()},
            "v_write_V": config.v_write_V, "pulse_width_s": config.pulse_width_s, "r_wire_ohm": config.r_wire_ohm,
            "pattern": config.pattern, "targets": [list(t) for t in config.targets],
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
            "engine": self.backend, "engine_requested": config.engine,
            "t_simulate_s": self.t_simulate_s, "t_total_s": self.t_total_s,
        }


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
    stop = pulse.end_s + max(5e-9, pulse.length_s * 0.1)
    netlist.analysis = Tran(step_s=min(pulse.rise_s, pulse.width_s) / 4, stop_s=stop,
                            max_step_s=min(pulse.rise_s, pulse.width_s / 20), uic=True)
    return netlist, nodes, states


def run_write_scheme(config: WriteSchemeConfig) -> WriteSchemeResult:
    """Simulate one write pulse; read states before/after, peak cell voltages and source energy."""
    from memspice.analysis.energy import source_energies

    started = time.perf_counter()
    netlist, nodes, states = build_netlist(config)
    waveforms: Waveforms = run(netlist, backend=config.engine, timeout_s=config.timeout_s, name="write_scheme")
    t_simulate = waveforms.simulate_time_s if waveforms.simulate_time_s is not None else waveforms.wall_time_s
    columns = [f"v({name})_V" for name in states.ravel()]
    data = np.stack([waveforms.column(name) for name in columns], axis=-1)
    before = data[0].reshape(states.shape)
    after = data[-1].reshape(states.shape)
    v_peak = np.abs(nodes.cell_voltages(waveforms, point=None)).max(axis=0)
    energy = float(sum(source_energies(waveforms, netlist).values()))
    return WriteSchemeResult(config=config, netlist_text=waveforms.netlist_text, state_before=before, state_after=after,
                             v_peak_V=v_peak, energy_J=energy, backend=waveforms.backend,
                             t_simulate_s=float(t_simulate), t_total_s=time.perf_counter() - started)


def plot_write_scheme(result: WriteSchemeResult, out_path: Path, *, dpi: int = 120) -> Path:
    """Heat maps of |d_state| and v_peak over the array (selected cells outlined)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    from memspice.analysis.plots import _write_atomically

    config = result.config
    figure = Figure(figsize=(11, 4.6), layout="constrained")
    axes = figure.subplots(1, 2)
    for ax, values, title, label in (
        (axes[0], np.abs(result.d_state), "|Δ state| after the pulse", f"|Δ{config.model} state|"),
        (axes[1], result.v_peak_V, "peak |cell voltage| during the pulse", "V"),
    ):
        image = ax.imshow(values, cmap="viridis", origin="upper", aspect="auto")
        figure.colorbar(image, ax=ax, label=label)
        ax.set_title(title)
        ax.set_xlabel("column (bit line)")
        ax.set_ylabel("row (word line)")
        for r, c in zip(*np.nonzero(result.roles == SELECTED)):
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.5))
    verdict = result.summary()["verdict"]
    figure.suptitle(f"{config.scheme} write, {config.rows}×{config.cols} {config.model}, V_W = {config.v_write_V:g} V, "
                    f"{config.pulse_width_s * 1e9:g} ns, r_wire = {config.r_wire_ohm:g} Ω, pattern {config.pattern}: "
                    f"{verdict}")
    out_path = Path(out_path)
    _write_atomically(figure, out_path, dpi=dpi)
    return out_path


def write_write_scheme_report(result: WriteSchemeResult, out_dir: Path) -> dict[str, Path]:
    """Write ``cells.csv``, ``write_scheme.png``, the netlist and, last, ``summary.json``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)
    rows, cols = result.config.rows, result.config.cols
    r, c = np.indices((rows, cols))
    frame = pd.DataFrame({
        "row": r.ravel(), "col": c.ravel(), "role": result.roles.ravel().astype(str),
        "state_before": result.state_before.ravel(), "state_after": result.state_after.ravel(),
        "d_state": result.d_state.ravel(), "v_peak_V": result.v_peak_V.ravel(),
    })
    written = {"cells.csv": write_csv_atomic(out_dir / "cells.csv", frame)}
    suffix = ".sim" if result.backend == VACASK else ".cir"
    written[f"write_scheme{suffix}"] = write_text_atomic(out_dir / f"write_scheme{suffix}", result.netlist_text)
    written["write_scheme.png"] = plot_write_scheme(result, out_dir / "write_scheme.png")
    written["summary.json"] = write_json_atomic(out_dir / "summary.json", result.summary())
    return written
