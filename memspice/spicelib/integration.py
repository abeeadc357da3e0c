"""The transient integration scheme the memristor models are checked with.

Measured against independent solves of the papers' equations (``tests/paper_models.py``,
``benchmarks/fidelity.py``): the error that matters is *when* a thresholded state switches.
A state such as VTEAM's crosses most of its range within a few ps of a 10 MHz period; a
step that lands late by a fraction of that changes the current by tens of percent at that
instant. Three settings, each measured on VTEAM at 1 V, 10 MHz (error of the last period's
current against the paper's equations, % of peak):

* ``method=gear maxord=2`` (BDF2): second order and L-stable. Backward Euler (maxord 1)
  lags by a step at every switch and drifts slow integrals (8.2 %); the trapezoidal rule
  rings after a state snaps to its bound (38 %, the state 5e-2 below 0).
* ``reltol=1e-5``: ngspice's local truncation error tolerance is relative to the state
  capacitor's own current, which is huge while the state switches; ten times tighter cuts
  the steps where the switching is (6.1 % -> 0.4 % ngspice, 10 % -> 0.4 % VACASK).
* ``trtol=1`` (VACASK ``tran_lteratio``): LTE trusted as estimated instead of 7× (ngspice)
  or 3.5× (VACASK) looser.

The state bound (:mod:`memspice.spicelib.smooth`) stops the outward rate linearly over the
last 1e-4 of the range, so no step can carry the state past its bound.
"""

from __future__ import annotations

from typing import Mapping

#: ``.options`` for every transient of memristor models (ngspice names; the VACASK dialect
#: maps them to ``tran_method``, ``tran_maxord``, ``reltol`` and ``tran_lteratio``).
TRANSIENT_OPTIONS: Mapping[str, float | str] = {"method": "gear", "maxord": 2, "reltol": 1e-5, "trtol": 1}
