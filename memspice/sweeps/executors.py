"""Where independent tasks run: in this process, on a local process pool, or on a Dask cluster.

An executor maps a picklable, module-level function over a list of arguments and yields
``(position, result)`` pairs as the tasks finish, in any order::

    with PoolExecutor(workers=2) as executor:
        for position, result in executor.as_completed(run_point, tasks):
            ...

:meth:`Executor.map` gives the results in the arguments' order instead (what a study that
runs a list of configs, e.g. write-margin over write-scheme, needs). Workers start their
simulators themselves (ngspice's shared library or a subprocess in each worker process), so
a task's argument and its result should be small (configs and summaries, not waveforms).

Leaving the ``with`` block on an exception (Ctrl-C, SIGTERM) cancels the tasks not started
and stops the worker processes, simulators included; tasks that finished are kept by whoever
consumed their results.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator, Sequence

from memspice.errors import ParameterError

#: Seconds a Dask client waits for its scheduler before giving up.
DASK_CONNECT_TIMEOUT_S = 10.0


class Executor:
    """Base of the executors: a context manager with :meth:`as_completed` and :meth:`map`."""

    #: A short description for progress lines and the manifest, e.g. ``"pool of 2 processes"``.
    description = "serial"

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def start(self) -> None:
        """Start the workers now, in the background (a sweep calls this before its own set-up,
        so that the workers' start overlaps it); otherwise they start with the first task."""

    def close(self) -> None:
        """Release the workers once every task has finished."""

    def abort(self) -> None:
        """Stop the workers now, simulators included (tasks still running are abandoned)."""
        self.close()

    def as_completed(self, function: Callable[[Any], Any], arguments: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """``(position, function(arguments[position]))`` for every argument, as each finishes."""
        raise NotImplementedError

    def map(self, function: Callable[[Any], Any], arguments: Sequence[Any]) -> list[Any]:
        """``[function(a) for a in arguments]``, run by this executor, in the arguments' order."""
        results: list[Any] = [None] * len(arguments)
        for position, result in self.as_completed(function, arguments):
            results[position] = result
        return results


class SerialExecutor(Executor):
    """Every task in this process, one after another, in order."""

    description = "serial (this process)"

    def as_completed(self, function, arguments):
        for position, argument in enumerate(arguments):
            yield position, function(argument)


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``):
    a pool worker's parent is the fork server, which exits when the sweep's process dies, so a
    ``kill -9`` of the sweep leaves no worker publishing points behind it. A no-op elsewhere."""
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


class PoolExecutor(Executor):
    """A local pool of ``workers`` processes (default: the CPU count), forked from a fresh fork
    server (``forkserver``) that has imported the studies (:mod:`memspice.sweeps.preload`): no
    worker inherits a simulator loaded in this process, and none spends a second importing."""

    def __init__(self, workers: int | None = None) -> None:
        workers = (os.cpu_count() or 1) if workers is None else workers
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ParameterError(f"--workers={workers!r} is not allowed; allowed: a whole number ≥ 1")
        self.workers = workers
        self.description = f"pool of {workers} process{'es' if workers > 1 else ''}"
        self._pool: Any = None

    def _started_pool(self) -> Any:
        import concurrent.futures
        import multiprocessing

        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["memspice.sweeps.preload"])
            self._pool = concurrent.futures.ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                                                initializer=die_with_parent)
        return self._pool

    def start(self) -> None:
        pool = self._started_pool()
        for _ in range(self.workers):  # one no-op per worker: the pool forks its workers on demand
            pool.submit(os.getpid)

    def as_completed(self, function, arguments):
        import concurrent.futures

        pool = self._started_pool()
        futures = {pool.submit(function, argument): position for position, argument in enumerate(arguments)}
        for future in concurrent.futures.as_completed(futures):
            yield futures[future], future.result()

    def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True)

    def abort(self) -> None:
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        # A worker may be inside a long simulation: terminate it (its simulator with it) rather
        # than wait; the pool then sees its workers gone and its manager thread ends.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=10)
        pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """Tasks on a Dask distributed cluster: the scheduler at ``address`` (``tcp://HOST:PORT``,
    workers started with ``dask worker``), or with ``local_workers`` a :class:`LocalCluster` of
    that many single-threaded worker processes on the loopback interface, no dashboard."""

    def __init__(self, address: str | None = None, *, local_workers: int | None = None) -> None:
        if (address is None) == (local_workers is None):
            raise ParameterError("give a Dask scheduler address or a number of local workers, not both")
        if local_workers is not None and (isinstance(local_workers, bool) or not isinstance(local_workers, int)
                                          or local_workers < 1):
            raise ParameterError(f"--dask-local={local_workers!r} is not allowed; allowed: a whole number ≥ 1")
        if address is not None and not (isinstance(address, str) and "://" in address):
            raise ParameterError(f"--scheduler={address!r} is not a scheduler address; give e.g. tcp://10.0.0.5:8786")
        self.address, self.local_workers = address, local_workers
        self.description = (f"Dask LocalCluster of {local_workers} workers" if local_workers is not None
                            else f"Dask cluster at {address}")
        self._client: Any = None
        self._cluster: Any = None

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        import dask
        from distributed import Client, LocalCluster

        # Dask logs to stderr at INFO by default; a sweep's own progress is what the user reads.
        dask.config.set({"logging.distributed": "warning"})
        try:
            if self.local_workers is not None:
                # No dashboard; the scheduler's HTTP server (health routes) on a free loopback port, not 8787.
                self._cluster = LocalCluster(n_workers=self.local_workers, threads_per_worker=1, processes=True,
                                             host="127.0.0.1", dashboard_address=None, silence_logs=40,
                                             scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
                self._client = Client(self._cluster)
            else:
                self._client = Client(self.address, timeout=DASK_CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as error:
            self.close()
            raise ParameterError(f"--scheduler={self.address!r}: cannot connect to the Dask scheduler ({error}); "
                                 "start one with `dask scheduler` and its workers with `dask worker ADDRESS`") from None
        return self._client

    def start(self) -> None:
        self._connect()

    def as_completed(self, function, arguments):
        from distributed import as_completed

        client = self._connect()
        # pure=False: a task is a simulation with side effects (its record folder), never deduplicated by Dask.
        futures = [client.submit(function, argument, pure=False) for argument in arguments]
        positions = {future.key: position for position, future in enumerate(futures)}
        try:
            for future in as_completed(futures):
                yield positions[future.key], future.result()
        finally:
            unfinished = [future for future in futures if not future.done()]
            if unfinished:
                client.cancel(unfinished)

    def close(self) -> None:
        client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def make_executor(*, workers: int | None = None, dask_local: int | None = None, scheduler: str | None = None,
                  serial: bool = False) -> Executor:
    """The executor the CLI options name: ``scheduler`` (a Dask cluster), ``dask_local`` (a local
    Dask cluster), ``serial``, else a pool of ``workers`` processes (default: the CPU count)."""
    chosen = [name for name, given in (("--workers", workers is not None), ("--dask-local", dask_local is not None),
                                       ("--scheduler", scheduler is not None), ("--serial", serial)) if given]
    if len(chosen) > 1:
        raise ParameterError(f"{chosen[0]} and {chosen[1]} cannot be given together; choose one executor")
    if scheduler is not None:
        return DaskExecutor(scheduler)
    if dask_local is not None:
        return DaskExecutor(local_workers=dask_local)
    if serial:
        return SerialExecutor()
    return PoolExecutor(workers)
