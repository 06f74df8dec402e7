"""The Source protocol (issue #10 item 1): a source that is not the SNS pi-DAR needs no change
below the source layer.

A one-flavour monochromatic toy source (anti-nu_e at E_0, a reactor-like flavour content)
goes through the same kernel assembly (:func:`cevns.experiments.common.build_isotope_kernel`),
:class:`cevns.prediction.BinnedCEvNS` and models as the COHERENT releases, and the counts
are checked against the closed form of the recoil integral.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pytest

from cevns.experiments.common import build_isotope_kernel
from cevns.models import get_model
from cevns.models.sterile import averaged_sin2
from cevns.physics import constants as c
from cevns.physics.couplings import sm_couplings
from cevns.physics.cross_sections import t_max_mev
from cevns.physics.nuclei import isotope
from cevns.prediction import BinnedCEvNS, SMReference
from cevns.sources import SOURCES, LineSpectrum, Source, Spectrum, StoppedPionSource

E0_MEV = 10.0
FLUENCE_PER_CM2 = 1e15
BASELINE_M = 25.0
N_TARGETS = 1e25
SIN2 = 0.23857


@dataclass(frozen=True)
class MonochromaticSource:
    """anti-nu_e of one energy, no timing: implements :class:`cevns.sources.Source` and nothing else."""

    energy_mev: float
    fluence: float
    baseline_m: float = BASELINE_M

    @property
    def flavours(self) -> tuple[str, ...]:
        return ("nu_e_bar",)

    @property
    def e_max_mev(self) -> float:
        return self.energy_mev

    @property
    def timing(self) -> None:
        return None

    def spectrum(self, flavour: str) -> Spectrum:
        assert flavour == "nu_e_bar"
        return LineSpectrum(self.energy_mev)

    def fluence_per_cm2(self, flavour: str) -> float:
        assert flavour == "nu_e_bar"
        return self.fluence

    def inverse_moments(self, flavour: str, e_min_mev):
        return self.spectrum(flavour).inverse_moments(e_min_mev)


def _binwise_gauss_legendre(edges_mev: np.ndarray, nodes_per_bin: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights [keV] per recoil bin, and the bin of each node."""
    x, w = np.polynomial.legendre.leggauss(nodes_per_bin)
    lo, hi = edges_mev[:-1, None] * 1e3, edges_mev[1:, None] * 1e3
    t = (0.5 * (hi - lo) * x[None, :] + 0.5 * (hi + lo)).ravel()
    wt = (0.5 * (hi - lo) * w[None, :]).ravel()
    return t, wt, np.repeat(np.arange(len(edges_mev) - 1), nodes_per_bin)


def _toy_prediction(iso_name: str = "Ar40") -> tuple[BinnedCEvNS, np.ndarray]:
    """Two true-recoil bins [0, T_max/2], [T_max/2, T_max] (perfect detector), F_p = F_n = 1."""
    src = MonochromaticSource(E0_MEV, FLUENCE_PER_CM2)
    iso = isotope(iso_name)
    t_max = float(t_max_mev(E0_MEV, iso.mass_mev))
    edges = np.array([0.0, 0.5 * t_max, t_max])
    t_kev, w_kev, bin_of_node = _binwise_gauss_legendre(edges)

    def response(t_nr_kev):
        r = np.zeros((len(t_nr_kev), 2))
        r[np.arange(len(t_nr_kev)), bin_of_node] = 1.0
        return r

    ik = build_isotope_kernel(iso, N_TARGETS, src, response, "helm", grid_kev=(t_kev, w_kev))
    ik = replace(ik, f_proton=np.ones_like(ik.t_nr_mev), f_neutron=np.ones_like(ik.t_nr_mev))  # F = 1
    sm = SMReference(sm_couplings(src.flavours, "tree", SIN2), "tree", SIN2, "helm")
    cevns = BinnedCEvNS(edges * 1e3, "keVnr", np.array([0.0, 1.0]), (ik,), {"nu_e_bar": np.array([1.0])}, src, sm)
    return cevns, edges


def test_toy_source_satisfies_the_protocol():
    assert isinstance(MonochromaticSource(E0_MEV, 1.0), Source)
    assert isinstance(SOURCES["csi-2021"], Source) and isinstance(SOURCES["csi-2021"], StoppedPionSource)
    assert isinstance(LineSpectrum(E0_MEV), Spectrum)


@pytest.mark.parametrize("iso_name", ["Ar40", "Cs133"])
def test_monochromatic_one_flavour_source_against_closed_form(iso_name):
    """Monochromatic flux eta delta(E - E_0), F = 1, tree-level Q = g_V^p Z + g_V^n N:

        dN/dT = N_T eta G_F^2 M/pi (1 - M T/(2 E_0^2)) Q^2,  0 <= T <= T_max = 2 E_0^2/(M + 2 E_0),

    so a recoil bin [a, b] holds N_T eta (G_F^2 M/pi) Q^2 [(b - a) - M (b^2 - a^2)/(4 E_0^2)]
    (the integrand is linear in T: 4 Gauss-Legendre nodes per bin are exact), and the two
    bins together N_T eta sigma with the integrated cross section

        sigma = G_F^2 Q_W^2 E_0^2/(4 pi) (1 - 4 E_0^2/(M + 2 E_0)^2),  Q_W = 2 Q = -(N - (1 - 4 sin^2) Z).

    (hbar c)^2 converts MeV^-2 to cm^2.
    """
    cevns, edges = _toy_prediction(iso_name)
    assert cevns.flavours == ("nu_e_bar",) and cevns.grid.flavours == ("nu_e_bar",)
    terms = get_model("sm").terms(cevns.grid, {})
    assert set(terms) == {("vector", iso_name, "nu_e_bar")}
    counts = cevns.counts_from_terms(terms)[0, :, 0]

    iso = isotope(iso_name)
    m, z, n = iso.mass_mev, iso.z, iso.n
    q = (0.5 - 2 * SIN2) * z - 0.5 * n
    pref = N_TARGETS * FLUENCE_PER_CM2 * c.G_FERMI_MEV2**2 * m / math.pi * q**2 * c.HBARC2_MEV2_CM2
    a, b = edges[:-1], edges[1:]
    per_bin = pref * ((b - a) - m * (b**2 - a**2) / (4 * E0_MEV**2))
    np.testing.assert_allclose(counts, per_bin, rtol=1e-12)
    q_w = -(n - (1 - 4 * SIN2) * z)
    sigma_cm2 = c.G_FERMI_MEV2**2 * q_w**2 * E0_MEV**2 / (4 * math.pi) * (1 - 4 * E0_MEV**2 / (m + 2 * E0_MEV) ** 2)
    sigma_cm2 *= c.HBARC2_MEV2_CM2
    assert counts.sum() == pytest.approx(N_TARGETS * FLUENCE_PER_CM2 * sigma_cm2, rel=1e-12)


@pytest.mark.parametrize("model", ["nsi", "universal", "magnetic-moment", "charge-radius", "sterile-osc", "tmm-sterile"])
def test_models_at_their_defaults_reproduce_the_sm_on_the_toy_source(model):
    """Every model loops over the grid's flavours: on the one-flavour source each gives the SM counts
    at its SM point, with terms for anti-nu_e only."""
    cevns, _ = _toy_prediction()
    sm = cevns.counts_from_terms(get_model("sm").terms(cevns.grid, {}))
    terms = get_model(model).terms(cevns.grid, {})
    assert {k[2] for k in terms} == {"nu_e_bar"}
    np.testing.assert_allclose(cevns.counts_from_terms(terms), sm, rtol=1e-12)


def test_sterile_oscillation_of_a_line_is_the_survival_probability_at_that_energy():
    """For a line the flux average of P_ee is P_ee(E_0) (seed 004 eq. 24), baseline from the source."""
    cevns, _ = _toy_prediction()
    sm = cevns.counts_from_terms(get_model("sm").terms(cevns.grid, {}))
    dm2, s22 = 1.3, 0.3
    got = cevns.counts_from_terms(get_model("sterile-osc").terms(cevns.grid, {"dm2_41_ev2": dm2, "sin2_2theta_14": s22}))
    want = (1.0 - s22 * float(averaged_sin2(dm2, E0_MEV, BASELINE_M))) * sm
    np.testing.assert_allclose(got, want, rtol=1e-12)
