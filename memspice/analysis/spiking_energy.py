"""Energy of a spiking-array run, by circuit: array (reads), learning (STDP pulses), neurons.

Every line driver is a voltage source behind a 0 V sense source (:mod:`memspice.circuits.spiking`):
a word driver at ``wd<i>`` delivers ``P = V(wd<i>)·i(vsw<i>)`` (its sense current flows into the
array), a bit driver at ``bd<j>`` delivers ``P = −V(bd<j>)·i(vsb<j>)`` (its sense current flows
out of the array into it). Their energy in read phases (the read clock above 0) is the
**array**'s, in the other phases the **learning** circuits'. A neuron's membrane is charged by
its current conveyor, ``P = V(m<j>)·I_conv`` with ``I_conv = max(i(vsb<j>), 0)·v(clkr)`` (plus a
teacher current): the **neuron** energy, ½·C·V_th² per spike in the capacitor, dissipated by the
reset. Gate lines draw no current (the level-1 NMOS has no gate capacitance) and the comparator,
latch and timer are behavioural logic: neither is counted. E = ∫P dt by the trapezoid rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from memspice.circuits.spiking import SpikingNodes
    from memspice.engine.waveforms import Waveforms

GROUPS: tuple[str, ...] = ("array", "learning", "neuron")


def spiking_energies(waveforms: "Waveforms", nodes: "SpikingNodes", *, teacher_current_A: float = 0.0) -> dict[str, float]:
    """Energy (J) of ``array``, ``learning``, ``neuron`` and ``total`` over the whole run."""
    t = waveforms.column("time_s")

    def v(node: str) -> np.ndarray:
        return waveforms.column(f"v({node})_V")

    def i(source: str) -> np.ndarray:
        return waveforms.column(f"i({source})_A")

    reading = v(nodes.clocks["read"]) > 1e-9
    lines = np.zeros_like(t)
    for driver, sense in zip(nodes.word_drivers, nodes.word_senses):
        lines += v(driver) * i(sense)
    for driver, sense in zip(nodes.bit_drivers, nodes.bit_senses):
        lines -= v(driver) * i(sense)
    neuron = np.zeros_like(t)
    read_clock = v(nodes.clocks["read"])
    for j, (n, sense) in enumerate(zip(nodes.neurons, nodes.bit_senses)):
        current = np.maximum(i(sense), 0.0) * read_clock
        if nodes.teachers:
            current = current + teacher_current_A * v(nodes.teachers[j]) * read_clock
        neuron += v(n.membrane) * current
    energies = {
        "array": float(np.trapezoid(np.where(reading, lines, 0.0), t)),
        "learning": float(np.trapezoid(np.where(reading, 0.0, lines), t)),
        "neuron": float(np.trapezoid(neuron, t)),
    }
    energies["total"] = float(sum(energies.values()))
    return energies
