"""Vector-matrix multiply through the whole chain: mapping, input encoder, crossbar, readout, ADC.

``run_vmm(VmmConfig(weights=W, inputs=X, ...))`` computes ``X·W`` (``W`` of shape
``(rows, outputs)``, ``X`` of shape ``(rows,)`` or ``(batch, rows)``) in ngspice and reports,
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
   ``V_ref_col − V_col`` is done on the sampled waveforms.
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
grouped into inputs, array and periphery (the op-amps' supply power is not modelled), per multiply-accumulate (``rows · outputs``
per input vector). Latency: the encoder's time per input vector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from memspice.analysis.energy import group_energies, source_energies
from memspice.analysis.readout import readout_voltages, sample_readout
from memspice.circuits.mapping import (
    ConductancePairs,
    check_bits,
    check_levels,
    map_weights,
    shift_and_add,
)
from memspice.circuits.crossbar import (
    CrossbarConfig,
    CrossbarNodes,
    External,
    add_crossbar,
)
from memspice.circuits.crossbar_cells import FixedConductanceCells, MemristorCells
from memspice.circuits.encoders import (
    EncodedInputs,
    amplitude_inputs,
    bit_serial_inputs,
    input_codes,
    pulse_width_inputs,
)
from memspice.circuits.readout import (
    IntegratingTia,
    ReadoutNodes,
    ResistiveTia,
    adc_codes,
    add_differential,
    add_tia,
    bit_line_ends,
)
from memspice.errors import ParameterError
from memspice.files import write_csv_atomic, write_json_atomic
from memspice.netlist import Netlist, Tran

ENCODINGS = ("amplitude", "pwm", "bitserial")
READOUTS = ("tia", "integrator")


@dataclass(frozen=True, eq=False)
class VmmConfig:
    """One VMM experiment. SI units; validated on construction, before any simulator starts.

    Attributes
    ----------
    weights: ``(rows, outputs)`` signed weights, finite.
    inputs: ``(rows,)`` or ``(batch, rows)`` non-negative inputs (stored as ``(batch, rows)``).
    encoding: ``amplitude``, ``pwm`` (needs ``readout="integrator"``) or ``bitserial``.
    input_bits: input code width B (1..16).
    readout: ``tia`` (resistive TIA) or ``integrator``.
    adc_bits: ADC resolution N (1..16).
    levels: weight levels L (>= 2) or None (no quantisation).
    weight_range: R, the weight mapped to G_max (None: see :mod:`memspice.circuits.mapping`).
    input_full_scale: x_fs (None: ``2**B − 1`` when every input is an integer in that range,
        else ``max(X)``).
    differential: G⁺/G⁻ column pairs (True) or one column per output plus a reference column.
    model: catalog memristor name for the cells (None: fixed conductances).
    r_wire_ohm: every word- and bit-line segment (Ω).
    g_min_S, g_max_S: conductance window (S).
    v_read_V: read voltage (V).
    adc_full_scale_V: ADC positive full scale (V).
    adc_lsb_units: code-product units per ADC LSB (None: see the module docstring).
    read_time_s: amplitude pulse width, longest pwm pulse, or bit-serial cycle (s).
    edge_s: rise/fall time of every input edge (s).
    reset_s: integrator reset phase before each window (s).
    engine: ngspice backend (``shared`` or ``subprocess``).
    """

    weights: np.ndarray
    inputs: np.ndarray
    encoding: str = "amplitude"
    input_bits: int = 8
    readout: str = "tia"
    adc_bits: int = 8
    levels: int | None = None
    weight_range: float | None = None
    input_full_scale: float | None = None
    differential: bool = True
    model: str | None = None
    r_wire_ohm: float = 0.0
    g_min_S: float = 1e-6
    g_max_S: float = 100e-6
    v_read_V: float = 0.2
    adc_full_scale_V: float = 1.0
    adc_lsb_units: float | None = None
    read_time_s: float = 1e-6
    edge_s: float = 1e-9
    reset_s: float = 20e-9
    engine: str = "shared"
    timeout_s: float = 600.0
    mapping: ConductancePairs = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise ParameterError(f"encoding={self.encoding!r} is not allowed; use one of {', '.join(ENCODINGS)}")
        if self.readout not in READOUTS:
            raise ParameterError(f"readout={self.readout!r} is not allowed; use one of {', '.join(READOUTS)}")
        if self.encoding == "pwm" and self.readout != "integrator":
            raise ParameterError("encoding='pwm' needs readout='integrator' (a pulse width is read as charge)")
        check_bits(self.input_bits, what="input_bits")
        check_bits(self.adc_bits, what="adc_bits")
        check_levels(self.levels)
        for name in ("g_min_S", "g_max_S", "v_read_V", "adc_full_scale_V", "read_time_s", "edge_s", "reset_s",
                     "timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
                    or not math.isfinite(value) or value <= 0:
                raise ParameterError(f"VmmConfig.{name}={value!r} is not allowed; use a finite number > 0")
        if not (math.isfinite(self.r_wire_ohm) and self.r_wire_ohm >= 0):
            raise ParameterError(f"VmmConfig.r_wire_ohm={self.r_wire_ohm!r} is not allowed; use a finite number >= 0 Ω")
        if self.adc_lsb_units is not None and not (math.isfinite(self.adc_lsb_units) and self.adc_lsb_units > 0):
            raise ParameterError(f"VmmConfig.adc_lsb_units={self.adc_lsb_units!r} must be a finite number > 0 or None")
        if self.engine not in ("shared", "subprocess"):
            raise ParameterError(f"VmmConfig.engine={self.engine!r} is not allowed; use 'shared' or 'subprocess'")
        pairs = map_weights(self.weights, g_min_S=self.g_min_S, g_max_S=self.g_max_S, levels=self.levels,
                            weight_range=self.weight_range)
        weights = np.asarray(self.weights, dtype=float)
        try:
            x = np.asarray(self.inputs, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"inputs could not be read as a float array: {exc}") from None
        x = x[None, :] if x.ndim == 1 else x
        if x.ndim != 2 or x.shape[1] != weights.shape[0] or x.shape[0] == 0:
            raise ParameterError(f"inputs must have shape ({weights.shape[0]},) or (batch, {weights.shape[0]}) "
                                 f"to match weights {weights.shape} (rows, outputs); got {np.shape(self.inputs)}")
        full_scale = self.input_full_scale
        if full_scale is None:
            top = 2**self.input_bits - 1
            integer = np.all(np.isfinite(x)) and np.all(x == np.round(x)) and np.all((x >= 0) & (x <= top))
            full_scale = float(top) if integer else float(np.max(x)) if np.all(np.isfinite(x)) else 1.0
            full_scale = full_scale if full_scale > 0 else 1.0
        input_codes(x, bits=self.input_bits, full_scale=full_scale)  # validates finiteness and range
        if self.model is not None:
            from memspice.spicelib.catalog import get_model

            get_model(self.model)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "inputs", x)
        object.__setattr__(self, "input_full_scale", float(full_scale))
        object.__setattr__(self, "mapping", pairs)

    @property
    def rows(self) -> int:
        return int(self.weights.shape[0])

    @property
    def outputs(self) -> int:
        return int(self.weights.shape[1])

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
    """``ideal``, ``quantised``, ``analog``, ``digital``: ``(batch, outputs)`` in units of W·X."""

    config: VmmConfig
    ideal: np.ndarray
    quantised: np.ndarray
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

    def errors(self) -> dict[str, dict[str, float]]:
        """Per stage: RMSE and max |error| normalised to :attr:`VmmConfig.full_scale`."""
        fs = self.config.full_scale
        stages = {"mapping": self.quantised - self.ideal, "analog": self.analog - self.quantised,
                  "adc": self.digital - self.analog, "total": self.digital - self.ideal}
        return {name: {"rmse_fs": float(np.sqrt(np.mean(d**2)) / fs), "max_abs_fs": float(np.max(np.abs(d)) / fs)}
                for name, d in stages.items()}

    @property
    def energy_per_mac_J(self) -> float:
        return float(np.mean(self.energy_J)) / (self.config.rows * self.config.outputs)


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
    return netlist, nodes, readout, samples


def _difference(config: VmmConfig, readout: ReadoutNodes, waveforms: Any, times: np.ndarray | None) -> np.ndarray:
    """Readout output ∝ ``I⁺ − I⁻`` per output: ``(len(times), outputs)`` or ``(points, outputs)``
    for ``times=None``. Differential: the difference stage's outputs. Single-ended: the
    reference column's TIA output minus each column's (the TIAs invert)."""
    values = readout_voltages(waveforms, readout, point=None) if times is None else sample_readout(waveforms, readout, times)
    if config.differential:
        return values
    return values[:, -1:] - values[:, :-1]


def run_vmm(config: VmmConfig) -> VmmResult:
    """Map, encode, simulate (one ngspice transient per input vector), read out, digitise."""
    from memspice.engine import run

    g, _, _, delta = column_conductances(config)
    v_unit, feedback = volts_per_unit(config, delta)
    batch = config.inputs.shape[0]
    half = 2 ** (config.adc_bits - 1)
    analog_codes = np.zeros((batch, config.outputs))
    digital_codes = np.zeros((batch, config.outputs), dtype=np.int64)
    all_codes, energy, energy_groups = [], np.zeros(batch), {}
    trace, text, t_sim, latency = None, "", 0.0, 0.0
    for b in range(batch):
        encoded = encode(config, config.inputs[b])
        netlist, nodes, readout, samples = build_netlist(config, encoded, g, feedback)
        text = text or netlist.render()
        waveforms = run(netlist, backend=config.engine, timeout_s=config.timeout_s, name="vmm")
        t_sim += waveforms.wall_time_s
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
        t = waveforms.column("time")
        word_v = np.column_stack([waveforms.column(f"v({node})") for node in nodes.word_nodes[:, 0]])
        groups = group_energies(source_energies(waveforms, netlist))
        for name, value in groups.items():
            energy_groups[name] = energy_groups.get(name, 0.0) + value / batch
        energy[b] = groups["total"]
        latency = float(t[-1])
        if trace is None:
            ramp = _difference(config, readout, waveforms, None)[:, 0]
            trace = VmmTrace(t, word_v, ramp, samples, volts[:, 0], feedback["v_lsb_V"])
    step = config.input_step
    x_q = input_codes(config.inputs, bits=config.input_bits, full_scale=config.input_full_scale) * step
    return VmmResult(
        config=config, ideal=config.inputs @ config.weights, quantised=x_q @ config.mapping.weights(),
        analog=analog_codes * step, digital=digital_codes * config.lsb_units * step, adc_codes=np.array(all_codes),
        feedback=feedback, energy_J=energy, energy_groups_J=energy_groups, latency_s=latency, trace=trace, netlist_text=text, t_simulate_s=t_sim,
    )


def write_vmm_report(result: VmmResult, out_dir: Path) -> dict[str, Path]:
    """Write ``results.csv`` (``batch,output,ideal,analog,digital``), ``vmm_chain.png``, the netlist of
    the first input vector and, last, ``summary.json``."""
    from memspice.analysis.vmm_plots import plot_vmm_chain
    from memspice.files import write_text_atomic

    config = result.config
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)
    batch, outputs = result.ideal.shape
    frame = pd.DataFrame({
        "batch": np.repeat(np.arange(batch), outputs), "output": np.tile(np.arange(outputs), batch),
        "ideal": result.ideal.ravel(), "analog": result.analog.ravel(), "digital": result.digital.ravel(),
    })
    written = {"results.csv": write_csv_atomic(out_dir / "results.csv", frame),
               "vmm.cir": write_text_atomic(out_dir / "vmm.cir", result.netlist_text)}
    written["vmm_chain.png"] = plot_vmm_chain(
        result.trace, out_dir / "vmm_chain.png",
        title=f"{config.rows}×{config.outputs} VMM: {config.encoding} inputs, {config.readout} readout, "
              f"{config.adc_bits}-bit ADC", readout=config.readout)
    summary: dict[str, object] = {
        "rows": config.rows, "outputs": config.outputs, "batch": batch, "encoding": config.encoding,
        "readout": config.readout, "input_bits": config.input_bits, "adc_bits": config.adc_bits,
        "levels": config.levels, "weight_range": config.mapping.weight_range, "differential": config.differential,
        "model": config.model, "r_wire_ohm": config.r_wire_ohm, "g_min_S": config.g_min_S, "g_max_S": config.g_max_S,
        "v_read_V": config.v_read_V, "input_full_scale": config.input_full_scale, "full_scale": config.full_scale,
        "adc_full_scale_V": config.adc_full_scale_V, "adc_lsb_units": config.lsb_units, **result.feedback,
        "errors": result.errors(), "exact": bool(np.array_equal(result.digital, result.ideal)),
        "energy_per_mac_J": result.energy_per_mac_J, "energy_per_vector_J": result.energy_groups_J,
        "energy_scope": "∫V·I of every source and op-amp output (memspice.analysis.energy); no op-amp supply power",
        "latency_s": result.latency_s, "t_simulate_s": result.t_simulate_s,
    }
    written["summary.json"] = write_json_atomic(out_dir / "summary.json", summary)
    return written
