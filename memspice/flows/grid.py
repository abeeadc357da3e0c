"""A grid of study points: one complete config of a study per combination of swept values.

A grid is data. Each :class:`GridPoint` holds the config that simulates it (a config of a
registered study, e.g. :class:`~memspice.studies.write_scheme.WriteSchemeConfig`) and the
coordinates that name it (``{"v_write_V": 2.0, "pulse_width_s": 5e-08}``). A study that is a
grid of another study's points (write-margin over write-scheme) builds its grid, runs every
point and tabulates the results; :func:`run_grid` is the serial loop, and a parallel executor
or a result store can run the same points in any order, since no point depends on another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterator, Mapping, TypeVar

from memspice.errors import INTERRUPTS, RunInterrupted

C = TypeVar("C")
R = TypeVar("R")


@dataclass(frozen=True)
class GridPoint(Generic[C]):
    """One point: its coordinates (axis name -> value, in the grid's axis order) and its config."""

    coords: Mapping[str, Any]
    config: C


@dataclass(frozen=True)
class Grid(Generic[C]):
    """The points of a sweep, in the order their results are tabulated (last axis fastest)."""

    axes: tuple[str, ...]
    points: tuple[GridPoint[C], ...]

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[GridPoint[C]]:
        return iter(self.points)

    def configs(self) -> tuple[C, ...]:
        """The config of every point, in order."""
        return tuple(point.config for point in self.points)


def run_grid(
    grid: Grid[C], run_point: Callable[[C], R], *, on_point: Callable[[int, GridPoint[C], R], None] | None = None,
    executor: Any = None,
) -> list[R]:
    """Run ``run_point(config)`` for every point, one after another, or on ``executor`` (an object
    with ``as_completed(function, arguments)`` yielding ``(position, result)``, e.g. a process
    pool: ``run_point`` must then be picklable); ``on_point(done, point, result)`` after each.
    Returns the results in the grid's order.

    Ctrl-C or SIGTERM after some points raises :class:`~memspice.errors.RunInterrupted` whose
    ``partial`` is the list of results of the finished points that precede the first unfinished
    one (all finished ones when serial), in order, so the caller can keep them."""
    results: list[R | None] = [None] * len(grid)
    finished = [False] * len(grid)
    points = list(grid)
    try:
        if executor is None:
            for position, point in enumerate(points):
                results[position] = run_point(point.config)
                finished[position] = True
                if on_point is not None:
                    on_point(position + 1, point, results[position])  # type: ignore[arg-type]
        else:
            configs = [point.config for point in points]
            for done, (position, result) in enumerate(executor.as_completed(run_point, configs), start=1):
                results[position], finished[position] = result, True
                if on_point is not None:
                    on_point(done, points[position], result)
    except INTERRUPTS as cause:
        prefix = finished.index(False) if False in finished else len(finished)
        if not prefix:
            raise
        raise RunInterrupted(cause, results[:prefix], done=prefix, total=len(grid)) from cause
    return results  # type: ignore[return-value]
