"""Energy drawn from the sources of a simulated circuit over a time window, and its grouping.

For an independent voltage source ``V<x> n+ n− …`` the simulator's branch current
``i(v<x>)`` flows from the circuit into ``n+``, through the source, out of ``n−`` (ngspice's
convention, also memspice's VACASK columns), so the power the source delivers to the circuit is

    P(t) = (V(n+) − V(n−))·(−i(v<x>))         E = ∫ P dt    (trapezoid rule on the time points)

(checked in ``tests/test_readout.py``: a 1 V pulse of width t into R gives E = V²·t/R).
A source that absorbs energy (a 0 V bit-line sink takes none; a biased one may) counts negative.

Op-amps of :mod:`memspice.spicelib.opamp` are ideal voltage sources at their outputs; the
energy their output stage delivers, ``∫ V(out)·i(<instance>.vsense) dt``, is counted under
the instance name (``x<...>``). That is the energy the amplifiers put into the circuit, not
their supply energy (the macro-model has no supply pins or quiescent current).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from memspice.errors import ParameterError

if TYPE_CHECKING:
    from memspice.engine.waveforms import Waveforms
    from memspice.netlist import Netlist

#: Default groups for an unprefixed crossbar with a readout (fnmatch patterns on lower-case names).
DEFAULT_GROUPS: dict[str, tuple[str, ...]] = {
    "inputs": ("vwl*", "vwr*"),
    "array": ("vbb*", "vbt*"),
    "periphery": ("x*", "v*rst", "v*ref"),
}


@dataclass(frozen=True)
class PowerPort:
    """One place energy enters the circuit: ``P = (V(n_plus) − V(n_minus))·sign·I(current)``.

    ``name`` is lower-case (``vwl0``, ``xroamp0``); ``current`` a result column name.
    """

    name: str
    n_plus: str
    n_minus: str
    current: str
    sign: float


def power_ports(netlist: Netlist) -> list[PowerPort]:
    """Every top-level independent voltage source and every op-amp output of ``netlist``."""
    from memspice.netlist import SubcircuitInstance, VoltageSource
    from memspice.netlist.values import element_name
    from memspice.spicelib.opamp import OPAMP_PINS, SENSE_SOURCE, SUBCIRCUIT_STEM

    ports = []
    for element in netlist.elements:
        if isinstance(element, VoltageSource):
            name = element_name(element.name, "V").lower()
            ports.append(PowerPort(name, element.n_plus.lower(), element.n_minus.lower(), f"i({name})_A", -1.0))
        elif isinstance(element, SubcircuitInstance) and element.subcircuit.lower().startswith(SUBCIRCUIT_STEM):
            name = element_name(element.name, "X").lower()
            out = element.nodes[OPAMP_PINS.index("out")].lower()
            ports.append(PowerPort(name, out, "0", f"i({name}.{SENSE_SOURCE})_A", 1.0))
    return ports


def source_energies(waveforms: Waveforms, ports: Netlist | Sequence[PowerPort], *,
                    t_start_s: float | None = None, t_stop_s: float | None = None) -> dict[str, float]:
    """Energy (J) each port delivered into the circuit between ``t_start_s`` and ``t_stop_s``
    (default: the whole transient), by trapezoid integration over the simulated time points
    (the window ends are interpolated). ``ports``: a Netlist (see :func:`power_ports`) or ports.

    Raises
    ------
    ParameterError
        for a result without a time axis (an ``.op``), or a window outside the simulated time.
    """
    from memspice.netlist import Netlist

    if isinstance(ports, Netlist):
        ports = power_ports(ports)
    if "time_s" not in waveforms.columns:
        raise ParameterError("source_energies needs a transient result (a time_s column); an .op has no energy")
    time = waveforms.column("time_s")
    start = time[0] if t_start_s is None else float(t_start_s)
    stop = time[-1] if t_stop_s is None else float(t_stop_s)
    if not (time[0] <= start < stop <= time[-1]):
        raise ParameterError(f"energy window [{start:g}, {stop:g}] s is not inside the simulated "
                             f"[{time[0]:g}, {time[-1]:g}] s with start < stop")
    inside = (time > start) & (time < stop)
    grid = np.concatenate(([start], time[inside], [stop]))
    ports = list(ports)
    # Every node and current once, as one (points, vectors) block; ground is a column of zeros.
    nodes = sorted({node for port in ports for node in (port.n_plus, port.n_minus)} - {"0"})
    voltages = waveforms.columns_array([f"v({node})_V" for node in nodes])
    voltages = np.concatenate([voltages, np.zeros((voltages.shape[0], 1))], axis=1)
    where = {node: k for k, node in enumerate(nodes)}
    ground = len(nodes)
    plus = [where.get(port.n_plus, ground) for port in ports]
    minus = [where.get(port.n_minus, ground) for port in ports]
    currents = waveforms.columns_array([port.current for port in ports])
    signs = np.array([port.sign for port in ports], dtype=np.float64)
    power = (voltages[:, plus] - voltages[:, minus]) * signs * currents
    energies: dict[str, float] = {}
    for k, port in enumerate(ports):
        energies[port.name] = float(np.trapezoid(np.interp(grid, time, power[:, k]), grid))
    return energies


def group_energies(energies: Mapping[str, float],
                   groups: Mapping[str, Sequence[str]] | None = None) -> dict[str, float]:
    """Sum ``energies`` (J) by group: the first group whose fnmatch pattern matches a name
    (lower-case) takes it; unmatched names go to ``"other"``. Default :data:`DEFAULT_GROUPS`.
    Every group appears in the result (0.0 when empty), plus ``"total"``."""
    groups = DEFAULT_GROUPS if groups is None else groups
    totals = {group: 0.0 for group in groups}
    totals["other"] = 0.0
    for name, energy in energies.items():
        target = next((group for group, patterns in groups.items()
                       if any(fnmatch.fnmatchcase(name.lower(), pattern.lower()) for pattern in patterns)), "other")
        totals[target] += float(energy)
    totals["total"] = float(sum(energies.values()))
    return totals
