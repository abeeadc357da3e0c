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
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence

import numpy as np

from memspice.circuits.cells import SelectorCells, add_cell
from memspice.circuits.crossbar_cells import MemristorCells
from memspice.circuits.memristor import add_memristor
from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine import Waveforms
from memspice.engine.options import RunOptions
from memspice.errors import ParameterError
from memspice.netlist import Dc, Netlist, Pwl, Resistor, Tran, VoltageSource
from memspice.spicelib.catalog import MemristorModel, ParamValue, get_model, lookup_model
from memspice.engine.budget import RunCost
from memspice.studies.base import Job, ProgressCallback, Study, register_study
from memspice.studies.report import netlist_files, write_report

if TYPE_CHECKING:  # pandas is imported where a table is built, not with the study
    import pandas as pd

#: The 1S1R demonstration memristor: VTEAM (Kvatinsky et al., IEEE TCAS-II 62(8), 2015) with
#: symmetric ±0.3 V thresholds, 2 kΩ / 20 kΩ, starting ON (x = 0): on a ±1.2 V, 1 ms triangle
#: after the 0.5 V selector snaps it RESETs on the positive branch and SETs on the negative one.
DEMO_1S1R_MEMRISTOR = "vteam"
DEMO_1S1R_PARAMS: dict[str, ParamValue] = {
    "ron": 2e3, "roff": 2e4, "v_on": -0.3, "v_off": 0.3, "k_on": -1e-2, "k_off": 5e-4, "x0": 0.0,
}
DEMO_1S1R_AMPLITUDE_V = 1.2


#: Default triangle peak (V) of the selector alone: above its 0.5 V threshold.
DEFAULT_AMPLITUDE_V = 0.8
#: Most time points one sweep may have (``cycles × points_per_period``): a run that finishes
#: in well under a minute and a few hundred MB of waveforms.
MAX_TIME_POINTS = 2_000_000


@dataclass(frozen=True)
class SelectorIVConfig(ConfigBase):
    """What to sweep (SI units). Validated on construction, before any simulator starts.

    ``selector`` is a selector name (:func:`memspice.spicelib.selector.get_selector`) and
    ``memristor`` a catalog memristor name, or, from Python, :class:`MemristorModel` objects.
    Parameter overrides may be text with SPICE suffixes (``"2k"``); after construction
    ``selector_params`` and ``memristor_params`` hold every parameter, resolved and
    range-checked, and ``amplitude_V`` the peak that is swept.

    ``demo_1s1r=True`` is the 1S1R demonstration: the default selector in series with the
    :data:`DEMO_1S1R_PARAMS` VTEAM memristor (``memristor`` defaults to ``vteam`` and may
    only be that), its parameters under any ``memristor_params`` given, swept to
    :data:`DEMO_1S1R_AMPLITUDE_V` unless ``amplitude_V`` is given.
    """

    selector: Any = setting("ts", doc="selector model (ts: volatile threshold switch)")
    selector_params: Mapping[str, Any] = setting(
        default_factory=dict, cli="set",
        doc="selector parameter overrides, SI units: r_on_s, r_off_s, v_th, v_hold, tau, s0 (e.g. v_th=0.8)",
    )
    amplitude_V: float | None = setting(
        None, unit="V", low=0.0, low_open=True, high=100.0, cli="amplitude",
        doc=f"triangle peak; default {DEFAULT_AMPLITUDE_V:g} V ({DEMO_1S1R_AMPLITUDE_V:g} V with --demo-1s1r)",
    )
    period_s: float = setting(
        1e-3, unit="s", low=0.0, low_open=True, high=1e3, cli="period",
        doc="duration of one bipolar triangle 0 -> +A -> 0 -> -A -> 0",
    )
    cycles: int = setting(1, low=1, high=100, doc="number of triangles")
    points_per_period: int = setting(
        4000, low=100, high=1_000_000,
        doc=f"time points per triangle (maximum time step = period / this; at most {MAX_TIME_POINTS:.0e} in all)",
    )
    memristor: Any | None = setting(None, doc="catalog memristor in series (a 1S1R cell); default: the selector alone")
    memristor_params: Mapping[str, Any] = setting(
        default_factory=dict, cli="mset",
        doc="parameter overrides of the series memristor, SI units, its initial state included (e.g. x0=0)",
    )
    series_resistance_ohm: float = setting(
        0.0, unit="Ω", low=0.0, high=1e9, cli="series-r", doc="extra series resistance (0: none)",
    )
    demo_1s1r: bool = setting(
        False, doc="the 1S1R demo: selector + VTEAM (+-0.3 V thresholds, 2k/20k, starting ON), both snaps visible",
    )

    def check(self) -> None:
        from memspice.spicelib.selector import get_selector

        selector = lookup_model(self.selector, path="selector", lookup=get_selector,
                                allowed="a selector name (e.g. ts) or a MemristorModel")
        object.__setattr__(self, "selector_params", selector.resolve_text(self.selector_params))
        memristor_params = dict(self.memristor_params)
        if self.demo_1s1r:
            if self.memristor is None:
                object.__setattr__(self, "memristor", DEMO_1S1R_MEMRISTOR)
            elif _name(self.memristor) != DEMO_1S1R_MEMRISTOR:
                raise ConfigError("memristor", _name(self.memristor), f"{DEMO_1S1R_MEMRISTOR} or none",
                                  reason="cannot be the memristor of the 1S1R demo (demo_1s1r), which is VTEAM")
            memristor_params = {**DEMO_1S1R_PARAMS, **memristor_params}
        if self.memristor is not None:
            memristor = lookup_model(self.memristor, path="memristor")
            object.__setattr__(self, "memristor_params", memristor.resolve_text(memristor_params))
        elif memristor_params:
            raise ConfigError("memristor_params", None, "the memristor too (e.g. memristor = vteam)",
                              reason="are given but memristor is None")
        if self.amplitude_V is None:
            object.__setattr__(self, "amplitude_V", DEMO_1S1R_AMPLITUDE_V if self.demo_1s1r else DEFAULT_AMPLITUDE_V)
        if self.cycles * self.points_per_period > MAX_TIME_POINTS:
            raise ConfigError("points_per_period", self.points_per_period,
                              f"at most {MAX_TIME_POINTS // self.cycles} with {self.cycles} cycles",
                              reason=f"gives more than {MAX_TIME_POINTS:.0e} time points (cycles x points per period)")

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["selector"] = _name(self.selector)
        data["memristor"] = None if self.memristor is None else _name(self.memristor)
        return data

    @property
    def selector_model(self) -> MemristorModel:
        from memspice.spicelib.selector import get_selector

        return self.selector if isinstance(self.selector, MemristorModel) else get_selector(self.selector)

    @property
    def memristor_model(self) -> MemristorModel | None:
        if self.memristor is None:
            return None
        return self.memristor if isinstance(self.memristor, MemristorModel) else get_model(self.memristor)

    @property
    def v_th_V(self) -> float:
        return float(self.selector_params["v_th"])

    @property
    def v_hold_V(self) -> float:
        return float(self.selector_params["v_hold"])


def _name(model: object) -> object:
    return model.name if isinstance(model, MemristorModel) else model


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
    events, the netlist and the engine that ran it (``engine``, ``engine_version``)."""

    config: SelectorIVConfig
    waveforms: pd.DataFrame
    events: tuple[SwitchingEvent, ...]
    netlist_name: str
    netlist_text: str
    engine: str
    engine_version: str
    wall_time_s: float
    netlist_files: Mapping[str, bytes] = field(default_factory=dict)

    def detected(self, kind: Literal["on", "off"], polarity: int) -> float | None:
        """|v| across the selector at the first ``kind`` event of ``polarity`` (+1/−1), or None."""
        for event in self.events:
            if event.kind == kind and event.polarity == polarity:
                return abs(event.v_selector_V)
        return None

    def summary(self) -> dict[str, Any]:
        """The numbers of ``summary.json`` (detected vs set thresholds, relative errors, states, engine)."""
        config, frame = self.config, self.waveforms
        detected: dict[str, Any] = {}
        for kind, name, target in (("on", "v_th", config.v_th_V), ("off", "v_hold", config.v_hold_V)):
            for polarity, label in ((1, "positive"), (-1, "negative")):
                value = self.detected(kind, polarity)  # type: ignore[arg-type]
                detected[f"{name}_{label}_V"] = value
                detected[f"{name}_{label}_rel_error"] = None if value is None else value / target - 1.0
        memristor = config.memristor_model
        payload: dict[str, Any] = {
            "selector": config.selector_model.name,
            "selector_params": dict(config.selector_params),
            "v_th_set_V": config.v_th_V,
            "v_hold_set_V": config.v_hold_V,
            **detected,
            "events": [event.as_row() for event in self.events],
            "state": {"min": float(frame["state"].min()), "max": float(frame["state"].max()), "bounds": [0.0, 1.0]},
            "sweep": {"amplitude_V": config.amplitude_V, "period_s": config.period_s, "cycles": config.cycles,
                      "points_per_period": config.points_per_period,
                      "series_resistance_ohm": config.series_resistance_ohm},
            "memristor": None,
            "engine": {"backend": self.engine, "version": self.engine_version},
            "wall_time_s": self.wall_time_s,
            "netlist": self.netlist_name,
        }
        if memristor is not None:
            states = frame["memristor_state"]
            payload["memristor"] = {
                "model": memristor.name, "params": dict(config.memristor_params),
                "state_name": memristor.state_name, "state_initial": float(states.iloc[0]),
                "state_min": float(states.min()), "state_max": float(states.max()),
                "state_final": float(states.iloc[-1]),
            }
        return payload

    def tables(self) -> dict[str, pd.DataFrame]:
        """``iv`` (the waveforms, columns in :func:`write_selector_iv_report`) and ``events``."""
        import pandas as pd

        events = pd.DataFrame([event.as_row() for event in self.events], columns=list(SwitchingEvent.__dataclass_fields__))
        return {"iv": self.waveforms, "events": events}


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


#: File stem of the bench's netlist (``selector_iv.cir``, or ``selector_iv.sim`` from VACASK).
NETLIST_STEM = "selector_iv"


def plan(config: SelectorIVConfig) -> list[Job]:
    """One transient: the whole triangle sweep."""
    return [Job(NETLIST_STEM, build_netlist(config)[0], f"triangle +-{config.amplitude_V:g} V")]


def analyse(config: SelectorIVConfig, jobs: Sequence[Job], outputs: Sequence[Waveforms]) -> SelectorIVResult:
    """The device's waveforms out of the bench's, and the selector's transitions in them."""
    import pandas as pd

    (waveforms,) = outputs
    nodes = build_netlist(config)[1]
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
                              window_s=2.5e-3 * config.period_s, v_applied_V=frame["v_applied_V"].to_numpy(),
                              v_cell_V=frame["v_V"].to_numpy(), i_A=frame["i_A"].to_numpy())
    suffix = waveforms.netlist_suffix
    return SelectorIVResult(config=config, waveforms=frame, events=tuple(events),
                            netlist_name=f"{jobs[0].name}{suffix}", netlist_text=waveforms.netlist_text,
                            netlist_files=netlist_files(waveforms),
                            engine=waveforms.backend, engine_version=waveforms.engine_version,
                            wall_time_s=waveforms.wall_time_s)


def run_selector_iv(
    config: SelectorIVConfig, *, options: RunOptions | None = None, progress: ProgressCallback | None = None,
) -> SelectorIVResult:
    """Simulate the sweep of ``config`` and detect the selector's transitions."""
    return STUDY.execute(config, options, progress=progress)


def _seconds(value_s: float) -> str:
    from memspice.analysis.plots import si_prefix

    scale, prefix = si_prefix(value_s)
    return f"{value_s / scale:.4g} {prefix}s"


def _plot(result: SelectorIVResult, path: Path) -> Path:
    from memspice.analysis.plots import SwitchingMark, plot_selector_iv

    config = result.config
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
    return plot_selector_iv(
        frame["v_V"].to_numpy(), frame["i_A"].to_numpy(), path,
        time_s=frame["time_s"].to_numpy(), states=states, marks=marks,
        title=f"{what}: triangle ±{config.amplitude_V:g} V in {_seconds(config.period_s)}",
        x_label="Voltage across the cell (V)" if memristor else "Voltage across the selector (V)", note=note,
    )


def write_selector_iv_report(result: SelectorIVResult, out_dir: Path) -> dict[str, Path]:
    """Write the netlist (``selector_iv.cir``), ``iv.csv``, ``events.csv``, ``selector_iv.png``
    and, last, ``summary.json`` (its presence marks a complete folder) into ``out_dir``.

    ``iv.csv`` columns: ``time_s, v_applied_V, v_V`` (across the device under test: the
    selector, or the whole 1S1R cell), ``i_A, v_selector_V, state`` (selector state) and, for
    1S1R, ``memristor_state``.
    """
    return write_report(
        out_dir,
        texts={result.netlist_name: result.netlist_text},
        files=result.netlist_files,
        tables={f"{name}.csv": frame for name, frame in result.tables().items()},
        figures={"selector_iv.png": lambda path: _plot(result, path)},
        summary=result.summary(),
    )


_EPILOG = """\
outputs in DIR:
  iv.csv             time_s,v_applied_V,v_V,i_A,v_selector_V,state[,memristor_state]
  events.csv         kind,polarity,time_s,v_selector_V,v_applied_V,v_cell_V,i_A,current_ratio
  selector_iv.png    I-V (linear and log |I|) with threshold and hold marked, states over time
  summary.json       set vs detected v_th and v_hold in both polarities, states, engine
  selector_iv.cir    the netlist that was run (plain `ngspice -b FILE` runs it)

examples:
  memspice selector-iv --out out/ts
  memspice selector-iv --demo-1s1r --out out/1s1r
"""


_TITLE = "I-V of a threshold-switching selector (or a 1S1R cell) with threshold and hold points marked"
_DESCRIPTION = (
    "Sweep a bipolar triangle (0 -> +A -> 0 -> -A -> 0) across a volatile threshold switch, alone or in "
    "series with a memristor (1S1R), simulate it and detect where the selector turns on (threshold) and "
    "releases (hold) in both polarities."
)


def summary_lines(result: SelectorIVResult) -> list[str]:
    lines = []
    for label, kind in (("threshold (turn-on)", "on"), ("hold (release)", "off")):
        for polarity, sign in ((+1, "+"), (-1, "-")):
            detected = result.detected(kind, polarity)  # type: ignore[arg-type]
            lines.append(f"{label:>20} {sign}: {f'{detected:.4f} V' if detected is not None else 'not reached'}")
    return lines


def cost(config: SelectorIVConfig) -> RunCost:
    """One small circuit, ``cycles × points_per_period`` time points."""
    return RunCost(what=f"a selector sweep of {config.cycles} triangles x {config.points_per_period} points",
                   elements=12, nodes=6, time_points=config.cycles * config.points_per_period,
                   points_option="--points-per-period")


STUDY = register_study(Study(
    name="selector-iv", Config=SelectorIVConfig, title=_TITLE, description=_DESCRIPTION, epilog=_EPILOG,
    plan=plan, analyse=analyse, cost=cost, report=write_selector_iv_report, summary_lines=summary_lines,
))
