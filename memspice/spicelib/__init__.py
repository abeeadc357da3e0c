"""The SPICE model library: memristor compact models and their catalog.

``get_model(name)`` returns a :class:`MemristorModel`; ``memristor_subcircuit(model, values)``
renders it as an ngspice subcircuit. ``memristors.lib`` beside this file is the same
library rendered at default parameters, for reading or for use outside memspice.
"""

from memspice.spicelib.catalog import (
    HysteresisDrive,
    MemristorModel,
    ModelEquations,
    Parameter,
    all_models,
    get_model,
    memristor_subcircuit,
    register,
)

__all__ = [
    "HysteresisDrive",
    "MemristorModel",
    "ModelEquations",
    "Parameter",
    "all_models",
    "get_model",
    "memristor_subcircuit",
    "register",
]
