"""Tests of cevns.physics.dark_matter: the SHM mean inverse speed against direct integration,
the recoil rate against the Lewin-Smith closed form, and the Lewin-Smith Helm radius."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from cevns.errors import ParameterError
from cevns.physics import constants as c
from cevns.physics.dark_matter import (
    C_KM_S,
    V0_KM_S,
    V_EARTH_KM_S,
    V_ESC_KM_S,
    lewin_smith_helm_rms_radius_fm,
    mean_inverse_speed_per_km_s,
    wimp_si_rate_per_t_yr_kev,
)
from cevns.physics.form_factors import helm, momentum_transfer_mev
from cevns.physics.nuclei import NATURAL_XENON_ABUNDANCE, isotope


def _eta_numerical(v_min: float, v0=V0_KM_S, v_esc=V_ESC_KM_S, v_e=V_EARTH_KM_S) -> float:
    """int_{|u| > v_min} d^3u f_gal(|u + v_E|) / |u| by quadrature over |u| and cos(angle)."""
    norm = (math.pi * v0**2) ** 1.5 * (math.erf(v_esc / v0) - 2 / math.sqrt(math.pi) * v_esc / v0
                                       * math.exp(-(v_esc / v0) ** 2))

    def integrand(cos_t, u):
        return 2 * math.pi * u * math.exp(-(u * u + v_e * v_e + 2 * u * v_e * cos_t) / v0**2) / norm

    def cos_max(u):  # |u + v_E| < v_esc: the angular range is cut, so the integrand stays smooth
        return min(1.0, max(-1.0, (v_esc**2 - u * u - v_e * v_e) / (2 * u * v_e))) if u > 0 else 1.0

    val, _ = integrate.dblquad(integrand, v_min, v_esc + v_e, -1.0, cos_max, epsabs=1e-13, epsrel=1e-9)
    return val


@pytest.mark.parametrize("v_min", [0.0, 150.0, 300.0, 450.0, 700.0])
def test_mean_inverse_speed_equals_direct_integration(v_min):
    assert mean_inverse_speed_per_km_s(v_min) == pytest.approx(_eta_numerical(v_min), rel=1e-5)


def test_mean_inverse_speed_vanishes_beyond_the_escape_speed():
    assert mean_inverse_speed_per_km_s(V_ESC_KM_S + V_EARTH_KM_S + 1.0) == 0.0


@settings(max_examples=50, deadline=None)
@given(st.floats(0.0, 790.0), st.floats(0.1, 50.0))
def test_mean_inverse_speed_decreases(v_min, dv):
    assert mean_inverse_speed_per_km_s(v_min + dv) <= mean_inverse_speed_per_km_s(v_min) + 1e-15


def test_rate_is_the_lewin_smith_closed_form_without_escape_and_earth_motion():
    """v_E -> 0, v_esc -> inf: dR/dE = R0 / (E0 r) exp(-E / (E0 r)) F^2 (Lewin and Smith 1996,
    eq. 3.10), R0 = 2/sqrt(pi) N_A/A rho/m_chi sigma_0 v0 (their eq. 3.8)."""
    xe = isotope("Xe132")
    m_chi, sigma_p, v0, rho = 50.0, 1e-45, 230.0, 0.4
    e_kev = np.array([1.0, 5.0, 10.0, 20.0])
    got = wimp_si_rate_per_t_yr_kev(e_kev, m_chi, sigma_p, [(xe, 1.0)], rho_gev_cm3=rho, v0_km_s=v0,
                                    v_esc_km_s=1e5, v_earth_km_s=1e-4)
    m_n = xe.mass_mev / 1e3
    mu_n, mu_p = m_chi * m_n / (m_chi + m_n), m_chi * c.M_PROTON_MEV / 1e3 / (m_chi + c.M_PROTON_MEV / 1e3)
    sigma0 = sigma_p * xe.a**2 * (mu_n / mu_p) ** 2
    nuclei_per_t = c.AVOGADRO * 1e6 / xe.atomic_mass_u
    r0 = 2 / math.sqrt(math.pi) * nuclei_per_t * rho / m_chi * sigma0 * v0 * 1e5  # per t per s
    e0_r = 0.5 * m_chi * 1e6 * (v0 / C_KM_S) ** 2 * 4 * m_chi * m_n / (m_chi + m_n) ** 2  # keV
    ff2 = helm(momentum_transfer_mev(e_kev * 1e-3, xe.mass_mev), lewin_smith_helm_rms_radius_fm(132)) ** 2
    expected = r0 / e0_r * np.exp(-e_kev / e0_r) * ff2 * 365.25 * 86400
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_rate_is_linear_in_the_cross_section_and_zero_beyond_the_kinematic_end_point():
    xenon = [(isotope(n), ab) for n, ab in NATURAL_XENON_ABUNDANCE.items()]
    e = np.array([0.5, 1.0, 3.0, 30.0])
    r1 = wimp_si_rate_per_t_yr_kev(e, 6.0, 1e-45, xenon)
    np.testing.assert_allclose(wimp_si_rate_per_t_yr_kev(e, 6.0, 3e-45, xenon), 3 * r1, rtol=1e-12)
    assert r1[0] > r1[1] > r1[2] > 0 and r1[3] == 0.0  # a 6 GeV WIMP cannot give 30 keV on xenon


def test_lewin_smith_radius_is_the_usual_xenon_size():
    # R_rms ~ 0.89 A^(1/3) + 0.30 fm (Lewin and Smith 1996, eq. 4.9) for A = 131
    assert lewin_smith_helm_rms_radius_fm(131) == pytest.approx(0.89 * 131 ** (1 / 3) + 0.30, rel=0.01)


def test_bad_halo_or_wimp_parameters_name_the_fix():
    xe = [(isotope("Xe132"), 1.0)]
    with pytest.raises(ParameterError, match="WIMP mass must be positive"):
        wimp_si_rate_per_t_yr_kev([1.0], 0.0, 1e-45, xe)
    with pytest.raises(ParameterError, match="halo speeds"):
        mean_inverse_speed_per_km_s(100.0, v0_km_s=-1.0)
