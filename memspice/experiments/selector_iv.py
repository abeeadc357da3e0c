"""The selector I–V study: a triangle sweep through both polarities, threshold and hold detected.

The bench (one netlist, runnable with ``ngspice -b``)::

    Vdrive in 0 pwl(0 0, T/4 +A, T/2 0, 3T/4 −A, T 0, ...)   triangle, `cycles` periods
    Vsense in a 0                  i(vsense): the current into the device under test
    [Rseries a wl R]               optional series resistance (else node a is the word line)
    cell between wl and 0          the selector alone (``Xsel wl 0 memspice_ts``), or a 1S1R cell
                                   (memspice.circuits.cells): selector Xdut_s0_0 from wl to node
                                   dut_n0_0, memristor Xdut_c0_0 from there to 0

Detection (:func:`detect_switching`): the selector turns on where its state crosses ½
upwards and releases where it crosses ½ downwards. The threshold is the largest |v| across
the selector between the previous event and the turn-on crossing, the hold voltage the
smallest |v| between the turn-on and the release crossing: for a selector on an ideal source
both are the voltage at the crossing; in series with a load, they are the voltages just
before the snap (the selector voltage collapses as it turns on and jumps up as it releases),
which is what a measurement reads as V_th and V_hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Mapping

import numpy as np
import pandas as pd

from memspice.circuits.cells import SelectorCells, add_cell
from memspice.circuits.crossbar_cells import MemristorCells
from memspice.circuits.memristor import add_memristor
from memspice.engine import run
from memspice.errors import ParameterError
from memspice.files import write_csv_atomic, write_json_atomic, write_text_atomic
from memspice.netlist import Dc, Netlist, Pwl, Resistor, Tran, VoltageSource
from memspice.spicelib.catalog import MemristorModel, ParamValue, get_model

#: The 1S1R demonstration memristor: VTEAM (Kvatinsky et al., IEEE TCAS-II 62(8), 2015) with
#: symmetric ±0.3 V thresholds, 2 kΩ / 20 kΩ, starting ON (x = 0): on a ±1.2 V, 1 ms triangle
#: after the 0.5 V selector snaps it RESETs on the positive branch and SETs on the negative one.
DEMO_1S1R_MEMRISTOR = "vteam"
DEMO_1S1R_PARAMS: dict[str, ParamValue] = {
    "ron": 2e3, "roff": 2e4, "v_on": -0.3, "v_off": 0.3, "k_on": -1e-2, "k_off": 5e-4, "x0": 0.0,
}
DEMO_1S1R_AMPLITUDE_V = 1.2


@dataclass(frozen=True)
class SelectorIVConfig:
    """What to sweep (SI units). Validated on construction, before any simulator starts.

    Attributes
    ----------
    selector: selector model name (:func:`memspice.spicelib.selector.get_selector`) or object.
    selector_params: selector parameter overrides (e.g. ``{"v_th": 0.8}``).
    amplitude_V: peak of the triangle (V), > 0; the sweep goes 0 → +A → 0 → −A → 0.
    period_s: duration of one bipolar triangle (s).
    cycles: number of triangles (>= 1).
    points_per_period: maximum time step = period_s/points_per_period.
    memristor: catalog memristor in series (a 1S1R cell), or None for the selector alone.
    memristor_params: its parameter overrides (its initial state included, e.g. ``x0``).
    series_resistance_ohm: extra series resistance (Ω, >= 0; 0: none).
    engine: engine backend (None: the default).
    """

    selector: str | MemristorModel = "ts"
    selector_params: Mapping[str, ParamValue] = field(default_factory=dict)
    amplitude_V: float = 0.8
    period_s: float = 1e-3
    cycles: int = 1
    points_per_period: int = 4000
    memristor: str | MemristorModel | None = None
    memristor_params: Mapping[str, ParamValue] = field(default_factory=dict)
    series_resistance_ohm: float = 0.0
    engine: str | None = None

    def __post_init__(self) -> None:
        from memspice.spicelib.selector import get_selector

        model = self.selector if isinstance(self.selector, MemristorModel) else get_selector(self.selector)
        object.__setattr__(self, "selector", model)
        object.__setattr__(self, "selector_params", model.resolve(self.selector_params))
        if self.memristor is not None:
            memristor = self.memristor if isinstance(self.memristor, MemristorModel) else get_model(self.memristor)
            object.__setattr__(self, "memristor", memristor)
            object.__setattr__(self, "memristor_params", memristor.resolve(self.memristor_params))
        elif self.memristor_params:
            raise ParameterError("memristor_params are given but memristor is None; name the memristor (e.g. 'vteam')")
        for name, unit, allow_zero in (("amplitude_V", "V", False), ("period_s", "s", False),
                                       ("series_resistance_ohm", "Ω", True)):
            value = getattr(self, name)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if not ok or value < 0 or (value == 0 and not allow_zero):
                bound = ">= 0" if allow_zero else "> 0"
                raise ParameterError(f"{name}={value!r} must be a finite number {bound} {unit}")
            object.__setattr__(self, name, float(value))
        if self.amplitude_V > 100:
            raise ParameterError(f"amplitude_V={self.amplitude_V!r} V is above the 100 V this study allows")
        if not isinstance(self.cycles, int) or isinstance(self.cycles, bool) or not 1 <= self.cycles <= 100:
            raise ParameterError(f"cycles={self.cycles!r} must be an integer in [1, 100]")
        if (not isinstance(self.points_per_period, int) or isinstance(self.points_per_period, bool)
                or not 100 <= self.points_per_period <= 1_000_000):
            raise ParameterError(f"points_per_period={self.points_per_period!r} must be an integer in [100, 1000000]")

    @classmethod
    def demo_1s1r(cls, **overrides: object) -> "SelectorIVConfig":
        """The 1S1R demonstration: default selector + :data:`DEMO_1S1R_PARAMS` VTEAM, ±1.2 V in 1 ms."""
        settings: dict[str, object] = {"memristor": DEMO_1S1R_MEMRISTOR, "memristor_params": dict(DEMO_1S1R_PARAMS),
                                       "amplitude_V": DEMO_1S1R_AMPLITUDE_V}
        settings.update(overrides)
        return cls(**settings)  # type: ignore[arg-type]

    @property
    def selector_model(self) -> MemristorModel:
        return self.selector  # type: ignore[return-value]

    @property
    def memristor_model(self) -> MemristorModel | None:
        return self.memristor  # type: ignore[return-value]

    @property
    def v_th_V(self) -> float:
        return float(self.selector_params["v_th"])

    @property
    def v_hold_V(self) -> float:
        return float(self.selector_params["v_hold"])


@dataclass(frozen=True)
class SwitchingEvent:
    """One selector transition: ``kind`` "on"/"off", polarity +1/−1, time (s), detected voltage
    across the selector (V, signed), the applied and cell voltages (V) and the current (A) at the
    detected point, and the ratio of |I| just after to just before the transition."""

    kind: Literal["on", "off"]
    polarity: int
    time_s: float
    v_selector_V: float
    v_applied_V: float
    v_cell_V: float
    i_A: float
    current_ratio: float

    def as_row(self) -> dict[str, object]:
        return {"kind": self.kind, "polarity": self.polarity, "time_s": self.time_s, "v_selector_V": self.v_selector_V,
                "v_applied_V": self.v_applied_V, "v_cell_V": self.v_cell_V, "i_A": self.i_A,
                "current_ratio": self.current_ratio}


@dataclass(frozen=True)
class SelectorIVResult:
    """The sweep's waveforms (DataFrame, see :func:`write_selector_iv_report`), the switching
    events, the netlist and the engine that ran it."""

    config: SelectorIVConfig
    waveforms: pd.DataFrame
    events: tuple[SwitchingEvent, ...]
    netlist_text: str
    backend: str
    ngspice_version: str
    wall_time_s: float

    def detected(self, kind: Literal["on", "off"], polarity: int) -> float | None:
        """|v| across the selector at the first ``kind`` event of ``polarity`` (+1/−1), or None."""
        for event in self.events:
            if event.kind == kind and event.polarity == polarity:
                return abs(event.v_selector_V)
        return None


def triangle_points(amplitude_V: float, period_s: float, cycles: int) -> tuple[tuple[float, float], ...]:
    """PWL corners of ``cycles`` bipolar triangles: 0 → +A → 0 → −A → 0 per period."""
    shape = (0.0, amplitude_V, 0.0, -amplitude_V)
    points = [(k * period_s / 4.0, shape[k % 4]) for k in range(4 * cycles)]
    return tuple(points) + ((cycles * period_s, 0.0),)


def build_netlist(config: SelectorIVConfig) -> tuple[Netlist, dict[str, str | None]]:
    """The bench; returns the netlist and the nodes to read (``word``, ``middle``, ``selector_state``,
    ``memristor_state``; None where absent)."""
    selector = config.selector_model
    memristor = config.memristor_model
    what = f"1S1R {selector.name} + {memristor.name}" if memristor else f"selector {selector.name}"
    title = f"memspice selector-iv: {what}, triangle +-{config.amplitude_V:g} V, period {config.period_s:g} s"
    # Backward Euler (Gear order 1): L-stable through the selector's ns-scale snaps. Second-order
    # Gear (the memristor models' scheme, spicelib/integration.py) lets its state coast 1.3e-5 past 1.
    netlist = Netlist(title=title, options={"method": "gear", "maxord": 1})
    netlist.add(VoltageSource("drive", "in", "0", Pwl(triangle_points(config.amplitude_V, config.period_s, config.cycles))))
    netlist.add(VoltageSource("sense", "in", "a", Dc(0.0)))
    word = "a"
    if config.series_resistance_ohm > 0:
        netlist.add(Resistor("series", "a", "wl", config.series_resistance_ohm))
        word = "wl"
    nodes: dict[str, str | None] = {"word": word, "middle": None, "selector_state": None, "memristor_state": None}
    if memristor is None:
        placed = add_memristor(netlist, "sel", word, "0", selector, config.selector_params)
        nodes["selector_state"] = placed.state_node
    else:
        x0 = float(config.memristor_params[memristor.state_initial])
        storage = MemristorCells(memristor, np.array([[x0]]), config.memristor_params)
        cells = SelectorCells(storage, selector=selector, selector_values=config.selector_params)
        cell = add_cell(netlist, "dut", cells, word, "0")
        nodes.update(middle=cell.middle, selector_state=cell.selector_state, memristor_state=cell.memristor_state)
    step_s = config.period_s / config.points_per_period
    netlist.analysis = Tran(step_s=step_s, stop_s=config.cycles * config.period_s, max_step_s=step_s)
    netlist.print_vectors = [f"v({word})", "i(vsense)", f"v({nodes['selector_state']})"]
    return netlist, nodes


def detect_switching(time_s: np.ndarray, v_selector_V: np.ndarray, state: np.ndarray, *,
                     window_s: float | None = None, v_applied_V: np.ndarray | None = None,
                     v_cell_V: np.ndarray | None = None, i_A: np.ndarray | None = None) -> list[SwitchingEvent]:
    """Selector transitions from sampled arrays of shape ``(points,)`` (see the module docstring).

    An event is a crossing of ``state`` through ½. Its voltage is the largest (turn-on) or
    smallest (release) |v_selector| within ``window_s`` before the crossing (never further
    back than the previous event); its current ratio compares |I| ``window_s`` after the
    crossing with |I| ``window_s`` before it (on: after/before, off: before/after), so it is
    the size of the snap. ``window_s`` defaults to 0.25 % of the time span. ``v_applied_V``,
    ``v_cell_V`` and ``i_A`` default to ``v_selector_V`` / zeros and are read at the detected point.
    """
    t = np.asarray(time_s, dtype=float)
    vs = np.asarray(v_selector_V, dtype=float)
    s = np.asarray(state, dtype=float)
    va = vs if v_applied_V is None else np.asarray(v_applied_V, dtype=float)
    vc = vs if v_cell_V is None else np.asarray(v_cell_V, dtype=float)
    current = np.zeros_like(vs) if i_A is None else np.asarray(i_A, dtype=float)
    if not (t.shape == vs.shape == s.shape == va.shape == vc.shape == current.shape) or t.ndim != 1 or t.size < 2:
        raise ParameterError("detect_switching needs 1-D arrays of one length >= 2 (time, voltages, state, current)")
    window = 2.5e-3 * float(t[-1] - t[0]) if window_s is None else float(window_s)
    if not (math.isfinite(window) and window > 0):
        raise ParameterError(f"window_s={window_s!r} must be a finite number > 0 s")
    above = s >= 0.5
    crossings = np.flatnonzero(above[1:] != above[:-1])
    magnitude_i = np.abs(current)
    events: list[SwitchingEvent] = []
    previous = 0
    for k in crossings:
        kind: Literal["on", "off"] = "on" if above[k + 1] else "off"
        fraction = (0.5 - s[k]) / (s[k + 1] - s[k])
        t_cross = float(t[k] + fraction * (t[k + 1] - t[k]))
        first = max(previous, int(np.searchsorted(t, t_cross - window)))
        candidates = np.arange(first, k + 2)
        magnitude = np.abs(vs[candidates])
        pick = int(candidates[np.argmax(magnitude)] if kind == "on" else candidates[np.argmin(magnitude)])
        before, after = np.interp([t_cross - window, t_cross + window], t, magnitude_i)
        tiny = 1e-300
        ratio = (after + tiny) / (before + tiny) if kind == "on" else (before + tiny) / (after + tiny)
        polarity = 1 if vs[pick] >= 0 else -1
        events.append(SwitchingEvent(kind, polarity, float(t[pick]), float(vs[pick]), float(va[pick]), float(vc[pick]),
                                     float(current[pick]), float(ratio)))
        previous = k + 1
    return events


def run_selector_iv(config: SelectorIVConfig) -> SelectorIVResult:
    """Simulate the sweep of ``config`` and detect the selector's transitions."""
    netlist, nodes = build_netlist(config)
    waveforms = run(netlist, backend=config.engine, name="selector_iv")
    word = nodes["word"]
    v_cell = waveforms.column(f"v({word})")
    columns: dict[str, np.ndarray] = {
        "time_s": waveforms.column("time"),
        "v_applied_V": waveforms.column("v(in)"),
        "v_V": v_cell,
        "i_A": waveforms.column("i(vsense)"),
    }
    middle = nodes["middle"]
    columns["v_selector_V"] = v_cell - waveforms.column(f"v({middle})") if middle else v_cell.copy()
    columns["state"] = waveforms.column(f"v({nodes['selector_state']})")
    if nodes["memristor_state"]:
        columns["memristor_state"] = waveforms.column(f"v({nodes['memristor_state']})")
    frame = pd.DataFrame(columns)
    events = detect_switching(frame["time_s"].to_numpy(), frame["v_selector_V"].to_numpy(), frame["state"].to_numpy(),
                              window_s=2.5e-3 * config.period_s, v_applied_V=frame["v_applied_V"].to_numpy(), v_cell_V=frame["v_V"].to_numpy(),
                              i_A=frame["i_A"].to_numpy())
    return SelectorIVResult(config=config, waveforms=frame, events=tuple(events), netlist_text=waveforms.netlist_text,
                            backend=waveforms.backend, ngspice_version=waveforms.ngspice_version,
                            wall_time_s=waveforms.wall_time_s)


def _relative_error(detected: float | None, target: float) -> float | None:
    return None if detected is None else detected / target - 1.0


def summary(result: SelectorIVResult) -> dict[str, object]:
    """The numbers of ``summary.json`` (detected vs set thresholds, relative errors, states)."""
    config = result.config
    frame = result.waveforms
    detected: dict[str, object] = {}
    for kind, name, target in (("on", "v_th", config.v_th_V), ("off", "v_hold", config.v_hold_V)):
        for polarity, label in ((1, "positive"), (-1, "negative")):
            value = result.detected(kind, polarity)  # type: ignore[arg-type]
            detected[f"{name}_{label}_V"] = value
            detected[f"{name}_{label}_rel_error"] = _relative_error(value, target)
    memristor = config.memristor_model
    payload: dict[str, object] = {
        "selector": config.selector_model.name,
        "selector_params": dict(config.selector_params),
        "v_th_set_V": config.v_th_V,
        "v_hold_set_V": config.v_hold_V,
        **detected,
        "events": [event.as_row() for event in result.events],
        "state": {"min": float(frame["state"].min()), "max": float(frame["state"].max()), "bounds": [0.0, 1.0]},
        "sweep": {"amplitude_V": config.amplitude_V, "period_s": config.period_s, "cycles": config.cycles,
                  "points_per_period": config.points_per_period, "series_resistance_ohm": config.series_resistance_ohm},
        "memristor": None,
        "engine": {"backend": result.backend, "ngspice_version": result.ngspice_version},
        "wall_time_s": result.wall_time_s,
    }
    if memristor is not None:
        states = frame["memristor_state"]
        payload["memristor"] = {
            "model": memristor.name, "params": dict(config.memristor_params),
            "state_name": memristor.state_name, "state_initial": float(states.iloc[0]),
            "state_min": float(states.min()), "state_max": float(states.max()), "state_final": float(states.iloc[-1]),
        }
    return payload


def _seconds(value_s: float) -> str:
    from memspice.analysis.plots import si_prefix

    scale, prefix = si_prefix(value_s)
    return f"{value_s / scale:.4g} {prefix}s"


def write_selector_iv_report(result: SelectorIVResult, out_dir: Path) -> dict[str, Path]:
    """Write ``selector_iv.cir``, ``iv.csv``, ``events.csv``, ``selector_iv.png`` and, last,
    ``summary.json`` (its presence marks a complete folder) into ``out_dir``.

    ``iv.csv`` columns: ``time_s, v_applied_V, v_V`` (across the device under test: the
    selector, or the whole 1S1R cell), ``i_A, v_selector_V, state`` (selector state) and, for
    1S1R, ``memristor_state``.
    """
    from memspice.analysis.plots import SwitchingMark, plot_selector_iv

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)
    config = result.config
    written: dict[str, Path] = {}
    written["selector_iv.cir"] = write_text_atomic(out_dir / "selector_iv.cir", result.netlist_text)
    written["iv.csv"] = write_csv_atomic(out_dir / "iv.csv", result.waveforms)
    written["events.csv"] = write_csv_atomic(
        out_dir / "events.csv", pd.DataFrame([event.as_row() for event in result.events],
                                             columns=list(SwitchingEvent.__dataclass_fields__)))
    marks = [
        SwitchingMark(kind=event.kind, v_V=event.v_cell_V, i_A=event.i_A,
                      label=(f"{'V_th  ' if event.kind == 'on' else 'V_hold'} {event.v_selector_V:+.4f} V "
                             f"(set {config.v_th_V if event.kind == 'on' else config.v_hold_V:g} V) "
                             f"at t = {_seconds(event.time_s)}"))
        for event in result.events
    ]
    frame = result.waveforms
    states = {"selector s": frame["state"].to_numpy()}
    memristor = config.memristor_model
    if memristor is not None:
        states[f"memristor {memristor.state_name} ({memristor.name})"] = frame["memristor_state"].to_numpy()
    selector = config.selector_model
    what = f"1S1R: {selector.name} selector + {memristor.name} memristor" if memristor else f"{selector.title} ({selector.name})"
    note = (f"set: V_th = {config.v_th_V:g} V, V_hold = {config.v_hold_V:g} V\n"
            f"R_on = {float(config.selector_params['r_on_s']):g} Ω, R_off = {float(config.selector_params['r_off_s']):g} Ω")
    written["selector_iv.png"] = plot_selector_iv(
        frame["v_V"].to_numpy(), frame["i_A"].to_numpy(), out_dir / "selector_iv.png",
        time_s=frame["time_s"].to_numpy(), states=states, marks=marks,
        title=f"{what}: triangle ±{config.amplitude_V:g} V in {_seconds(config.period_s)}",
        x_label="Voltage across the cell (V)" if memristor else "Voltage across the selector (V)", note=note,
    )
    written["summary.json"] = write_json_atomic(out_dir / "summary.json", summary(result))
    return written
