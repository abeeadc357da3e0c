"""Dialects: how one simulator spells a netlist, one ``format_*`` hook per kind of block.

Every netlist item (element, source waveform, analysis, subcircuit, the whole netlist) names
its hook in the class attribute ``format_hook`` (``Resistor.format_hook == "format_resistor"``);
:meth:`Dialect.format` dispatches on it. A dialect overrides the hooks whose spelling differs
and refuses, with a :class:`~memspice.errors.NetlistError` saying what to use instead, the
blocks its simulator cannot express. Circuit code builds one :class:`~memspice.netlist.Netlist`
and renders it for either simulator:

>>> netlist.render()                    # ngspice text, as plain ``ngspice -b`` runs it   # doctest: +SKIP
>>> netlist.render(dialect="vacask")    # the same circuit for VACASK                     # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from memspice.errors import NetlistError

if TYPE_CHECKING:
    from memspice.netlist.elements import Netlist


class Dialect:
    """Base class of the netlist dialects; subclasses implement the ``format_*`` hooks.

    A dialect object may keep state while it writes one netlist (VACASK collects model lines
    first), so use one object per thread.
    """

    #: Short name used by :func:`get_dialect` and in error messages.
    name: ClassVar[str] = "generic"

    def format(self, item: Any) -> str:
        """Text of one netlist item (element, waveform, analysis, subcircuit, function)."""
        hook = getattr(item, "format_hook", None)
        method = getattr(self, hook, None) if isinstance(hook, str) else None
        if method is None:
            only_ngspice = " (it only knows its ngspice text)" if callable(getattr(item, "render", None)) else ""
            raise NetlistError(f"the {self.name} dialect cannot write {type(item).__name__} objects{only_ngspice}")
        return method(item)

    def format_netlist(self, netlist: "Netlist") -> str:
        """The whole netlist as this simulator's input file text."""
        raise NetlistError(f"the {self.name} dialect cannot write a whole netlist")


def get_dialect(dialect: "str | Dialect") -> Dialect:
    """A dialect object for ``"ngspice"`` or ``"vacask"`` (a Dialect instance is returned as is).

    Raises
    ------
    NetlistError
        naming the value and the known dialects.
    """
    if isinstance(dialect, Dialect):
        return dialect
    if dialect == "ngspice":
        from memspice.netlist.ngspice import NgspiceDialect

        return NgspiceDialect()
    if dialect == "vacask":
        from memspice.netlist.vacask import VacaskDialect

        return VacaskDialect()
    raise NetlistError(f"dialect={dialect!r} is not known; use 'ngspice', 'vacask' or a Dialect object")
