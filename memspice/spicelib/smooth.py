"""Smooth helper functions shared by the memristor models (expression-language helpers).

Hard steps (LTspice's ``stp()``, ``if``) make the state rate jump and stall ngspice's time
step ("timestep too small"). The models use these stand-ins instead:

* ``clip(x)`` = min(max(x, 0), 1): a normalised state as the resistance sees it (the bound
  below keeps the state within 1e-5 of [0, 1], so this only guards Newton iterates).
* ``bound(r, x)``: the rate r with its outward part scaled by ``sb(distance to the bound)``,
  ``sb(d)`` = min(d/1e-5, 1). Inside the range and more than 1e-5 from a bound the rate is
  r exactly. Over the last 1e-5 the outward rate falls linearly to zero at the bound, and
  past the bound (d < 0) it reverses: a stiff restoring term r·d/1e-5 pulls the state
  back. The state therefore has a stable fixed point *on* the bound, which any implicit
  integrator reaches without overshoot: a plain cut-off (rate 0 past the bound) lets
  second-order Gear coast past by a third of its last step, and the earlier double
  exponential exp(−exp(−d/5e-4)) let a fast state run ~1.5e-3 past and then reverse late.
  Inward motion is never slowed. Measured at twice the recommended drive of every model
  of the catalog: the state stays within 1e-5 of its range (ngspice and VACASK).
* ``stp(z)`` = 0.5·(1 + tanh(z / 1e-3)): a unit step of width 1 mV (Biolek's window).
* ``ramp(z)`` = max(z, 0) + 1e-3·ln(1 + e^(−|z|/1e-3)): a softplus of width 1e-3, exactly
  zero (to double precision) far below a threshold and needing no ``if``.
"""

from __future__ import annotations

from memspice.spicelib.expressions import Helper

#: Width of the bound's linear zone, as a fraction of the state's range.
BOUND_WIDTH = 1e-5

#: ``clip``, ``sb`` and ``bound``: stop a normalised state at 0 and 1.
SOFT_BOUND: tuple[Helper, ...] = (
    Helper("clip", ("x",), "min(max(x, 0), 1)"),
    Helper("sb", ("dist",), f"min(dist/{BOUND_WIDTH!r}, 1)"),
    Helper("bound", ("r", "x"), "r*(u(r)*sb(1 - x) + u(-r)*sb(x))"),
)
#: ``stp(z)``: a unit step smoothed over 1 mV.
SMOOTH_STEP = Helper("stp", ("z",), "0.5*(1 + tanh(z/1e-3))")
#: ``ramp(z)``: max(z, 0) smoothed over 1e-3 (softplus).
RAMP = Helper("ramp", ("z",), "max(z, 0) + 1e-3*ln(1 + exp(-abs(z)/1e-3))")
