"""Figure of a VMM chain's waveforms: input pulses, readout output (integrator ramp or TIA
level) and the ADC sampling instants.

matplotlib is imported inside the function (``import memspice.analysis`` stays cheap).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from memspice.analysis.plots import _write_atomically, si_prefix


def plot_vmm_chain(time_s: np.ndarray, word_line_V: np.ndarray, readout_V: np.ndarray, path: Path, *,
                   sample_times_s: np.ndarray, sample_values_V: np.ndarray, adc_lsb_V: float, title: str,
                   readout: str = "integrator", dpi: int = 150) -> Path:
    """Two stacked panels sharing time: word-line voltages (one line per row), then output 0's
    readout voltage with the ADC sampling instants.

    ``time_s`` ``(points,)`` (s), ``word_line_V`` ``(points, rows)`` and ``readout_V``
    ``(points,)`` (V) are the waveforms of one input vector; ``sample_times_s`` and
    ``sample_values_V`` ``(cycles,)`` the ADC's samples; ``adc_lsb_V`` one ADC step (V);
    ``readout`` (``integrator`` or ``tia``) names the readout in the legend.
    """
    from matplotlib.figure import Figure

    t = np.asarray(time_s)
    word_line_V = np.asarray(word_line_V)
    sample_times_s = np.asarray(sample_times_s)
    scale, prefix = si_prefix(float(np.max(t)))
    figure = Figure(figsize=(10.0, 6.0), layout="constrained")
    ax_in, ax_out = figure.subplots(2, 1, sharex=True)
    for row in range(word_line_V.shape[1]):
        ax_in.plot(t / scale, word_line_V[:, row], lw=1.0, label=f"row {row}" if row < 8 else None)
    ax_in.set_ylabel("Word-line voltage (V)")
    ax_in.set_title("Input pulses")
    if word_line_V.shape[1] <= 8:
        ax_in.legend(fontsize=7, ncol=4, loc="upper right")
    label = "integrator output (reset per window)" if readout == "integrator" else "TIA differential output"
    ax_out.plot(t / scale, readout_V, color="C0", lw=1.2, label=label)
    ax_out.plot(sample_times_s / scale, sample_values_V, "o", color="C3",
                label="ADC sampling instants")
    for instant in sample_times_s:
        ax_out.axvline(instant / scale, color="C3", lw=0.5, alpha=0.4)
    ax_out.set_ylabel("Readout voltage, output 0 (V)")
    ax_out.set_xlabel(f"Time ({prefix}s)")
    ax_out.set_title(f"Readout and ADC (1 LSB = {adc_lsb_V * 1e3:.3g} mV)")
    ax_out.legend(fontsize=8, loc="upper left")
    figure.suptitle(title)
    _write_atomically(figure, Path(path), dpi=dpi)
    return Path(path)
