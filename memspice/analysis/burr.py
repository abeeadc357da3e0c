"""Burr's tolerancing of device non-idealities for in-situ backpropagation (pure numpy).

Burr et al. (IEDM 2014, seed 003 §2.3) trained a 3-layer network on MNIST with every weight a
pair of PCM conductances, ``w = β·(G⁺ − G⁻)``, updated by pulses, and measured what each device
non-ideality costs in accuracy: bounded conductance ≈ 10 %, unidirectional (SET-only) update
≈ 40 %, nonlinear update ≈ 20 %; with SET-only pairs and a refresh every K samples, accuracy drops
sharply beyond ~100 samples. This module runs the same kind of experiment on the bundled digits
and the 64-H-10 ReLU MLP of :mod:`memspice.analysis.digits`, online (one training image per
update), with device models in numpy — these are device-update non-idealities, not circuit
effects, so no SPICE is involved here.

Conductances are normalised: ``G ∈ [0, 1]`` (``G_min = 0``, ``G_max = 1``), ``β`` weight units per
unit of G. Every update asks for ``Δw = −η·∂L/∂w`` (softmax cross-entropy of one image); it becomes
``n = stochastic_round(|Δw| / (β·dG))`` pulses of nominal step ``dG`` on one device of the pair
(the weight's sign decides which, :class:`DeviceModel`):

* ``ideal``: both devices move, linear and symmetric steps, unbounded;
* ``bounded``: as ideal, G clipped to ``[0, 1]``;
* ``unidirectional``: SET-only pairs, bounded: raise w by SETting G⁺, lower it by SETting G⁻;
  every ``refresh_every`` samples both are RESET and the larger side SET to ``|G⁺ − G⁻|``
  (an exact write-verify); ``refresh_every = 0`` never refreshes;
* ``nonlinear``: bounded, the NeuroSim form ``G(P) = B·(1 − e^(−P/A)) + G_min`` for SET
  (potentiation), the mirrored curve with ``A_depression`` for RESET, ``B`` so that
  ``G(P_max) = G_max``: steps shrink as G nears the end it moves to, and SET and RESET differ
  (asymmetric);
* ``dead`` / ``stuck_on``: bounded, a fraction of devices fixed at G_min / G_max;
* ``stochastic``: bounded, every pulse's step multiplied by ``1 + N(0, σ_c2c²)`` and every
  device's step size by a lognormal ``σ_d2d`` (cycle-to-cycle and device-to-device).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

KINDS = ("ideal", "bounded", "unidirectional", "nonlinear", "dead", "stuck_on", "stochastic")
#: Burr et al., IEDM 2014 (MNIST, 528-250-125-10 PCM network): accuracy cost of each non-ideality.
BURR_REPORTED = {"bounded": "≈10 %", "unidirectional": "≈40 %", "nonlinear": "≈20 %"}


@dataclass(frozen=True)
class DeviceModel:
    """One device-update model (see the module docstring); steps in units of the normalised G."""

    kind: str = "ideal"
    step: float = 1 / 64
    beta: float = 1.0
    refresh_every: int = 100
    nonlinearity_A: float = 20.0
    nonlinearity_A_depression: float = 8.0
    pulses_full_range: int = 64
    dead_fraction: float = 0.0
    stuck_on_fraction: float = 0.0
    c2c_sigma: float = 0.0
    d2d_sigma: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind={self.kind!r} is not allowed; use one of {', '.join(KINDS)}")

    @property
    def bounded(self) -> bool:
        return self.kind != "ideal"


class _Pairs:
    """The conductance pairs of one layer and their update rule."""

    def __init__(self, w0: np.ndarray, model: DeviceModel, rng: np.random.Generator) -> None:
        self.model, self.rng = model, rng
        half = w0 / (2 * model.beta)
        if model.kind == "unidirectional":
            self.gp, self.gm = np.maximum(w0, 0) / model.beta, np.maximum(-w0, 0) / model.beta
        else:
            self.gp, self.gm = 0.5 + half, 0.5 - half
        if model.bounded:
            self.gp, self.gm = np.clip(self.gp, 0, 1), np.clip(self.gm, 0, 1)
        shape = w0.shape
        self.fixed_p = self.fixed_m = None
        if model.kind in ("dead", "stuck_on"):
            fraction, value = ((model.dead_fraction, 0.0) if model.kind == "dead" else (model.stuck_on_fraction, 1.0))
            self.fixed_p, self.fixed_m = rng.random(shape) < fraction, rng.random(shape) < fraction
            self.gp[self.fixed_p], self.gm[self.fixed_m] = value, value
        self.scale_p = self.scale_m = 1.0
        if model.kind == "stochastic" and model.d2d_sigma:
            self.scale_p = np.exp(model.d2d_sigma * rng.standard_normal(shape))
            self.scale_m = np.exp(model.d2d_sigma * rng.standard_normal(shape))
        if model.kind == "nonlinear":
            pmax, a, ad = model.pulses_full_range, model.nonlinearity_A, model.nonlinearity_A_depression
            self.b_set = 1.0 / (1.0 - math.exp(-pmax / a))
            self.b_reset = 1.0 / (1.0 - math.exp(-pmax / ad))

    @property
    def weights(self) -> np.ndarray:
        return self.model.beta * (self.gp - self.gm)

    def _move(self, g: np.ndarray, pulses: np.ndarray, up: bool, scale) -> np.ndarray:
        """``g`` after ``pulses`` (≥ 0) SET (``up``) or RESET pulses."""
        m = self.model
        if m.kind == "nonlinear":
            pmax = m.pulses_full_range
            if up:  # G = B(1 − e^(−P/A)): P from G, P + n, back to G
                p = -m.nonlinearity_A * np.log(np.clip(1 - g / self.b_set, 1e-12, None))
                return self.b_set * (1 - np.exp(-np.minimum(p + pulses, pmax) / m.nonlinearity_A))
            q = -m.nonlinearity_A_depression * np.log(np.clip(1 - (1 - g) / self.b_reset, 1e-12, None))
            return 1 - self.b_reset * (1 - np.exp(-np.minimum(q + pulses, pmax) / m.nonlinearity_A_depression))
        step = m.step * pulses * scale
        if m.kind == "stochastic" and m.c2c_sigma:
            # the sum of n pulses, each with its own 1 + N(0, σ²) factor
            step = step + m.step * scale * m.c2c_sigma * np.sqrt(pulses) * self.rng.standard_normal(g.shape)
        return g + step if up else g - step

    def update(self, delta_w: np.ndarray) -> None:
        m = self.model
        wanted = np.abs(delta_w) / (m.beta * m.step)
        pulses = np.floor(wanted + self.rng.random(delta_w.shape))  # stochastic rounding: unbiased
        raise_w = delta_w > 0
        if m.kind == "unidirectional":
            self.gp = np.where(raise_w, self._move(self.gp, pulses, True, self.scale_p), self.gp)
            self.gm = np.where(~raise_w, self._move(self.gm, pulses, True, self.scale_m), self.gm)
        else:  # both devices of the pair move, in opposite directions, half the pulses each
            half = pulses / 2
            self.gp = np.where(raise_w, self._move(self.gp, half, True, self.scale_p),
                               self._move(self.gp, half, False, self.scale_p))
            self.gm = np.where(raise_w, self._move(self.gm, half, False, self.scale_m),
                               self._move(self.gm, half, True, self.scale_m))
        if m.bounded:
            self.gp, self.gm = np.clip(self.gp, 0, 1), np.clip(self.gm, 0, 1)
        if self.fixed_p is not None:
            value = 0.0 if m.kind == "dead" else 1.0
            self.gp[self.fixed_p], self.gm[self.fixed_m] = value, value

    def refresh(self) -> None:
        """RESET both devices, SET the larger side to |G⁺ − G⁻| (an exact write-verify)."""
        diff = self.gp - self.gm
        self.gp, self.gm = np.maximum(diff, 0.0), np.maximum(-diff, 0.0)


def train_with_pulses(model: DeviceModel, *, hidden: int = 32, epochs: int = 3, learning_rate: float = 0.05,
                      seed: int = 0, train_images: int | None = None) -> float:
    """Test accuracy of the 64-``hidden``-10 MLP trained online (one image per update, ``epochs``
    passes in a seeded order) with every weight a pair of ``model`` devices; biases in software."""
    from memspice.analysis.digits import CLASSES, digits_split

    split = digits_split()
    x, y = split.x_train[:train_images], split.y_train[:train_images]
    rng = np.random.default_rng(seed)
    layers = [_Pairs(rng.normal(0, math.sqrt(2 / 64), (64, hidden)), model, rng),
              _Pairs(rng.normal(0, math.sqrt(2 / hidden), (hidden, CLASSES)), model, rng)]
    b1, b2 = np.zeros(hidden), np.zeros(CLASSES)
    samples = 0
    for _ in range(epochs):
        for k in rng.permutation(len(x)):
            w1, w2 = layers[0].weights, layers[1].weights
            pre = x[k] @ w1 + b1
            h = np.maximum(pre, 0.0)
            logits = h @ w2 + b2
            p = np.exp(logits - logits.max())
            p /= p.sum()
            p[y[k]] -= 1.0
            d1 = (w2 @ p) * (pre > 0)
            layers[1].update(-learning_rate * np.outer(h, p))
            layers[0].update(-learning_rate * np.outer(x[k], d1))
            b2 -= learning_rate * p
            b1 -= learning_rate * d1
            samples += 1
            if model.kind == "unidirectional" and model.refresh_every and samples % model.refresh_every == 0:
                for layer in layers:
                    layer.refresh()
    w1, w2 = layers[0].weights, layers[1].weights
    predicted = np.argmax(np.maximum(split.x_test @ w1 + b1, 0) @ w2 + b2, axis=1)
    return float(np.mean(predicted == split.y_test))


#: The non-idealities of the table, each alone on top of the bounded device (the ideal one unbounded).
TABLE_MODELS = {
    "ideal": DeviceModel("ideal"),
    "bounded": DeviceModel("bounded"),
    "unidirectional (refresh every 100)": DeviceModel("unidirectional", refresh_every=100),
    "unidirectional (no refresh)": DeviceModel("unidirectional", refresh_every=0),
    "nonlinear + asymmetric": DeviceModel("nonlinear"),
    "dead devices (5 %)": DeviceModel("dead", dead_fraction=0.05),
    "stuck-on devices (5 %)": DeviceModel("stuck_on", stuck_on_fraction=0.05),
    "stochastic (c2c 0.5, d2d 0.3)": DeviceModel("stochastic", c2c_sigma=0.5, d2d_sigma=0.3),
}


def tolerance_table(*, seeds: int = 3, epochs: int = 3, train_images: int | None = None,
                    models: dict[str, DeviceModel] | None = None) -> list[dict[str, object]]:
    """Per non-ideality: accuracy mean and std over ``seeds`` trainings, and its cost against the ideal device."""
    models = TABLE_MODELS if models is None else models
    rows = []
    for name, model in models.items():
        values = [train_with_pulses(model, epochs=epochs, seed=s, train_images=train_images) for s in range(seeds)]
        rows.append({"non_ideality": name, "accuracy_mean": float(np.mean(values)),
                     "accuracy_std": float(np.std(values, ddof=1)) if seeds > 1 else 0.0,
                     "burr_reported_cost": BURR_REPORTED.get(name.split(" (")[0].split(" +")[0], "")})
    ideal = rows[0]["accuracy_mean"]
    for row in rows:
        row["cost"] = float(ideal - row["accuracy_mean"])  # type: ignore[operator]
    return rows


def refresh_sweep(intervals: list[int], *, seeds: int = 3, epochs: int = 3,
                  train_images: int | None = None) -> list[dict[str, float]]:
    """Accuracy of SET-only pairs against the refresh interval K (samples between refreshes; 0 = never)."""
    rows = []
    for k in intervals:
        model = replace(TABLE_MODELS["unidirectional (refresh every 100)"], refresh_every=int(k))
        values = [train_with_pulses(model, epochs=epochs, seed=s, train_images=train_images) for s in range(seeds)]
        rows.append({"refresh_every": int(k), "accuracy_mean": float(np.mean(values)),
                     "accuracy_std": float(np.std(values, ddof=1)) if seeds > 1 else 0.0})
    return rows
