"""In-situ retraining of a network's last layer on a memristor crossbar with Manhattan V/2 pulses.

The layer ``(rows, outputs)`` is a ``rows × 2·outputs`` array of thresholded catalog memristors
(:class:`~memspice.flows.array_pulses.ArrayBench`; G⁺ columns of the outputs first, then their
G⁻ columns), weight ``w = (G⁺ − G⁻)/ΔG`` at the read voltage. Every epoch:

1. Python reads the conductances from the states (the model's own equations at ``v_read_V``),
   computes the logits of the training batch, ``(x·W)·scale + b``, and the gradient of the
   mean cross-entropy, and keeps its sign (Manhattan rule, seed 003: one fixed step per batch);
2. one transient (:func:`~memspice.flows.array_pulses.run_schedule`, from the saved states)
   applies it: for each output, its G⁺ column in two V/2 steps (the cells to raise together,
   then those to lower, :func:`~memspice.circuits.write_schemes.manhattan_phases`) and its G⁻
   column the opposite way, so every weight moves by about two device steps.

The initial states are those whose read conductance is the layer's programmed conductance
(:meth:`~memspice.circuits.crossbar_cells.MemristorCells.from_conductance`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from memspice.circuits.line_schedule import Schedule
from memspice.circuits.write_schemes import manhattan_phases
from memspice.engine.options import RunOptions
from memspice.flows.array_pulses import ArrayBench, pin_engine, run_schedule


@dataclass(frozen=True, eq=False)
class RetrainRun:
    """Per epoch (epoch 0 = before any update): training accuracy, evaluation (e.g. test)
    accuracy, pulses, energy of the update (J), wall time (s); the final states and conductances."""

    epochs: list[dict[str, float]]
    states: np.ndarray
    conductance_S: np.ndarray
    engine: str


def raising_polarity(bench: ArrayBench, v_read_V: float) -> float:
    """+1 when a positive cell voltage raises G (the state grows and G with it), −1 when it lowers it (VTEAM)."""
    low, high = bench.read_conductance(np.array([[0.4] * bench.cols]), v_read_V)[0, :2]
    return 1.0 if high > low else -1.0


def manhattan_signs(weights: np.ndarray, x: np.ndarray, labels: np.ndarray, bias: np.ndarray,
                    scale: float) -> np.ndarray:
    """``−sign(∂L/∂W)`` ``(rows, outputs)`` of the mean softmax cross-entropy of ``(x·W)·scale + b``."""
    logits = (x @ weights) * scale + bias
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1.0
    return -np.sign(x.T @ p).astype(int)


def retrain(bench: ArrayBench, states0: np.ndarray, *, x: np.ndarray, labels: np.ndarray, bias: np.ndarray,
            scale: float, delta_g_S: float, v_read_V: float, v_write_V: float, pulse_width_s: float,
            rise_s: float, epochs: int, evaluate: Callable[[np.ndarray], float] | None = None,
            options: RunOptions | None = None) -> RetrainRun:
    """Retrain for ``epochs`` Manhattan steps (module docstring). ``x`` ``(images, rows)`` are the
    layer's inputs, ``scale`` the output units per unit of ``x·w``; ``evaluate(conductance_S)``
    gives an accuracy to record per epoch (e.g. the test set through the whole chip)."""
    rows, cols = bench.shape
    n = cols // 2
    up = raising_polarity(bench, v_read_V)
    states = np.asarray(states0, dtype=float)
    history = []
    for epoch in range(epochs + 1):
        started = time.perf_counter()
        g = bench.read_conductance(states, v_read_V)
        weights = (g[:, :n] - g[:, n:]) / delta_g_S
        predicted = np.argmax((x @ weights) * scale + bias, axis=1)
        row = {"epoch": epoch, "train_accuracy": float(np.mean(predicted == labels)),
               "accuracy": float(evaluate(g)) if evaluate is not None else float("nan"),
               "pulses": 0, "energy_J": 0.0, "wall_time_s": 0.0}
        if epoch < epochs:
            signs = manhattan_signs(weights, x, labels, bias, scale)
            phases = []
            for column, sign in [(j, signs[:, j]) for j in range(n)] + [(n + j, -signs[:, j]) for j in range(n)]:
                phases += manhattan_phases(rows, cols, line=column, increase=list(np.flatnonzero(sign > 0)),
                                           decrease=list(np.flatnonzero(sign < 0)), v_increase_V=up * v_write_V,
                                           v_decrease_V=-up * v_write_V, axis="column", scheme="v2",
                                           width_s=pulse_width_s, rise_s=rise_s)
            run = run_schedule(bench, states, Schedule(tuple(phases), gap_s=2e-9), options=options,
                               name=f"retrain_{epoch}")
            options = pin_engine(options, run)
            states = run.states_after
            row.update(pulses=int(2 * np.abs(signs).sum()), energy_J=run.energy_J(),
                       engine=f"{run.waveforms.backend} {run.waveforms.engine_version}")
        row["wall_time_s"] = time.perf_counter() - started
        history.append(row)
    engine = next((str(r["engine"]) for r in history if "engine" in r), "")
    return RetrainRun(history, states, bench.read_conductance(states, v_read_V), engine)
