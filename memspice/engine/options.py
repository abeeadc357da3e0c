"""How a study runs, apart from what it simulates: engine, time limit, size caps.

A study's config says what is simulated; :class:`RunOptions` says how, and is passed beside
it. Two runs that differ only in their options simulate the same circuits (and, in the
result store of the sweeps, share a config hash).
"""

from __future__ import annotations

from dataclasses import dataclass

from memspice.config import ConfigBase, setting

#: Engine choices of every study: ``auto`` picks VACASK for large netlists it can express.
ENGINE_CHOICES = ("auto", "shared", "subprocess", "vacask")


@dataclass(frozen=True)
class RunOptions(ConfigBase):
    """Engine and limits of a run (keyword-only in every API that takes them): the caps
    ``max_points`` and ``max_memory_bytes`` are held against a study's cost estimate
    (:mod:`memspice.engine.budget`) before it starts."""

    engine: str = setting(
        "auto", choices=ENGINE_CHOICES,
        doc="simulator: auto (VACASK for large arrays when installed, else ngspice in-process), "
        "shared (ngspice in-process), subprocess (ngspice -b), vacask",
    )
    timeout_s: float = setting(
        600.0, unit="s", low=0.0, low_open=True, high=7 * 86400.0, cli="timeout",
        doc="wall-clock limit of each simulator run (the simulator is stopped when it is reached)",
    )
    workers: int = setting(
        1, low=1, high=256,
        doc="processes that run the independent points of a multi-point study (write-margin, read-margin) at once",
    )
    max_points: int = setting(
        20_000_000, low=1, high=10**12, cli="max-points",
        doc="most time points one transient may take (its duration / max step), checked before anything runs",
    )
    max_memory_bytes: float | None = setting(
        None, unit="B", low=1e6, high=1e18, cli="max-memory",
        doc="most memory the largest simulation may need by memspice's estimate, e.g. 8G "
            "(default: half of this machine's memory), checked before anything runs",
    )
