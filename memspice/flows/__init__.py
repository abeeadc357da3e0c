"""Flows: reusable loops over the engine (co-simulation from saved device states).

A flow sits above ``circuits``, ``engine`` and ``analysis`` and below ``studies``: Python picks
the next pulses, the engine runs them from the saved states, the states are read back and
carried on (:mod:`memspice.flows.array_pulses`).
"""
