"""The one atomic writer: outputs are never seen half-written.

Every file is written to a temporary name in the destination folder and renamed into
place (``os.replace`` is atomic on one filesystem). Reports write ``summary.json`` last,
so its presence means the folder is complete.

Files and folders get the permissions the process umask gives (0644 and 0755 under umask
022), like any file a program creates: ``tempfile.mkstemp`` would make every output 0600,
which a host user cannot open when a container wrote it into a mounted folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:  # a CSV writer needs a DataFrame; importing this module needs no pandas
    import pandas as pd

_TEMP_ATTEMPTS = 100


def open_temporary_beside(path: Path) -> tuple[int, Path]:
    """Create a new, empty, hidden file in ``path``'s folder; return its descriptor and path.

    Like ``tempfile.mkstemp`` (exclusive creation, never follows a symlink), but the file
    is created with mode 0666 so that the umask decides its final permissions.
    """
    path = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(_TEMP_ATTEMPTS):
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            return os.open(candidate, flags, 0o666), candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path} after {_TEMP_ATTEMPTS} attempts")


def current_umask() -> int:
    """The process umask (read from ``/proc/self/status`` where it can be, else set and restored)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: Path, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path`` for writing (``"w"`` text, UTF-8, ``\\n`` line ends;
    ``"wb"`` binary) and rename it onto ``path`` when the block ends; on an exception the
    temporary is removed and ``path`` is untouched. The folder is created if missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = open_temporary_beside(path)
    try:
        if "b" in mode:
            stream = os.fdopen(handle, mode)
        else:
            stream = os.fdopen(handle, mode, encoding="utf-8", newline="\n")
        with stream:
            yield stream
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    with atomic_open(path) as stream:
        stream.write(text)
    return Path(path)


def write_csv_atomic(path: Path, frame: "pd.DataFrame") -> Path:
    """Write ``frame`` as CSV (no index, full float precision)."""
    return write_text_atomic(path, frame.to_csv(index=False, float_format="%.12g"))


def write_json_atomic(path: Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as indented JSON (NaN refused: it is not JSON)."""
    return write_text_atomic(path, json.dumps(payload, indent=2, allow_nan=False) + "\n")


#: The lock file a run holds in its output folder while it runs.
LOCK_NAME = ".memspice.lock"
#: Folders no report goes into (kernel and device file systems).
_SPECIAL_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))


@contextlib.contextmanager
def claimed_output_folder(text: str, *, option: str = "--out") -> Iterator[Path]:
    """The output folder ``text`` (created if missing), checked and locked for one run.

    Refused with a :class:`~memspice.errors.ParameterError` naming ``option``, before anything
    is simulated: an empty name, a path through an existing file, a kernel or device folder
    (/proc, /sys, /dev), a folder that cannot be created or written, and a folder another run
    is writing into (an ``fcntl`` lock on :data:`LOCK_NAME`, released when the process ends,
    however it ends). The lock file is removed when the block ends.
    """
    import fcntl

    from memspice.errors import ParameterError

    if not text.strip():
        raise ParameterError(f"{option}={text!r} is empty; name an output folder, e.g. {option} out/run1")
    path = Path(text)
    resolved = path.resolve()
    if any(resolved == root or root in resolved.parents for root in _SPECIAL_ROOTS):
        raise ParameterError(f"{option}={text!r} is a kernel or device folder ({resolved}); name an ordinary folder")
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                raise ParameterError(f"{option}={text!r} cannot be an output folder: {part} is an existing file")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
        handle = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as error:
        raise ParameterError(f"{option}={text!r} cannot be written ({error.strerror or error}); "
                             "name a folder you can write") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ParameterError(f"{option}={text!r}: another memspice run is writing into this folder; "
                                 "wait for it or name another folder") from None
        try:
            yield path
        finally:
            (path / LOCK_NAME).unlink(missing_ok=True)
    finally:
        os.close(handle)


#: A scratch folder kept on purpose (a failed simulation's netlist, named in its error) holds this file.
KEPT_MARKER = ".memspice-kept"


def scratch_folder(prefix: str = "memspice") -> Path:
    """A new private folder in the temporary directory, ``<prefix>-<pid>-<random>``.

    A process stopped by SIGKILL cannot remove its folders; the next call removes the folders
    of this prefix whose process is gone (same user, no :data:`KEPT_MARKER`), so litter does
    not pile up across runs.
    """
    import shutil
    import tempfile

    root = Path(tempfile.gettempdir())
    for folder in root.glob(f"{prefix}-*-*"):
        pid = folder.name[len(prefix) + 1:].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            if folder.is_symlink() or folder.stat().st_uid != os.getuid() or (folder / KEPT_MARKER).exists():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive under another user, or vanished meanwhile
            continue
    return Path(tempfile.mkdtemp(prefix=f"{prefix}-{os.getpid()}-", dir=root))
