"""The simulation engine against the real ngspice (no mocks): both backends, same numbers."""

from __future__ import annotations

import logging
import shutil
import struct
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from memspice.engine import BACKENDS, DEFAULT_BACKEND, NGSPICE_BACKENDS, Waveforms, engine_version, run, shared_backend
from memspice.engine.rawfile import RawFileError, parse_rawfile, read_rawfile
from memspice.engine.runner import parse_analysis
from memspice.errors import NetlistError, NgspiceNotFoundError, ParameterError, SimulationError

pytestmark = pytest.mark.skipif(
    shutil.which("ngspice") is None, reason="ngspice is not installed (scripts/install-system-deps.sh)"
)

# HP-style memristor as B-sources (state x in [0, 1] on a 1 F capacitor) plus a subcircuit
# with an internal node and an internal current-sense source.
MEMRISTOR_TRAN = """\
memristor and subcircuit, transient
V1 a 0 SIN(0 1 1)
B1 a 0 I=V(a)/(100*V(x)+16000*(1-V(x)))
C1 x 0 1 ic=0.1
B2 0 x I=1e4*V(a)/(100*V(x)+16000*(1-V(x)))
R1 x 0 1e12
X1 a 0 divider
.subckt divider p n
Vsense p q 0
R1 q mid 1k
R2 mid n 1k
.ends
.tran 1m 2 uic
.end
"""

DC_SWEEP = """\
dc sweep of a divider and a diode
V1 a 0 0
R1 a b 1k
D1 b 0 dmod
.model dmod D(is=1e-14)
.dc V1 0 2 0.05
.end
"""

DIVIDER_OP = """\
voltage divider
V1 in 0 10
R1 in out 1k
R2 out 0 3k
.op
.end
"""

RC_STEP = """\
rc step response
V1 in 0 DC 1
R1 in out 1k
C1 out 0 1u ic=0
.tran 10u 5m 0 10u uic
.end
"""

UNKNOWN_MODEL = """\
unknown model
V1 a 0 1
D1 a 0 nosuchmodel
.op
.end
"""

SINGULAR_MATRIX = """\
two voltage sources in parallel
V1 a 0 1
V2 a 0 2
R1 a 0 1k
.op
.end
"""

# ln() of a negative argument once V(in) passes 0.6 V: ngspice aborts at t ~ 0.3 s.
TRAN_ABORTS = """\
transient that aborts midway
V1 in 0 PWL(0 0 1 2)
R1 in a 1k
B1 a 0 I=1e-3*ln(0.6-V(in))
.tran 1m 1
.end
"""

UNDEFINED_PARAMETER = """\
undefined parameter: a fatal error for the shared library
V1 a 0 {nosuchparam}
R1 a 0 1k
.op
.end
"""

LONG_TRAN = """\
a transient far too long for the timeout
V1 a 0 SIN(0 1 1)
R1 a b 1k
C1 b 0 1u
.tran 1u 1000 0 1u
.end
"""


@pytest.fixture(params=NGSPICE_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


# (a) both backends agree ---------------------------------------------------------------

@pytest.mark.parametrize("netlist", [MEMRISTOR_TRAN, DC_SWEEP, DIVIDER_OP], ids=["tran", "dc", "op"])
def test_backends_give_the_same_waveforms(netlist: str) -> None:
    shared = run(netlist, backend="shared")
    batch = run(netlist, backend="subprocess")
    assert shared.columns == batch.columns
    assert shared.data.shape == batch.data.shape
    assert_allclose(shared.data.to_numpy(), batch.data.to_numpy(), rtol=1e-9, atol=1e-18)
    assert (shared.backend, batch.backend) == ("shared", "subprocess")
    assert shared.engine_version == batch.engine_version == engine_version()


# (b) RC step response ---------------------------------------------------------------------

def test_rc_step_matches_closed_form(backend: str) -> None:
    wf = run(RC_STEP, backend=backend)
    t = wf.column("time")
    expected = 1.0 - np.exp(-t / (1e3 * 1e-6))
    assert t[-1] == pytest.approx(5e-3, rel=1e-9)
    assert_allclose(wf.column("v(out)"), expected, rtol=0, atol=1e-3)


# (c) voltage divider ----------------------------------------------------------------------

def test_divider_op_gives_the_exact_ratio(backend: str) -> None:
    wf = run(DIVIDER_OP, backend=backend)
    assert wf.analysis == "op"
    assert wf.data.shape[0] == 1
    assert wf.column("v(out)")[0] == pytest.approx(10.0 * 3e3 / 4e3, rel=1e-12)
    assert wf.column("i(v1)")[0] == pytest.approx(-10.0 / 4e3, rel=1e-12)


# (d) failures -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("netlist", "log_words"),
    [
        (UNKNOWN_MODEL, "nosuchmodel"),
        (SINGULAR_MATRIX, "Timestep too small"),  # after many "singular matrix" lines
        (TRAN_ABORTS, "Timestep too small"),
    ],
    ids=["unknown-model", "singular-matrix", "tran-aborts"],
)
def test_failing_simulation_raises_with_netlist_and_log(backend: str, netlist: str,
                                                        log_words: str) -> None:
    with pytest.raises(SimulationError) as caught:
        run(netlist, backend=backend)
    error = caught.value
    assert error.netlist_path is not None and error.netlist_path.exists()
    assert str(error.netlist_path) in str(error)
    assert error.netlist_path.read_text() == netlist
    assert log_words.lower() in error.log_tail.lower()
    assert log_words.lower() in str(error).lower()
    shutil.rmtree(error.netlist_path.parent)


def test_aborted_transient_reports_how_far_it_got(backend: str, tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match=r"last time_s = 0\.29"):
        run(TRAN_ABORTS, backend=backend, workdir=tmp_path)


def test_shared_library_recovers_after_a_fatal_error(tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="fatal"):
        run(UNDEFINED_PARAMETER, backend="shared", workdir=tmp_path)
    assert run(DIVIDER_OP, backend="shared").column("v(out)")[0] == pytest.approx(7.5)


def test_timeout_stops_the_run_and_the_next_run_works(backend: str, tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="timeout of 0.3 s"):
        run(LONG_TRAN, backend=backend, timeout_s=0.3, workdir=tmp_path)
    assert run(DIVIDER_OP, backend=backend).column("v(out)")[0] == pytest.approx(7.5)


# (e) ngspice missing ----------------------------------------------------------------------

def test_missing_ngspice_executable_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(NgspiceNotFoundError) as caught:
        run(DIVIDER_OP, backend="subprocess")
    assert "scripts/install-system-deps.sh" in str(caught.value)
    assert "sudo apt-get install ngspice libngspice0" in str(caught.value)


def test_missing_shared_library_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    shared_backend.unload()
    monkeypatch.setenv("NGSPICE_LIBRARY_PATH", "/nonexistent/libngspice.so.0")
    try:
        with pytest.raises(NgspiceNotFoundError, match="sudo apt-get install ngspice libngspice0"):
            run(DIVIDER_OP, backend="shared")
    finally:
        monkeypatch.undo()
        shared_backend.unload()
    assert run(DIVIDER_OP, backend="shared").column("v(out)")[0] == pytest.approx(7.5)


# (f) backend names ------------------------------------------------------------------------

def test_bad_backend_name_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match=r"'spectre'.*'shared', 'subprocess'"):
        run(DIVIDER_OP, backend="spectre")


def test_environment_variable_chooses_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DEFAULT_BACKEND in BACKENDS
    monkeypatch.setenv("MEMSPICE_ENGINE", "subprocess")
    assert run(DIVIDER_OP).backend == "subprocess"
    monkeypatch.setenv("MEMSPICE_ENGINE", "hspice")
    with pytest.raises(ParameterError, match=r"\$MEMSPICE_ENGINE='hspice'"):
        run(DIVIDER_OP)


# (g) the shared backend is silent ---------------------------------------------------------

def test_shared_backend_prints_and_logs_nothing(capfd: pytest.CaptureFixture[str],
                                                caplog: pytest.LogCaptureFixture,
                                                tmp_path: Path) -> None:
    shared_backend.unload()  # so the library load (PySpice's version warning) happens here
    caplog.set_level(logging.WARNING)
    run(MEMRISTOR_TRAN, backend="shared")
    with pytest.raises(SimulationError):
        run(UNKNOWN_MODEL, backend="shared", workdir=tmp_path)
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    # the demotion is attached around memspice's own calls only
    assert logging.getLogger("PySpice.Spice.NgSpice.Shared.NgSpiceShared").filters == []


def test_runs_from_several_threads_are_serialised(backend: str) -> None:
    def divider_output(_: int) -> float:
        return float(run(DIVIDER_OP, backend=backend).column("v(out)")[0])

    with ThreadPoolExecutor(max_workers=4) as pool:
        outputs = list(pool.map(divider_output, range(8)))
    assert outputs == [pytest.approx(7.5)] * 8


# (h) column naming ------------------------------------------------------------------------

def test_tran_column_names(backend: str) -> None:
    wf = run(MEMRISTOR_TRAN, backend=backend)
    assert wf.columns == (
        "time_s", "v(a)_V", "v(x)_V", "v(x1.mid)_V", "v(x1.q)_V", "i(v1)_A", "i(x1.vsense)_A",
    )
    assert wf.analysis == "tran"
    assert_allclose(wf.column("v(a)"), wf.column("v(a)_V"))
    assert_allclose(wf.column("V(A)"), wf.column("v(a)_V"))
    assert_allclose(wf.column("V(A)_V"), wf.column("v(a)_V"))
    assert_allclose(wf.column("v1#branch"), wf.column("i(v1)_A"))
    assert_allclose(wf.column("i(v.x1.vsense)"), wf.column("i(x1.vsense)_A"))
    # the subcircuit's sense source carries half the divider's current through v(a)
    assert_allclose(wf.column("i(x1.vsense)"), wf.column("v(a)") / 2e3, rtol=1e-9, atol=1e-15)
    with pytest.raises(KeyError, match=r"no column 'v\(nope\)'.*available columns: time_s, v\(a\)_V"):
        wf.column("v(nope)")


def test_dc_and_op_column_names(backend: str) -> None:
    dc = run(DC_SWEEP, backend=backend)
    assert dc.columns[0] == "sweep_V"
    assert dc.column("sweep")[-1] == pytest.approx(2.0)
    current_sweep = run("current sweep\nI1 0 c 1m\nR1 c 0 1k\n.dc I1 0 1m 0.1m\n.end\n", backend=backend)
    assert current_sweep.columns == ("sweep_A", "v(c)_V")
    assert_allclose(current_sweep.column("v(c)"), current_sweep.column("sweep_A") * 1e3, rtol=1e-9)
    op = run(DIVIDER_OP, backend=backend)
    assert op.columns == ("v(in)_V", "v(out)_V", "i(v1)_A")


# work directory, netlist handling ---------------------------------------------------------

def test_temporary_directory_is_removed_after_success(backend: str) -> None:
    wf = run(DIVIDER_OP, backend=backend)
    assert isinstance(wf, Waveforms)
    assert not wf.netlist_path.exists()
    assert wf.netlist_text == DIVIDER_OP
    assert wf.wall_time_s > 0


def test_given_workdir_keeps_the_files(backend: str, tmp_path: Path) -> None:
    wf = run(DIVIDER_OP.replace(".end\n", ""), backend=backend, workdir=tmp_path, name="divider")
    assert wf.netlist_path == (tmp_path / "divider.cir").resolve()
    assert wf.netlist_path.read_text().endswith(".end\n")  # added when missing


def test_renderable_objects_are_accepted() -> None:
    class Divider:
        def render(self) -> str:
            return DIVIDER_OP

    assert run(Divider()).column("v(out)")[0] == pytest.approx(7.5)


@pytest.mark.parametrize(
    ("netlist", "message"),
    [
        ("title\nR1 a 0 1\n.end\n", "found 0"),
        ("title\nV1 a 0 1\nR1 a 0 1\n.op\n.tran 1u 1m\n.end\n", "found 2"),
        ("title\nV1 a 0 1\n.ac dec 10 1 1k\n.end\n", "not supported"),
        ("title\nV1 a 0 1\n.op\n.control\nrun\n.endc\n.end\n", ".control"),
        ("title\nV1 a 0 1\n.tran 1u {tstop}\n.end\n", "tstop"),
    ],
)
def test_netlists_without_one_checkable_analysis_are_refused(netlist: str, message: str) -> None:
    with pytest.raises(NetlistError, match=message):
        run(netlist)


def test_analysis_line_parsing() -> None:
    tran = parse_analysis("t\n* .op in a comment\n.tran 1u\n+ 2.5m uic ; comment\n.end\n")
    assert (tran.kind, tran.stop) == ("tran", 2.5e-3)
    dc = parse_analysis("t\n.DC V1 1 -1 -0.5\n")
    assert (dc.kind, dc.start, dc.stop, dc.step) == ("dc", 1.0, -1.0, -0.5)


def test_bad_run_options_are_parameter_errors() -> None:
    with pytest.raises(ParameterError, match="timeout_s"):
        run(DIVIDER_OP, timeout_s=0)
    with pytest.raises(ParameterError, match="name"):
        run(DIVIDER_OP, name="../escape")


def test_importing_the_engine_is_cheap() -> None:
    code = ("import sys, memspice.engine; "
            "print(sorted(m for m in ('PySpice', 'pandas', 'cffi') if m in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True, cwd=Path(__file__).resolve().parent.parent)
    assert completed.stdout.strip() == "[]"


# raw file reader --------------------------------------------------------------------------

def _raw_bytes(points_declared: int, rows: list[list[float]], flags: str = "real",
               extra: bytes = b"") -> bytes:
    """A two-vector (time, v(a)) binary raw file as ngspice 39 writes it."""
    header = (
        "Title: synthetic\nDate: today\nPlotname: Transient Analysis\n"
        f"Flags: {flags}\nNo. Variables: 2\nNo. Points: {points_declared:<8d}\n"
        "Variables:\n\t0\ttime\ttime\n\t1\tv(a)\tvoltage\nBinary:\n"
    ).encode()
    body = b"".join(struct.pack("<2d", *row) for row in rows)
    return header + body + extra


def test_rawfile_reads_complete_and_aborted_runs() -> None:
    rows = [[0.0, 1.0], [0.5, 2.0], [1.0, 3.0]]
    (plot,) = parse_rawfile(_raw_bytes(3, rows))
    assert plot.points_complete == 3 and not plot.truncated
    assert_allclose(plot.column("v(a)"), [1.0, 2.0, 3.0])
    # aborted: header never rewritten (0 points) and the last row cut in half
    (aborted,) = parse_rawfile(_raw_bytes(0, rows, extra=struct.pack("<d", 1.5)))
    assert aborted.points_declared == 0 and aborted.points_complete == 3 and aborted.truncated
    # declared more than present (file cut short)
    (cut,) = parse_rawfile(_raw_bytes(10, rows[:2]))
    assert cut.points_complete == 2 and cut.truncated


def test_rawfile_refuses_complex_data() -> None:
    with pytest.raises(RawFileError, match="complex"):
        parse_rawfile(_raw_bytes(1, [[0.0, 1.0]], flags="complex"))


def test_rawfile_of_a_real_aborted_ngspice_run(tmp_path: Path) -> None:
    with pytest.raises(SimulationError) as caught:
        run(TRAN_ABORTS, backend="subprocess", workdir=tmp_path)
    (plot,) = read_rawfile(caught.value.netlist_path.with_suffix(".raw"))
    assert plot.points_declared == 0  # ngspice 39 leaves the header count at 0 on abort
    assert plot.points_complete > 100
    assert [v.name for v in plot.variables] == ["time", "v(in)", "v(a)", "i(v1)"]
