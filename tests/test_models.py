"""The model catalog: ranges, defaults, cross-parameter rules, names that are safe in SPICE."""

from __future__ import annotations

import math
import re

import pytest

from memspice.errors import ParameterError
from memspice.spicelib import all_models, get_model, memristor_subcircuit
from memspice.studies.hysteresis import HysteresisConfig


def test_catalog_has_the_spine_models() -> None:
    assert {m.name for m in all_models()} >= {"chua", "hp", "vteam"}


@pytest.mark.parametrize("model", all_models(), ids=lambda m: m.name)
def test_every_variant_renders_at_defaults(model) -> None:
    text = memristor_subcircuit(model, model.resolve()).render()
    assert text.splitlines()[-1].startswith(".ends memspice_")
    assert "Cstate xstate 0 1 ic={" in text
    for parameter in model.parameters:
        assert parameter.doc and (parameter.is_choice or parameter.low is not None or parameter.high is not None)


@pytest.mark.parametrize(
    ("model", "overrides", "message"),
    [
        ("hp", {"ron": -100.0}, r"hp\.ron=-100 is outside the allowed range \(0, 1e\+12\]"),
        ("hp", {"roff": 50.0}, r"roff=50 Ω must be greater than ron=100 Ω"),
        ("hp", {"roff": 100.0}, r"roff=100 Ω must be greater than ron=100 Ω"),
        ("hp", {"x0": 1.5}, r"hp\.x0=1\.5 is outside the allowed range \[0, 1\]"),
        ("hp", {"x0": -0.1}, r"hp\.x0=-0\.1 is outside"),
        ("hp", {"d": math.nan}, r"hp\.d=nan is not finite"),
        ("hp", {"window": "hann"}, r"hp\.window='hann' is not allowed; use one of none, joglekar, biolek, prodromakis"),
        ("hp", {"rom": 1.0}, r"model 'hp' has no parameter 'rom'; its parameters are: ron, roff"),
        ("hp", {"ron": "100"}, r"hp\.ron='100' is not a number"),
        ("vteam", {"k_on": 1.0}, r"vteam\.k_on=1 is outside the allowed range \[-1e\+09, 0\)"),
        ("vteam", {"roff": 10.0}, r"roff=10 Ω must be greater than ron=50 Ω"),
        ("chua", {"r0": 0.0}, r"chua\.r0=0 is outside the allowed range \(0, 1e\+12\]"),
    ],
)
def test_bad_parameters_name_parameter_value_and_range(model: str, overrides: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        get_model(model).resolve(overrides)


def test_unknown_model_lists_the_catalog() -> None:
    catalog = ", ".join(sorted(m.name for m in all_models()))
    assert catalog.startswith("chua, hp, ") and "vteam" in catalog
    with pytest.raises(ParameterError, match=re.escape(f"unknown memristor model 'hpp'; available: {catalog}")):
        get_model("hpp")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model": "hp", "params": {"ron": -1.0}},
        {"model": "hp", "freqs_hz": (1.0, math.nan)},
        {"model": "hp", "freqs_hz": (-1.0,)},
        {"model": "hp", "amplitude": 0.0},
        {"model": "hp", "drive": "charge"},
        {"model": "hp", "cycles": 0},
        {"model": "hp", "points_per_cycle": 10},
        {"model": "nope"},
        {"model": "hp", "params": {".control": 1.0}},
    ],
)
def test_hysteresis_config_rejects_bad_input_before_any_simulation(kwargs: dict) -> None:
    # The config is validated on construction: no netlist exists yet, ngspice is never reached.
    with pytest.raises(ParameterError):
        HysteresisConfig(**kwargs)


def test_variants_are_distinct_subcircuits() -> None:
    hp = get_model("hp")
    names = {hp.subcircuit_name(hp.resolve({"window": w})) for w in ("none", "joglekar", "biolek", "prodromakis")}
    assert names == {"memspice_hp_none", "memspice_hp_joglekar", "memspice_hp_biolek", "memspice_hp_prodromakis"}
