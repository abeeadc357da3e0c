"""Vector-matrix multiply through the whole chain: mapping, input encoder, crossbar, readout, ADC.

``run_vmm(VmmConfig(weights=W, inputs=X, ...))`` computes ``X·W`` (``W`` of shape
``(rows, outputs)``, ``X`` of shape ``(rows,)`` or ``(batch, rows)``) in ngspice (one transient
per input vector; VACASK cannot run the op-amps' B-sources, so ``engine="auto"`` runs ngspice
and ``engine="vacask"`` is refused before any simulation) and reports,
per output, ``ideal`` (``X·W`` in floats), ``analog`` (the readout voltage before the ADC) and
``digital`` (after the ADC), all three in the units of ``W·X``.

The chain
---------
1. **Mapping** (:mod:`memspice.circuits.mapping`): ``W`` → conductance pairs in
   ``[g_min_S, g_max_S]``, optionally quantised to ``levels``. ``differential=True``: G⁺ columns
   ``0..outputs−1`` and G⁻ columns ``outputs..2·outputs−1`` (``2·outputs`` columns), output
   ``j`` ∝ ``I⁺_j − I⁻_j``. ``differential=False``: one column per output at
   ``G = G_min + (w + R)·(G_max − G_min)/(2R)`` and one reference column at the mid
   conductance ``(G_min + G_max)/2`` (``outputs + 1`` columns), output ``j`` ∝ ``I_j − I_ref``.
2. **Inputs** (:mod:`memspice.circuits.encoders`): ``x`` (non-negative) → ``input_bits``-bit
   codes ``n = round(x / x_fs · (2**B − 1))``; ``amplitude`` (DAC levels), ``pwm`` (pulse
   width, integrating readout only) or ``bitserial`` (``B`` cycles, LSB first).
3. **Readout** (:mod:`memspice.circuits.readout`, in SPICE, ideal op-amps): the bit lines end
   in the op-amps' virtual grounds (``External()`` terminations). Differential: one TIA per
   G⁺ and per G⁻ column and a unity-gain difference stage, output
   ``R_f·(I⁺ − I⁻)`` (resistive TIA, sampled at the end of each input pulse's flat top) or
   ``(1/C)·∫(I⁺ − I⁻)dt`` (integrating TIA, reset before each window, sampled at its end).
   Single-ended: one TIA per column and one on the reference column; the subtraction
   ``V_ref_col − V_col`` is done on the sampled waveforms (read through
   :mod:`memspice.analysis.readout`).
4. **ADC** (:func:`memspice.circuits.readout.adc_codes`): ``adc_bits`` bits, mid-tread, range
   ``±adc_full_scale_V``; codes are shifted by ``2**(N−1)`` so 0 V is code 0 (signed codes
   ``−2**(N−1) … 2**(N−1) − 1``, one LSB ``adc_full_scale_V / 2**(N−1)``). Bit-serial: the
   per-cycle codes are combined by :func:`~memspice.circuits.mapping.shift_and_add`.

Timing: integrating readout: each cycle is ``reset_s`` + window (``read_time_s + 4·edge_s``)
+ two edges; the input pulse (width ``read_time_s``, or up to it for ``pwm``) starts one
edge into the window. Resistive TIA: the pulse starts one edge into a cycle of
``read_time_s + 3·edge_s``. Bit-serial repeats the cycle ``input_bits`` times.

Gain: the readout gain (``R_f`` or ``C``) is chosen so that one ADC LSB is ``adc_lsb_units``
units of the per-cycle code product ``Σ n_i·w_i`` (default: 1 when the largest possible
per-cycle product, ``rows·R·n_max``, fits in ``2**(N−1) − 1`` codes, else that product over
``2**(N−1) − 1``). With integer weights and bit-serial inputs the default makes the ADC
count the integer product exactly.

Errors (``summary.json``) are normalised to the full scale ``rows · R · x_fs`` (largest
possible ``|x·w|``): ``mapping`` = quantised-weights-and-inputs product − ideal;
``analog`` = analog − quantised product; ``adc`` = digital − analog.
Energy (:mod:`memspice.analysis.energy`): ``∫ V·I dt`` of every source and op-amp output,
grouped into inputs, array and periphery (the op-amps' supply power is not modelled), per
multiply-accumulate (``rows · outputs`` per input vector). Latency: the encoder's time per
input vector.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from memspice.analysis.energy import group_energies, source_energies
from memspice.analysis.readout import readout_voltages, sample_readout
from memspice.circuits.crossbar import CrossbarConfig, CrossbarNodes, External, add_crossbar
from memspice.circuits.crossbar_cells import FixedConductanceCells, MemristorCells
from memspice.circuits.encoders import (
    EncodedInputs,
    amplitude_inputs,
    bit_serial_inputs,
    input_codes,
    pulse_width_inputs,
)
from memspice.circuits.mapping import ConductancePairs, map_weights, shift_and_add
from memspice.circuits.readout import (
    IntegratingTia,
    ReadoutNodes,
    ResistiveTia,
    adc_codes,
    add_differential,
    add_tia,
    bit_line_ends,
)
from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine import Waveforms
from memspice.engine.options import RunOptions
from memspice.errors import NetlistError, ParameterError
from memspice.netlist import PRINTED_VECTORS, Netlist, Tran
from memspice.engine.budget import RunCost, array_cost
from memspice.spicelib.variation import Population, PopulationConfig
from memspice.studies.base import Job, ProgressCallback, Study, register_study, run_plan
from memspice.studies.report import write_report

if TYPE_CHECKING:  # pandas is imported where a table is built, not with the study
    import pandas as pd

ENCODINGS = ("amplitude", "pwm", "bitserial")
READOUTS = ("tia", "integrator")
#: Largest array (word lines × columns) and batch one study may simulate.
MAX_ROWS, MAX_COLUMNS, MAX_BATCH = 1024, 1024, 10_000
#: Largest array with wire resistance (rows × columns cells): ngspice's Sparse solver (no KLU
#: in Debian's ngspice 39) needs ~8 s per solve at 64 × 64 with wires, and VACASK cannot run
#: the op-amps, so larger wired arrays would not finish.
MAX_WIRED_CELLS = 64 * 64
#: Most time points of one input vector's transient (its duration over the step read_time_s/50).
MAX_TIME_POINTS = 1_000_000

Matrix = tuple[tuple[float, ...], ...]


def _as_matrix(value: object, name: str, *, vector_ok: bool) -> object:
    """``value`` (array, nested lists) as a tuple of row tuples; a vector becomes one row when
    ``vector_ok``. Anything that is not a number array is left for the base to refuse."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (np.ndarray, list, tuple)):
        return value
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(name, None, "rows of equal length", reason="is not a number matrix") from None
    if array.ndim == 1 and vector_ok:
        array = array[None, :]
    shape = "(rows, outputs)" if name == "weights" else "(rows,) or (batch, rows)"
    if array.ndim != 2 or 0 in array.shape:
        raise ConfigError(name, None, f"a {shape} array, e.g. a .npy file", reason=f"has shape {array.shape}")
    return tuple(tuple(row) for row in array.tolist())


@dataclass(frozen=True)
class VmmConfig(ConfigBase):
    """One VMM experiment. SI units; validated on construction, before any simulator starts.

    ``weights`` ``(rows, outputs)`` and ``inputs`` ``(rows,)`` or ``(batch, rows)`` may be
    numpy arrays or nested lists; they are stored as tuples of rows (``inputs`` always
    ``(batch, rows)``), read as arrays through :attr:`weight_matrix` and :attr:`input_matrix`.
    After construction ``input_full_scale`` holds the full scale used.
    """

    weights: Matrix = setting(
        unit="units of W", low=-1e12, high=1e12,
        doc="(rows, outputs) signed weights: a .npy file or comma-separated table",
    )
    inputs: Matrix = setting(
        unit="units of X", low=0.0, high=1e12,
        doc="(rows,) or (batch, rows) inputs >= 0 (after ReLU): a .npy file or comma-separated table",
    )
    encoding: str = setting("amplitude", choices=ENCODINGS,
                            doc="input encoding: amplitude (DAC), pwm (pulse width; integrator only) or bitserial")
    input_bits: int = setting(8, low=1, high=16, doc="input resolution B, bits")
    readout: str = setting("tia", choices=READOUTS, doc="column readout: resistive TIA or integrator")
    adc_bits: int = setting(8, low=1, high=16, doc="ADC resolution N, bits")
    levels: int | None = setting(None, low=2, high=65536,
                                 doc="quantise weights to L conductance levels (e.g. 15 for -7..7); default none")
    weight_range: float | None = setting(
        None, unit="units of W", low=0.0, low_open=True, high=1e12,
        doc="weight mapped to G_max; default (L-1)/2 for integer weights in the levels, else max|W|",
    )
    input_full_scale: float | None = setting(
        None, unit="units of X", low=0.0, low_open=True, high=1e12,
        doc="input full scale x_fs; default 2**B - 1 when every input is an integer in that range, else max(X)",
    )
    population: PopulationConfig = setting(
        default_factory=PopulationConfig,
        doc="device population: programming noise, stuck and dead cells, drift of the mapped conductances",
    )
    seed: int = setting(0, low=0, high=10**9, doc="seed of the device population")
    differential: bool = setting(
        True, doc="G+/G- column pairs subtracted by a difference amplifier (else one column per output "
                  "against a reference column at the mid conductance)",
    )
    model: str | None = setting(
        None, doc="catalog memristor for the cells, each programmed to its target G at --v-read (--g-min/--g-max "
                  "must lie in the model's range, e.g. hp: 62.5u..10m); default fixed conductances",
    )
    r_wire_ohm: float = setting(0.0, unit="Ω", low=0.0, high=1e6, cli="r-wire",
                                doc="segment resistance of every word and bit line")
    g_min_S: float = setting(1e-6, unit="S", low=0.0, low_open=True, high=1.0, cli="g-min", doc="smallest conductance")
    g_max_S: float = setting(100e-6, unit="S", low=0.0, low_open=True, high=1.0, cli="g-max", doc="largest conductance")
    v_read_V: float = setting(0.2, unit="V", low=0.0, low_open=True, high=10.0, cli="v-read",
                              doc="read voltage (Yao 2020: 0.2 V)")
    adc_full_scale_V: float = setting(1.0, unit="V", low=0.0, low_open=True, high=100.0, cli="adc-full-scale",
                                      doc="ADC positive full scale (range +-this)")
    adc_lsb_units: float | None = setting(
        None, low=0.0, low_open=True, high=1e15,
        doc="code-product units per ADC LSB; default 1 when the largest per-cycle product fits the ADC",
    )
    read_time_s: float = setting(1e-6, unit="s", low=0.0, low_open=True, high=1.0, cli="read-time",
                                 doc="amplitude pulse width, longest pwm pulse, or bit-serial cycle pulse")
    edge_s: float = setting(1e-9, unit="s", low=0.0, low_open=True, high=1e-3, cli="edge",
                            doc="rise/fall time of every input edge")
    reset_s: float = setting(20e-9, unit="s", low=0.0, low_open=True, high=1.0, cli="reset",
                             doc="integrator reset phase before each window")

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", _as_matrix(self.weights, "weights", vector_ok=False))
        object.__setattr__(self, "inputs", _as_matrix(self.inputs, "inputs", vector_ok=True))
        super().__post_init__()

    def check(self) -> None:
        self.population.refuse_parameter_variation("conductances mapped from the weights")
        if self.encoding == "pwm" and self.readout != "integrator":
            raise ConfigError("readout", self.readout, "integrator with encoding pwm",
                              reason="cannot read pulse-width inputs (a pulse width is read as charge)")
        weights, x = self.weight_matrix, self.input_matrix
        if x.shape[1] != weights.shape[0]:
            raise ConfigError("inputs", None, f"({weights.shape[0]},) or (batch, {weights.shape[0]}) to match "
                              f"weights {weights.shape} (rows, outputs)", reason=f"has shape {x.shape}")
        rows, columns = weights.shape[0], weights.shape[1] * (2 if self.differential else 1) + (0 if self.differential else 1)
        for name, value, limit in (("weights", rows, MAX_ROWS), ("weights", columns, MAX_COLUMNS),
                                   ("inputs", x.shape[0], MAX_BATCH)):
            if value > limit:
                what = {MAX_ROWS: "rows", MAX_COLUMNS: "crossbar columns", MAX_BATCH: "input vectors"}[limit]
                raise ConfigError(name, None, f"at most {limit} {what}", reason=f"gives {value} {what}")
        if self.r_wire_ohm > 0 and rows * columns > MAX_WIRED_CELLS:
            raise ConfigError("r_wire_ohm", self.r_wire_ohm, f"0 for a {rows} x {columns} array, or at most "
                              f"{MAX_WIRED_CELLS} cells with wires", reason=f"with {rows} x {columns} cells would not finish")
        if self.g_max_S <= self.g_min_S:
            raise ConfigError("g_max_S", self.g_max_S, f"more than g_min_S = {self.g_min_S:g} S")
        if self.encoding in ("amplitude", "bitserial") and self.read_time_s <= self.edge_s:
            raise ConfigError("read_time_s", self.read_time_s, f"more than edge_s = {self.edge_s:g} s")
        full_scale = self.input_full_scale
        if full_scale is None:
            top = 2**self.input_bits - 1
            integer = np.all(x == np.round(x)) and np.all(x <= top)
            full_scale = float(top) if integer else float(np.max(x))
            full_scale = full_scale if full_scale > 0 else 1.0
        object.__setattr__(self, "input_full_scale", float(full_scale))
        if np.max(x) > full_scale * (1 + 1e-12):
            raise ConfigError("inputs", float(np.max(x)), f"[0, {full_scale:g}] (input_full_scale)")
        if self.model is not None:
            from memspice.spicelib.catalog import get_model

            get_model(self.model)
        self.mapping  # validates the mapping (levels, range) now, before any simulation
        points = self.time_points
        if points > MAX_TIME_POINTS:
            raise ConfigError("read_time_s", self.read_time_s, f"a longer pulse, or shorter reset_s/edge_s: at most "
                              f"{MAX_TIME_POINTS:.0e} time points", reason=f"gives {points:.3g} time points per input vector")

    @property
    def time_points(self) -> int:
        """Time points of one input vector's transient at its maximum step (``read_time_s / 50``)."""
        cycles = self.input_bits if self.encoding == "bitserial" else 1
        return int(cycles * read_timing(self).cycle_s / (self.read_time_s / 50)) + 1

    @property
    def weight_matrix(self) -> np.ndarray:
        """``(rows, outputs)`` weights as an array."""
        return np.array(self.weights, dtype=float)

    @property
    def input_matrix(self) -> np.ndarray:
        """``(batch, rows)`` inputs as an array."""
        return np.array(self.inputs, dtype=float)

    @functools.cached_property
    def mapping(self) -> ConductancePairs:
        """The weights mapped to conductance pairs (:func:`memspice.circuits.mapping.map_weights`)."""
        return map_weights(self.weight_matrix, g_min_S=self.g_min_S, g_max_S=self.g_max_S, levels=self.levels,
                           weight_range=self.weight_range)

    @property
    def rows(self) -> int:
        return len(self.weights)

    @property
    def outputs(self) -> int:
        return len(self.weights[0])

    @property
    def batch(self) -> int:
        return len(self.inputs)

    @property
    def input_step(self) -> float:
        """Input units per code, ``x_fs / (2**B − 1)``."""
        return self.input_full_scale / (2**self.input_bits - 1)

    @property
    def full_scale(self) -> float:
        """Largest possible ``|x·w|``: ``rows · R · x_fs`` (the normalisation of every error)."""
        return self.rows * self.mapping.weight_range * self.input_full_scale

    @property
    def lsb_units(self) -> float:
        """Code-product units per ADC LSB (see the module docstring)."""
        if self.adc_lsb_units is not None:
            return float(self.adc_lsb_units)
        code_max = 1 if self.encoding == "bitserial" else 2**self.input_bits - 1
        largest = self.rows * self.mapping.weight_range * code_max
        top = 2 ** (self.adc_bits - 1) - 1
        return 1.0 if largest <= top else largest / top


@dataclass(frozen=True, eq=False)
class VmmTrace:
    """Waveforms of the first input vector, for the chain figure (time in s, volts)."""

    time_s: np.ndarray
    word_line_V: np.ndarray  # (points, rows)
    readout_V: np.ndarray  # (points,) the readout output of output 0
    sample_times_s: np.ndarray
    sample_values_V: np.ndarray
    adc_lsb_V: float


@dataclass(frozen=True, eq=False)
class VmmResult:
    """``ideal``, ``quantised``, ``programmed``, ``analog``, ``digital``: ``(batch, outputs)`` in units
    of W·X (``programmed``: the quantised inputs times the weights the drawn conductances hold,
    ideal wires and readout); ``engine`` and ``engine_version`` name the simulator that ran."""

    config: VmmConfig
    ideal: np.ndarray
    quantised: np.ndarray
    programmed: np.ndarray
    analog: np.ndarray
    digital: np.ndarray
    adc_codes: np.ndarray  # (batch, cycles, outputs)
    feedback: dict[str, float]
    energy_J: np.ndarray  # (batch,) total over all sources
    energy_groups_J: dict[str, float]  # mean per input vector: inputs, array, periphery, other, total
    latency_s: float
    trace: VmmTrace
    netlist_text: str
    t_simulate_s: float
    engine: str
    engine_version: str

    def errors(self) -> dict[str, dict[str, float]]:
        """Per stage: RMSE and max |error| normalised to :attr:`VmmConfig.full_scale`."""
        fs = self.config.full_scale
        stages = {"mapping": self.quantised - self.ideal, "programming": self.programmed - self.quantised,
                  "analog": self.analog - self.programmed,
                  "adc": self.digital - self.analog, "total": self.digital - self.ideal}
        return {name: {"rmse_fs": float(np.sqrt(np.mean(d**2)) / fs), "max_abs_fs": float(np.max(np.abs(d)) / fs)}
                for name, d in stages.items()}

    @property
    def energy_per_mac_J(self) -> float:
        return float(np.mean(self.energy_J)) / (self.config.rows * self.config.outputs)

    def summary(self) -> dict[str, Any]:
        """The JSON-ready summary: the chain's settings, per-stage errors, energy, latency, engine."""
        config = self.config
        return {
            "rows": config.rows, "outputs": config.outputs, "batch": config.batch, "encoding": config.encoding,
            "readout": config.readout, "input_bits": config.input_bits, "adc_bits": config.adc_bits,
            "levels": config.levels, "weight_range": config.mapping.weight_range, "differential": config.differential,
            "model": config.model, "r_wire_ohm": config.r_wire_ohm, "g_min_S": config.g_min_S,
            "g_max_S": config.g_max_S, "v_read_V": config.v_read_V, "input_full_scale": config.input_full_scale,
            "full_scale": config.full_scale, "adc_full_scale_V": config.adc_full_scale_V,
            "adc_lsb_units": config.lsb_units, **self.feedback,
            "seed": config.seed, "population": config.population.to_dict(),
            "cells": drawn_conductances(config).counts(),
            "errors": self.errors(), "exact": bool(np.array_equal(self.digital, self.ideal)),
            "energy_per_mac_J": self.energy_per_mac_J, "energy_per_vector_J": self.energy_groups_J,
            "energy_scope": "∫V·I of every source and op-amp output (memspice.analysis.energy); no op-amp supply power",
            "latency_s": self.latency_s, "engine": {"backend": self.engine, "version": self.engine_version},
            "t_simulate_s": self.t_simulate_s,
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """``results``: ``batch, output, ideal, analog, digital`` (units of W·X), one row per output and vector."""
        import pandas as pd

        batch, outputs = self.ideal.shape
        return {"results": pd.DataFrame({
            "batch": np.repeat(np.arange(batch), outputs), "output": np.tile(np.arange(outputs), batch),
            "ideal": self.ideal.ravel(), "analog": self.analog.ravel(), "digital": self.digital.ravel(),
        })}


def column_conductances(config: VmmConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """``(G, plus, minus, delta)``: the ``(rows, columns)`` conductances, the column index of each
    output's positive and negative side, and siemens per unit of weight of ``I_plus − I_minus``."""
    pairs, n = config.mapping, config.outputs
    if config.differential:
        return (np.hstack([pairs.g_plus_S, pairs.g_minus_S]), np.arange(n), np.arange(n, 2 * n), pairs.delta_g_S)
    delta = (pairs.g_max_S - pairs.g_min_S) / (2 * pairs.weight_range)
    single = pairs.g_min_S + (pairs.weights_quantised + pairs.weight_range) * delta
    reference = np.full((config.rows, 1), (pairs.g_min_S + pairs.g_max_S) / 2)
    return np.hstack([single, reference]), np.arange(n), np.full(n, n), delta


@dataclass(frozen=True)
class ReadTiming:
    """Where the input pulses sit: cycle length, pulse start within a cycle, pulse width (s)."""

    cycle_s: float
    start_s: float
    width_s: float
    reset_s: float


def read_timing(config: VmmConfig) -> ReadTiming:
    """Integrator: each cycle is the readout's reset + window (``integration_s = width + 4·edge``),
    the pulse starts one edge into the window and ends two edges before its end. TIA: the
    pulse starts one edge into the cycle."""
    edge, width = config.edge_s, config.read_time_s
    if config.readout == "integrator":
        reset = config.reset_s
        return ReadTiming(reset + width + 6 * edge, reset + 2 * edge, width, reset)
    return ReadTiming(width + 3 * edge, edge, width, 0.0)


def encode(config: VmmConfig, x: np.ndarray) -> EncodedInputs:
    """The word-line sources of one input vector ``x`` ``(rows,)``."""
    timing = read_timing(config)
    common = {"v_read_V": config.v_read_V, "edge_s": config.edge_s, "start_s": timing.start_s}
    if config.encoding == "amplitude":
        return amplitude_inputs(x, bits=config.input_bits, full_scale=config.input_full_scale,
                                width_s=timing.width_s, **common)
    if config.encoding == "pwm":
        return pulse_width_inputs(x, bits=config.input_bits, full_scale=config.input_full_scale,
                                  max_width_s=timing.width_s, **common)
    codes = input_codes(x, bits=config.input_bits, full_scale=config.input_full_scale)
    return bit_serial_inputs(codes, bits=config.input_bits, width_s=timing.width_s, cycle_s=timing.cycle_s, **common)


def volts_per_unit(config: VmmConfig, delta_g_S: float) -> tuple[float, dict[str, float]]:
    """Readout volts per unit of per-cycle code product, and the feedback element (``r_f_ohm``
    or ``c_f_F``) that gives it with a unity-gain difference stage."""
    v_lsb = config.adc_full_scale_V / 2 ** (config.adc_bits - 1)
    v_unit = v_lsb / config.lsb_units
    volts_per_code = config.v_read_V if config.encoding == "bitserial" else config.v_read_V / (2**config.input_bits - 1)
    if config.encoding == "pwm":  # one code: V_read for width/(2**B − 1) seconds
        charge = delta_g_S * config.v_read_V * config.read_time_s / (2**config.input_bits - 1)
    else:  # one code: volts_per_code for the pulse width (pulse area V·width, see the encoders)
        charge = delta_g_S * volts_per_code * config.read_time_s
        if config.readout == "tia":
            return v_unit, {"r_f_ohm": v_unit / (delta_g_S * volts_per_code), "v_lsb_V": v_lsb}
    return v_unit, {"c_f_F": charge / v_unit, "v_lsb_V": v_lsb}


def readout_config(config: VmmConfig, feedback: dict[str, float]) -> ResistiveTia | IntegratingTia:
    """The readout block: ideal op-amps; the reset switch's on-resistance is chosen so that
    ``R_on·C = reset_s / 20`` (at most 100 Ω), so each reset empties the capacitor."""
    if config.readout == "tia":
        return ResistiveTia(feedback_ohm=feedback["r_f_ohm"])
    timing = read_timing(config)
    capacitance = feedback["c_f_F"]
    return IntegratingTia(capacitance_f=capacitance, integration_s=timing.width_s + 4 * config.edge_s,
                          reset_s=timing.reset_s, edge_s=config.edge_s,
                          switch_on_ohm=min(100.0, timing.reset_s / (20 * capacitance)))


def build_netlist(config: VmmConfig, encoded: EncodedInputs, conductance_S: np.ndarray,
                  feedback: dict[str, float]) -> tuple[Netlist, CrossbarNodes, ReadoutNodes, np.ndarray]:
    """Crossbar (encoder sources on the word lines, bit-line ends left to the readout), the
    readout block and a ``.tran``. Returns the netlist, both node descriptions and the
    ADC sampling instants ``(cycles,)`` (s)."""
    netlist = Netlist(title=f"memspice vmm: {config.rows}x{config.outputs} {config.encoding} {config.readout}")
    if config.model is None:
        cells = FixedConductanceCells(conductance_S)
    else:
        from memspice.spicelib.catalog import get_model

        cells = MemristorCells.from_conductance(get_model(config.model), conductance_S, v_read_V=config.v_read_V)
    columns = conductance_S.shape[1]
    crossbar = CrossbarConfig(conductance_S.shape[0], columns, r_word_ohm=config.r_wire_ohm,
                              r_bit_ohm=config.r_wire_ohm)
    nodes = add_crossbar(netlist, crossbar, cells, word_lines=list(encoded.sources),
                         bit_lines=[External()] * columns)
    ends = bit_line_ends(nodes)
    block = readout_config(config, feedback)
    if config.differential:
        readout = add_differential(netlist, ends[: config.outputs], ends[config.outputs:], block)
    else:
        readout = add_tia(netlist, ends, block)
    cycles = len(encoded.sample_s)
    if isinstance(block, IntegratingTia):
        samples = np.array([block.window_s(k)[1] for k in range(cycles)])
        stop = cycles * block.period_s
    else:
        samples, stop = encoded.sample_s, encoded.stop_s
    netlist.analysis = Tran(step_s=config.edge_s, stop_s=stop, max_step_s=config.read_time_s / 50)
    # `ngspice -b` runs a transient only with something to print: the readout outputs.
    netlist.print_vectors = [f"v({node})" for node in readout.outputs[:PRINTED_VECTORS]]
    return netlist, nodes, readout, samples


def _difference(config: VmmConfig, readout: ReadoutNodes, waveforms: Waveforms, times: np.ndarray | None) -> np.ndarray:
    """Readout output ∝ ``I⁺ − I⁻`` per output: ``(len(times), outputs)`` or ``(points, outputs)``
    for ``times=None``. Differential: the difference stage's outputs. Single-ended: the
    reference column's TIA output minus each column's (the TIAs invert)."""
    values = readout_voltages(waveforms, readout, point=None) if times is None else sample_readout(waveforms, readout, times)
    if config.differential:
        return values
    return values[:, -1:] - values[:, :-1]


def _netlist(config: VmmConfig, vector: int) -> tuple[Netlist, CrossbarNodes, ReadoutNodes, np.ndarray]:
    """:func:`build_netlist` for input vector ``vector`` (0-based) of ``config``."""
    _, _, _, delta = column_conductances(config)
    _, feedback = volts_per_unit(config, delta)
    return build_netlist(config, encode(config, config.input_matrix[vector]), drawn_conductances(config).g_programmed_S,
                         feedback)


def programmed_weights(config: VmmConfig) -> np.ndarray:
    """``(rows, outputs)`` weights the drawn conductances hold: (G_plus − G_minus) / Δ per unit of
    weight, the same read of the columns the readout differences (equal to the quantised
    weights for an ideal population)."""
    _, plus, minus, delta = column_conductances(config)
    g = drawn_conductances(config).g_programmed_S  # single-ended: `minus` is the reference column
    return (g[:, plus] - g[:, minus]) / delta


def drawn_conductances(config: VmmConfig) -> Population:
    """The mapped conductances (:func:`column_conductances`) as programmed: through the device
    population, seeded by ``seed``; stuck cells at g_max / g_min."""
    g = column_conductances(config)[0]
    return config.population.draw(g, config.seed, g_on_S=config.g_max_S, g_off_S=config.g_min_S)


def plan(config: VmmConfig) -> list[Job]:
    """One transient per input vector (``vmm_0``, ``vmm_1``, ...)."""
    return [Job(f"vmm_{b}", _netlist(config, b)[0], f"input vector {b + 1}/{config.batch}") for b in range(config.batch)]


def analyse(config: VmmConfig, jobs: Sequence[Job], outputs: Sequence[Waveforms]) -> VmmResult:
    """Sample the readout, digitise (shift-and-add for bit-serial), and add up energies and errors."""
    g, _, _, delta = column_conductances(config)
    v_unit, feedback = volts_per_unit(config, delta)
    # Node names and sampling instants do not depend on the input values: one layout serves every vector.
    _, nodes, readout, samples = _netlist(config, 0)
    batch = config.batch
    half = 2 ** (config.adc_bits - 1)
    analog_codes = np.zeros((batch, config.outputs))
    digital_codes = np.zeros((batch, config.outputs), dtype=np.int64)
    all_codes, energy, energy_groups = [], np.zeros(batch), {}
    trace = None
    for b, (job, waveforms) in enumerate(zip(jobs, outputs)):
        volts = _difference(config, readout, waveforms, samples)  # (cycles, outputs)
        codes = adc_codes(volts, bits=config.adc_bits, v_min=-config.adc_full_scale_V,
                          v_max=config.adc_full_scale_V) - half  # signed: 0 V is code 0
        all_codes.append(codes)
        if config.encoding == "bitserial":
            analog_codes[b] = shift_and_add(volts / v_unit, config.input_bits)
            digital_codes[b] = shift_and_add(codes, config.input_bits)
        else:
            analog_codes[b] = volts[0] / v_unit
            digital_codes[b] = codes[0]
        groups = group_energies(source_energies(waveforms, job.netlist))
        for name, value in groups.items():
            energy_groups[name] = energy_groups.get(name, 0.0) + value / batch
        energy[b] = groups["total"]
        if trace is None:
            t = waveforms.column("time")
            word_v = np.column_stack([waveforms.column(f"v({node})") for node in nodes.word_nodes[:, 0]])
            ramp = _difference(config, readout, waveforms, None)[:, 0]
            trace = VmmTrace(t, word_v, ramp, samples, volts[:, 0], feedback["v_lsb_V"])
    step = config.input_step
    x_q = input_codes(config.input_matrix, bits=config.input_bits, full_scale=config.input_full_scale) * step
    first = outputs[0]
    return VmmResult(
        config=config, ideal=config.input_matrix @ config.weight_matrix, quantised=x_q @ config.mapping.weights(),
        programmed=x_q @ programmed_weights(config),
        analog=analog_codes * step, digital=digital_codes * config.lsb_units * step, adc_codes=np.array(all_codes),
        feedback=feedback, energy_J=energy, energy_groups_J=energy_groups,
        latency_s=float(outputs[-1].column("time")[-1]), trace=trace, netlist_text=first.netlist_text,
        t_simulate_s=float(sum(w.wall_time_s for w in outputs)), engine=first.backend,
        engine_version=first.engine_version,
    )


def check_engine(config: VmmConfig, options: RunOptions) -> None:
    """Refuse ``engine="vacask"`` before any simulation when VACASK cannot express the netlist
    (the op-amps are ngspice B-sources without a Verilog-A twin); ``auto`` falls back to ngspice."""
    if options.engine != "vacask":
        return
    try:
        _netlist(config, 0)[0].render_vacask()
    except NetlistError:
        raise ParameterError("engine='vacask' cannot run the vmm chain: its op-amps are ngspice B-sources "
                             "(VACASK has none and they have no Verilog-A twin); use engine auto, shared or "
                             "subprocess") from None


def run_vmm(config: VmmConfig, *, options: RunOptions | None = None,
            progress: ProgressCallback | None = None) -> VmmResult:
    """Map, encode, simulate (one transient per input vector), read out, digitise."""
    check_engine(config, options or RunOptions())
    return run_plan(plan, analyse, config, options, progress=progress)


def _plot(result: VmmResult, path: Path) -> Path:
    from memspice.analysis.vmm_plots import plot_vmm_chain

    config, trace = result.config, result.trace
    return plot_vmm_chain(
        trace.time_s, trace.word_line_V, trace.readout_V, path, sample_times_s=trace.sample_times_s,
        sample_values_V=trace.sample_values_V, adc_lsb_V=trace.adc_lsb_V, readout=config.readout,
        title=f"{config.rows}×{config.outputs} VMM: {config.encoding} inputs, {config.readout} readout, "
              f"{config.adc_bits}-bit ADC",
    )


def write_vmm_report(result: VmmResult, out_dir: Path) -> dict[str, Path]:
    """Write ``results.csv`` (``batch,output,ideal,analog,digital``), ``vmm_chain.png``, the netlist of
    the first input vector (``vmm.cir``) and, last, ``summary.json``."""
    return write_report(
        out_dir,
        texts={"vmm.cir": result.netlist_text},
        tables={f"{name}.csv": frame for name, frame in result.tables().items()},
        figures={"vmm_chain.png": lambda path: _plot(result, path)},
        summary=result.summary(),
    )


_EPILOG = """\
outputs in DIR:
  results.csv     batch,output,ideal,analog,digital (units of W·X)
  vmm_chain.png   input pulses, readout output of output 0, ADC sampling instants
  vmm.cir         the netlist of the first input vector (plain `ngspice -b FILE` runs it)
  summary.json    per-stage error normalised to full scale, energy per MAC, latency, engine

example:
  memspice vmm --weights W.npy --inputs X.npy --encoding bitserial --readout integrator --adc-bits 12 --levels 15 --out out/vmm
"""


_TITLE = "vector-matrix multiply through the whole chain: mapping, inputs, crossbar, readout, ADC"
_DESCRIPTION = (
    "Map signed weights W (rows, outputs) to conductance pairs (G+ - G-, optionally quantised to L levels), "
    "encode the inputs X on the word lines (amplitude DAC, pulse width or bit-serial), read the columns with "
    "TIAs or integrators (differential pairs subtracted in SPICE), digitise with an N-bit ADC (shift-and-add "
    "for bit-serial) and compare with the ideal product X·W, stage by stage. The op-amps are ngspice "
    "B-sources: --engine auto runs ngspice, --engine vacask is refused."
)


def summary_lines(result: VmmResult) -> list[str]:
    lines = [f"{stage:>10}: " + ", ".join(f"{key} {value:.3g}" for key, value in numbers.items())
             for stage, numbers in result.errors().items()]
    lines.append(f"energy per MAC {result.energy_per_mac_J:.3g} J")
    return lines


def cost(config: VmmConfig) -> RunCost:
    """One transient per input vector: the array (two columns per output when differential)
    with a TIA or integrator per column."""
    columns = config.outputs * (2 if config.differential else 1)
    what = f"a {config.rows}x{columns} vmm transient"
    estimate = array_cost(what, config.rows, columns, device="conductance" if config.model is None else "memristor",
                          wires=config.r_wire_ohm > 0, time_points=config.time_points, simulations=config.batch,
                          points_option="--read-time")
    return replace(estimate, elements=estimate.elements + 10 * columns, nodes=estimate.nodes + 5 * columns)


STUDY = register_study(Study(
    name="vmm", Config=VmmConfig, title=_TITLE, description=_DESCRIPTION, epilog=_EPILOG,
    plan=plan, analyse=analyse, loop=run_vmm, cost=cost, report=write_vmm_report, summary_lines=summary_lines,
))
