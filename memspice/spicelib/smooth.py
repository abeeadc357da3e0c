"""Smooth helper functions shared by the memristor models (expression-language helpers).

Hard steps (LTspice's ``stp()``, ``if``) make the state rate jump and stall ngspice's time
step ("timestep too small"). The models use these smooth stand-ins instead:

* ``clip(x)`` = min(max(x, 0), 1): a normalised state as the resistance sees it.
* ``sb(d)`` = 0.5·(1 + tanh(d / 1e-3)): a smooth step used to stop a normalised state at its
  bounds. ``bound(r, x)`` keeps a rate r that pushes x outward only while x is inside
  [0, 1]; in the interior (|d| > 0.01) its effect is below e^-20. Past a bound the outward
  rate falls as e^(-2·overshoot/1e-3), so the overshoot grows only logarithmically with the
  rate: about 5e-4·ln(2·r·T/1e-3) after a time T at rate r (1/s), a few 1e-3 for every model
  of the catalog at its recommended drive.
* ``stp(z)`` = 0.5·(1 + tanh(z / 1e-3)): a unit step of width 1 mV (Biolek's window).
* ``ramp(z)`` = max(z, 0) + 1e-3·ln(1 + e^(−|z|/1e-3)): a softplus of width 1e-3, exactly
  zero (to double precision) far below a threshold and needing no ``if``.
"""

from __future__ import annotations

from memspice.spicelib.expressions import Helper

#: ``clip``, ``sb`` and ``bound``: stop a normalised state smoothly at 0 and 1.
SOFT_BOUND: tuple[Helper, ...] = (
    Helper("clip", ("x",), "min(max(x, 0), 1)"),
    Helper("sb", ("dist",), "exp(-exp(-dist/5e-4))"),
    Helper("bound", ("r", "x"), "r*(u(r)*sb(1 - x) + u(-r)*sb(x))"),
)
#: ``stp(z)``: a unit step smoothed over 1 mV.
SMOOTH_STEP = Helper("stp", ("z",), "0.5*(1 + tanh(z/1e-3))")
#: ``ramp(z)``: max(z, 0) smoothed over 1e-3 (softplus).
RAMP = Helper("ramp", ("z",), "max(z, 0) + 1e-3*ln(1 + exp(-abs(z)/1e-3))")
