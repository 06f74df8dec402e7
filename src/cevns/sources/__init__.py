"""Neutrino sources: the :class:`Source` protocol and the stopped-pion (pi-DAR) source.

* :mod:`.base`: :class:`Source`, :class:`Spectrum`, :class:`ArrivalTimeModel` (what the
  layers below read of a source) and :class:`LineSpectrum`;
* :mod:`.stopped_pion`: the SNS pi-DAR spectra (seed 002 eqs. 1-3), normalisation and the
  presets of the three releases (:data:`SOURCES`);
* :mod:`.timing`: arrival times of stopped-pion neutrinos (proton pulse (x) decay chain);
* :mod:`.solar`: 8B and hep neutrinos at Earth (spectra, solar-model fluxes, MSW flavours).
* :mod:`.facilities`: facility presets (``sns``, ``sns-2mw``, ``sns-2p8mw``, ``lujan``, ``ess``).
"""

from __future__ import annotations

from .base import ArrivalTimeModel, LineSpectrum, Source, Spectrum
from .facilities import FACILITIES, Facility, get_facility
from .solar import SOLAR_FLAVOURS, SOLAR_FLUXES, SolarSource, TabulatedSpectrum
from .stopped_pion import (
    SOURCES,
    STOPPED_PION_FLAVOURS,
    STOPPED_PION_SPECTRA,
    MichelSpectrum,
    StoppedPionSource,
    michel_nu_e,
    michel_nu_mu_bar,
    prompt_nu_mu,
)
from .timing import BoxPulse, BoxPulseTiming, DecayChainTiming, ProtonPulse

__all__ = [
    "ArrivalTimeModel",
    "BoxPulse",
    "BoxPulseTiming",
    "FACILITIES",
    "Facility",
    "get_facility",
    "DecayChainTiming",
    "LineSpectrum",
    "MichelSpectrum",
    "ProtonPulse",
    "SOLAR_FLAVOURS",
    "SOLAR_FLUXES",
    "SOURCES",
    "STOPPED_PION_FLAVOURS",
    "STOPPED_PION_SPECTRA",
    "SolarSource",
    "Source",
    "Spectrum",
    "StoppedPionSource",
    "TabulatedSpectrum",
    "michel_nu_e",
    "michel_nu_mu_bar",
    "prompt_nu_mu",
]
