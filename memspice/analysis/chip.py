"""The digital side of a tiled crossbar network, on the tiles' extracted matrices (pure numpy).

A programmed fixed-conductance tile with wires is a linear network: its sink currents are
``I = M·V`` for word-line voltages ``V`` (``M`` ``(columns, rows)`` in A/V, extracted from SPICE
by :func:`memspice.flows.tile_reads.extract_tile_matrix`). With the G⁺ columns of the tile's
``n`` outputs first and their G⁻ columns after, output ``j``'s difference current is row ``j``
of ``D = M[:n] − M[n:]``.

Bit-serial read of one input vector (Yao 2020): cycle ``k`` drives word line ``i`` at
``V_read·bit_k(n_i)``; a resistive TIA on each side (feedback ``R_f``, bit lines at virtual
ground) and a unity-gain difference stage give ``V_k = R_f·(I⁺ − I⁻) = R_f·D·V_k``, sampled at
the end of the pulse's flat top; the ADC (:func:`memspice.circuits.readout.adc_codes`,
mid-tread, ``±adc_full_scale_V``, shifted so 0 V is code 0) gives code ``c_k``; shift-and-add
gives ``Σ_k 2**k·c_k``. One ADC code is ``units_per_code = v_lsb / (R_f·V_read·ΔG)`` units of
the code product ``Σ_i n_i·w_i`` (``ΔG`` siemens per unit of weight).

:func:`calibrated_feedback` chooses ``R_f`` per tile so that the largest per-cycle product the
tile sees on calibration inputs (ideal weights) reaches the ADC's full scale; larger values clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memspice.circuits.mapping import bit_planes, shift_and_add
from memspice.circuits.readout import adc_codes


@dataclass(frozen=True)
class AdcReadout:
    """The bit-serial TIA readout of one tile (SI units)."""

    v_read_V: float
    feedback_ohm: float
    adc_bits: int
    adc_full_scale_V: float
    input_bits: int

    @property
    def v_lsb_V(self) -> float:
        return self.adc_full_scale_V / 2 ** (self.adc_bits - 1)

    def units_per_code(self, delta_g_S: float) -> float:
        """Code-product units (weight × input code) per ADC code."""
        return self.v_lsb_V / (self.feedback_ohm * self.v_read_V * delta_g_S)

    def cycle_voltages_V(self, difference_A_per_V: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Readout outputs at the end of every flat top: ``(vectors, bits, outputs)`` for integer
        input ``codes`` ``(vectors, rows)`` and the tile's ``D`` ``(outputs, rows)`` (A/V)."""
        planes = np.moveaxis(bit_planes(codes, self.input_bits), 0, 1).astype(float)  # (vectors, bits, rows)
        return (planes * self.v_read_V) @ difference_A_per_V.T * self.feedback_ohm

    def adc_codes(self, volts: np.ndarray) -> np.ndarray:
        """Signed ADC codes of integrator outputs (0 V is code 0), same shape."""
        half = 2 ** (self.adc_bits - 1)
        return adc_codes(volts, bits=self.adc_bits, v_min=-self.adc_full_scale_V, v_max=self.adc_full_scale_V) - half

    def digital(self, difference_A_per_V: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Shift-and-added ADC codes ``(vectors, outputs)`` (int64) of one tile."""
        per_cycle = self.adc_codes(self.cycle_voltages_V(difference_A_per_V, codes))
        return shift_and_add(np.moveaxis(per_cycle, 1, 0), self.input_bits)


def difference_map(matrix_A_per_V: np.ndarray) -> np.ndarray:
    """``D = M[:n] − M[n:]`` ``(n, rows)`` of a tile map ``M`` ``(2n, rows)``."""
    n = matrix_A_per_V.shape[0] // 2
    return matrix_A_per_V[:n] - matrix_A_per_V[n:]


def largest_cycle_product(weights: np.ndarray, codes: np.ndarray, input_bits: int) -> float:
    """The largest ``|Σ_i bit_k(n_i)·w_i|`` over cycles, vectors and outputs (``weights``
    ``(rows, outputs)``, ``codes`` ``(vectors, rows)``); 1 when every product is 0."""
    planes = bit_planes(codes, input_bits).astype(float)  # (bits, vectors, rows)
    largest = float(np.max(np.abs(planes @ weights)))
    return largest if largest > 0 else 1.0


def calibrated_feedback(largest_product: float, *, v_read_V: float, delta_g_S: float, adc_full_scale_V: float) -> float:
    """``R_f`` (Ω) that puts a per-cycle product of ``largest_product`` weight units at the ADC's
    positive full scale: ``R_f = V_fs / (V_read·ΔG·largest)``."""
    return adc_full_scale_V / (v_read_V * delta_g_S * largest_product)


def input_codes_clipped(x: np.ndarray, full_scale: float, bits: int) -> np.ndarray:
    """``round(clip(x, 0, full_scale) / full_scale · (2**bits − 1))`` as int64 (activations
    beyond the calibrated full scale saturate, as a DAC or a digital register does)."""
    top = 2**bits - 1
    return np.round(np.clip(x, 0.0, full_scale) / full_scale * top).astype(np.int64)
