"""Device populations: programming noise, stuck and dead cells, drift — drawn per cell, seeded.

A real array is a population of devices. :class:`PopulationConfig` (part of an array study's
config) says how the conductances a study asks for (the targets) become the ones the netlist
holds: programming noise from a named preset (:data:`PRESETS`), then stuck-ON, stuck-OFF and
dead (open) cells, then optionally conductance drift to a read time. :meth:`PopulationConfig.draw`
does it with a generator seeded from the study's seed, so the same seed gives the same
population (and byte-identical netlists) and a different seed a different one.

Programming-noise presets (σ in S unless said otherwise; ``g`` the target conductance):

* ``lognormal:SIGMA`` — G = G_target·exp(N(0, σ²)) (multiplicative; seed 000 of the project notes);
* ``pcm-like`` — additive Gaussian with σ = (0.26348 + 1.9650·g/G_max − 1.1731·(g/G_max)²) µS,
  G_max = 25 µS (Nandakumar et al., ICECS 2019, the PCM model of IBM's aihwkit); negative
  draws clamp to 0 as in aihwkit (here to :data:`G_OPEN_S`, a SPICE resistor must be finite);
* ``rram-milo`` — additive Gaussian with σ = max(−0.009107·G/µS + 4.782, 0) µS, fitted over
  50–225 µS (the RRAM programming-error model of Sandia's CrossSim); outside that range σ
  is taken at the nearest end.

Drift (``drift_time_s``): G(t) = G(t0)·(t/t0)^(−ν), t0 = 20 s, ν per cell ~ |N(μ_ν, σ_ν²)| with
the pcm-like fit μ_ν = clamp(−0.0155·ln(g/G_max) + 0.0244, 0.049, 0.1) and
σ_ν = clamp(−0.0125·ln(g/G_max) − 0.0059, 0.008, 0.045) (aihwkit), or a fixed ``drift_nu``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from memspice.config import ConfigBase, ConfigError, setting

MICROSIEMENS = 1e-6
#: The conductance of a dead (open) cell and the floor of additive noise (S): 1 pS, 1 TΩ.
G_OPEN_S = 1e-12
#: Reference time of the drift law (s).
DRIFT_T0_S = 20.0
#: G_max of the pcm-like fit (S).
PCM_G_MAX_S = 25e-6
#: Conductance range of the rram-milo fit (S).
MILO_RANGE_S = (50e-6, 225e-6)
#: Stream of the study seed the population draws from (the study's own random pattern uses the seed alone).
POPULATION_STREAM = 0x706F70

#: Codes of the ``stuck`` column: a working cell, stuck at the ON or OFF conductance, dead (open).
STUCK_CODES = ("ok", "on", "off", "dead")


def pcm_sigma_S(g_target_S: np.ndarray) -> np.ndarray:
    """σ of the pcm-like programming noise (S) at each target conductance (S)."""
    g = np.asarray(g_target_S, dtype=float) / PCM_G_MAX_S
    return (0.26348 + 1.9650 * g - 1.1731 * g**2) * MICROSIEMENS


def milo_sigma_S(g_target_S: np.ndarray) -> np.ndarray:
    """σ of the rram-milo programming noise (S); targets outside 50–225 µS take the nearest end."""
    g_uS = np.clip(np.asarray(g_target_S, dtype=float), *MILO_RANGE_S) / MICROSIEMENS
    return np.maximum(-0.009107 * g_uS + 4.782, 0.0) * MICROSIEMENS


def pcm_drift_nu_mean(g_target_S: np.ndarray) -> np.ndarray:
    """Mean drift exponent ν of the pcm-like fit at each target conductance."""
    g = np.maximum(np.abs(np.asarray(g_target_S, dtype=float)) / PCM_G_MAX_S, 1e-12)
    return np.clip(-0.0155 * np.log(g) + 0.0244, 0.049, 0.1)


def pcm_drift_nu_std(g_target_S: np.ndarray) -> np.ndarray:
    """Standard deviation of ν of the pcm-like fit at each target conductance."""
    g = np.maximum(np.abs(np.asarray(g_target_S, dtype=float)) / PCM_G_MAX_S, 1e-12)
    return np.clip(-0.0125 * np.log(g) - 0.0059, 0.008, 0.045)


def drifted(g_S: np.ndarray, nu: np.ndarray, t_s: float, t0_s: float = DRIFT_T0_S) -> np.ndarray:
    """G(t) = G(t0)·(t/t0)^(−ν); unchanged for t ≤ t0."""
    return np.asarray(g_S, dtype=float) * (max(t_s, t0_s) / t0_s) ** (-np.asarray(nu, dtype=float))


@dataclass(frozen=True)
class NoisePreset:
    """A programming-noise model: ``draw(g_target_S, rng, parameter)`` -> programmed conductances."""

    name: str
    citation: str
    doc: str
    draw: Callable[[np.ndarray, np.random.Generator, float], np.ndarray]
    takes_parameter: bool = False


def _lognormal(g: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    return g * np.exp(sigma * rng.standard_normal(g.shape))


def _additive(sigma_of: Callable[[np.ndarray], np.ndarray]):
    def draw(g: np.ndarray, rng: np.random.Generator, _parameter: float) -> np.ndarray:
        return np.maximum(g + sigma_of(g) * rng.standard_normal(g.shape), G_OPEN_S)

    return draw


def _none(g: np.ndarray, rng: np.random.Generator, _parameter: float) -> np.ndarray:
    return g.copy()


PRESETS: dict[str, NoisePreset] = {
    preset.name: preset for preset in (
        NoisePreset("none", "", "every cell at its target", _none),
        NoisePreset("lognormal", "project notes, seed 000", "G = G_target·exp(N(0, σ²)); lognormal:SIGMA",
                    _lognormal, takes_parameter=True),
        NoisePreset("pcm-like", "Nandakumar et al., ICECS 2019 (IBM aihwkit PCMLikeNoiseModel)",
                    "additive, σ = 0.26348 + 1.9650 g − 1.1731 g² µS, g = G/25 µS", _additive(pcm_sigma_S)),
        NoisePreset("rram-milo", "Sandia CrossSim (RRAM programming error, Milo et al.)",
                    "additive, σ = max(−0.009107 G/µS + 4.782, 0) µS over 50–225 µS", _additive(milo_sigma_S)),
    )
}


def parse_programming(text: str) -> tuple[NoisePreset, float]:
    """``"lognormal:0.1"`` -> (the preset, 0.1); ``"pcm-like"`` -> (the preset, nan). ValueError
    with the allowed forms otherwise."""
    name, _, value = text.strip().partition(":")
    preset = PRESETS.get(name.strip().lower())
    if preset is None:
        raise ValueError(f"one of {', '.join(p.name + (':SIGMA' if p.takes_parameter else '') for p in PRESETS.values())}")
    if preset.takes_parameter:
        try:
            sigma = float(value)
        except ValueError:
            raise ValueError(f"{preset.name}:SIGMA with SIGMA a number in [0, 3], e.g. {preset.name}:0.1") from None
        if not (math.isfinite(sigma) and 0.0 <= sigma <= 3.0):
            raise ValueError(f"{preset.name}:SIGMA with SIGMA in [0, 3]")
        return preset, sigma
    if value:
        raise ValueError(f"{preset.name} without a parameter")
    return preset, math.nan


#: Device-to-device spreads of a model parameter: name -> how a relative spread ``s`` draws p/p0.
SPREADS: dict[str, str] = {
    "normal": "p = p0·(1 + s·N(0, 1))",
    "lognormal": "p = p0·exp(s·N(0, 1))",
    "uniform": "p = p0·(1 + s·U(−1, 1))",
}


def parse_spread(text: str) -> tuple[str, float]:
    """``"normal:0.05"`` -> ("normal", 0.05); ValueError naming the allowed forms otherwise."""
    kind, _, value = str(text).strip().partition(":")
    kind = kind.strip().lower()
    try:
        spread = float(value)
    except ValueError:
        spread = math.nan
    if kind not in SPREADS or not (math.isfinite(spread) and 0.0 <= spread <= 3.0):
        raise ValueError(f"KIND:SPREAD with KIND one of {', '.join(SPREADS)} and SPREAD in [0, 3], e.g. normal:0.05")
    return kind, spread


def draw_spread(nominal: float, text: str, shape: tuple[int, ...], rng: np.random.Generator, *,
                low: float, high: float) -> np.ndarray:
    """Per-cell values around ``nominal`` with the spread ``text``, truncated to ``[low, high]``:
    draws outside are drawn again (up to 50 times, then clipped), so the distribution is the
    spread's conditioned on the allowed range."""
    kind, spread = parse_spread(text)

    def sample(n: int) -> np.ndarray:
        z = rng.standard_normal(n) if kind != "uniform" else rng.uniform(-1.0, 1.0, n)
        return nominal * (np.exp(spread * z) if kind == "lognormal" else 1.0 + spread * z)

    values = sample(int(np.prod(shape)))
    for _ in range(50):
        outside = (values < low) | (values > high)
        if not outside.any():
            break
        values[outside] = sample(int(outside.sum()))
    return np.clip(values, low, high).reshape(shape)


@dataclass(frozen=True)
class Population:
    """The drawn population of an array: targets, programmed conductances (S), stuck codes
    (indices into :data:`STUCK_CODES`) and drift exponents (0 without drift), each ``(rows, cols)``."""

    g_target_S: np.ndarray
    g_programmed_S: np.ndarray
    stuck: np.ndarray
    nu: np.ndarray

    def counts(self) -> dict[str, int]:
        """How many cells have each stuck code."""
        return {code: int((self.stuck == k).sum()) for k, code in enumerate(STUCK_CODES)}


@dataclass(frozen=True)
class PopulationConfig(ConfigBase):
    """How target conductances become the conductances of a real array (see the module docstring)."""

    programming: str = setting(
        "none", cli="variation",
        doc="programming noise: none, lognormal:SIGMA (e.g. lognormal:0.1), pcm-like, rram-milo",
    )
    stuck_on: float = setting(0.0, low=0.0, high=1.0, cli="stuck-on", doc="fraction of cells stuck at the ON conductance")
    stuck_off: float = setting(0.0, low=0.0, high=1.0, cli="stuck-off",
                               doc="fraction of cells stuck at the OFF conductance")
    dead: float = setting(0.0, low=0.0, high=1.0, cli="dead", doc="fraction of dead (open, 1 pS) cells")
    drift_time_s: float | None = setting(
        None, unit="s", low=DRIFT_T0_S, high=1e10, cli="drift-time",
        doc="read the array this long after programming: G(t) = G(t0)(t/t0)^-nu, t0 = 20 s (default: no drift)",
    )
    drift_nu: float | None = setting(
        None, low=0.0, high=1.0, cli="drift-nu",
        doc="drift exponent of every cell (default with --drift-time: the pcm-like per-cell fit)",
    )
    parameters: Mapping[str, Any] = setting(
        default_factory=dict, cli="vary",
        doc="device-to-device spread of a memristor model parameter, NAME=KIND:SPREAD with KIND normal, "
            "lognormal or uniform and SPREAD relative (e.g. roff=lognormal:0.1, v_off=normal:0.05)",
    )
    cycle_parameters: Mapping[str, Any] = setting(
        default_factory=dict, cli="vary-cycle",
        doc="cycle-to-cycle spread of a memristor model parameter, redrawn for every pulse (co-simulated "
            "studies), NAME=KIND:SPREAD as for --vary, on top of the device's own value (e.g. k_off=lognormal:0.3)",
    )

    def check(self) -> None:
        try:
            parse_programming(self.programming)
        except ValueError as error:
            raise ConfigError("programming", self.programming, str(error)) from None
        if self.stuck_on + self.stuck_off + self.dead > 1.0:
            raise ConfigError("stuck_on", self.stuck_on, f"at most {1 - self.stuck_off - self.dead:g} "
                              "(stuck-on + stuck-off + dead ≤ 1)")
        if self.drift_nu is not None and self.drift_time_s is None:
            raise ConfigError("drift_nu", self.drift_nu, "unset without drift_time_s", reason="has no drift to set")
        for field_name in ("parameters", "cycle_parameters"):
            for name, text in getattr(self, field_name).items():
                try:
                    parse_spread(text)
                except ValueError as error:
                    raise ConfigError(f"{field_name}.{name}", text, str(error)) from None

    def refuse_conductance_variation(self, cells: str, *, stuck_allowed: bool = False) -> None:
        """ConfigError naming the first conductance-level setting given, for a study whose cells
        are memristors (they vary through ``parameters``; ``cells`` says what they are). With
        ``stuck_allowed`` the study pins stuck-ON / stuck-OFF memristors itself
        (:meth:`draw_stuck`, :func:`stuck_cell_values`), so only those two pass."""
        given = [(name, value) for name, value in self._conductance_settings()
                 if not (stuck_allowed and name in ("stuck_on", "stuck_off"))]
        if given:
            name, value = given[0]
            raise ConfigError(f"population.{name}", value, f"its default: the cells are {cells}; give a spread of a model "
                              "parameter instead (--vary NAME=KIND:SPREAD)",
                              reason="acts on programmed conductances")

    def refuse_parameter_variation(self, cells: str) -> None:
        """ConfigError for ``parameters`` given to a study whose cells are fixed conductances."""
        for field_name in ("parameters", "cycle_parameters"):
            given = getattr(self, field_name)
            if given:
                name = sorted(given)[0]
                raise ConfigError(f"population.{field_name}.{name}", given[name], f"unset: the cells are {cells}; "
                                  "use --variation / --stuck-on / --stuck-off / --dead",
                                  reason="varies a memristor model parameter")

    def refuse_cycle_variation(self, study: str) -> None:
        """ConfigError for ``cycle_parameters`` in a study that simulates one pulse (nothing to redraw)."""
        if self.cycle_parameters:
            name = sorted(self.cycle_parameters)[0]
            raise ConfigError(f"population.cycle_parameters.{name}", self.cycle_parameters[name],
                              f"unset: {study} applies one pulse (use --vary for a device-to-device spread)",
                              reason="is redrawn per pulse")

    @property
    def varies_conductances(self) -> bool:
        """True when the population acts on conductances (programming noise, stuck, dead, drift)."""
        return bool(self._conductance_settings())

    def _conductance_settings(self) -> list[tuple[str, Any]]:
        """The conductance-level fields set away from "nothing drawn", as (name, value), in field order."""
        given: list[tuple[str, Any]] = []
        if parse_programming(self.programming)[0].name != "none":
            given.append(("programming", self.programming))
        given += [(name, getattr(self, name)) for name in ("stuck_on", "stuck_off", "dead") if getattr(self, name)]
        if self.drift_time_s is not None:
            given.append(("drift_time_s", self.drift_time_s))
        return given

    def draw_parameters(self, model: Any, values: Mapping[str, Any], shape: tuple[int, int],
                        seed: int) -> dict[str, np.ndarray]:
        """Per-cell values of every varied parameter of ``model`` (a catalog memristor whose
        resolved parameters are ``values``), truncated to each parameter's range. ConfigError
        (path ``population.parameters.NAME``, as the owning study's check raises it) for a name
        the model does not have or cannot vary."""
        rng = np.random.default_rng((int(seed), POPULATION_STREAM, 1))
        drawn = {}
        for name in sorted(self.parameters):
            self._check_varied(model, name, self.parameters[name], "parameters")
            low, high = model.parameter(name).bounds
            drawn[name] = draw_spread(float(values[name]), self.parameters[name], shape, rng, low=low, high=high)
            drawn[name].flags.writeable = False
        return drawn

    def draw_cycle(self, model: Any, device_values: Mapping[str, np.ndarray], values: Mapping[str, Any],
                   shape: tuple[int, int], seed: int, cycle: int) -> dict[str, np.ndarray]:
        """The per-cell parameters of pulse (or round) ``cycle``: each of ``cycle_parameters``
        drawn around the device's own value (``device_values``, else the nominal ``values``) and
        truncated to the parameter's range; the device-to-device values of the others as they
        are. Deterministic in ``(seed, cycle)``."""
        drawn = dict(device_values)
        rng = np.random.default_rng((int(seed), POPULATION_STREAM, 2, int(cycle)))
        for name in sorted(self.cycle_parameters):
            self._check_varied(model, name, self.cycle_parameters[name], "cycle_parameters")
            low, high = model.parameter(name).bounds
            base = np.asarray(device_values.get(name, np.full(shape, float(values[name]))), dtype=float)
            factor = draw_spread(1.0, self.cycle_parameters[name], shape, rng, low=-np.inf, high=np.inf)
            drawn[name] = np.clip(base * factor, low, high)
            drawn[name].flags.writeable = False
        return drawn

    def _check_varied(self, model: Any, name: str, text: str, field_name: str) -> None:
        names = [p.name for p in model.parameters if not p.is_choice and p.name != model.state_initial]
        if name not in names:
            raise ConfigError(f"population.{field_name}.{name}", text,
                              f"a numeric parameter of {model.name}: {', '.join(names)}",
                              reason=f"names no parameter of {model.name} that can vary per cell")

    @property
    def is_ideal(self) -> bool:
        """True when every cell is at its target (nothing drawn)."""
        return not self.varies_conductances and not self.parameters and not self.cycle_parameters

    def describe(self) -> str:
        """One line for titles, e.g. ``lognormal:0.2, 2% stuck-off``."""
        parts = [self.programming] if self.programming != "none" else []
        parts += [f"{100 * value:g}% {name}" for name, value in (("stuck-on", self.stuck_on),
                                                                 ("stuck-off", self.stuck_off), ("dead", self.dead)) if value]
        if self.drift_time_s is not None:
            parts.append(f"drift to {self.drift_time_s:g} s")
        parts += [f"{name} {text}" for name, text in sorted(self.parameters.items())]
        parts += [f"{name} {text} per pulse" for name, text in sorted(self.cycle_parameters.items())]
        return ", ".join(parts) or "ideal"

    def draw_stuck(self, shape: tuple[int, int], seed: int) -> np.ndarray:
        """``shape`` stuck codes (indices into :data:`STUCK_CODES`: 0 ok, 1 stuck ON, 2 stuck OFF)
        for an array of memristors, drawn from ``stuck_on`` and ``stuck_off``; deterministic in
        ``seed`` and independent of the parameter draws."""
        u = np.random.default_rng((int(seed), POPULATION_STREAM, 3)).random(shape)
        codes = np.where(u < self.stuck_on, 1, np.where(u < self.stuck_on + self.stuck_off, 2, 0)).astype(np.int8)
        codes.flags.writeable = False
        return codes

    def draw(self, g_target_S: np.ndarray, seed: int, *, g_on_S: float, g_off_S: float) -> Population:
        """The population of an array with these targets: programming noise, then stuck and dead
        cells (``g_on_S`` / ``g_off_S`` / :data:`G_OPEN_S`), then drift. Deterministic in ``seed``."""
        target = np.array(g_target_S, dtype=float)
        rng = np.random.default_rng((int(seed), POPULATION_STREAM))
        preset, parameter = parse_programming(self.programming)
        programmed = preset.draw(target, rng, parameter)
        u = rng.random(target.shape)
        edges = np.cumsum([self.stuck_on, self.stuck_off, self.dead])
        stuck = np.where(u < edges[0], 1, np.where(u < edges[1], 2, np.where(u < edges[2], 3, 0))).astype(np.int8)
        programmed = np.choose(stuck, [programmed, np.full_like(target, g_on_S), np.full_like(target, g_off_S),
                                       np.full_like(target, G_OPEN_S)])
        nu = np.zeros_like(target)
        if self.drift_time_s is not None:
            if self.drift_nu is not None:
                nu = np.full_like(target, self.drift_nu)
            else:
                nu = np.abs(pcm_drift_nu_mean(target) + pcm_drift_nu_std(target) * rng.standard_normal(target.shape))
            nu = np.where(stuck == 0, nu, 0.0)
            programmed = drifted(programmed, nu, self.drift_time_s)
        for array in (target, programmed, stuck, nu):
            array.flags.writeable = False
        return Population(target, programmed, stuck, nu)


#: Switching thresholds a stuck memristor has out of reach (voltage or current, per model).
THRESHOLD_PARAMETERS = ("v_off", "v_on", "i_off", "i_on")


def threshold_names(model: Any) -> list[str]:
    """The switching thresholds of ``model`` (a catalog memristor) that pin a stuck cell."""
    names = {p.name for p in model.parameters}
    return [name for name in THRESHOLD_PARAMETERS if name in names]


def stuck_cell_values(model: Any, values: Mapping[str, Any], stuck: np.ndarray,
                      cell_values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-cell parameters (``cell_values`` with the thresholds added) that keep every stuck
    cell (``stuck != 0``) from switching: each switching threshold of ``model`` (a catalog
    memristor, resolved ``values``; :func:`threshold_names`, which the study checks is not
    empty) moved to the end of its range on its own side of zero (±100 V for VTEAM), so no
    pulse a study allows reaches it. The study pins the stuck cells' states at the ON or OFF
    bound itself."""
    drawn = dict(cell_values)
    mask = np.asarray(stuck) != 0
    for name in threshold_names(model):
        low, high = model.parameter(name).bounds
        out_of_reach = high if float(values[name]) > 0 else low
        base = np.asarray(cell_values.get(name, np.full(mask.shape, float(values[name]))), dtype=float)
        drawn[name] = np.where(mask, out_of_reach, base)
        drawn[name].flags.writeable = False
    return drawn
