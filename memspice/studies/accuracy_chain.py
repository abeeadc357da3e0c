"""Inference accuracy chain of a 64-32-10 MLP on the bundled digits, every array read from SPICE (issue 18).

Yao et al. (Nature 577:641, 2020) report the staircase software → 15-level weights → mapped to
memristors → retrained in situ. This study walks the same steps for scikit-learn's bundled
digits (:mod:`memspice.analysis.digits`: a fixed stratified split, 1,347 training and 450
test images) and a ``64-hidden-10`` ReLU MLP, one row per step (accuracy mean ± std over
``draws`` Monte Carlo draws of the device population):

1. ``software``: the float network.
2. ``quantised``: each layer's weights rounded to ``levels`` levels over ``[−R, R]``,
   ``R = max|W|`` of the layer (:func:`memspice.circuits.mapping.quantise`).
3. ``mapped``: the quantised weights mapped to differential pairs in ``[g_min_S, g_max_S]``
   (:func:`~memspice.circuits.mapping.map_weights`) and programmed through the population
   (:class:`~memspice.spicelib.variation.PopulationConfig`: programming noise, stuck and dead
   cells), read ideally: ``w = (G⁺ − G⁻)/ΔG``.
4. ``wires``: the same programmed cells in tiles of at most ``tile_rows × tile_columns``
   cells (:mod:`memspice.circuits.tiles`; larger layers are partitioned, partial sums added
   digitally) with ``r_wire_ohm`` per word- and bit-line segment. Each tile's map from
   word-line voltages to sink currents is extracted from SPICE, one batch of ``tile_rows``
   DC reads per tile (:func:`memspice.flows.tile_reads.extract_tile_matrix`: one VACASK
   process for all reads); ideal (float) inputs and readout.
5. ``chip``: the extracted tiles with the whole readout: 8-bit inputs applied bit-serially
   (``input_bits`` cycles), a resistive TIA on each column of a pair and a difference stage,
   an ``adc_bits`` ADC per output and tile (:mod:`memspice.analysis.chip`), shift-and-add,
   partial sums, biases, ReLU and argmax digitally. The hidden activations are requantised to
   ``input_bits`` over the largest hidden activation of the quantised network on the training
   images; each tile's feedback resistor puts the largest per-cycle product of those training
   inputs (ideal quantised weights) at the ADC's full scale.

The check (``check_images`` test images, draw 0): every tile's readout chain simulated in
ngspice as one transient of all the sampled images one after the other (bit-serial pulses,
wired crossbar, TIAs at their virtual grounds, difference stages:
:func:`~memspice.flows.tile_reads.transient_tile_chain`), layer 2 fed with the hidden codes
the layer-1 transients gave. ``summary.json`` says whether the ADC codes and the predicted
classes are identical to the extracted-matrix model and how far the column currents are
(largest error relative to the tile's largest current).

Nonlinear cells (``cell = "1T1R"``: each conductance in series with an NMOS access transistor):
the extracted maps are then only the secant linearisation at ``v_read_V`` on one word line.
The ``check_images`` are read as they are, every bit-serial cycle of every tile a DC read in
one batch per tile (:func:`~memspice.flows.tile_reads.read_tile`: one VACASK process for all
of a tile's reads), and ``nonlinear_reads`` in ``summary.json`` says how far the linearised
chip is from them (currents, ADC codes, classes, accuracy); the transient check is then held
against those reads. The chain's rows stay those of the linearised maps.

Energy and latency per inference from those transients: ``∫V·I dt`` of the word-line drivers
(inputs, which is the array's dissipation) and of the op-amp outputs (periphery), over the
sampled images; plus the ADC from Walden's figure of merit, ``E = FoM·2**ENOB`` per
conversion (ENOB taken as ``adc_bits``; one conversion per output, tile and cycle). Latency:
``input_bits`` cycles per layer (the tiles of a layer read in parallel, the layers in turn).

Yao's experiment (``randomise_fraction``, ``retrain``): on draw 0, that fraction of every
layer's weight pairs is reprogrammed to a random level; the last layer is then retrained in
situ (:mod:`memspice.flows.last_layer_retrain`: a VTEAM crossbar, batch Manhattan updates as
V/2 pulses in SPICE) and read as a tile again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from memspice.analysis.chip import (
    AdcReadout,
    calibrated_feedback,
    difference_map,
    input_codes_clipped,
    largest_cycle_product,
)
from memspice.circuits.mapping import ConductancePairs, bit_planes, map_weights, quantise, shift_and_add
from memspice.circuits.tiles import Tile, partition
from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine.budget import RunCost, array_cost
from memspice.engine.options import RunOptions
from memspice.spicelib.variation import PopulationConfig
from memspice.studies.base import ProgressCallback, Study, register_study
from memspice.studies.report import write_report

if TYPE_CHECKING:
    import pandas as pd

    from memspice.analysis.digits import Mlp

STEPS = ("software", "quantised", "mapped", "wires", "chip")
RETRAIN = ("spice", "none")
CELLS = ("0T1R", "1T1R")
#: Test images of the fixed split.
TEST_IMAGES = 450
#: Longest transient check allowed (s of estimated ngspice time, :attr:`AccuracyChainConfig.check_seconds`).
MAX_CHECK_S = 1800.0


@dataclass(frozen=True)
class AccuracyChainConfig(ConfigBase):
    """The network, the mapping, the tiles, the readout and the Monte Carlo draws (SI units)."""

    hidden: int = setting(32, low=4, high=128, doc="hidden ReLU units of the 64-H-10 MLP")
    network_seed: int = setting(0, low=0, high=10**9, cli="network-seed", doc="seed of the MLP's initial weights")
    levels: int = setting(15, low=2, high=255, doc="weight levels L per layer over [-max|W|, max|W|] (15: -7..7)")
    g_min_S: float = setting(1e-6, unit="S", low=1e-9, high=1e-2, cli="g-min", doc="smallest conductance")
    g_max_S: float = setting(100e-6, unit="S", low=1e-9, high=1e-2, cli="g-max", doc="largest conductance")
    population: PopulationConfig = setting(
        default_factory=lambda: PopulationConfig(programming="lognormal:0.05"),
        doc="device population: programming noise, stuck and dead cells of every programmed tile",
    )
    draws: int = setting(10, low=1, high=100, doc="Monte Carlo draws of the population")
    seed: int = setting(0, low=0, high=10**9, doc="seed of the draws (and of the randomised weights)")
    tile_rows: int = setting(32, low=2, high=256, cli="tile-rows", doc="word lines per tile, R")
    tile_columns: int = setting(32, low=2, high=256, cli="tile-columns",
                                doc="bit lines per tile, C (even: a G+ and a G- column per output)")
    r_wire_ohm: float = setting(1.0, unit="Ω", low=0.0, high=100.0, cli="r-wire",
                                doc="segment resistance of every word and bit line")
    cell: str = setting("0T1R", choices=CELLS,
                        doc="cell: the conductance alone (linear), or 1T1R with an NMOS access transistor "
                            "(nonlinear: the extracted maps linearise it, check-images are read as they are)")
    gate_voltage_V: float = setting(1.2, unit="V", low=0.1, high=5.0, cli="gate-voltage", doc="1T1R gate voltage")
    v_read_V: float = setting(0.2, unit="V", low=0.0, low_open=True, high=1.0, cli="v-read",
                              doc="read voltage of a 1 bit (Yao 2020: 0.2 V)")
    input_bits: int = setting(8, low=1, high=12, cli="input-bits", doc="input resolution, bits (applied bit-serially)")
    adc_bits: int = setting(8, low=1, high=16, cli="adc-bits", doc="ADC resolution N, bits")
    adc_full_scale_V: float = setting(1.0, unit="V", low=0.0, low_open=True, high=10.0, cli="adc-full-scale",
                                      doc="ADC positive full scale (range +-this)")
    adc_fom_J: float = setting(10e-15, unit="J", low=0.0, high=1e-9, cli="adc-fom",
                               doc="Walden figure of merit of the ADC, J per conversion step (E = FoM 2^ENOB)")
    read_time_s: float = setting(20e-9, unit="s", low=1e-10, high=1e-5, cli="read-time",
                                 doc="flat top of each bit-serial read pulse")
    edge_s: float = setting(1e-9, unit="s", low=1e-12, high=1e-6, cli="edge", doc="rise/fall time of every read pulse")
    test_images: int = setting(TEST_IMAGES, low=10, high=TEST_IMAGES, cli="test-images",
                               doc="test images evaluated (the first of the fixed split)")
    check_images: int = setting(50, low=0, high=TEST_IMAGES, cli="check-images",
                                doc="test images checked by full transients of every tile's readout chain (0: none)")
    randomise_fraction: float = setting(0.1, low=0.0, high=1.0, cli="randomise",
                                        doc="fraction of every layer's weights reprogrammed to a random level (Yao)")
    retrain: str = setting("spice", choices=RETRAIN,
                           doc="retrain the last layer in situ after randomising: spice (Manhattan V/2 pulses) or none")
    retrain_images: int = setting(135, low=10, high=1347, cli="retrain-images",
                                  doc="training images the in-situ retraining uses (Yao: 10 %)")
    retrain_epochs: int = setting(10, low=1, high=200, cli="retrain-epochs", doc="Manhattan updates of the last layer")

    def check(self) -> None:
        self.population.refuse_parameter_variation("fixed conductances mapped from the weights")
        if self.g_max_S <= self.g_min_S:
            raise ConfigError("g_max_S", self.g_max_S, f"more than g_min_S = {self.g_min_S:g} S")
        if self.tile_columns % 2:
            raise ConfigError("tile_columns", self.tile_columns, "an even number (a G+ and a G- column per output)")
        if self.check_images > self.test_images:
            raise ConfigError("check_images", self.check_images, f"at most test_images = {self.test_images}")
        if self.read_time_s <= self.edge_s:
            raise ConfigError("read_time_s", self.read_time_s, f"more than edge_s = {self.edge_s:g} s")
        seconds = self.check_seconds
        if seconds > MAX_CHECK_S:
            most = int(self.check_images * MAX_CHECK_S / seconds)
            raise ConfigError("check_images", self.check_images,
                              f"at most {most} with {self.tile_rows}x{self.tile_columns} tiles",
                              reason=f"would take about {seconds / 3600:.1f} h of ngspice transients")

    @property
    def check_seconds(self) -> float:
        """Estimated ngspice time of the transient check (s): ~21 time points per bit-serial cycle,
        ~10 ms per point for a 32 × 32 tile with wires (measured, Sparse solver), scaling as
        cells^1.5 (0.1 of it without wires, whose nodes merge)."""
        per_point = sum(0.01 * (t.rows * t.columns / 1024) ** 1.5 for layer in self.tiles for t in layer)
        if self.r_wire_ohm == 0:
            per_point *= 0.1
        return self.check_images * self.input_bits * 21 * per_point
    @property
    def tiles(self) -> list[list[Tile]]:
        """The tiles of each layer."""
        sizes = ((64, self.hidden), (self.hidden, 10))
        return [partition(rows, outputs, tile_rows=self.tile_rows, tile_columns=self.tile_columns, layer=layer)
                for layer, (rows, outputs) in enumerate(sizes)]


@dataclass(frozen=True, eq=False)
class Network:
    """The trained network, its quantised weights and mappings, the calibrated readout of every tile."""

    mlp: "Mlp"
    quantised: tuple[np.ndarray, np.ndarray]
    pairs: tuple[ConductancePairs, ConductancePairs]
    hidden_full_scale: float
    readouts: dict[str, AdcReadout]
    largest_products: dict[str, float]


def build_network(config: AccuracyChainConfig) -> Network:
    """Train (or take the cached) MLP, quantise, map, and calibrate each tile's readout."""
    from memspice.analysis.digits import digits_split, reference_mlp

    mlp = reference_mlp(config.hidden, config.network_seed)
    ranges = [float(np.max(np.abs(w))) for w in mlp.weights]
    quantised = tuple(quantise(w, levels=config.levels, weight_range=r) for w, r in zip(mlp.weights, ranges))
    pairs = tuple(map_weights(q, g_min_S=config.g_min_S, g_max_S=config.g_max_S, weight_range=r)
                  for q, r in zip(quantised, ranges))
    x = digits_split().x_train
    hidden = np.maximum(x @ quantised[0] + mlp.b1, 0.0)
    hidden_fs = float(np.max(hidden)) or 1.0
    codes = (input_codes_clipped(x, 1.0, config.input_bits), input_codes_clipped(hidden, hidden_fs, config.input_bits))
    readouts, largest_products = {}, {}
    for layer, tiles in enumerate(config.tiles):
        for tile in tiles:
            weights = quantised[layer][tile.row_start:tile.row_stop, tile.output_start:tile.output_stop]
            largest = largest_cycle_product(weights, codes[layer][:, tile.row_start:tile.row_stop], config.input_bits)
            largest_products[tile.name] = largest
            feedback = calibrated_feedback(largest, v_read_V=config.v_read_V, delta_g_S=pairs[layer].delta_g_S,
                                           adc_full_scale_V=config.adc_full_scale_V)
            readouts[tile.name] = AdcReadout(config.v_read_V, feedback, config.adc_bits, config.adc_full_scale_V,
                                             config.input_bits)
    return Network(mlp, quantised, pairs, hidden_fs, readouts, largest_products)  # type: ignore[arg-type]


def readout_for(config: AccuracyChainConfig, network: Network, tile: Tile, delta_g_S: float) -> AdcReadout:
    """The calibrated readout of ``tile`` for cells of ``delta_g_S`` siemens per unit of weight."""
    feedback = calibrated_feedback(network.largest_products[tile.name], v_read_V=config.v_read_V,
                                   delta_g_S=delta_g_S, adc_full_scale_V=config.adc_full_scale_V)
    return AdcReadout(config.v_read_V, feedback, config.adc_bits, config.adc_full_scale_V, config.input_bits)


def draw_seed(seed: int, draw: int, layer: int) -> int:
    """The population seed of one layer in one draw (independent streams per draw and layer)."""
    return int(np.random.SeedSequence((int(seed), int(draw), int(layer))).generate_state(1)[0])


def programmed_pairs(config: AccuracyChainConfig, pairs: ConductancePairs, draw: int,
                     layer: int) -> tuple[np.ndarray, np.ndarray]:
    """``(G⁺, G⁻)`` of one layer as the population programs them in draw ``draw``."""
    target = np.hstack([pairs.g_plus_S, pairs.g_minus_S])
    g = config.population.draw(target, draw_seed(config.seed, draw, layer), g_on_S=config.g_max_S,
                               g_off_S=config.g_min_S).g_programmed_S
    n = pairs.g_plus_S.shape[1]
    return g[:, :n], g[:, n:]


@dataclass(frozen=True, eq=False)
class Chip:
    """One programmed chip: per layer its ``(G⁺, G⁻)``, the tiles' extracted maps (by tile name)
    and the ΔG (S per unit of weight) of each layer."""

    conductances: tuple[tuple[np.ndarray, np.ndarray], ...]
    matrices: dict[str, np.ndarray]
    delta_g_S: tuple[float, ...]
    readouts: dict[str, AdcReadout]
    first_read: tuple[str, str] | None = None


def extract_chip(config: AccuracyChainConfig, conductances: tuple[tuple[np.ndarray, np.ndarray], ...],
                 delta_g_S: tuple[float, ...], readouts: dict[str, AdcReadout], options: RunOptions,
                 name: str) -> tuple[Chip, float, str]:
    """Extract every tile of a programmed chip from SPICE; returns the chip, the simulators'
    wall time (s) and the engine that ran (the chip's ``first_read``: the first read's netlist
    text and file suffix)."""
    from memspice.flows.tile_reads import extract_tile_matrix

    matrices, wall, engine, first = {}, 0.0, "", None
    for layer, tiles in enumerate(config.tiles):
        g_plus, g_minus = conductances[layer]
        for tile in tiles:
            extracted = extract_tile_matrix(tile.conductances(g_plus, g_minus), r_wire_ohm=config.r_wire_ohm,
                                            v_read_V=config.v_read_V, cell=config.cell,
                                            gate_voltage_V=config.gate_voltage_V, options=options,
                                            name=f"{name}_{tile.name}")
            matrices[tile.name] = extracted.matrix_A_per_V
            wall += extracted.wall_time_s
            engine = f"{extracted.engine} {extracted.engine_version}".strip()
            first = first or (extracted.netlist_text, ".sim" if extracted.engine == "vacask" else ".cir")
    return Chip(conductances, matrices, delta_g_S, readouts, first), wall, engine


def analog_weights(config: AccuracyChainConfig, chip: Chip, layer: int) -> np.ndarray:
    """``(rows, outputs)`` effective weights of a layer from its tiles' extracted maps: ``D.T / ΔG``."""
    rows, outputs = chip.conductances[layer][0].shape
    weights = np.zeros((rows, outputs))
    for tile in config.tiles[layer]:
        weights[tile.row_start:tile.row_stop, tile.output_start:tile.output_stop] = \
            difference_map(chip.matrices[tile.name]).T / chip.delta_g_S[layer]
    return weights


def chip_forward(config: AccuracyChainConfig, network: Network, chip: Chip, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """Logits ``(images, 10)`` of the digitised chip through the extracted maps, the hidden codes
    and every tile's ADC codes (:func:`read_pass` with :func:`linear_read`)."""
    result = read_pass(config, network, chip, x, linear_read(config, chip))
    return result.logits, result.hidden_codes, result.codes


def mlp_logits(network: Network, w1: np.ndarray, w2: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.maximum(x @ w1 + network.mlp.b1, 0.0) @ w2 + network.mlp.b2


@dataclass(frozen=True, eq=False)
class ChainResult:
    config: AccuracyChainConfig
    accuracies: dict[str, np.ndarray]  # step -> (draws,) or (1,)
    confusion: np.ndarray
    check: dict[str, Any]
    energy: dict[str, float]
    latency_s: float
    retrain: dict[str, Any]
    retrain_history: Any
    timings_s: dict[str, float]
    engine: str
    tiles: list[dict[str, Any]] = field(default_factory=list)
    netlists: dict[str, str] = field(default_factory=dict)  # file name -> text
    nonlinear: dict[str, Any] = field(default_factory=dict)

    def chain(self) -> "pd.DataFrame":
        import pandas as pd

        rows = []
        for step in STEPS:
            values = self.accuracies[step]
            rows.append({"step": step, "accuracy_mean": float(np.mean(values)),
                         "accuracy_std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
                         "draws": len(values)})
        for key in ("randomised", "retrained"):
            if key in self.retrain:
                rows.append({"step": key, "accuracy_mean": self.retrain[key], "accuracy_std": 0.0, "draws": 1})
        return pd.DataFrame(rows)

    def monotone(self) -> bool:
        """software ≥ quantised ≥ mapped ≥ wires ≥ chip, each within the error bars (1 std of the two summed)."""
        frame = self.chain().set_index("step")
        steps = list(STEPS)
        return all(frame.accuracy_mean[a] + frame.accuracy_std[a] + frame.accuracy_std[b] + 1e-12
                   >= frame.accuracy_mean[b] for a, b in zip(steps, steps[1:]))

    def tables(self) -> dict[str, "pd.DataFrame"]:
        import pandas as pd

        tables = {"chain": self.chain(),
                  "confusion": pd.DataFrame(self.confusion, index=pd.Index(range(10), name="true"),
                                            columns=[f"predicted_{k}" for k in range(10)]).reset_index()}
        if self.retrain_history is not None:
            tables["retrain"] = self.retrain_history
        return tables

    def summary(self) -> dict[str, Any]:
        c = self.config
        chain = self.chain()
        return {
            "dataset": {"name": "sklearn digits (8x8)", "train": 1347, "test": c.test_images},
            "network": f"64-{c.hidden}-10 ReLU", "levels": c.levels, "g_min_S": c.g_min_S, "g_max_S": c.g_max_S,
            "population": c.population.to_dict(), "draws": c.draws, "seed": c.seed,
            "tile": [c.tile_rows, c.tile_columns], "tiles": self.tiles, "r_wire_ohm": c.r_wire_ohm,
            "v_read_V": c.v_read_V, "input_bits": c.input_bits, "adc_bits": c.adc_bits,
            "chain": {row.step: {"mean": row.accuracy_mean, "std": row.accuracy_std, "draws": int(row.draws)}
                      for row in chain.itertuples()},
            "cell": c.cell, "monotone": self.monotone(), "check": self.check, "nonlinear_reads": self.nonlinear, "energy_per_inference_J": self.energy,
            "latency_per_inference_s": self.latency_s, "retrain": self.retrain, "engine": self.engine,
            "netlists": sorted(self.netlists), "wall_time_s": self.timings_s,
        }


@dataclass(frozen=True, eq=False)
class ReadPass:
    """Images read through the chip by one kind of read: per tile the column currents
    ``(images, bits, 2n)`` (A) and ADC codes ``(images, bits, n)``, the hidden codes, the logits,
    and what the reads report (energy, time points, a netlist)."""

    currents: dict[str, np.ndarray]
    codes: dict[str, np.ndarray]
    volts: dict[str, np.ndarray]
    hidden_codes: np.ndarray
    logits: np.ndarray
    extras: dict[str, Any]


#: ``read(layer, tile, codes) -> (currents (images, bits, 2n), readout volts (images, bits, n) or None)``.
TileRead = Callable[[int, Tile, np.ndarray], tuple[np.ndarray, "np.ndarray | None"]]


def read_pass(config: AccuracyChainConfig, network: Network, chip: Chip, x: np.ndarray, read: TileRead) -> ReadPass:
    """The images ``x`` through the chip, every tile read by ``read`` (readout volts ``None``:
    ``R_f·(I⁺ − I⁻)`` of the currents), digitised, shift-and-added, partial sums added, layer 2
    fed with the codes layer 1 gave."""
    top = 2**config.input_bits - 1
    inputs = input_codes_clipped(x, 1.0, config.input_bits)
    currents, codes, volts_of, totals = {}, {}, {}, []
    hidden_codes = inputs
    for layer in (0, 1):
        outputs = chip.conductances[layer][0].shape[1]
        total = np.zeros((len(x), outputs))
        for tile in config.tiles[layer]:
            readout = chip.readouts[tile.name]
            block = (inputs if layer == 0 else hidden_codes)[:, tile.row_start:tile.row_stop]
            i_sides, volts = read(layer, tile, block)
            if volts is None:
                volts = readout.feedback_ohm * (i_sides[..., :tile.outputs] - i_sides[..., tile.outputs:])
            currents[tile.name], codes[tile.name], volts_of[tile.name] = i_sides, readout.adc_codes(volts), volts
            digital = shift_and_add(np.moveaxis(codes[tile.name], 1, 0), config.input_bits)
            total[:, tile.output_start:tile.output_stop] += digital * readout.units_per_code(chip.delta_g_S[layer])
        totals.append(total)
        if layer == 0:
            hidden = np.maximum(total / top + network.mlp.b1, 0.0)
            hidden_codes = input_codes_clipped(hidden, network.hidden_full_scale, config.input_bits)
    logits = totals[1] * network.hidden_full_scale / top + network.mlp.b2
    return ReadPass(currents, codes, volts_of, hidden_codes, logits, {})


def _planes_V(config: AccuracyChainConfig, block: np.ndarray) -> np.ndarray:
    """Word-line voltages ``(images, bits, rows)`` of the bit-serial cycles of integer ``block``."""
    return np.moveaxis(bit_planes(block, config.input_bits), 0, 1) * config.v_read_V


def linear_read(config: AccuracyChainConfig, chip: Chip) -> TileRead:
    """Reads through the extracted maps: ``I = M·V`` for every cycle."""
    def read(layer: int, tile: Tile, block: np.ndarray) -> tuple[np.ndarray, None]:
        return _planes_V(config, block) @ chip.matrices[tile.name].T, None
    return read


def spice_read(config: AccuracyChainConfig, chip: Chip, options: RunOptions, extras: dict[str, Any]) -> TileRead:
    """Every cycle of every image read as it is in SPICE: one batch of DC reads per tile (one
    VACASK process), for cells whose read is not linear."""
    from memspice.flows.tile_reads import read_tile

    def read(layer: int, tile: Tile, block: np.ndarray) -> tuple[np.ndarray, None]:
        planes = _planes_V(config, block)
        g = tile.conductances(*chip.conductances[layer])
        currents, batch = read_tile(g, planes.reshape(-1, planes.shape[-1]), r_wire_ohm=config.r_wire_ohm,
                                    cell=config.cell, gate_voltage_V=config.gate_voltage_V, options=options,
                                    name=f"reads_{tile.name}")
        extras["reads"] = extras.get("reads", 0) + len(currents)
        extras["wall_time_s"] = extras.get("wall_time_s", 0.0) + batch.wall_time_s
        return currents.reshape(planes.shape[:2] + (-1,)), None
    return read


def transient_read(config: AccuracyChainConfig, chip: Chip, options: RunOptions, extras: dict[str, Any],
                   progress: ProgressCallback | None = None) -> TileRead:
    """Every tile's whole readout chain in one ngspice transient of all the images (bit-serial
    pulses, wires, TIAs, difference stages), sampled at the end of every flat top."""
    from memspice.flows.tile_reads import ChainTiming, transient_tile_chain

    timing = ChainTiming(config.read_time_s, config.edge_s)
    total = sum(len(layer) for layer in config.tiles)

    def read(layer: int, tile: Tile, block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        run = transient_tile_chain(tile.conductances(*chip.conductances[layer]), block, r_wire_ohm=config.r_wire_ohm,
                                   v_read_V=config.v_read_V, feedback_ohm=chip.readouts[tile.name].feedback_ohm,
                                   input_bits=config.input_bits, timing=timing, cell=config.cell,
                                   gate_voltage_V=config.gate_voltage_V, options=options, name=f"check_{tile.name}")
        extras["time_points"] = extras.get("time_points", 0) + run.time_points
        extras.setdefault("netlist", run.netlist_text)
        for group in ("inputs", "periphery"):
            extras[group] = extras.get(group, 0.0) + run.energy_J[group] / len(block)
        extras["tiles"] = extras.get("tiles", 0) + 1
        if progress is not None:
            progress(extras["tiles"], total, f"check: tile {tile.name}, {len(block)} images, {run.time_points} time points",
                     run.wall_time_s)
        return np.concatenate([run.plus_current_A, run.minus_current_A], axis=-1), run.difference_V
    return read


#: A differing ADC code whose reference value lies closer than this (LSB) to a decision threshold
#: is a tie the two reads cannot settle: the ideal op-amps' gain of 1e9 leaves the virtual
#: ground at V_out/1e9, ~1e-8 of the read voltage, which moves a value by ~1e-6 LSB.
TIE_LSB = 1e-4


def compare_passes(a: ReadPass, b: ReadPass, labels: np.ndarray, readouts: dict[str, AdcReadout]) -> dict[str, Any]:
    """How far pass ``a`` is from the reference ``b``: codes (and, of the differing ones, how many
    sit within :data:`TIE_LSB` of a decision threshold), hidden codes, classes, currents."""
    worst = max(float(np.max(np.abs(a.currents[k] - b.currents[k])) / np.max(np.abs(b.currents[k])))
                for k in b.currents)
    differing = sum(int(np.sum(a.codes[k] != b.codes[k])) for k in b.codes)
    total = sum(b.codes[k].size for k in b.codes)
    margins = [np.abs((b.volts[k] / readouts[k].v_lsb_V) % 1.0 - 0.5)[a.codes[k] != b.codes[k]] for k in b.codes]
    margins_lsb = np.concatenate(margins) if margins else np.zeros(0)
    pa, pb = np.argmax(a.logits, 1), np.argmax(b.logits, 1)
    return {"images": int(len(labels)), "identical_adc_codes": differing == 0, "adc_codes_differing": differing,
            "adc_codes": total, "adc_codes_differing_off_ties": int(np.sum(margins_lsb >= TIE_LSB)),
            "differing_codes_threshold_distance_lsb": [float(m) for m in np.sort(margins_lsb)[:10]], "identical_hidden_codes": bool(np.array_equal(a.hidden_codes, b.hidden_codes)),
            "identical_classes": bool(np.array_equal(pa, pb)), "max_current_error_rel": worst,
            "accuracy": float(np.mean(pa == labels)), "accuracy_reference": float(np.mean(pb == labels))}


def run_accuracy_chain(config: AccuracyChainConfig, *, options: RunOptions | None = None,
                       progress: ProgressCallback | None = None) -> ChainResult:
    """Train, quantise, map, program ``draws`` chips, extract their tiles from SPICE, read the test set
    through them; check draw 0 with full transients; randomise and retrain (see the module docstring)."""
    from memspice.analysis.digits import confusion_matrix, digits_split

    options = options or RunOptions()
    started = time.perf_counter()
    split = digits_split()
    x, y = split.x_test[: config.test_images], split.y_test[: config.test_images]
    network = build_network(config)
    mlp = network.mlp
    timings = {"train_s": time.perf_counter() - started}
    acc = {"software": [np.mean(mlp.predict(x) == y)],
           "quantised": [np.mean(np.argmax(mlp_logits(network, *network.quantised, x), 1) == y)],
           "mapped": [], "wires": [], "chip": []}
    delta = tuple(p.delta_g_S for p in network.pairs)
    first_chip, engine, extract_wall = None, "", 0.0
    confusion = np.zeros((10, 10), dtype=np.int64)
    for draw in range(config.draws):
        conductances = tuple(programmed_pairs(config, pairs, draw, layer) for layer, pairs in enumerate(network.pairs))
        weights = [(gp - gm) / d for (gp, gm), d in zip(conductances, delta)]
        acc["mapped"].append(np.mean(np.argmax(mlp_logits(network, *weights, x), 1) == y))
        chip, wall, engine = extract_chip(config, conductances, delta, network.readouts, options, f"draw{draw}")
        extract_wall += wall
        acc["wires"].append(np.mean(np.argmax(mlp_logits(network, analog_weights(config, chip, 0),
                                                         analog_weights(config, chip, 1), x), 1) == y))
        logits, _, _ = chip_forward(config, network, chip, x)
        predicted = np.argmax(logits, 1)
        acc["chip"].append(np.mean(predicted == y))
        if draw == 0:
            first_chip = chip
            confusion = confusion_matrix(predicted, y)
        if progress is not None:
            progress(draw + 1, config.draws, f"draw {draw}: chip accuracy {acc['chip'][-1]:.4f}", wall)
    timings["extract_s"] = extract_wall
    timings["chain_s"] = time.perf_counter() - started
    assert first_chip is not None and first_chip.first_read is not None
    first_read = first_chip.first_read
    check: dict[str, Any] = {"images": 0}
    nonlinear: dict[str, Any] = {}
    netlists = {f"tile_read{first_read[1]}": first_read[0]}
    energy: dict[str, float] = {}
    if config.check_images:
        xs, ys = x[: config.check_images], y[: config.check_images]
        reference = read_pass(config, network, first_chip, xs, linear_read(config, first_chip))
        if config.cell != "0T1R":  # the maps only linearise the cells: read every cycle as it is
            extras: dict[str, Any] = {}
            exact = read_pass(config, network, first_chip, xs, spice_read(config, first_chip, options, extras))
            nonlinear = {**compare_passes(reference, exact, ys, first_chip.readouts), "reads": extras["reads"]}
            nonlinear["accuracy_linearised"] = nonlinear.pop("accuracy")
            nonlinear["accuracy_spice"] = nonlinear.pop("accuracy_reference")
            timings["nonlinear_reads_s"] = extras["wall_time_s"]
            reference = exact
        started_check = time.perf_counter()
        extras = {}
        transient = transient_read(config, first_chip, options, extras, progress)
        simulated = read_pass(config, network, first_chip, xs, transient)
        timings["check_s"] = time.perf_counter() - started_check
        check = {**compare_passes(simulated, reference, ys, first_chip.readouts), "time_points": extras["time_points"],
                 "against": "extracted maps" if config.cell == "0T1R" else "batched SPICE DC reads"}
        check["accuracy_transient"] = check.pop("accuracy")
        check["accuracy_model"] = check.pop("accuracy_reference")
        energy = {group: extras[group] for group in ("inputs", "periphery")}
        netlists["tile_chain.cir"] = extras["netlist"]
    conversions = sum(t.outputs for tiles in config.tiles for t in tiles) * config.input_bits
    adc = conversions * config.adc_fom_J * 2.0**config.adc_bits
    if energy:
        energy = {**energy, "adc": adc, "total": energy["inputs"] + energy["periphery"] + adc}
        energy["adc_share"] = adc / energy["total"]
    else:
        energy = {"adc": adc}
    energy["adc_conversions"] = float(conversions)
    from memspice.flows.tile_reads import ChainTiming

    latency = 2 * config.input_bits * ChainTiming(config.read_time_s, config.edge_s).cycle_s
    retrain, history = {}, None
    if config.randomise_fraction > 0:
        retrain, history = randomise_and_retrain(config, network, first_chip, x, y, options, progress)
        if "wall_time" in retrain:
            timings["retrain_s"] = retrain.pop("wall_time")
    timings["total_s"] = time.perf_counter() - started
    tiles = [{"name": t.name, "rows": t.rows, "columns": t.columns, "feedback_ohm": network.readouts[t.name].feedback_ohm}
             for layer in config.tiles for t in layer]
    return ChainResult(config, {k: np.array(v, dtype=float) for k, v in acc.items()}, confusion, check, energy,
                       latency, retrain, history, timings, engine, tiles, netlists, nonlinear)


#: Catalog memristor of the retrained layer (its write device: ±1.4 V thresholds) and the V/2 pulses.
RETRAIN_MODEL, RETRAIN_V_WRITE_V, RETRAIN_PULSE_S, RETRAIN_RISE_S = "vteam", 1.5, 2e-9, 1e-9


def randomise(config: AccuracyChainConfig, network: Network,
              conductances: tuple[tuple[np.ndarray, np.ndarray], ...]) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """``randomise_fraction`` of every layer's pairs (seeded) reprogrammed, exactly, to the
    quantised weight of another pair of the same layer drawn at random (the layer's own weight
    distribution: a random level over [−R, R] would be far larger than trained weights are)."""
    rng = np.random.default_rng((config.seed, 0x72616E64))
    out = []
    for (g_plus, g_minus), pairs, quantised in zip(conductances, network.pairs, network.quantised):
        chosen = rng.random(g_plus.shape) < config.randomise_fraction
        levels = rng.choice(quantised.ravel(), size=g_plus.shape)
        mapped = map_weights(levels, g_min_S=config.g_min_S, g_max_S=config.g_max_S, weight_range=pairs.weight_range)
        out.append((np.where(chosen, mapped.g_plus_S, g_plus), np.where(chosen, mapped.g_minus_S, g_minus)))
    return tuple(out)


def randomise_and_retrain(config: AccuracyChainConfig, network: Network, chip: Chip, x: np.ndarray, y: np.ndarray,
                          options: RunOptions, progress: ProgressCallback | None = None) -> tuple[dict[str, Any], Any]:
    """Yao's experiment on the chip of draw 0: randomise, read (SPICE tiles), retrain the last layer
    in SPICE (:mod:`memspice.flows.last_layer_retrain`), read again. Returns the numbers and the history."""
    import pandas as pd

    from memspice.analysis.digits import digits_split
    from memspice.circuits.crossbar_cells import MemristorCells
    from memspice.flows.array_pulses import ArrayBench, device_params
    from memspice.flows.last_layer_retrain import retrain
    from memspice.spicelib import get_model

    top = 2**config.input_bits - 1
    damaged, wall, _ = extract_chip(config, randomise(config, network, chip.conductances), chip.delta_g_S,
                                    chip.readouts, options, "randomised")
    logits, h_test, _ = chip_forward(config, network, damaged, x)
    numbers: dict[str, Any] = {"fraction": config.randomise_fraction,
                               "randomised": float(np.mean(np.argmax(logits, 1) == y))}
    if config.retrain == "none":
        return numbers, None
    started = time.perf_counter()
    split = digits_split()
    x_train, y_train = split.x_train[: config.retrain_images], split.y_train[: config.retrain_images]
    _, h_train, _ = chip_forward(config, network, damaged, x_train)
    scale = network.hidden_full_scale / top
    hidden_train, hidden_test = h_train * scale, h_test * scale
    rows, outputs = network.pairs[1].g_plus_S.shape
    bench = ArrayBench(rows, 2 * outputs, RETRAIN_MODEL, device_params(RETRAIN_MODEL), config.r_wire_ohm)
    model = get_model(RETRAIN_MODEL)
    low, high = model.parameter(model.state_initial).bounds
    window = bench.read_conductance(np.array([[low, high]]), config.v_read_V)[0]
    g_lo, g_hi = float(window.min()), float(window.max())
    weight_range = network.pairs[1].weight_range
    delta_dev = (g_hi - g_lo) / weight_range
    g_plus, g_minus = damaged.conductances[1]
    w_damaged = (g_plus - g_minus) / chip.delta_g_S[1]
    target = map_weights(w_damaged, g_min_S=g_lo, g_max_S=g_hi, weight_range=weight_range)
    g_target = np.clip(np.hstack([target.g_plus_S, target.g_minus_S]), g_lo * (1 + 1e-9), g_hi * (1 - 1e-9))
    states0 = bench.clip_states(MemristorCells.from_conductance(model, g_target, v_read_V=config.v_read_V,
                                                                values=bench.params).state0)

    def test_accuracy(g: np.ndarray) -> float:
        w = (g[:, :outputs] - g[:, outputs:]) / delta_dev
        return float(np.mean(np.argmax(hidden_test @ w + network.mlp.b2, 1) == y))

    run = retrain(bench, states0, x=hidden_train, labels=y_train, bias=network.mlp.b2, scale=1.0,
                  delta_g_S=delta_dev, v_read_V=config.v_read_V, v_write_V=RETRAIN_V_WRITE_V,
                  pulse_width_s=RETRAIN_PULSE_S, rise_s=RETRAIN_RISE_S, epochs=config.retrain_epochs,
                  evaluate=test_accuracy, options=options)
    history = pd.DataFrame(run.epochs)
    # The retrained layer read as a chip tile again: its memristors at their read conductances.
    layers = (damaged.conductances[0], (run.conductance_S[:, :outputs], run.conductance_S[:, outputs:]))
    readouts = {**damaged.readouts, **{t.name: readout_for(config, network, t, delta_dev) for t in config.tiles[1]}}
    retrained, _, _ = extract_chip(config, layers, (chip.delta_g_S[0], delta_dev), readouts, options, "retrained")
    logits, _, _ = chip_forward(config, network, retrained, x)
    numbers.update({
        "retrained": float(np.mean(np.argmax(logits, 1) == y)),
        "epoch0_ideal_read": float(history.accuracy.iloc[0]), "best_ideal_read": float(history.accuracy.max()),
        "device": RETRAIN_MODEL, "v_write_V": RETRAIN_V_WRITE_V, "pulse_width_s": RETRAIN_PULSE_S,
        "g_window_S": [g_lo, g_hi], "epochs": config.retrain_epochs, "images": config.retrain_images,
        "pulses": int(history.pulses.sum()), "energy_J": float(history.energy_J.sum()),
        "engine": run.engine,
    })
    numbers["wall_time"] = time.perf_counter() - started
    if progress is not None:
        progress(1, 1, f"retrained: {numbers['randomised']:.4f} -> {numbers['retrained']:.4f}", wall)
    return numbers, history


def _plot(result: ChainResult, path: Path) -> Path:
    from memspice.analysis.accuracy_plots import plot_accuracy_chain

    c = result.config
    return plot_accuracy_chain(result.chain(), result.confusion, path, levels=c.levels,
                               randomised=c.randomise_fraction or None, title=(
        f"digits 64-{c.hidden}-10 on {c.tile_rows}x{c.tile_columns} tiles: {c.levels} levels, "
        f"{c.population.describe()}, {c.r_wire_ohm:g} Ω wires, {c.adc_bits}-bit ADC ({c.draws} draws)"))


def write_chain_report(result: ChainResult, out_dir: Path) -> dict[str, Path]:
    """``chain.csv``, ``confusion.csv``, ``retrain.csv``, ``chain.png``, the first tile's read and
    check netlists and, last, ``summary.json``."""
    return write_report(out_dir, texts=result.netlists, tables={f"{name}.csv": frame for name, frame in result.tables().items()},
                        figures={"chain.png": lambda path: _plot(result, path)}, summary=result.summary())


def summary_lines(result: ChainResult) -> list[str]:
    lines = [f"{row.step:>10}: {100 * row.accuracy_mean:.2f} % ± {100 * row.accuracy_std:.2f} ({row.draws} draws)"
             for row in result.chain().itertuples()]
    if result.check.get("images"):
        ck = result.check
        lines.append(f"check on {ck['images']} images: {ck['adc_codes_differing']} of {ck['adc_codes']} ADC codes differ "
                     f"({ck['adc_codes_differing_off_ties']} away from a threshold tie), classes identical "
                     f"{ck['identical_classes']}, currents within {ck['max_current_error_rel']:.2g}")
    if "total" in result.energy:
        lines.append(f"energy per inference {result.energy['total']:.3g} J (ADC {100 * result.energy['adc_share']:.0f} %),"
                     f" latency {result.latency_s:.3g} s")
    return lines


def cost(config: AccuracyChainConfig) -> RunCost:
    """The largest simulation: a tile's check transient (``check_images`` × ``input_bits`` cycles,
    ~25 points each), else one tile read."""
    rows, cols = min(config.tile_rows, 64), min(config.tile_columns, 2 * max(config.hidden, 10))
    points = max(config.check_images * config.input_bits * 25, 1)
    return array_cost("a tile's readout-chain transient", rows, cols, wires=config.r_wire_ohm > 0,
                      time_points=points, simulations=config.draws * len(sum(config.tiles, [])),
                      points_option="--check-images")


_EPILOG = """\
outputs in DIR:
  chain.csv      step, accuracy_mean, accuracy_std, draws (software, quantised, mapped, wires, chip,
                 randomised, retrained)
  confusion.csv  the confusion matrix of the first drawn chip on the test images
  retrain.csv    the in-situ retraining of the last layer: epoch, accuracy, pulses, energy
  chain.png      the accuracy staircase with error bars and the confusion matrix
  tile_read.sim  the first tile's first DC read (.cir with an ngspice engine); runs as it is
  tile_chain.cir the first tile's readout-chain transient of the check (plain `ngspice -b FILE`)
  summary.json   the chain, the transient check, energy and latency per inference, retraining, timings

example:
  memspice accuracy-chain --out out/accuracy
  memspice accuracy-chain --variation lognormal:0.2 --draws 5 --check-images 0 --randomise 0 --out out/acc_s02
"""

STUDY = register_study(Study(
    name="accuracy-chain", Config=AccuracyChainConfig,
    title="inference accuracy chain of a 64-32-10 MLP on the bundled digits, every tile read from SPICE",
    description=(
        "Train a 64-H-10 ReLU MLP on scikit-learn's bundled 8x8 digits (fixed stratified split), quantise its "
        "weights to L levels, map them to differential conductance pairs, program them through a device population, "
        "partition the layers into RxC tiles with wire resistance, extract each tile's read matrix from SPICE (one "
        "batched DC run per tile) and read the test set through bit-serial inputs, TIAs, an N-bit ADC and "
        "shift-and-add: accuracy mean and std over Monte Carlo draws at every step. The extracted-matrix chip is "
        "checked against full ngspice transients of every tile's readout chain; then a fraction of the weights is "
        "randomised and the last layer retrained in situ with Manhattan V/2 pulses in SPICE (Yao 2020)."),
    epilog=_EPILOG, loop=run_accuracy_chain, cost=cost, report=write_chain_report, summary_lines=summary_lines,
))
