"""Analysis layer: hysteresis fingerprints from sampled arrays (no simulator here).

Importing this package does not import matplotlib; :func:`plot_hysteresis` and
:func:`plot_gallery` import it on their first call.
"""

from memspice.analysis.fingerprints import (
    Crossings,
    Fingerprint,
    FingerprintVerdicts,
    fingerprint,
    judge,
    last_period,
    lobe_area,
    lobe_area_norm,
    lobe_areas,
    pinch_ratio,
    zero_crossings,
)
from memspice.analysis.plots import GalleryPanel, format_frequency, plot_gallery, plot_hysteresis, si_prefix

__all__ = [
    "Crossings",
    "Fingerprint",
    "FingerprintVerdicts",
    "GalleryPanel",
    "fingerprint",
    "format_frequency",
    "judge",
    "last_period",
    "lobe_area",
    "lobe_area_norm",
    "lobe_areas",
    "pinch_ratio",
    "plot_gallery",
    "plot_hysteresis",
    "si_prefix",
    "zero_crossings",
]
