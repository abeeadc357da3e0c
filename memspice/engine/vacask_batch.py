"""Several VACASK netlists of one circuit as one VACASK input: one process, several analyses.

A co-simulation loop (write-verify, training) runs many short transients of the same array
that differ only in the sources' waveforms, the cells' instance parameters and the initial
conditions. VACASK has no library interface, but its control block runs analyses one after
the other and changes instance parameters between them::

    control
      analysis tran1 tran step=... stop=... icmode="uic" ic={...}
      alter instance("vwl0") type="pwl" wave=[0, 0, 2e-09, 1.5, ...]
      alter instance("xc0_0") x0=0.25
      analysis tran2 tran step=... stop=... icmode="uic" ic={...}
    endc

Each analysis then gives the same numbers, bit for bit, as its netlist run alone in a fresh
process (measured: identical raw files), while the process start (≈10 ms) and the
elaboration are paid once. :func:`combine` writes that input from the netlists' own VACASK
texts: every line outside the control block must be the same in all of them except top-level
instance lines with the same name, nodes and master, which become ``alter`` statements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from memspice.errors import NetlistError

_INSTANCE_RE = re.compile(r"^(\w+) \(([^)]*)\) (\w+)(?: (.*))?$")
_ANALYSIS_RE = re.compile(r"^(\s*analysis )(\w+)( (?:tran|op)\b.*)$")


@dataclass(frozen=True)
class CombinedNetlist:
    """The VACASK input that runs ``len(analysis_names)`` netlists, and the name of each one's
    analysis (its results are ``<name>.raw``), in the netlists' order."""

    text: str
    analysis_names: tuple[str, ...]


def combine(texts: Sequence[str]) -> CombinedNetlist:
    """One VACASK input running the analysis of each of ``texts`` (VACASK netlists as memspice
    writes them, one ``op`` or ``tran`` analysis each) in order, with ``alter`` statements
    before each analysis for the instance lines that differ from the netlist before it.

    A vsource line without ``type=`` is altered with ``type="dc"`` and without ``dc=`` with
    ``dc=0`` (its defaults in a fresh netlist), so a line can switch between a ``pwl`` and a
    ``dc`` source. Other instances must give the same parameter names in every netlist.

    Raises
    ------
    NetlistError
        when the netlists differ in anything but those instance lines (title apart), an
        instance line changes its nodes or master, or a control block holds other than one
        ``op``/``tran`` analysis (and options and saves, the same in all).
    """
    if not texts:
        raise NetlistError("combine() needs at least one VACASK netlist")
    parts = [_split(text, k) for k, text in enumerate(texts)]
    body0, options0, _ = parts[0]
    names = tuple(f"{_kind(analysis)}{k + 1}" for k, (_, _, analysis) in enumerate(parts))
    control = [*options0, _renamed(parts[0][2], names[0])]
    previous = body0
    for k, (body, options, analysis) in enumerate(parts[1:], start=1):
        if options != options0:
            raise NetlistError(f"netlist {k} has other control options or saves than netlist 0; they cannot "
                               "share a run")
        if len(body) != len(body0):
            raise NetlistError(f"netlist {k} has {len(body)} lines outside its control block, netlist 0 has "
                               f"{len(body0)}: not the same circuit")
        for number, (before, after) in enumerate(zip(previous, body)):
            if number and before != after:  # line 0 is the title: netlist 0's is kept
                control.append(_alter(before, after, k, number))
        control.append(_renamed(analysis, names[k]))
        previous = body
    lines = [*body0, "control", *control, "endc"]
    return CombinedNetlist(text="\n".join(lines) + "\n", analysis_names=names)


def _split(text: str, k: int) -> tuple[list[str], list[str], str]:
    """``(lines before control, control lines without the analysis, the analysis line)``."""
    lines = text.rstrip("\n").split("\n")
    try:
        begin = len(lines) - 1 - lines[::-1].index("control")
        end = lines.index("endc", begin)
    except ValueError:
        raise NetlistError(f"netlist {k} has no 'control' ... 'endc' block") from None
    control = lines[begin + 1:end]
    analyses = [line for line in control if _ANALYSIS_RE.match(line)]
    if len(analyses) != 1 or any(line.split()[0] not in ("analysis", "options", "save")
                                 for line in control if line.strip()):
        raise NetlistError(f"netlist {k}: combine() takes control blocks of one op or tran analysis "
                           f"(and options and saves), not {control!r}")
    return lines[:begin], [line for line in control if line not in analyses], analyses[0]


def _kind(analysis: str) -> str:
    matched = _ANALYSIS_RE.match(analysis)
    assert matched is not None
    return matched.group(3).split()[0]


def _renamed(analysis: str, name: str) -> str:
    matched = _ANALYSIS_RE.match(analysis)
    assert matched is not None
    return f"{matched.group(1)}{name}{matched.group(3)}"


def _alter(before: str, after: str, k: int, number: int) -> str:
    """The ``alter`` statement that turns instance line ``before`` into ``after``."""
    old, new = _INSTANCE_RE.match(before), _INSTANCE_RE.match(after)
    if old is None or new is None or old.group(1, 2, 3) != new.group(1, 2, 3):
        raise NetlistError(f"netlist {k}, line {number + 1}: {after!r} differs from {before!r} in more than "
                           "an instance's parameters; they cannot share a run")
    name, master, params = new.group(1), new.group(3), new.group(4) or ""
    if master == "vsource":
        if "type=" not in params:
            params = f'type="dc" {params}'.strip()
        if not re.search(r"(^| )dc=", params):
            params += " dc=0"
    elif _parameter_names(old.group(4) or "") != _parameter_names(params):
        raise NetlistError(f"netlist {k}, line {number + 1}: instance {name!r} sets other parameters than "
                           f"before ({after!r} after {before!r}); they cannot share a run")
    return f'  alter instance("{name}") {params}'


def _parameter_names(params: str) -> list[str]:
    return re.findall(r"(\w+)=", re.sub(r"\[[^\]]*\]|\"[^\"]*\"", "", params))
