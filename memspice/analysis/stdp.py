"""The STDP window measured from simulated spike pairs: exponential fits of each side (numpy, scipy)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ExponentialFit:
    """``dw = amplitude·exp(−|dt|/tau_s)`` fitted to one side of the window (least squares)."""

    amplitude: float
    tau_s: float
    rms_residual: float


def fit_exponential(dt_s: np.ndarray, dw: np.ndarray) -> ExponentialFit:
    """Least-squares fit of ``a·exp(−|dt|/τ)`` to points of one sign of ``dw`` (started from the
    log-linear fit). Raises ValueError for fewer than three points."""
    from scipy.optimize import curve_fit

    dt_s, dw = np.abs(np.asarray(dt_s, dtype=float)), np.asarray(dw, dtype=float)
    if dt_s.size < 3:
        raise ValueError(f"an exponential fit needs at least 3 points, got {dt_s.size}")
    sign = np.sign(dw[np.argmax(np.abs(dw))])
    slope, intercept = np.polyfit(dt_s, np.log(np.maximum(sign * dw, 1e-300)), 1)
    guess = (sign * np.exp(intercept), -1.0 / slope if slope < 0 else float(np.ptp(dt_s)) or 1.0)

    def model(t: np.ndarray, a: float, tau: float) -> np.ndarray:
        return a * np.exp(-t / tau)

    (a, tau), _ = curve_fit(model, dt_s, dw, p0=guess)
    residual = float(np.sqrt(np.mean((model(dt_s, a, tau) - dw) ** 2)))
    return ExponentialFit(float(a), float(tau), residual)


@dataclass(frozen=True)
class StdpWindow:
    """Both sides of a measured window: potentiation for dt = t_post − t_pre ≥ 0, depression for dt < 0."""

    ltp: ExponentialFit
    ltd: ExponentialFit


def fit_window(dt_s: np.ndarray, dw: np.ndarray) -> StdpWindow:
    """Fit each side of a window (``dt_s``, ``dw`` of the same shape) with :func:`fit_exponential`."""
    dt_s, dw = np.asarray(dt_s, dtype=float), np.asarray(dw, dtype=float)
    causal = dt_s >= 0
    return StdpWindow(fit_exponential(dt_s[causal], dw[causal]), fit_exponential(dt_s[~causal], dw[~causal]))
