"""Physics checks of the building blocks: closed forms, limits, symmetries.

Units follow cevns: MeV and fm inside, q in fm^-1 = q[MeV] / (hbar c).
No data files are read here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from cevns.detectors import (
    gamma_smearing_pdf,
    gaussian_bin_probabilities,
    logistic_efficiency,
    recoil_grid_kev,
)
from cevns.physics import constants as c
from cevns.physics.couplings import NucleonCouplings, radiative, sm_couplings, tree_level
from cevns.physics.cross_sections import (
    cevns_rate_prefactor_cm2_per_mev,
    dsigma_dt,
    dsigma_dt_cm2_per_mev,
    e_min_mev,
    kinematic_moment_kernels,
    t_max_mev,
    vector_kinematic_kernel,
)
from cevns.physics.form_factors import (
    FORM_FACTORS,
    form_factor,
    helm,
    klein_nystrand,
    klein_nystrand_radius_from_rms,
    symmetrized_fermi,
)
from cevns.physics.nuclei import isotope
from cevns.physics.weak_charge import KN_A13, nucleon_form_factors, sm_weak_charge
from cevns.prediction import BinnedCEvNS, IsotopeKernel, SMReference
from cevns.sources import SOURCES, StoppedPionSource, michel_nu_e, michel_nu_mu_bar
from cevns.sources import STOPPED_PION_FLAVOURS as FLAVOURS

FAST = settings(max_examples=40, deadline=None)
SPECTRA = {"nu_e": michel_nu_e, "nu_mu_bar": michel_nu_mu_bar}
PI_DAR = SOURCES["csi-2021"]  # spectra and moments do not depend on the preset
flux_inverse_moments = PI_DAR.inverse_moments


def _ff(name: str):
    """Form factor of a given rms radius, covering both Klein-Nystrand inputs."""
    if name == "klein-nystrand-r_a":
        return lambda q, r: klein_nystrand(q, r_a_fm=klein_nystrand_radius_from_rms(r))
    return FORM_FACTORS[name]


FF_NAMES = ["helm", "klein-nystrand", "klein-nystrand-r_a", "symmetrized-fermi"]


# --------------------------------------------------------------------------- form factors


@pytest.mark.parametrize("name", FF_NAMES)
@pytest.mark.parametrize("radius", [3.45, 4.8, 5.09])
def test_form_factor_is_one_at_zero_momentum(name, radius):
    f0 = np.asarray(_ff(name)(np.array([0.0, 1e-6, 1e-3]), radius))
    np.testing.assert_allclose(
        f0, 1.0, atol=1e-4, err_msg=f"{name}: F(q -> 0) must be 1 (normalised distribution), got {f0} at R_rms = {radius} fm"
    )


@pytest.mark.parametrize("name", FF_NAMES)
@pytest.mark.parametrize("radius", [3.0, 3.45, 4.8, 5.09, 6.0])
def test_form_factor_small_q_has_no_cancellation_error(name, radius):
    """Near q = 0 the closed forms are 0/0-like; F must stay 1 - O(q^2) to machine-level accuracy, never above 1."""
    q = np.array([0.0, 1e-6, 1e-4, 1e-3, 1e-2, 0.1])  # MeV
    f = np.asarray(_ff(name)(q, radius))
    expected = 1.0 - (q / c.HBARC_MEV_FM) ** 2 * radius**2 / 6.0
    np.testing.assert_allclose(
        f, expected, rtol=0, atol=1e-9, err_msg=f"{name} at R_rms = {radius} fm: F(q) - 1 = {f - 1} for q = {q} MeV"
    )
    assert np.all(f <= 1.0), f"{name}: F exceeds 1 near q = 0: {f}"


@pytest.mark.parametrize("name", FF_NAMES)
@pytest.mark.parametrize("q_fm", [0.002, 0.005, 0.01])
def test_form_factor_low_q_expansion_gives_rms_radius(name, q_fm):
    """F = 1 - q^2 <r^2>/6 + O(q^4): the parametrisations must reproduce the rms radius they are given."""
    r_rms = 4.8
    f = float(_ff(name)(q_fm * c.HBARC_MEV_FM, r_rms))
    slope_ratio = (1.0 - f) / (q_fm**2 * r_rms**2 / 6.0)
    assert slope_ratio == pytest.approx(1.0, abs=1e-3), (
        f"{name}: (1 - F)/(q^2 R^2/6) = {slope_ratio} at q = {q_fm} fm^-1; F = {f}"
    )


@FAST
@given(
    name=st.sampled_from(FF_NAMES),
    q_mev=st.floats(1.0, 400.0),
    radius=st.floats(3.0, 6.0),
)
def test_form_factor_bounded_by_one(name, q_mev, radius):
    """Fourier transform of a positive normalised density: |F(q)| <= F(0) = 1 (physical q >~ 1 MeV; q -> 0 tested above)."""
    f = float(_ff(name)(q_mev, radius))
    assert math.isfinite(f)
    assert abs(f) <= 1.0 + 1e-12


@pytest.mark.parametrize("q_mev", [20.0, 40.0])
def test_form_factor_parametrisations_agree_for_same_rms_radius(q_mev):
    r = 4.8
    vals = {name: float(_ff(name)(q_mev, r)) for name in FF_NAMES}
    ref = vals["helm"]
    for name, v in vals.items():
        assert v == pytest.approx(ref, rel=0.02), f"{name} gives F({q_mev} MeV) = {v}, Helm gives {ref}; all: {vals}"


def test_klein_nystrand_rms_and_r_a_forms_agree_and_radius_relation():
    r_rms = np.array([3.448, 4.8, 5.09])
    r_a = klein_nystrand_radius_from_rms(r_rms)
    # R_rms^2 = 3/5 R_A^2 + 6 a_k^2 with a_k = 0.7 fm
    np.testing.assert_allclose(0.6 * r_a**2 + 6 * 0.7**2, r_rms**2, rtol=1e-12)
    q = np.linspace(0.0, 150.0, 31)
    np.testing.assert_allclose(
        klein_nystrand(q[None, :], r_rms[:, None]), klein_nystrand(q[None, :], r_a_fm=r_a[:, None]), rtol=1e-12
    )
    with pytest.raises(ValueError):
        klein_nystrand(q, 4.8, r_a_fm=5.0)
    with pytest.raises(ValueError):
        klein_nystrand(q)


def test_form_factor_broadcasts_over_radius_batch():
    q = np.linspace(1.0, 100.0, 7)
    radii = np.array([[4.5], [4.8], [5.1]])
    for name in ("helm", "klein-nystrand", "symmetrized-fermi"):
        batch = form_factor(name, q, radii)
        assert batch.shape == (3, 7)
        for i, r in enumerate(radii[:, 0]):
            np.testing.assert_allclose(batch[i], form_factor(name, q, r), rtol=1e-13)


@pytest.mark.parametrize("name", FF_NAMES)
def test_larger_nucleus_has_smaller_form_factor(name):
    """In the first lobe F(q) = 1 - q^2 R^2/6 + ... decreases with the rms radius at fixed q."""
    q = np.linspace(1.0, 100.0, 7)
    batch = np.asarray(_ff(name)(q[None, :], np.array([[4.5], [4.8], [5.1]])))
    assert np.all(np.diff(batch, axis=0) < 0), f"{name}: F(q) not decreasing with radius:\n{batch}"


def _sf_density(r, c_fm, a_fm):
    """Symmetrized Fermi density (unnormalised): sinh(c/a) / (cosh(r/a) + cosh(c/a))."""
    return np.sinh(c_fm / a_fm) / (np.cosh(r / a_fm) + np.cosh(c_fm / a_fm))


@pytest.mark.parametrize("radius", [3.448, 4.8])
def test_symmetrized_fermi_is_fourier_transform_of_its_density(radius):
    """Independent check: F(q) = int rho(r) j0(q r) r^2 dr / int rho(r) r^2 dr by quadrature."""
    a = 0.52
    c_fm = math.sqrt(5.0 / 3.0 * (radius**2 - 7.0 / 5.0 * math.pi**2 * a**2))
    rmax = c_fm + 40 * a
    norm, _ = integrate.quad(lambda r: r**2 * _sf_density(r, c_fm, a), 0, rmax, epsrel=1e-12, limit=200)
    r2, _ = integrate.quad(lambda r: r**4 * _sf_density(r, c_fm, a), 0, rmax, epsrel=1e-12, limit=200)
    assert math.sqrt(r2 / norm) == pytest.approx(radius, rel=1e-8), "R_rms^2 = 3/5 c^2 + 7/5 pi^2 a^2"
    for q_mev in (10.0, 30.0, 60.0, 120.0):
        q = q_mev / c.HBARC_MEV_FM
        ft, _ = integrate.quad(lambda r, q=q: r * np.sin(q * r) / q * _sf_density(r, c_fm, a), 0, rmax, epsrel=1e-12, limit=400)
        got = float(symmetrized_fermi(q_mev, radius))
        assert got == pytest.approx(ft / norm, rel=1e-6, abs=1e-9), (
            f"symmetrized_fermi({q_mev} MeV, R={radius}) = {got}, Fourier transform of the density gives {ft / norm}"
        )


def test_symmetrized_fermi_sharp_surface_limit_is_hard_sphere():
    """a -> 0: uniform sphere of radius c = sqrt(5/3) R_rms, F = 3 j1(qc)/(qc)."""
    r = 4.8
    c_fm = math.sqrt(5.0 / 3.0) * r
    q = np.array([10.0, 40.0, 80.0])
    x = q / c.HBARC_MEV_FM * c_fm
    hard = 3 * (np.sin(x) - x * np.cos(x)) / x**3
    np.testing.assert_allclose(symmetrized_fermi(q, r, diffuseness_fm=1e-3), hard, rtol=1e-5)


def test_form_factor_rejects_unknown_name_and_small_radius():
    with pytest.raises(ValueError, match="unknown form factor"):
        form_factor("gaussian", 10.0, 4.8)
    with pytest.raises(ValueError):
        helm(10.0, 1.0)  # needs R_rms > sqrt(3) * 0.9 fm = 1.559 fm
    with pytest.raises(ValueError):
        helm(10.0, np.array([4.8, 1.5]))
    with pytest.raises(ValueError):
        klein_nystrand(10.0, 1.5)  # needs R_rms > sqrt(6) * 0.7 fm


# --------------------------------------------------------------------------- kinematics


def test_t_max_closed_form():
    e = np.array([10.0, 29.79, 52.8])
    m = isotope("Cs133").mass_mev
    np.testing.assert_allclose(t_max_mev(e, m), 2 * e**2 / (m + 2 * e), rtol=1e-15)
    # 30 MeV on Cs: T_max ~ 2E^2/M ~ 14.5 keV
    assert t_max_mev(30.0, m) == pytest.approx(2 * 900 / (m + 60), rel=1e-14)
    assert 0.0145 < float(t_max_mev(30.0, m)) < 0.0146


@FAST
@given(e=st.floats(1.0, 60.0), m=st.floats(1e4, 2e5))
def test_e_min_inverts_t_max(e, m):
    t = t_max_mev(e, m)
    assert float(e_min_mev(t, m)) == pytest.approx(e, rel=1e-10)
    # E_min is increasing: a slightly larger recoil needs a larger energy
    assert float(e_min_mev(1.001 * t, m)) > e


# --------------------------------------------------------------------------- cross section


def test_dsigma_dt_closed_form_and_endpoint():
    iso = isotope("Cs133")
    m = iso.mass_mev
    e = 30.0
    q_w = -37.7
    tmax = float(t_max_mev(e, m))
    t = np.linspace(0.0, tmax, 11)
    expected = c.G_FERMI_MEV2**2 * m / np.pi * (1.0 - m * t / (2 * e**2)) * q_w**2
    np.testing.assert_allclose(dsigma_dt(e, t, m, q_w), expected, rtol=1e-13)
    above = np.array([tmax * 1.0001, 2 * tmax, 1.0])
    assert np.all(dsigma_dt(e, above, m, q_w) == 0.0), "dsigma/dT must vanish above T_max"
    assert np.all(dsigma_dt(e, -1e-6, m, q_w) == 0.0)
    assert np.all(dsigma_dt(e, t, m, q_w) >= 0.0)
    np.testing.assert_allclose(
        dsigma_dt_cm2_per_mev(e, t, m, q_w), expected * (c.HBARC_MEV_FM * 1e-13) ** 2, rtol=1e-13
    )
    assert cevns_rate_prefactor_cm2_per_mev(m) == pytest.approx(
        c.G_FERMI_MEV2**2 * m / np.pi * c.HBARC2_MEV2_CM2, rel=1e-14
    )


def test_dsigma_dt_coherent_scaling_between_nuclei():
    """At T -> 0 and F = 1: dsigma/dT ratio = (Q1/Q2)^2 M1/M2, i.e. ~ N^2 M coherence."""
    cpl = tree_level(FLAVOURS)["nu_e"]
    cs, ar = isotope("Cs133"), isotope("Ar40")
    q_cs = sm_weak_charge(cs, cpl, 1.0, 1.0)
    q_ar = sm_weak_charge(ar, cpl, 1.0, 1.0)
    assert float(q_cs) == pytest.approx(cpl.proton * 55 + cpl.neutron * 78, rel=1e-14)
    e, t = 30.0, 1e-9
    ratio = dsigma_dt(e, t, cs.mass_mev, q_cs) / dsigma_dt(e, t, ar.mass_mev, q_ar)
    assert float(ratio) == pytest.approx((q_cs / q_ar) ** 2 * cs.mass_mev / ar.mass_mev, rel=1e-6)
    # neutron dominance: roughly (N1/N2)^2 (A1/A2)
    assert float(ratio) == pytest.approx((78 / 22) ** 2 * 133 / 40, rel=0.1)


def test_dsigma_dt_same_for_opposite_sign_charge():
    e, t, m = 30.0, 1e-3, 1.2e5
    assert float(dsigma_dt(e, t, m, 10.0)) == float(dsigma_dt(e, t, m, -10.0))
    assert float(dsigma_dt(e, t, m, 20.0)) == pytest.approx(4 * float(dsigma_dt(e, t, m, 10.0)), rel=1e-14)


def test_total_cross_section_csi_magnitude_and_closed_form():
    """sigma(E) = int_0^Tmax dsigma/dT with F = 1.

    Exact integral: G_F^2 Q^2 E^2 M (M + 4E) / (pi (M + 2E)^2) -> G_F^2 Q^2 E^2 / pi for E << M.
    With Q = g_p Z + g_n N (g_n = -1/2) this is the textbook G_F^2 Q_W^2 E^2 / (4 pi) with
    Q_W = 2 Q ~ N - (1 - 4 sin^2 theta_W) Z: ~2e-38 cm^2 for Cs at 30 MeV.
    """
    iso = isotope("Cs133")
    m = iso.mass_mev
    e = 30.0
    q_w = -iso.n / 2 + iso.z * (0.5 - 2 * 0.23857)
    tmax = float(t_max_mev(e, m))
    sigma_num, _ = integrate.quad(lambda t: float(dsigma_dt_cm2_per_mev(e, t, m, q_w)), 0.0, tmax, epsabs=0, epsrel=1e-12)
    exact = c.G_FERMI_MEV2**2 * q_w**2 * e**2 * m * (m + 4 * e) / (np.pi * (m + 2 * e) ** 2) * c.HBARC2_MEV2_CM2
    leading = c.G_FERMI_MEV2**2 * q_w**2 * e**2 / np.pi * c.HBARC2_MEV2_CM2
    textbook = c.G_FERMI_MEV2**2 * (2 * q_w) ** 2 * e**2 / (4 * np.pi) * c.HBARC2_MEV2_CM2
    assert sigma_num == pytest.approx(exact, rel=1e-9)
    assert sigma_num == pytest.approx(leading, rel=0.01)
    assert sigma_num == pytest.approx(textbook, rel=0.01)
    assert 1e-38 < sigma_num < 5e-38, f"sigma(CsI, 30 MeV) = {sigma_num:.3e} cm^2"


# --------------------------------------------------------------------------- source and flux


@pytest.mark.parametrize("spectrum", [michel_nu_e, michel_nu_mu_bar])
def test_michel_spectra_normalised_and_supported_on_endpoint(spectrum):
    emax = c.M_MUON_MEV / 2
    norm, _ = integrate.quad(lambda e: float(spectrum(e)), 0.0, emax, epsabs=0, epsrel=1e-12)
    assert norm == pytest.approx(1.0, rel=1e-10)
    outside = np.array([-1.0, -1e-9, emax * (1 + 1e-9), 60.0, 100.0])
    assert np.all(spectrum(outside) == 0.0)
    inside = np.linspace(0.1, emax - 0.1, 50)
    assert np.all(spectrum(inside) > 0.0)


def test_michel_spectra_shapes():
    """nu_e vanishes at the end point, anti-nu_mu peaks there; mean energies 3/10 and 7/20 m_mu."""
    emax = c.M_MUON_MEV / 2
    assert float(michel_nu_e(emax)) == pytest.approx(0.0, abs=1e-14)
    e = np.linspace(0, emax, 2001)
    assert np.argmax(michel_nu_mu_bar(e)) == len(e) - 1
    mean_e, _ = integrate.quad(lambda x: x * float(michel_nu_e(x)), 0, emax)
    mean_mubar, _ = integrate.quad(lambda x: x * float(michel_nu_mu_bar(x)), 0, emax)
    assert mean_e == pytest.approx(0.3 * c.M_MUON_MEV, rel=1e-10)
    assert mean_mubar == pytest.approx(0.35 * c.M_MUON_MEV, rel=1e-10)


def test_prompt_energy_and_endpoint():
    assert c.E_NU_PROMPT_MEV == pytest.approx(29.79, abs=0.005)
    # two-body decay at rest: E = p = (m_pi^2 - m_mu^2) / (2 m_pi), energy conservation
    e = c.E_NU_PROMPT_MEV
    assert e + math.sqrt(e**2 + c.M_MUON_MEV**2) == pytest.approx(c.M_PION_MEV, rel=1e-14)
    assert c.E_NU_MAX_MEV == pytest.approx(52.83, abs=0.01)


def test_source_flux_normalisation():
    src = SOURCES["csi-2021"]
    assert src.eta_per_cm2 == pytest.approx(0.0848 * 3.198e23 / (4 * math.pi * 1930.0**2), rel=1e-14)
    # inverse-square law
    near = StoppedPionSource(0.08, 1e23, 10.0)
    far = StoppedPionSource(0.08, 1e23, 20.0)
    assert near.eta_per_cm2 == pytest.approx(4 * far.eta_per_cm2, rel=1e-14)
    assert SOURCES["lar-2020"].eta_per_cm2 == pytest.approx(0.09 * 13.8e22 / (4 * math.pi * 2750.0**2), rel=1e-14)


@pytest.mark.parametrize("flavour", ["nu_e", "nu_mu_bar"])
@pytest.mark.parametrize("e_min", [0.0, 5.0, 17.3, 29.79, 45.0, 52.0])
def test_flux_inverse_moments_against_quadrature(flavour, e_min):
    spec = SPECTRA[flavour]
    moments = flux_inverse_moments(flavour, e_min)
    assert moments.shape == (3,)
    for n in range(3):
        ref, _ = integrate.quad(lambda e, n=n: float(spec(e)) * e**-n, e_min, c.E_NU_MAX_MEV, epsabs=1e-15, epsrel=1e-11)
        assert moments[n] == pytest.approx(ref, rel=1e-9, abs=1e-14), f"{flavour} m_{n}(E_min={e_min})"


def test_flux_inverse_moments_edges_and_shapes():
    emin = np.array([[0.0, 60.0], [10.0, 100.0]])
    for flavour in ("nu_e", "nu_mu_bar"):
        m = flux_inverse_moments(flavour, emin)
        assert m.shape == (3, 2, 2)
        assert m[0, 0, 0] == pytest.approx(1.0, rel=1e-12)  # full normalisation
        assert np.all(m[:, :, 1] == 0.0)  # above the end point
    mu = flux_inverse_moments("nu_mu", np.array([10.0, c.E_NU_PROMPT_MEV, 30.0]))
    ep = c.E_NU_PROMPT_MEV
    np.testing.assert_allclose(mu[:, 0], [1.0, 1 / ep, 1 / ep**2], rtol=1e-14)
    np.testing.assert_allclose(mu[:, 1], [1.0, 1 / ep, 1 / ep**2], rtol=1e-14)
    assert np.all(mu[:, 2] == 0.0)
    with pytest.raises(ValueError):
        flux_inverse_moments("nu_tau", 1.0)


@pytest.mark.parametrize("flavour", ["nu_e", "nu_mu_bar"])
@pytest.mark.parametrize("iso_name", ["Cs133", "Ar40"])
@pytest.mark.parametrize("t_frac", [0.0, 1e-3, 0.05, 0.3, 0.7, 0.99, 1.2])
def test_vector_kinematic_kernel_against_quadrature(flavour, iso_name, t_frac):
    m = isotope(iso_name).mass_mev
    t = t_frac * float(t_max_mev(c.E_NU_MAX_MEV, m))
    spec = SPECTRA[flavour]
    emin = float(e_min_mev(t, m))
    if emin >= c.E_NU_MAX_MEV:
        ref = 0.0
    else:
        ref, _ = integrate.quad(
            lambda e: float(spec(e)) * (1 - m * t / (2 * e**2)), emin, c.E_NU_MAX_MEV, epsabs=1e-15, epsrel=1e-11
        )
    k = float(vector_kinematic_kernel(PI_DAR, flavour, t, m))
    assert k == pytest.approx(ref, rel=1e-8, abs=1e-12)
    assert 0.0 <= k <= 1.0


def test_kernel_is_flux_average_of_dsigma_dt():
    """G_F^2 M/pi Q^2 k_f(T) must equal int dE phi_f(E) dsigma/dT(E, T)."""
    iso = isotope("Cs133")
    m, q_w = iso.mass_mev, -37.7
    for t in (1e-4, 3e-3, 1e-2):
        lhs = cevns_rate_prefactor_cm2_per_mev(m) * q_w**2 * float(vector_kinematic_kernel(PI_DAR, "nu_e", t, m))
        emin = float(e_min_mev(t, m))
        rhs, _ = integrate.quad(
            lambda e, t=t: float(michel_nu_e(e) * dsigma_dt_cm2_per_mev(e, t, m, q_w)), emin, c.E_NU_MAX_MEV, epsrel=1e-11
        )
        assert lhs == pytest.approx(rhs, rel=1e-8)


@pytest.mark.parametrize("flavour", ["nu_e", "nu_mu_bar"])
def test_kinematic_moment_kernels_against_quadrature(flavour):
    """m0 = int phi, m1 = T int phi/E, m2 = (M T/2) int phi/E^2 over E >= E_min(T); vector = m0 - m2."""
    m = isotope("Ar40").mass_mev
    spec = SPECTRA[flavour]
    t = np.array([0.0, 1e-3, 1e-2, 5e-2])
    mom = kinematic_moment_kernels(PI_DAR, flavour, t, m)
    np.testing.assert_allclose(mom["m0"] - mom["m2"], vector_kinematic_kernel(PI_DAR, flavour, t, m), rtol=1e-12, atol=1e-15)
    for i, ti in enumerate(t):
        emin = float(e_min_mev(ti, m))
        ref1, _ = integrate.quad(lambda e: float(spec(e)) / e, emin, c.E_NU_MAX_MEV, epsrel=1e-11)
        ref2, _ = integrate.quad(lambda e: float(spec(e)) / e**2, emin, c.E_NU_MAX_MEV, epsrel=1e-11)
        assert mom["m1"][i] == pytest.approx(ti * ref1, rel=1e-9, abs=1e-15)
        assert mom["m2"][i] == pytest.approx(0.5 * m * ti * ref2, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("iso_name", ["Cs133", "I127", "Ar40"])
def test_vector_kinematic_kernel_prompt_line(iso_name):
    m = isotope(iso_name).mass_mev
    ep = c.E_NU_PROMPT_MEV
    tmax = float(t_max_mev(ep, m))
    t = np.concatenate([np.linspace(0.0, tmax * (1 - 1e-9), 25), [tmax * 1.001, 2 * tmax, 0.1]])
    expected = np.where(t <= tmax, 1 - m * t / (2 * ep**2), 0.0)
    np.testing.assert_allclose(vector_kinematic_kernel(PI_DAR, "nu_mu", t, m), expected, rtol=1e-12, atol=1e-12)
    assert float(vector_kinematic_kernel(PI_DAR, "nu_mu", 0.0, m)) == 1.0


@FAST
@given(t=st.floats(0.0, 0.1), m=st.floats(1e4, 2e5))
def test_kernels_monotone_decreasing_in_recoil(t, m):
    for flavour in FLAVOURS:
        k1 = float(vector_kinematic_kernel(PI_DAR, flavour, t, m))
        k2 = float(vector_kinematic_kernel(PI_DAR, flavour, t * 1.01 + 1e-6, m))
        assert 0.0 <= k2 <= k1 + 1e-15 <= 1.0 + 1e-12


# --------------------------------------------------------------------------- couplings


def test_tree_level_couplings():
    cpl = tree_level(FLAVOURS, 0.23857)
    assert set(cpl) == set(FLAVOURS)
    for f in FLAVOURS:
        assert cpl[f].proton == pytest.approx(0.02286, abs=1e-12)
        assert cpl[f].proton == pytest.approx(0.5 - 2 * 0.23857, rel=1e-14)
        assert cpl[f].neutron == -0.5
    assert tree_level(FLAVOURS, 0.25)["nu_e"].proton == pytest.approx(0.0, abs=1e-15)
    assert sm_couplings(FLAVOURS, "tree", 0.24)["nu_mu"].proton == pytest.approx(0.02, abs=1e-14)


def test_radiative_couplings():
    cpl = radiative(FLAVOURS)
    assert cpl["nu_e"] == NucleonCouplings(0.0401, -0.5094)
    assert cpl["nu_mu"] == NucleonCouplings(0.0318, -0.5094)
    assert cpl["nu_mu_bar"] == NucleonCouplings(0.0318, -0.5094)
    assert sm_couplings(FLAVOURS) == cpl
    with pytest.raises(ValueError, match="scheme"):
        sm_couplings(FLAVOURS, "one-loop")


# --------------------------------------------------------------------------- nuclei


def test_isotopes_numbers_and_masses():
    cs = isotope("Cs133")
    assert (cs.z, cs.n, cs.a) == (55, 78, 133)
    assert cs.mass_mev == pytest.approx(123.8e3, rel=1e-3)
    ar = isotope("Ar40")
    assert (ar.z, ar.n) == (18, 22)
    assert ar.mass_mev == pytest.approx(37.2e3, rel=1e-3)
    assert (isotope("I127").z, isotope("I127").n) == (53, 74)


@pytest.mark.parametrize(("name", "b_per_a"), [("Cs133", 8.409978), ("Ar40", 8.595259), ("I127", 8.445487)])
def test_nuclear_masses_reproduce_binding_energy(name, b_per_a):
    """Z m_p + N m_n - M_nuc = B (AME2020 B/A), a check on the electron-mass subtraction."""
    iso = isotope(name)
    b = iso.z * c.M_PROTON_MEV + iso.n * c.M_NEUTRON_MEV - iso.mass_mev
    assert b / iso.a == pytest.approx(b_per_a, abs=2e-4)


def test_radius_sets():
    a = isotope("Cs133")
    assert (a.proton_rms_radius_fm, a.neutron_rms_radius_fm) == (4.821, 5.09)
    b = isotope("Cs133", radii="cadeddu2021")
    assert (b.proton_rms_radius_fm, b.neutron_rms_radius_fm) == (4.804, 5.01)
    for radii in ("atzori2022", "cadeddu2021"):
        for name in ("Cs133", "I127", "Ar40"):
            iso = isotope(name, radii=radii)
            assert iso.neutron_rms_radius_fm > iso.proton_rms_radius_fm  # neutron skin of N > Z nuclei
    c2 = a.with_radii(neutron_rms_radius_fm=5.5)
    assert (c2.proton_rms_radius_fm, c2.neutron_rms_radius_fm) == (4.821, 5.5)
    with pytest.raises(ValueError, match="unknown radius set"):
        isotope("Cs133", radii="nope")


def test_unknown_isotope_lists_known_names():
    with pytest.raises(ValueError) as exc:
        isotope("Pb208")
    msg = str(exc.value)
    assert "Pb208" in msg
    for name in ("Cs133", "I127", "Ar40"):
        assert name in msg


# --------------------------------------------------------------------------- weak charge


def test_nucleon_form_factors_and_weak_charge_limits():
    cs = isotope("Cs133")
    cpl = radiative(FLAVOURS)["nu_e"]
    fp, fn = nucleon_form_factors(cs, np.array([0.0, 1e-12]))
    np.testing.assert_allclose(fp, 1.0, atol=1e-9)
    np.testing.assert_allclose(fn, 1.0, atol=1e-9)
    q0 = sm_weak_charge(cs, cpl, fp, fn)
    np.testing.assert_allclose(q0, 0.0401 * 55 - 0.5094 * 78, rtol=1e-8)
    # at finite T the neutron form factor (larger radius) is smaller than the proton one
    t = np.array([5e-3, 1e-2])
    fp, fn = nucleon_form_factors(cs, t)
    assert np.all(fn < fp) and np.all(fp < 1)
    q = _q_of_t(t, cs.mass_mev)
    np.testing.assert_allclose(fp, helm(q, 4.821), rtol=1e-14)
    np.testing.assert_allclose(fn, helm(q, 5.09), rtol=1e-14)
    # seed-004 Klein-Nystrand: R_A = 1.23 A^(1/3) for both nucleon species
    fp, fn = nucleon_form_factors(cs, t, KN_A13)
    np.testing.assert_array_equal(fp, fn)
    np.testing.assert_allclose(fp, klein_nystrand(q, r_a_fm=1.23 * 133 ** (1 / 3)), rtol=1e-14)


def _q_of_t(t, m):
    """Independent q = sqrt(2 M T)."""
    return np.sqrt(2 * m * np.asarray(t))


# --------------------------------------------------------------------------- fast path


def _toy_binned(seed: int = 0, n_t: int = 6, n_e: int = 4, n_time: int = 3) -> BinnedCEvNS:
    rng = np.random.default_rng(seed)
    iso = isotope("Cs133")
    t_nodes = np.linspace(1e-3, 1e-2, n_t)
    kernel = {(st_, f): rng.uniform(0.1, 2.0, size=(n_t, n_e)) for st_ in ("vector", "m0", "m1", "m2") for f in FLAVOURS}
    ik = IsotopeKernel(iso, t_nodes, rng.uniform(0.5, 1, n_t), rng.uniform(0.5, 1, n_t), kernel)
    fr = {}
    for f in FLAVOURS:
        x = rng.uniform(0.1, 1.0, n_time)
        fr[f] = x / x.sum()
    sm = SMReference(radiative(FLAVOURS), "radiative", 0.23857, "helm")
    return BinnedCEvNS(np.linspace(0, 1, n_e + 1), "keVnr", np.linspace(0, 6, n_time + 1), (ik,), fr, PI_DAR, sm)


def _toy_charges(b: BinnedCEvNS, seed: int = 1):
    rng = np.random.default_rng(seed)
    n_t = len(b.isotopes[0].t_nr_mev)
    return {(ik.isotope.name, f): rng.normal(-30, 5, n_t) for ik in b.isotopes for f in FLAVOURS}


def test_fast_path_matches_explicit_sum():
    b = _toy_binned()
    q = _toy_charges(b)
    counts = b.counts(q)
    assert counts.shape == b.shape == (4, 3)
    ik = b.isotopes[0]
    expected = np.zeros((4, 3))
    for f in FLAVOURS:
        qf = q[(ik.isotope.name, f)]
        for e in range(4):
            for j in range(3):
                expected[e, j] += b.time_fractions[f][j] * sum(qf[k] ** 2 * ik.kernel[("vector", f)][k, e] for k in range(6))
    np.testing.assert_allclose(counts, expected, rtol=1e-12)


@FAST
@given(s=st.floats(-10.0, 10.0).filter(lambda x: abs(x) > 1e-3))
def test_fast_path_counts_scale_with_charge_squared(s):
    b = _toy_binned()
    q = _toy_charges(b)
    scaled = {k: s * v for k, v in q.items()}
    np.testing.assert_allclose(b.counts(scaled), s**2 * b.counts(q), rtol=1e-12)


def test_fast_path_batched_equals_single():
    b = _toy_binned()
    rng = np.random.default_rng(7)
    n_t = len(b.isotopes[0].t_nr_mev)
    batch = {k: rng.normal(-30, 5, (5, n_t)) for k in _toy_charges(b)}
    out = b.counts(batch)
    assert out.shape == (5, 4, 3)
    for p in range(5):
        single = {k: v[p] for k, v in batch.items()}
        np.testing.assert_allclose(out[p], b.counts(single), rtol=1e-12)


def test_fast_path_time_fractions_conserve_counts():
    b = _toy_binned()
    q = _toy_charges(b)
    by_e = b.energy_counts_by_flavour(q)
    by_f = b.counts_by_flavour(q)
    for f in FLAVOURS:
        np.testing.assert_allclose(by_f[f].sum(axis=-1), by_e[f], rtol=1e-12)
    np.testing.assert_allclose(b.counts(q).sum(axis=-1), sum(by_e[f] for f in FLAVOURS), rtol=1e-12)


def test_fast_path_general_terms_are_linear_and_match_vector_path():
    b = _toy_binned()
    q = _toy_charges(b)
    vec_terms = {("vector",) + k: v**2 for k, v in q.items()}
    np.testing.assert_allclose(b.counts_from_terms(vec_terms), b.counts(q), rtol=1e-12)
    rng = np.random.default_rng(3)
    n_t = len(b.isotopes[0].t_nr_mev)
    t1 = {("m1", "Cs133", f): rng.uniform(0, 1, n_t) for f in FLAVOURS}
    t2 = {("m2", "Cs133", "nu_e"): rng.uniform(0, 1, n_t)}
    both = {**t1, **t2}
    np.testing.assert_allclose(b.counts_from_terms(both), b.counts_from_terms(t1) + b.counts_from_terms(t2), rtol=1e-12)
    # terms that are absent count as zero, for unknown isotopes too
    np.testing.assert_array_equal(b.counts_from_terms({}), np.zeros(b.shape))
    np.testing.assert_array_equal(b.counts_from_terms({("m0", "Xe132", "nu_e"): np.ones(n_t)}), np.zeros(b.shape))


def test_fast_path_sm_weak_charges():
    b = _toy_binned()
    cpl = radiative(FLAVOURS)
    qs = b.sm_weak_charges(cpl)
    ik = b.isotopes[0]
    assert set(qs) == {("Cs133", f) for f in FLAVOURS}
    np.testing.assert_allclose(qs[("Cs133", "nu_e")], 0.0401 * 55 * ik.f_proton - 0.5094 * 78 * ik.f_neutron, rtol=1e-14)
    np.testing.assert_allclose(qs[("Cs133", "nu_mu")], qs[("Cs133", "nu_mu_bar")], rtol=0)


# --------------------------------------------------------------------------- detectors


@pytest.mark.parametrize("e_ee", [2.0, 5.0])
def test_gamma_smearing_normalised_with_mean_ly_e(e_ee):
    ly = 13.35
    pdf = lambda x: float(gamma_smearing_pdf(x, e_ee))  # noqa: E731
    mean = ly * e_ee
    pts = [0.5 * mean, mean, 2 * mean]
    norm, _ = integrate.quad(pdf, 0.0, 20 * mean, points=pts, limit=200, epsrel=1e-10)
    m1, _ = integrate.quad(lambda x: x * pdf(x), 0.0, 20 * mean, points=pts, limit=200, epsrel=1e-10)
    m2, _ = integrate.quad(lambda x: x * x * pdf(x), 0.0, 20 * mean, points=pts, limit=200, epsrel=1e-10)
    assert norm == pytest.approx(1.0, rel=1e-7)
    assert m1 == pytest.approx(mean, rel=1e-7)
    # Gamma with shape 1 + B, B = 9.56 E_ee: variance mean^2 / (1 + B)
    assert m2 - m1**2 == pytest.approx(mean**2 / (1 + 9.56 * e_ee), rel=1e-6)
    assert float(gamma_smearing_pdf(0.0, e_ee)) == 0.0
    assert float(gamma_smearing_pdf(-3.0, e_ee)) == 0.0


def test_gamma_smearing_broadcasts():
    x = np.linspace(1, 100, 9)
    e = np.array([[2.0], [5.0]])
    out = gamma_smearing_pdf(x[None, :], e)
    assert out.shape == (2, 9)
    np.testing.assert_allclose(out[1], gamma_smearing_pdf(x, 5.0), rtol=1e-14)


def test_gaussian_bin_probabilities():
    mean = np.array([1.0, 5.0, 9.0])
    sigma = np.array([0.3, 1.0, 0.5])
    wide = np.linspace(-20.0, 30.0, 51)
    p = gaussian_bin_probabilities(mean, sigma, wide)
    assert p.shape == (3, 50)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(p >= 0)
    # symmetric bin around the mean holds erf(1/sqrt 2) = 68.27 %
    one = gaussian_bin_probabilities(np.array([2.0]), np.array([0.5]), np.array([1.5, 2.5]))
    assert float(one[0, 0]) == pytest.approx(math.erf(1 / math.sqrt(2)), rel=1e-12)


def test_logistic_efficiency_closed_form():
    a, b, cc, d = 0.9, 1.5, 5.0, 0.02
    x = np.array([-100.0, 0.0, 5.0, 7.0, 100.0])
    expected = a / (1 + np.exp(-b * (x - cc))) + d
    np.testing.assert_allclose(logistic_efficiency(x, a, b, cc, d), expected, rtol=1e-14)
    assert float(logistic_efficiency(cc, a, b, cc, d)) == pytest.approx(a / 2 + d, rel=1e-14)
    assert float(logistic_efficiency(1e3, a, b, cc, d)) == pytest.approx(a + d, rel=1e-14)
    assert float(logistic_efficiency(-300.0, a, b, cc, d)) == pytest.approx(d, rel=1e-12)
    assert np.all(np.diff(logistic_efficiency(np.linspace(0, 10, 50), a, b, cc, d)) > 0)


@pytest.mark.parametrize(("lo", "hi"), [(1.0, 100.0), (0.5, 30.0), (5.0, 6.0)])
def test_recoil_grid_integrates_polynomials(lo, hi):
    t, w = recoil_grid_kev(lo, hi, 40)
    assert np.all((t > lo) & (t < hi))
    assert np.all(w > 0)
    assert np.sum(w) == pytest.approx(hi - lo, rel=1e-10)
    assert np.sum(w * t**2) == pytest.approx((hi**3 - lo**3) / 3, rel=1e-8)
    assert np.sum(w / t) == pytest.approx(math.log(hi / lo), rel=1e-10)
