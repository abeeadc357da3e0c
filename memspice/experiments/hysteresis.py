"""The frequency-dependent hysteresis study: is this model a memristor?

One sinusoidal drive per frequency, a transient of a few periods, then the three
fingerprints (DOMAIN.md §1): the V–I loop is pinched at the origin, its lobe area shrinks
as the frequency rises, and it collapses at high frequency.

The test bench (one netlist per frequency, each runnable with ``ngspice -b``)::

    Vdrive in 0 sin(0 A f)   (or Idrive 0 in sin(0 A f) for a current drive)
    Vsense in mp 0           i(vsense): the current into the memristor's pos pin
    Xm1 mp 0 <model>         v(mp): the voltage across the memristor
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping

import numpy as np
import pandas as pd

from memspice.analysis.fingerprints import Fingerprint, FingerprintVerdicts, fingerprint, judge
from memspice.circuits.memristor import add_memristor
from memspice.engine import Waveforms, run
from memspice.errors import ParameterError
from memspice.experiments.output import write_csv_atomic, write_json_atomic, write_text_atomic
from memspice.netlist import CurrentSource, Dc, Netlist, Sine, Tran, VoltageSource
from memspice.spicelib.catalog import MemristorModel, ParamValue, get_model
from memspice.spicelib.integration import TRANSIENT_OPTIONS

DriveKind = Literal["voltage", "current"]
DRIVE_KINDS: tuple[str, ...] = ("voltage", "current")


@dataclass(frozen=True)
class HysteresisConfig:
    """What to simulate. ``None`` fields take the model's recommended drive from the catalog.

    Attributes
    ----------
    model: catalog name (``memspice models`` lists them), or a :class:`MemristorModel` object
        (e.g. one made by :func:`memspice.spicelib.generic.define_memristor` and not registered).
    params: parameter overrides, SI values (word values for variant parameters such as ``window``).
    drive: ``"voltage"`` (amplitude in V) or ``"current"`` (amplitude in A).
    amplitude: sine amplitude, V or A by ``drive``.
    freqs_hz: drive frequencies (Hz), at least one.
    cycles: periods simulated per frequency; the fingerprints use the last one.
    points_per_cycle: maximum time step = 1/(f·points_per_cycle).
    engine: engine backend (None: the default backend).
    """

    model: str | MemristorModel
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    drive: DriveKind | None = None
    amplitude: float | None = None
    freqs_hz: tuple[float, ...] | None = None
    cycles: int = 3
    points_per_cycle: int = 1000
    engine: str | None = None

    def __post_init__(self) -> None:
        resolved = self.catalog_model.resolve(self.params)
        object.__setattr__(self, "params", resolved)
        if self.drive is not None and self.drive not in DRIVE_KINDS:
            raise ParameterError(f"drive={self.drive!r} is not allowed; use one of {', '.join(DRIVE_KINDS)}")
        if self.amplitude is not None and not (math.isfinite(self.amplitude) and self.amplitude > 0):
            raise ParameterError(f"amplitude={self.amplitude!r} must be a finite number > 0 (V or A)")
        if self.freqs_hz is not None:
            if len(self.freqs_hz) == 0:
                raise ParameterError("freqs_hz is empty; give at least one frequency in Hz")
            for freq in self.freqs_hz:
                if not (isinstance(freq, (int, float)) and math.isfinite(freq) and freq > 0):
                    raise ParameterError(f"freqs_hz contains {freq!r}; every frequency must be a finite number > 0 Hz")
            if len(set(self.freqs_hz)) != len(self.freqs_hz):
                raise ParameterError(f"freqs_hz={self.freqs_hz!r} repeats a frequency")
        if not isinstance(self.cycles, int) or not 1 <= self.cycles <= 1000:
            raise ParameterError(f"cycles={self.cycles!r} must be an integer in [1, 1000]")
        if not isinstance(self.points_per_cycle, int) or not 50 <= self.points_per_cycle <= 1_000_000:
            raise ParameterError(f"points_per_cycle={self.points_per_cycle!r} must be an integer in [50, 1000000]")

    @property
    def catalog_model(self) -> MemristorModel:
        """The catalog entry of ``model`` (ParameterError for an unknown name), or the model object itself."""
        return self.model if isinstance(self.model, MemristorModel) else get_model(self.model)

    @property
    def drive_kind(self) -> DriveKind:
        return self.drive or self.catalog_model.drive.kind

    @property
    def drive_amplitude(self) -> float:
        return self.amplitude if self.amplitude is not None else self.catalog_model.drive.amplitude

    @property
    def frequencies_hz(self) -> tuple[float, ...]:
        return tuple(sorted(self.freqs_hz if self.freqs_hz is not None else self.catalog_model.drive.freqs_hz))


@dataclass(frozen=True)
class FrequencyRun:
    """One frequency's simulation: waveforms (DataFrame ``time_s, v_V, i_A, state``) and its fingerprint."""

    freq_hz: float
    netlist_name: str
    netlist_text: str
    waveforms: pd.DataFrame
    fingerprint: Fingerprint
    wall_time_s: float


@dataclass(frozen=True)
class HysteresisResult:
    """All frequencies of one study plus the fingerprint verdicts."""

    config: HysteresisConfig
    runs: tuple[FrequencyRun, ...]
    verdicts: FingerprintVerdicts | None
    backend: str
    ngspice_version: str


def netlist_name(model: str, freq_hz: float) -> str:
    """File name of the netlist for one frequency, e.g. ``hysteresis_hp_10Hz.cir``."""
    return f"hysteresis_{model}_{freq_hz:g}Hz.cir".replace("+", "")


def build_netlist(config: HysteresisConfig, freq_hz: float) -> tuple[Netlist, str]:
    """The test bench for one frequency; returns the netlist and the memristor's state node."""
    model = config.catalog_model
    amplitude = config.drive_amplitude
    unit = "V" if config.drive_kind == "voltage" else "A"
    variant = ", ".join(f"{p.name}={config.params[p.name]}" for p in model.parameters if p.is_choice)
    title = (
        f"memspice hysteresis: {model.name}{f' ({variant})' if variant else ''}, "
        f"{config.drive_kind} drive {amplitude:g} {unit} at {freq_hz:g} Hz"
    )
    netlist = Netlist(title=title, options=dict(TRANSIENT_OPTIONS))
    waveform = Sine(amplitude=amplitude, freq_hz=freq_hz)
    if config.drive_kind == "voltage":
        netlist.add(VoltageSource("drive", "in", "0", waveform))
    else:
        netlist.add(CurrentSource("drive", "0", "in", waveform))
    netlist.add(VoltageSource("sense", "in", "mp", Dc(0.0)))
    memristor = add_memristor(netlist, "m1", "mp", "0", model, config.params)
    step_s = 1.0 / (freq_hz * config.points_per_cycle)
    netlist.analysis = Tran(step_s=step_s, stop_s=config.cycles / freq_hz, max_step_s=step_s)
    netlist.print_vectors = ["v(mp)", "i(vsense)", f"v({memristor.state_node})"]
    return netlist, memristor.state_node


def device_waveforms(waveforms: Waveforms, state_node: str) -> pd.DataFrame:
    """The device's ``time_s, v_V, i_A, state`` columns out of the bench's waveforms."""
    return pd.DataFrame(
        {
            "time_s": waveforms.column("time"),
            "v_V": waveforms.column("v(mp)"),
            "i_A": waveforms.column("i(vsense)"),
            "state": waveforms.column(f"v({state_node})"),
        }
    )


ProgressCallback = Callable[[int, int, float, float], None]


def run_hysteresis(config: HysteresisConfig, *, progress: ProgressCallback | None = None) -> HysteresisResult:
    """Simulate every frequency of ``config`` and judge the fingerprints.

    ``progress(index, total, freq_hz, wall_time_s)`` is called after each frequency.
    """
    runs: list[FrequencyRun] = []
    freqs = config.frequencies_hz
    backend, version = "", ""
    for index, freq_hz in enumerate(freqs, start=1):
        netlist, state_node = build_netlist(config, freq_hz)
        name = netlist_name(config.catalog_model.name, freq_hz)
        waveforms = run(netlist, backend=config.engine, name=name.removesuffix(".cir"))
        device = device_waveforms(waveforms, state_node)
        device_print = fingerprint(
            device["time_s"].to_numpy(), device["v_V"].to_numpy(), device["i_A"].to_numpy(), freq_hz=freq_hz
        )
        runs.append(FrequencyRun(freq_hz, name, waveforms.netlist_text, device, device_print, waveforms.wall_time_s))
        backend, version = waveforms.backend, waveforms.ngspice_version
        if progress is not None:
            progress(index, len(freqs), freq_hz, waveforms.wall_time_s)
    verdicts = judge([r.fingerprint for r in runs]) if len(runs) >= 2 else None
    return HysteresisResult(config=config, runs=tuple(runs), verdicts=verdicts, backend=backend, ngspice_version=version)


def state_range(result: HysteresisResult) -> tuple[float, float]:
    """Smallest and largest state value over every run (to check the state stayed in its bounds)."""
    states = np.concatenate([r.waveforms["state"].to_numpy() for r in result.runs])
    return float(states.min()), float(states.max())


def hysteresis_plot_arguments(result: HysteresisResult) -> dict[str, Any]:
    """The arguments of :func:`memspice.analysis.plots.plot_hysteresis` (all but ``path``) for
    ``result``: the last period of every frequency, the fingerprints, the state with its name,
    unit and bounds, and every parameter with its catalog unit (the initial-state parameter
    with the state's unit when it has none of its own)."""
    from memspice.analysis.fingerprints import last_period
    from memspice.analysis.plots import format_quantity

    config = result.config
    model = config.catalog_model
    loops, states = [], []
    for r in result.runs:
        t_last, v_last, i_last, state_last = last_period(
            r.waveforms["time_s"].to_numpy(), r.waveforms["v_V"].to_numpy(), r.waveforms["i_A"].to_numpy(),
            r.waveforms["state"].to_numpy(), freq_hz=r.freq_hz,
        )
        loops.append((r.freq_hz, v_last, i_last))
        states.append((r.freq_hz, t_last, state_last))
    parameters = [
        (p.name, config.params[p.name], p.unit or (model.state_unit if p.name == model.state_initial else ""))
        for p in model.parameters
    ]
    unit = "V" if config.drive_kind == "voltage" else "A"
    return {
        "loops": loops,
        "fingerprints": [r.fingerprint for r in result.runs],
        "title": (
            f"{model.title}: {config.drive_kind} drive {format_quantity(config.drive_amplitude, unit)} peak "
            f"(last of {config.cycles} periods)"
        ),
        "drive": config.drive_kind,
        "states": states,
        "state_name": model.state_name,
        "state_unit": model.state_unit,
        "state_bounds": model.state_bounds,
        "parameters": parameters,
        "notes": [f"{model.name}: state {model.state_name} ({model.state_unit or 'dimensionless'})"],
    }


def write_hysteresis_report(result: HysteresisResult, out_dir: Path) -> dict[str, Path]:
    """Write the study into ``out_dir``: netlists, ``waveforms.csv``, ``fingerprints.csv``,
    ``hysteresis.png`` and, last, ``summary.json`` (its presence marks a complete folder).
    """
    from memspice.analysis.plots import plot_hysteresis

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)
    written: dict[str, Path] = {}
    for freq_run in result.runs:
        written[freq_run.netlist_name] = write_text_atomic(out_dir / freq_run.netlist_name, freq_run.netlist_text)

    blocks = [r.waveforms.assign(freq_hz=r.freq_hz)[["freq_hz", *r.waveforms.columns]] for r in result.runs]
    written["waveforms.csv"] = write_csv_atomic(out_dir / "waveforms.csv", pd.concat(blocks, ignore_index=True))
    prints = pd.DataFrame([r.fingerprint.as_row() for r in result.runs])
    written["fingerprints.csv"] = write_csv_atomic(out_dir / "fingerprints.csv", prints)

    config = result.config
    model = config.catalog_model
    unit = "V" if config.drive_kind == "voltage" else "A"
    written["hysteresis.png"] = plot_hysteresis(path=out_dir / "hysteresis.png", **hysteresis_plot_arguments(result))
    low, high = state_range(result)
    summary = {
        "model": model.name,
        "params": dict(config.params),
        "drive": config.drive_kind,
        "amplitude": config.drive_amplitude,
        "amplitude_unit": unit,
        "freqs_hz": list(config.frequencies_hz),
        "cycles": config.cycles,
        "points_per_cycle": config.points_per_cycle,
        "verdicts": None if result.verdicts is None else result.verdicts.to_dict(),
        "fingerprints": [r.fingerprint.as_row() for r in result.runs],
        "state": {"name": model.state_name, "unit": model.state_unit, "min": low, "max": high, "bounds": model.state_bounds},
        "engine": {"backend": result.backend, "ngspice_version": result.ngspice_version},
        "wall_time_s": {f"{r.freq_hz:g}": r.wall_time_s for r in result.runs},
        "netlists": [r.netlist_name for r in result.runs],
    }
    written["summary.json"] = write_json_atomic(out_dir / "summary.json", summary)
    return written
