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

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Mapping, Sequence

import numpy as np

from memspice.analysis.fingerprints import Fingerprint, FingerprintVerdicts, fingerprint, judge
from memspice.circuits.memristor import add_memristor
from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine import Waveforms
from memspice.engine.options import RunOptions
from memspice.netlist import CurrentSource, Dc, Netlist, Sine, Tran, VoltageSource
from memspice.spicelib.catalog import MemristorModel, get_model, lookup_model
from memspice.spicelib.integration import TRANSIENT_OPTIONS
from memspice.engine.budget import RunCost
from memspice.studies.base import Job, ProgressCallback, Study, register_study
from memspice.studies.report import netlist_files, write_report

if TYPE_CHECKING:  # pandas is imported where a table is built, not with the study
    import pandas as pd

DriveKind = Literal["voltage", "current"]
DRIVE_KINDS: tuple[str, ...] = ("voltage", "current")


@dataclass(frozen=True)
class HysteresisConfig(ConfigBase):
    """What to simulate. Unset drive fields take the model's recommended drive from the catalog.

    ``model`` is a catalog name (``memspice models`` lists them) or, from Python, a
    :class:`MemristorModel` object (e.g. one made by
    :func:`memspice.spicelib.generic.define_memristor` and not registered).
    ``params`` are parameter overrides in SI units (words for variant parameters such as
    ``window``; text such as ``"16k"`` is parsed with SPICE suffixes); after construction
    they hold every parameter, resolved and range-checked.
    """

    model: Any = setting(doc="memristor model: a name from `memspice models` (e.g. hp, vteam, chua)")
    params: Mapping[str, Any] = setting(
        default_factory=dict, cli="set",
        doc="model parameter overrides, SI units, e.g. window=biolek or roff=16k",
    )
    drive: str | None = setting(None, choices=DRIVE_KINDS, doc="sine voltage or current source (default: the model's)")
    amplitude: float | None = setting(
        None, unit="V or A", low=0.0, low_open=True, high=1e3,
        doc="drive amplitude, V (voltage drive) or A (current drive); default: the model's",
    )
    freqs_hz: tuple[float, ...] | None = setting(
        None, unit="Hz", low=0.0, low_open=True, high=1e12, cli="freq",
        doc="drive frequencies, comma separated (e.g. 1,10,100); default: the model's three",
    )
    cycles: int = setting(3, low=1, high=1000, doc="periods simulated per frequency; the last is analysed")
    points_per_cycle: int = setting(
        1000, low=50, high=1_000_000, doc="time points per period (maximum time step = period / this)",
    )

    def check(self) -> None:
        object.__setattr__(self, "params", lookup_model(self.model, path="model").resolve_text(self.params))
        if self.freqs_hz is not None:
            if len(self.freqs_hz) == 0:
                raise ConfigError("freqs_hz", self.freqs_hz, "at least one frequency in Hz")
            if len(set(self.freqs_hz)) != len(self.freqs_hz):
                raise ConfigError("freqs_hz", self.freqs_hz, "distinct frequencies", reason="repeats a frequency")

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["model"] = self.catalog_model.name
        return data

    @property
    def catalog_model(self) -> MemristorModel:
        """The catalog entry of ``model`` (ParameterError for an unknown name), or the model object itself."""
        return self.model if isinstance(self.model, MemristorModel) else get_model(self.model)

    @property
    def drive_kind(self) -> DriveKind:
        return self.drive or self.catalog_model.drive.kind  # type: ignore[return-value]

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
    netlist_files: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class HysteresisResult:
    """All frequencies of one study plus the fingerprint verdicts; ``engine`` and
    ``engine_version`` name the simulator that ran."""

    config: HysteresisConfig
    runs: tuple[FrequencyRun, ...]
    verdicts: FingerprintVerdicts | None
    engine: str
    engine_version: str

    def summary(self) -> dict[str, Any]:
        """The JSON-ready summary (verdicts, fingerprints, state range, engine, times)."""
        config, model = self.config, self.config.catalog_model
        low, high = state_range(self)
        return {
            "model": model.name,
            "params": dict(config.params),
            "drive": config.drive_kind,
            "amplitude": config.drive_amplitude,
            "amplitude_unit": "V" if config.drive_kind == "voltage" else "A",
            "freqs_hz": list(config.frequencies_hz),
            "cycles": config.cycles,
            "points_per_cycle": config.points_per_cycle,
            "verdicts": None if self.verdicts is None else self.verdicts.to_dict(),
            "fingerprints": [r.fingerprint.as_row() for r in self.runs],
            "state": {"name": model.state_name, "unit": model.state_unit, "min": low, "max": high,
                      "bounds": model.state_bounds},
            "engine": {"backend": self.engine, "version": self.engine_version},
            "wall_time_s": {f"{r.freq_hz:g}": r.wall_time_s for r in self.runs},
            "netlists": [r.netlist_name for r in self.runs],
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """``waveforms`` (freq_hz, time_s, v_V, i_A, state; one block per frequency) and ``fingerprints``."""
        import pandas as pd

        blocks = [r.waveforms.assign(freq_hz=r.freq_hz)[["freq_hz", *r.waveforms.columns]] for r in self.runs]
        return {
            "waveforms": pd.concat(blocks, ignore_index=True),
            "fingerprints": pd.DataFrame([r.fingerprint.as_row() for r in self.runs]),
        }


#: The bench's memristor instance and the node that holds its state.
MEMRISTOR_NAME = "m1"
STATE_NODE = f"x{MEMRISTOR_NAME}.xstate"


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
    memristor = add_memristor(netlist, MEMRISTOR_NAME, "mp", "0", model, config.params)
    step_s = 1.0 / (freq_hz * config.points_per_cycle)
    netlist.analysis = Tran(step_s=step_s, stop_s=config.cycles / freq_hz, max_step_s=step_s)
    netlist.print_vectors = ["v(mp)", "i(vsense)", f"v({memristor.state_node})"]
    return netlist, memristor.state_node


def device_waveforms(waveforms: Waveforms, state_node: str, *, initial_state: float | None = None) -> pd.DataFrame:
    """The device's ``time_s, v_V, i_A, state`` columns out of the bench's waveforms.

    ngspice writes a ``uic`` transient from its first step on, not from t = 0 (VACASK writes
    t = 0). With ``initial_state`` the missing t = 0 row is put back: the sine drive is 0 there,
    so are v and i, and the state is its initial value. A run of one period then covers it.
    """
    import pandas as pd

    columns = {
        "time_s": waveforms.column("time"),
        "v_V": waveforms.column("v(mp)"),
        "i_A": waveforms.column("i(vsense)"),
        "state": waveforms.column(f"v({state_node})"),
    }
    if initial_state is not None and columns["time_s"][0] > 0:
        first = {"time_s": 0.0, "v_V": 0.0, "i_A": 0.0, "state": float(initial_state)}
        columns = {name: np.concatenate(([first[name]], values)) for name, values in columns.items()}
    return pd.DataFrame(columns)


def plan(config: HysteresisConfig) -> list[Job]:
    """One transient per frequency."""
    return [
        Job(netlist_name(config.catalog_model.name, f).removesuffix(".cir"), build_netlist(config, f)[0], f"{f:g} Hz")
        for f in config.frequencies_hz
    ]


def analyse(config: HysteresisConfig, jobs: Sequence[Job], outputs: Sequence[Waveforms]) -> HysteresisResult:
    """Fingerprint every frequency's last period and judge the three verdicts."""
    runs: list[FrequencyRun] = []
    for freq_hz, job, waveforms in zip(config.frequencies_hz, jobs, outputs):
        device = device_waveforms(waveforms, STATE_NODE, initial_state=config.params[config.catalog_model.state_initial])
        device_print = fingerprint(
            device["time_s"].to_numpy(), device["v_V"].to_numpy(), device["i_A"].to_numpy(), freq_hz=freq_hz
        )
        runs.append(FrequencyRun(freq_hz, f"{job.name}{waveforms.netlist_suffix}", waveforms.netlist_text, device,
                                 device_print, waveforms.wall_time_s, netlist_files(waveforms)))
    verdicts = judge([r.fingerprint for r in runs]) if len(runs) >= 2 else None
    last = outputs[-1]
    return HysteresisResult(config=config, runs=tuple(runs), verdicts=verdicts, engine=last.backend,
                            engine_version=last.engine_version)


def run_hysteresis(
    config: HysteresisConfig, *, options: RunOptions | None = None, progress: ProgressCallback | None = None,
) -> HysteresisResult:
    """Simulate every frequency of ``config`` and judge the fingerprints (``progress`` after each)."""
    return STUDY.execute(config, options, progress=progress)


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
    ``hysteresis.png`` and, last, ``summary.json`` (its presence marks a complete folder)."""
    from memspice.analysis.plots import plot_hysteresis

    return write_report(
        out_dir,
        texts={r.netlist_name: r.netlist_text for r in result.runs},
        files={name: content for r in result.runs for name, content in r.netlist_files.items()},
        tables={f"{name}.csv": frame for name, frame in result.tables().items()},
        figures={"hysteresis.png": lambda path: plot_hysteresis(path=path, **hysteresis_plot_arguments(result))},
        summary=result.summary(),
    )


_EPILOG = """\
outputs in DIR:
  waveforms.csv      freq_hz,time_s,v_V,i_A,state (one block of rows per frequency)
  fingerprints.csv   freq_hz,lobe_area,lobe_area_norm,pinch_ratio,v_max_V,i_max_A
  hysteresis.png     loops, state over the last period, lobe area vs frequency, parameters
  summary.json       fingerprint verdicts (pinched, area decreasing, collapse) and numbers
  *.cir              the netlists that were run (plain `ngspice -b FILE` runs each); with
                     --engine vacask *.sim, beside the .va and .osdi files they load

example:
  memspice hysteresis --model hp --set window=biolek --freq 1,10,100 --out out/hp
"""


_TITLE = "frequency-dependent pinched hysteresis of a memristor model"
_DESCRIPTION = (
    "Drive one memristor with a sine at each frequency, simulate a few periods, and judge the three "
    "memristor fingerprints on the last period: a loop pinched at the origin, lobe area decreasing with "
    "frequency, and collapse at high frequency. Unset drive options take the model's recommended drive "
    "(see `memspice models --show MODEL`)."
)


def summary_lines(result: HysteresisResult) -> list[str]:
    lines = [f"{r.freq_hz:>12g} Hz  lobe_area_norm={r.fingerprint.lobe_area_norm:.4g}  "
             f"pinch_ratio={r.fingerprint.pinch_ratio:.2e}" for r in result.runs]
    if result.verdicts is not None:
        v = result.verdicts
        lines.append(f"pinched={v.pinched} area_decreasing={v.area_decreasing} "
                     f"high_frequency_collapse={v.high_frequency_collapse} -> memristor fingerprints: {v.is_memristor}")
    return lines


def cost(config: HysteresisConfig) -> RunCost:
    """One small circuit per frequency, ``cycles × points_per_cycle`` time points each."""
    return RunCost(what=f"a hysteresis transient of {config.cycles} cycles x {config.points_per_cycle} points",
                   elements=8, nodes=4, time_points=config.cycles * config.points_per_cycle,
                   simulations=len(config.frequencies_hz), points_option="--points-per-cycle")


STUDY = register_study(Study(
    name="hysteresis", Config=HysteresisConfig, title=_TITLE, description=_DESCRIPTION, epilog=_EPILOG,
    plan=plan, analyse=analyse, keeps_partial=True, cost=cost, report=write_hysteresis_report, summary_lines=summary_lines,
))

