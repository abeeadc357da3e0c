"""Device presets: named parameter sets of catalog models for a purpose.

``WRITE_DEVICE`` is the write studies' default device: VTEAM with symmetric ±1.4 V thresholds
and fast linear switching, so a V/2 write at V_W = 2 V switches the selected cell while every
half-selected cell (1 V) stays below threshold.
"""

from __future__ import annotations

from typing import Mapping

#: The catalog model of the write device.
WRITE_DEVICE_MODEL = "vteam"
#: Its parameters (SI): symmetric ±1.4 V thresholds, fast linear switching.
WRITE_DEVICE_PARAMS: Mapping[str, float] = {
    "ron": 1e4, "roff": 1e5, "v_off": 1.4, "v_on": -1.4, "k_off": 0.3, "k_on": -0.3, "alpha_off": 1.0, "alpha_on": 1.0,
}

#: The spiking network's synapse (issue 19): the write device switching ten times slower, so a
#: 9 ns STDP pulse 0.3 V past threshold moves the state by 0.019, about 1/64 of its range.
SYNAPSE_DEVICE_PARAMS: Mapping[str, float] = {**WRITE_DEVICE_PARAMS, "k_off": 0.03, "k_on": -0.03}


def default_params(model: str) -> dict[str, float]:
    """The preset parameters a write study starts from for ``model``: the write device's for
    VTEAM, none (the catalog defaults) for any other model."""
    return dict(WRITE_DEVICE_PARAMS) if model == WRITE_DEVICE_MODEL else {}
