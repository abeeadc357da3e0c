"""Flows: reusable loops over the engine.

A flow sits above ``circuits``, ``engine`` and ``analysis`` and below ``studies``:

* :mod:`memspice.flows.array_pulses`: co-simulation from saved device states (Python picks
  the next pulses, the engine runs them from the saved states, the states are read back and
  carried on);
* :mod:`memspice.flows.grid`: grids of study points, run one after another (the loop a sweep
  executor replaces).
"""
