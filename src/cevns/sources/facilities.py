"""Stopped-pion facilities: beam energy, power, repetition rate, neutrino yield, pulse.

A :class:`Facility` is a source without a detector; :meth:`Facility.source` places a detector
at a baseline for an exposure and returns the :class:`~cevns.sources.stopped_pion.StoppedPionSource`
the rest of cevns reads. The exposure is N_POT = t P_beam / E_p (seed 003, "Future
perspectives": N_POT = t_exp P_beam / E_p).

Presets (:data:`FACILITIES`); every number carries its source, and numbers not stated by
a seed are marked ASSUMPTION (docs/projections.md lists them):

* ``sns``: the SNS as COHERENT ran it: E_p = 0.984 GeV, 1.4 MW (seed 003, "Future
  perspectives": "wrt E_p = 0.984 GeV ... wrt P_beam = 1.4 MW"), 60 Hz (SNS design value),
  r = 0.0848 (seed 004 after eq. 29, CsI 2021), the CsI 2021 pulse (a = 440 ns,
  sigma = 150 ns, LAr release POT trace).
* ``sns-2mw``: after the Proton Power Upgrade, E_p = 1.3 GeV, 2 MW from 2025 (seed 003).
  r(1.3 GeV) = 0.13 is an ASSUMPTION: the yield per proton grows with E_p (more pions
  per proton); 0.13 is our recollection of COHERENT's flux simulation (Akimov et al.,
  PRD 106 (2022) 032003) extrapolated to 1.3 GeV, not a number any seed states.
* ``sns-2p8mw``: the same at 2.8 MW (seed 003: "P_beam = 2.8 MW" after the second
  target station upgrade, 2030), same r ASSUMPTION.
* ``lujan``: LANSCE Lujan centre, 800 MeV protons at 20 Hz on tungsten, r ~ 0.04
  (seed 000 sec. III); 3e22 POT in 3 years of 5000 h (seed 000 sec. III), i.e. 1e22 POT
  per 5000-h year and an implied ~71 kW. Pulse: Gaussian sigma = 120 ns (FWHM ~ 280 ns),
  ASSUMPTION (the Lujan pulse is a few hundred ns; seed 000 does not use timing).
* ``ess``: European Spallation Source, 2 GeV, 5 MW, 14 Hz, 2.86 ms flat-top pulse (ESS
  design values, Baxter et al., JHEP 02 (2020) 123); r = 0.3 per flavour per proton,
  ASSUMPTION (our recollection of Baxter et al.'s Geant4 yield at 2 GeV); with 5000 h/yr
  this is 2.8e23 POT per year. The pulse is much longer than tau_mu, so the arrival
  times do not separate prompt from delayed neutrinos (:class:`~cevns.sources.timing.BoxPulseTiming`).

Hours per year of beam: 5000 everywhere, ASSUMPTION for the SNS and the ESS (the
"SNS year" of COHERENT's projections is of that order), seed 000 sec. III for Lujan.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParameterError, UnknownNameError
from .stopped_pion import StoppedPionSource
from .timing import BoxPulse, ProtonPulse

#: elementary charge [C] (SI, exact since 2019): protons per second = P / (E_p e)
ELEMENTARY_CHARGE_C = 1.602176634e-19
SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class Facility:
    """A stopped-pion facility (see the module docstring for the presets and their sources).

    Attributes
    ----------
    name, description: identification.
    proton_energy_gev: E_p, kinetic energy of the beam protons [GeV].
    beam_power_mw: P_beam [MW].
    rep_rate_hz: pulses per second.
    nu_per_flavor_per_pot: r, neutrinos of each flavour per proton on target.
    pulse: the proton pulse (Gaussian :class:`ProtonPulse` or flat-top :class:`BoxPulse`).
    hours_per_year: beam hours in one year of running.
    citation: where the numbers come from; ``assumptions``: the numbers no source states.
    """

    name: str
    description: str
    proton_energy_gev: float
    beam_power_mw: float
    rep_rate_hz: float
    nu_per_flavor_per_pot: float
    pulse: ProtonPulse | BoxPulse
    hours_per_year: float
    citation: str
    assumptions: tuple[str, ...] = ()

    @property
    def pot_per_second(self) -> float:
        """Protons per second, P / (E_p e)."""
        return self.beam_power_mw * 1e6 / (self.proton_energy_gev * 1e9 * ELEMENTARY_CHARGE_C)

    @property
    def pot_per_year(self) -> float:
        """N_POT of one year of running, P t / E_p with t = ``hours_per_year`` (seed 003)."""
        return self.pot_per_second * self.hours_per_year * SECONDS_PER_HOUR

    def pot(self, years: float) -> float:
        """N_POT of ``years`` years of running."""
        if years <= 0:
            raise ParameterError(f"exposure must be positive, got {years} years")
        return self.pot_per_year * years

    def source(self, baseline_m: float, pot: float) -> StoppedPionSource:
        """The source seen by a detector at ``baseline_m`` for ``pot`` protons on target."""
        if baseline_m <= 0 or pot <= 0:
            raise ParameterError(f"baseline and POT must be positive, got {baseline_m} m and {pot} POT")
        return StoppedPionSource(self.nu_per_flavor_per_pot, pot, baseline_m, self.pulse)

    def to_dict(self) -> dict:
        """Plain-data form (provenance)."""
        return {"name": self.name, "description": self.description, "proton_energy_gev": self.proton_energy_gev,
                "beam_power_mw": self.beam_power_mw, "rep_rate_hz": self.rep_rate_hz,
                "nu_per_flavor_per_pot": self.nu_per_flavor_per_pot, "hours_per_year": self.hours_per_year,
                "pot_per_year": self.pot_per_year, "citation": self.citation, "assumptions": list(self.assumptions)}


_SNS_PULSE = ProtonPulse(0.44, 0.15)  # LAr release POT trace (a = 440 ns, b = 150 ns), as the CsI 2021 preset
_UPGRADE_R = "r = 0.13 at 1.3 GeV (yield grows with E_p; recalled from COHERENT flux simulations, PRD 106 (2022) 032003)"
_HOURS = "5000 beam hours per year"

FACILITIES: dict[str, Facility] = {
    "sns": Facility("sns", "SNS as COHERENT ran it (0.984 GeV, 1.4 MW)", 0.984, 1.4, 60.0, 0.0848, _SNS_PULSE, 5000.0,
                    "seed 003 'Future perspectives' (E_p, P); seed 004 after eq. 29 (r)", (_HOURS,)),
    "sns-2mw": Facility("sns-2mw", "SNS after the Proton Power Upgrade (1.3 GeV, 2 MW, from 2025)", 1.3, 2.0, 60.0, 0.13,
                        _SNS_PULSE, 5000.0, "seed 003 'Future perspectives' (E_p = 1.3 GeV, 2 MW in 2025)",
                        (_UPGRADE_R, _HOURS)),
    "sns-2p8mw": Facility("sns-2p8mw", "SNS with the second target station upgrade (1.3 GeV, 2.8 MW)", 1.3, 2.8, 60.0,
                          0.13, _SNS_PULSE, 5000.0, "seed 003 'Future perspectives' (2.8 MW)", (_UPGRADE_R, _HOURS)),
    "lujan": Facility("lujan", "LANSCE Lujan centre (800 MeV, 20 Hz, tungsten target)", 0.8,
                      1e22 / (5000.0 * SECONDS_PER_HOUR) * 0.8e9 * ELEMENTARY_CHARGE_C / 1e6, 20.0, 0.04,
                      ProtonPulse(0.14, 0.12), 5000.0,
                      "seed 000 sec. III (800 MeV, 20 Hz, r ~ 0.04, 3e22 POT in 3 x 5000 h)",
                      ("pulse: Gaussian sigma = 120 ns",)),
    "ess": Facility("ess", "European Spallation Source (2 GeV, 5 MW, 14 Hz, 2.86 ms pulse)", 2.0, 5.0, 14.0, 0.3,
                    BoxPulse(0.0, 2860.0), 5000.0, "ESS design values (Baxter et al., JHEP 02 (2020) 123)",
                    ("r = 0.3 per flavour per proton at 2 GeV (recalled from Baxter et al. 2020)", _HOURS)),
}


def get_facility(name: str) -> Facility:
    """The facility preset ``name`` (errors name the valid ones)."""
    try:
        return FACILITIES[name]
    except KeyError:
        raise UnknownNameError(f"unknown source {name!r}; choose one of {', '.join(FACILITIES)}") from None


__all__ = ["ELEMENTARY_CHARGE_C", "FACILITIES", "Facility", "get_facility"]
