"""The ngspice dialect: the text plain ``ngspice -b`` runs (the default of ``Netlist.render()``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from memspice.errors import NetlistError
from memspice.netlist.arrays import format_number_array, lines_of
from memspice.netlist.dialect import Dialect
from memspice.netlist.values import check_name, check_node, check_number, element_name, format_value
from memspice.units import format_spice_number

if TYPE_CHECKING:
    from memspice.netlist.arrays import CapacitorArray, InstanceArray, ResistorArray
    from memspice.netlist.elements import (
        BehaviouralSource,
        Capacitor,
        Comment,
        CurrentSource,
        Dc,
        DcSweep,
        Function,
        ModelCard,
        Mosfet,
        Netlist,
        Op,
        Pulse,
        Pwl,
        Resistor,
        Sine,
        SubcircuitDefinition,
        SubcircuitInstance,
        Tran,
        VoltageSource,
    )

_OPTION_WORD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_PRINT_VECTOR_RE = re.compile(r"^[vi]\([A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*(,[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*)?\)$")


_SAVE_RE = re.compile(r"^([vi])\(([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\)$")


def checked_saves(saves: "Sequence[str]") -> list[str]:
    """``saves`` lower-cased, each checked to be ``v(<node>)`` or ``i(<source>)`` (names may be
    hierarchical with ``.``), in a vectorised pass (a 512×512 read saves 512 currents, a write
    of a large array 10⁵ states). Raises NetlistError naming the first bad entry."""
    lowered = [str(vector).lower() for vector in saves]
    bad = [vector for vector in lowered if not _SAVE_RE.fullmatch(vector)]
    if bad:
        raise NetlistError(f"save vector {bad[0]!r} must look like v(node) or i(vsource) "
                           f"(letters, digits, '_', hierarchy with '.'); {len(bad)} of {len(lowered)} do not")
    return lowered


def _assignments(params: "Mapping[str, Any]", value_text: "Callable[[Any, str], str]") -> str:
    """``key=value`` pairs of subcircuit parameters, each name checked, each value written by ``value_text``."""
    return " ".join(f"{check_name(key, what='parameter name')}={value_text(value, key)}" for key, value in params.items())


class NgspiceDialect(Dialect):
    """ngspice 39 syntax: ``R1 a b 1000``, ``.subckt``, ``{expr}``, ``.tran ... uic``, ``.end``."""

    name = "ngspice"

    def format(self, item: Any) -> str:
        # Items defined outside this package may only know their ngspice text (a render()
        # method and no format_hook): write that text as it is.
        if not hasattr(item, "format_hook") and callable(getattr(item, "render", None)):
            return item.render()
        return super().format(item)

    # ------------------------------------------------------------------ the netlist

    def format_netlist(self, netlist: "Netlist") -> str:
        netlist.check_complete()
        lines = [f"* {netlist.title}"]
        if netlist.options:
            lines.append(".options " + " ".join(self._option(k, v) for k, v in netlist.options.items()))
        for subcircuit in netlist.subcircuits:
            lines.append("")
            lines.append(self.format(subcircuit))
        lines.append("")
        lines.extend(self.format(element) for element in netlist.elements)
        if netlist.initial_conditions:
            conditions = " ".join(
                f"v({check_node(node)})={format_spice_number(check_number(value, what=f'ic of {node}'))}"
                for node, value in netlist.initial_conditions.items()
            )
            lines.append(f".ic {conditions}")
        if netlist.print_vectors:
            lines.append(self._print_line(netlist))
        if netlist.saves:
            lines.extend(self._save_lines(netlist))
        lines.append(self.format(netlist.analysis))
        lines.append(".end")
        return "\n".join(lines) + "\n"

    @staticmethod
    def _print_line(netlist: "Netlist") -> str:
        for vector in netlist.print_vectors:
            if not _PRINT_VECTOR_RE.fullmatch(vector):
                raise NetlistError(f"print vector {vector!r} must look like v(node), v(a,b) or i(vsource)")
        kind = "tran" if netlist.analysis.kind == "tran" else "dc"
        return f".print {kind} " + " ".join(netlist.print_vectors)

    @staticmethod
    def _save_lines(netlist: "Netlist") -> list[str]:
        """``.save`` lines of the netlist's saves and print vectors, 20 vectors a line."""
        vectors = list(dict.fromkeys([*checked_saves(netlist.saves), *netlist.print_vectors]))
        return [".save " + " ".join(vectors[k:k + 20]) for k in range(0, len(vectors), 20)]

    @staticmethod
    def _option(key: str, value: float | str) -> str:
        check_name(key, what="option name")
        if isinstance(value, str):
            if not _OPTION_WORD_RE.fullmatch(value):
                raise NetlistError(f"option {key}={value!r}: a word option must be letters, digits and '_'")
            return f"{key}={value}"
        return f"{key}={format_spice_number(check_number(value, what=f'option {key}'))}"

    def format_subcircuit(self, subcircuit: "SubcircuitDefinition") -> str:
        check_name(subcircuit.name, what="subcircuit name")
        for pin in subcircuit.pins:
            check_name(pin, what=f"pin of subcircuit {subcircuit.name}")
        lines = [self._comment_text(text) for text in subcircuit.comments]
        header = f".subckt {subcircuit.name} {' '.join(subcircuit.pins)}"
        if subcircuit.params:
            header += " params: " + _assignments(
                subcircuit.params, lambda value, key: format_spice_number(check_number(value, what=key)))
        lines.append(header)
        lines.extend(self.format(function) for function in subcircuit.functions)
        lines.extend(self.format(element) for element in subcircuit.elements)
        lines.append(f".ends {subcircuit.name}")
        return "\n".join(lines)

    def format_function(self, function: "Function") -> str:
        args = ",".join(check_name(arg, what="function argument") for arg in function.args)
        return f".func {check_name(function.name, what='function name')}({args}) {{{function.body.text}}}"

    # ------------------------------------------------------------------ elements

    def format_resistor(self, element: "Resistor") -> str:
        return (f"{element_name(element.name, 'R')} {check_node(element.n1)} {check_node(element.n2)} "
                f"{format_value(element.resistance_ohm)}")

    def format_model_card(self, card: "ModelCard") -> str:
        values = " ".join(f"{key}={format_value(value)}" for key, value in card.params.items())
        return f".model {check_name(card.name, what='model name')} {card.kind} {values}".rstrip()

    def format_mosfet(self, element: "Mosfet") -> str:
        nodes = " ".join(check_node(n) for n in (element.drain, element.gate, element.source, element.bulk))
        return (f"{element_name(element.name, 'M')} {nodes} {element.model} "
                f"W={format_value(element.w_m)} L={format_value(element.l_m)}")

    def format_capacitor(self, element: "Capacitor") -> str:
        text = (f"{element_name(element.name, 'C')} {check_node(element.n1)} {check_node(element.n2)} "
                f"{format_value(element.capacitance_f)}")
        if element.ic_v is not None:
            text += f" ic={format_value(element.ic_v)}"
        return text

    def format_voltage_source(self, element: "VoltageSource") -> str:
        return (f"{element_name(element.name, 'V')} {check_node(element.n_plus)} {check_node(element.n_minus)} "
                f"{self.format(element.waveform)}")

    def format_current_source(self, element: "CurrentSource") -> str:
        return (f"{element_name(element.name, 'I')} {check_node(element.n_plus)} {check_node(element.n_minus)} "
                f"{self.format(element.waveform)}")

    def format_behavioural_source(self, element: "BehaviouralSource") -> str:
        return (
            f"{element_name(element.name, 'B')} {check_node(element.n_plus)} {check_node(element.n_minus)} "
            f"{element.kind}={element.expression.text}"
        )

    def format_subcircuit_instance(self, element: "SubcircuitInstance") -> str:
        nodes = " ".join(check_node(node) for node in element.nodes)
        text = f"{element_name(element.name, 'X')} {nodes} {check_name(element.subcircuit, what='subcircuit name')}"
        if element.params:
            text += " " + _assignments(element.params, lambda value, key: format_value(value, what=key))
        return text

    def format_comment(self, element: "Comment") -> str:
        return self._comment_text(element.text)

    # ------------------------------------------------------------------ bulk elements

    def format_resistor_array(self, block: "ResistorArray") -> str:
        return self._two_terminal_array(block)

    def format_capacitor_array(self, block: "CapacitorArray") -> str:
        return self._two_terminal_array(block)

    @staticmethod
    def _two_terminal_array(block: "ResistorArray | CapacitorArray") -> str:
        names = [block.letter + name for name in block.names]
        return lines_of([names, list(block.n1), list(block.n2), block.text_values()])

    def format_instance_array(self, block: "InstanceArray") -> str:
        columns = [[block.letter + name for name in block.names], *(list(pin) for pin in block.nodes),
                   [block.subcircuit] * len(block)]
        for key, values in block.params.items():
            columns.append([f"{key}={text}" for text in format_number_array(values)])
        return lines_of(columns)

    @staticmethod
    def _comment_text(text: str) -> str:
        if "\n" in text or "\r" in text:
            raise NetlistError("a comment must be a single line")
        return f"* {text}"

    # ------------------------------------------------------------------ source waveforms

    def format_dc(self, waveform: "Dc") -> str:
        return f"dc {format_spice_number(waveform.value)}"

    def format_sine(self, waveform: "Sine") -> str:
        args = (waveform.offset, waveform.amplitude, waveform.freq_hz, waveform.delay_s,
                waveform.damping_per_s, waveform.phase_deg)
        return f"dc {format_spice_number(waveform.offset)} sin({' '.join(map(format_spice_number, args))})"

    def format_pulse(self, waveform: "Pulse") -> str:
        args = (waveform.initial, waveform.pulsed, waveform.delay_s, waveform.rise_s, waveform.fall_s,
                waveform.width_s, waveform.period_s)
        return f"dc {format_spice_number(waveform.initial)} pulse({' '.join(map(format_spice_number, args))})"

    def format_pwl(self, waveform: "Pwl") -> str:
        pairs = " ".join(f"{format_spice_number(t)} {format_spice_number(v)}" for t, v in waveform.points)
        return f"dc {format_spice_number(waveform.points[0][1])} pwl({pairs})"

    # ------------------------------------------------------------------ analyses

    def format_op(self, analysis: "Op") -> str:
        return ".op"

    def format_dc_sweep(self, analysis: "DcSweep") -> str:
        numbers = " ".join(map(format_spice_number, (analysis.start, analysis.stop, analysis.step)))
        return f".dc {analysis.source} {numbers}"

    def format_tran(self, analysis: "Tran") -> str:
        numbers = [analysis.step_s, analysis.stop_s]
        if analysis.max_step_s is not None or analysis.start_s:
            numbers.append(analysis.start_s)
        if analysis.max_step_s is not None:
            numbers.append(analysis.max_step_s)
        text = ".tran " + " ".join(map(format_spice_number, numbers))
        return text + (" uic" if analysis.uic else "")


#: The stateless ngspice dialect that ``render()`` of every element uses.
NGSPICE = NgspiceDialect()
