"""Neutrino-electron scattering, neutrino electromagnetic properties and sterile neutrinos
(seed 004 sec. 2.1 eq. 4 and Table I, sec. 2.5 eqs. 18-23, sec. 2.6 eqs. 24-27).

Expected values are written out here, independently of ``cevns``: the textbook total nu-e
cross sections, Table I of seed 004 typed from the seed, the closed forms of eqs. (18)-(23)
and (26)-(27) with constants written out below, and brute-force (scipy quad) flux averages
over the Michel spectra. Tests needing the COHERENT releases take the ``data_root`` fixture
(CEVNS_DATA_DIR) and share one ES-enabled CsI 2021 setup (recipe deromeri2023).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad

from cevns.cli import main
from cevns.models import get_model
from cevns.models.electromagnetic import sm_charge_radius_cm2
from cevns.models.sterile import averaged_sin2, survival_probability, tmm_emin_mev, tmm_flux_averaged
from cevns.physics.electron_scattering import (
    e_min_electron_mev,
    es_couplings,
    es_dsigma_dt_cm2_per_mev,
    t_max_electron_mev,
    z_eff,
)
from cevns.sources import SOURCES

# constants written out here (PDG 2022 / CODATA 2018), not imported from cevns
G_F = 1.1663788e-11  # MeV^-2
ALPHA = 1.0 / 137.035999084
M_E = 0.51099895  # MeV
M_MU = 105.6583755  # MeV
M_PI = 139.57039  # MeV
HBARC_MEV_CM = 197.3269804e-13  # MeV cm
HBARC2 = HBARC_MEV_CM**2  # MeV^2 cm^2
E_MAX = M_MU / 2.0
E_PROMPT = (M_PI**2 - M_MU**2) / (2.0 * M_PI)
SIN2_W = 0.23857
FLAVOURS = ("nu_e", "nu_mu", "nu_mu_bar")
LEPTON = {"nu_e": "e", "nu_mu": "mu", "nu_mu_bar": "mu"}
# Delta m^2 L / (4 E) for Delta m^2 in eV^2, L in m, E in MeV: 1e-12 MeV^2 * 1 m / (4 hbar c * 1 MeV) = 1.2669327;
# the conventional 1.26693 (seed 004 eq. 24 writes 1.267) is used below
OSC_PHASE = 1.26693
BASELINE_M = 19.3  # seed 004 after eq. (29)


def michel(flavour: str, e):
    """Unit-normalised Michel spectra of seed 004 eq. (29) [1/MeV]."""
    e = np.asarray(e, dtype=float)
    if flavour == "nu_e":
        val = 192.0 * e**2 / M_MU**3 * (0.5 - e / M_MU)
    else:
        val = 64.0 * e**2 / M_MU**3 * (0.75 - e / M_MU)
    return np.where((e >= 0) & (e <= E_MAX), val, 0.0)


def flux_average(flavour: str, func, e_lo: float) -> float:
    """int phi_f(E) func(E) dE over E in [e_lo, E_max] (delta line for prompt nu_mu)."""
    if flavour == "nu_mu":
        return float(func(E_PROMPT)) if E_PROMPT >= e_lo else 0.0
    if e_lo >= E_MAX:
        return 0.0
    return quad(lambda e: float(michel(flavour, e)) * func(e), e_lo, E_MAX, epsabs=0.0, epsrel=1e-11, limit=200)[0]


def es_bracket(e, t, gv, ga):
    """Seed 004 eq. (4) bracket (no prefactor, no Z_eff)."""
    return (gv + ga) ** 2 + (gv - ga) ** 2 * (1 - t / e) ** 2 - (gv**2 - ga**2) * M_E * t / e**2


# =========================================================================== ES cross sections (no data)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_es_couplings_seed004(flavour):
    gv, ga = es_couplings(flavour, SIN2_W)
    expected = {"nu_e": (2 * SIN2_W + 0.5, 0.5), "nu_mu": (2 * SIN2_W - 0.5, -0.5), "nu_mu_bar": (2 * SIN2_W - 0.5, 0.5)}
    assert (gv, ga) == pytest.approx(expected[flavour], rel=1e-14, abs=0), f"{flavour}: {(gv, ga)} != {expected[flavour]}"


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_es_total_cross_section_closed_forms(flavour):
    """int_0^Tmax dsigma/dT at E = 30 MeV (Z_eff = 1) against the exact polynomial integral
    and the leading-order sigma = G_F^2 m_e E/(2 pi) [(gV+gA)^2 + (gV-gA)^2/3]."""
    e = 30.0
    gv, ga = es_couplings(flavour, SIN2_W)
    t_max = 2 * e**2 / (2 * e + M_E)
    assert float(t_max_electron_mev(e)) == pytest.approx(t_max, rel=1e-14, abs=0)
    sigma = quad(lambda t: float(es_dsigma_dt_cm2_per_mev(e, t, gv, ga, 1.0)), 0.0, t_max, epsabs=0.0, epsrel=1e-11)[0]
    pref = G_F**2 * M_E / (2 * math.pi) * HBARC2  # cm^2/MeV
    exact = pref * ((gv + ga) ** 2 * t_max + (gv - ga) ** 2 * e / 3 * (1 - (1 - t_max / e) ** 3)
                    - (gv**2 - ga**2) * M_E * t_max**2 / (2 * e**2))
    leading = pref * e * ((gv + ga) ** 2 + (gv - ga) ** 2 / 3)
    assert sigma == pytest.approx(exact, rel=1e-7, abs=0), f"{flavour}: integral {sigma:.6e} != exact {exact:.6e} cm^2"
    assert sigma == pytest.approx(leading, rel=0.015, abs=0), f"{flavour}: integral {sigma:.6e} vs leading order {leading:.6e}"
    # beyond T_max and below 0 the cross section vanishes; Z_eff multiplies
    assert float(es_dsigma_dt_cm2_per_mev(e, t_max * 1.0001, gv, ga)) == 0.0
    assert float(es_dsigma_dt_cm2_per_mev(e, -1e-3, gv, ga)) == 0.0
    assert float(es_dsigma_dt_cm2_per_mev(e, 1.0, gv, ga, 55.0)) == pytest.approx(
        55.0 * float(es_dsigma_dt_cm2_per_mev(e, 1.0, gv, ga, 1.0)), rel=1e-14, abs=0)


#: textbook tree-level values for sin^2 theta_W = 0.23 (e.g. Giunti & Kim): sigma/E [cm^2/MeV]
LITERATURE_SIGMA_OVER_E = {"nu_e": 9.5e-45, "nu_mu": 1.6e-45, "nu_mu_bar": 1.3e-45}


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_es_total_cross_section_literature(flavour):
    e = 30.0
    gv, ga = es_couplings(flavour, 0.23)
    t_max = float(t_max_electron_mev(e))
    sigma = quad(lambda t: float(es_dsigma_dt_cm2_per_mev(e, t, gv, ga)), 0.0, t_max, epsabs=0.0, epsrel=1e-10)[0]
    lit = LITERATURE_SIGMA_OVER_E[flavour] * e
    assert sigma == pytest.approx(lit, rel=0.04, abs=0), f"{flavour}: sigma(30 MeV) = {sigma:.3e} cm^2, literature ~{lit:.3e}"


def test_es_antineutrino_flips_axial_coupling():
    gv_mu, ga_mu = es_couplings("nu_mu")
    gv_bar, ga_bar = es_couplings("nu_mu_bar")
    assert gv_bar == gv_mu and ga_bar == -ga_mu == 0.5
    # the flip makes nubar_mu-e smaller than nu_mu-e at high recoil (only (gV-gA)^2 has (1-T/E)^2)
    e, t = 30.0, 25.0
    assert es_dsigma_dt_cm2_per_mev(e, t, gv_bar, ga_bar) < es_dsigma_dt_cm2_per_mev(e, t, gv_mu, ga_mu)


# =========================================================================== Z_eff (Table I)

#: seed 004 Table I typed from the seed text: (Z_eff, lower bound [keV] (exclusive), upper bound (inclusive))
TABLE_I = {
    "Cs": [(55, 35.99, math.inf), (53, 5.71, 35.99), (51, 5.36, 5.71), (49, 5.01, 5.36), (45, 1.21, 5.01),
           (43, 1.07, 1.21), (41, 1.0, 1.07), (37, 0.74, 1.0), (33, 0.73, 0.74), (27, 0.23, 0.73),
           (25, 0.17, 0.23), (23, 0.16, 0.17), (19, 0.0, 0.16)],
    "I": [(53, 33.17, math.inf), (51, 5.19, 33.17), (49, 4.86, 5.19), (47, 4.56, 4.86), (43, 1.07, 4.56),
          (41, 0.93, 1.07), (39, 0.88, 0.93), (35, 0.63, 0.88), (31, 0.62, 0.63), (25, 0.19, 0.62),
          (23, 0.124, 0.19), (21, 0.123, 0.124), (17, 0.0, 0.123)],
}


@pytest.mark.parametrize("atom", ["Cs", "I"])
def test_z_eff_table_i_thresholds(atom):
    for z, lo, hi in TABLE_I[atom]:
        points = [lo * 1.0001 + 1e-9, lo + 0.4 * ((hi if hi < math.inf else 2 * lo) - lo)]
        if hi < math.inf:
            points.append(hi * 0.9999)
            if lo > 0:
                points.append(hi)  # "hi >= E": the upper edge belongs to this row
        for t in points:
            got = float(z_eff(atom, t))
            assert got == z, f"Z_eff({atom}, {t:.6g} keV) = {got}, Table I gives {z} for {lo} < E <= {hi}"
    assert float(z_eff(atom, 1e3)) == {"Cs": 55, "I": 53}[atom]


@pytest.mark.parametrize("atom", ["Cs", "I"])
def test_z_eff_monotone_and_vectorised(atom):
    t = np.geomspace(1e-3, 100.0, 20001)
    z = z_eff(atom, t)
    assert z.shape == t.shape
    assert np.all(np.diff(z) >= 0), f"Z_eff({atom}) decreases somewhere in T"
    assert set(np.unique(z)) == {zz for zz, _, _ in TABLE_I[atom]}


def test_z_eff_unknown_atom():
    with pytest.raises(ValueError, match="Cs"):
        z_eff("Xe", 1.0)


# =========================================================================== kinematics


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1e-7, max_value=200.0, allow_nan=False))
def test_t_max_inverts_e_min_electron(t):
    assert float(t_max_electron_mev(e_min_electron_mev(t))) == pytest.approx(t, rel=1e-10, abs=0)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1e-3, max_value=100.0, allow_nan=False))
def test_e_min_inverts_t_max_electron(e):
    assert float(e_min_electron_mev(t_max_electron_mev(e))) == pytest.approx(e, rel=1e-10, abs=0)


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=1e-6, max_value=0.1), st.sampled_from([M_E, 37211.0, 123772.5]))
def test_tmm_emin_massless_limit(t, mass):
    assert float(tmm_emin_mev(t, mass, 0.0)) == pytest.approx(math.sqrt(mass * t / 2.0), rel=1e-12, abs=0)


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1e-5, max_value=0.05), st.floats(min_value=0.01, max_value=60.0),
       st.sampled_from([M_E, 37211.0, 123772.5]))
def test_tmm_emin_is_the_eq27_boundary(t, m4, mass):
    """Seed 004 eq. (27): m4^2 <= 2 M T (sqrt(2/(M T)) E - 1): forbidden just below E_min, allowed just above."""
    emin = float(tmm_emin_mev(t, mass, m4))

    def limit(e):
        return 2 * mass * t * (math.sqrt(2 / (mass * t)) * e - 1)

    assert m4**2 > limit(emin * (1 - 1e-6)), f"E = {emin * (1 - 1e-6)} below E_min should be kinematically closed"
    assert m4**2 < limit(emin * (1 + 1e-6)), f"E = {emin * (1 + 1e-6)} above E_min should be open"


@pytest.mark.parametrize("m4", [0.5, 5.0, 30.0])
def test_tmm_threshold_never_below_m4(m4):
    """Minimised over T, the eq. (27) threshold is E = m4 (at T = m4^2/(2M)): no up-scattering below E = m4."""
    mass = 123772.5
    t = np.geomspace(1e-9, 1.0, 200001)
    emin = tmm_emin_mev(t, mass, m4)
    assert emin.min() == pytest.approx(m4, rel=1e-6, abs=0)
    assert t[np.argmin(emin)] == pytest.approx(m4**2 / (2 * mass), rel=1e-3, abs=0)


# =========================================================================== oscillations (no data)


def test_oscillation_phase_constant():
    assert 1e-12 / (4.0 * 197.3269804e-15) == pytest.approx(OSC_PHASE, rel=1e-5, abs=0)


def test_survival_probability_limits():
    e = np.linspace(5.0, 52.0, 50)
    p = survival_probability(1.0, 1.0, e, 1e-9, 0.0)
    assert np.allclose(p, 1.0, rtol=0, atol=1e-12), "P -> 1 for L -> 0"
    p0 = survival_probability(np.array([0.1, 1.0, 1e3])[:, None], 0.0, e[None, :], BASELINE_M)
    assert np.all(p0 == 1.0), "P = 1 for sin^2 2theta = 0"
    s22 = 0.3
    pf = survival_probability(1e4, s22, e, BASELINE_M)
    assert np.allclose(pf, 1 - s22 / 2, rtol=0, atol=1e-3), f"fast oscillations: {pf.min()}..{pf.max()} vs {1 - s22 / 2}"
    assert np.all((pf >= 1 - s22) & (pf <= 1.0))


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=1e-3, max_value=1e3), st.floats(min_value=1.0, max_value=60.0),
       st.floats(min_value=1.0, max_value=40.0))
def test_averaged_sin2_without_spread(dm2, e, baseline):
    got = float(averaged_sin2(dm2, e, baseline, 0.0))
    assert got == pytest.approx(math.sin(OSC_PHASE * dm2 * baseline / e) ** 2, rel=1e-7, abs=1e-12)


def test_averaged_sin2_fast_regime_bound():
    rng = np.random.default_rng(4)
    dm2 = 10 ** rng.uniform(0.5, 4.0, 4000)
    e = rng.uniform(1.0, 53.0, 4000)
    d = 0.5
    a = OSC_PHASE * dm2 / e
    dev = np.abs(averaged_sin2(dm2, e, BASELINE_M, d) - 0.5)
    bound = 1.0 / (4 * a * d)
    assert np.all(dev <= bound * (1 + 1e-9) + 1e-15), f"|<sin^2> - 1/2| exceeds 1/(4 a d) at {np.argmax(dev - bound)}"


@pytest.mark.parametrize("dm2", [0.05, 1.0, 7.0, 60.0])
def test_averaged_sin2_is_the_baseline_average(dm2):
    """Closed form == numerical average of sin^2(1.267 dm2 L/E) over L uniform in [L - 0.5, L + 0.5] m."""
    for e in (8.0, 29.8, 50.0):
        num = quad(lambda x, e=e: math.sin(OSC_PHASE * dm2 * x / e) ** 2, BASELINE_M - 0.5, BASELINE_M + 0.5,
                   epsabs=1e-13, epsrel=1e-11, limit=400)[0]
        assert float(averaged_sin2(dm2, e, BASELINE_M, 0.5)) == pytest.approx(num, rel=1e-8, abs=1e-12)


# =========================================================================== TMM flux average (no data)


def tmm_bracket(e, t, mass, m4):
    """Seed 004 eq. (26) bracket, written out."""
    return (1 / t - 1 / e - m4**2 / (2 * e * t * mass) * (1 - t / (2 * e) + mass / (2 * e))
            + m4**4 * (t - mass) / (8 * e**2 * t**2 * mass**2))


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("mass", [123772.5, M_E])
def test_tmm_flux_averaged_matches_quadrature(flavour, mass):
    m4s = np.array([0.0, 0.3, 2.0, 10.0, 40.0])
    t = np.array([1e-4, 1e-3, 5e-3, 2e-2]) if mass > 1 else np.array([2e-4, 2e-3, 2e-2])
    got = tmm_flux_averaged(SOURCES["csi-2021"], flavour, t, mass, m4s)
    assert got.shape == (m4s.size, t.size)
    for i, m4 in enumerate(m4s):
        for j, tj in enumerate(t):
            emin = math.sqrt(mass * tj / 2) * (1 + m4**2 / (2 * mass * tj))
            want = max(flux_average(flavour, lambda e, tj=tj, m4=m4: tmm_bracket(e, tj, mass, m4), emin), 0.0)
            assert got[i, j] == pytest.approx(want, rel=1e-7, abs=1e-9 * (1 / tj)), (
                f"{flavour} M={mass} m4={m4} T={tj}: {got[i, j]} vs quad {want}")
    closed = tmm_flux_averaged(SOURCES["csi-2021"], flavour, t, mass, np.array([E_MAX * 1.01, 60.0]))
    assert np.all(closed == 0.0), "m4 above the SNS end point: up-scattering closed"


# =========================================================================== EM: SM charge radius (no data)


@pytest.mark.parametrize("lepton,value", [("e", -0.83e-32), ("mu", -0.48e-32)])
def test_sm_charge_radius(lepton, value):
    assert sm_charge_radius_cm2(lepton) == pytest.approx(value, rel=0.03, abs=0)


# =========================================================================== CLI (no data)


def _invoke(args):
    return CliRunner().invoke(main, args)


def test_cli_electron_scattering_bad_choice():
    res = _invoke(["predict", "-e", "csi-2021", "--electron-scattering", "maybe", "--json"])
    assert res.exit_code == 2, f"exit {res.exit_code}\n{res.output}"
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    assert "maybe" in res.output


def test_cli_models_lists_em_and_sterile_models():
    res = _invoke(["models", "--json"])
    assert res.exit_code == 0, res.output
    models = json.loads(res.stdout)
    expected = {
        "magnetic-moment": {"mu_nu_e", "mu_nu_mu"},
        "charge-radius": {"r2_nu_ee", "r2_nu_mumu"},
        "millicharge": {"q_nu_ee", "q_nu_mumu"},
        "sterile-osc": {"dm2_41_ev2", "sin2_2theta_14", "sin2_2theta_24"},
        "tmm-sterile": {"m4_mev", "mu_nu_e", "mu_nu_mu"},
    }
    for name, params in expected.items():
        assert name in models, f"{name} missing from `cevns models --json`"
        got = set(models[name]["parameters"])
        assert params <= got, f"{name}: parameters {sorted(got)} lack {sorted(params - got)}"
        for p in params:
            assert models[name]["parameters"][p]["source"], f"{name}.{p} has no source"


# =========================================================================== with the CsI 2021 setup (data)


@pytest.fixture(scope="module")
def es_setup(data_root):
    from cevns.experiments import csi2021
    from cevns.recipes import get_recipe

    recipe = get_recipe("deromeri2023").with_options(electron_scattering=True)
    setup = csi2021.build(recipe, data_root)
    assert [a.isotope.name for a in setup.cevns.es_atoms] == ["es:Cs", "es:I"]
    return recipe, setup


def _counts(es_setup, model, values):
    recipe, setup = es_setup
    return setup.cevns.counts_by_process(get_model(model).terms(setup.cevns.grid, values))


@pytest.fixture(scope="module")
def sm_counts(es_setup):
    return _counts(es_setup, "sm", {})


def test_sm_es_counts_tiny_and_shaped(es_setup, sm_counts):
    assert set(sm_counts) == {"cevns", "es"}
    assert sm_counts["cevns"].shape == sm_counts["es"].shape == (1, 9, 11)
    es = sm_counts["es"]
    assert np.all(es >= 0)
    # back of the envelope: ~3.6e27 electrons x 5.8e14 nu/cm^2/flavour x ~6e-47 cm^2 (T < 4.5 keV) ~ 1e-4
    assert 1e-5 < es.sum() < 1e-3, f"SM nu-e events in CsI 2021 = {es.sum():.3g}, expected ~1e-4"


@pytest.mark.parametrize("atom_index", [0, 1])
def test_es_kernel_structures_against_eq4(es_setup, atom_index):
    """Per recoil node, (SM ES coefficients . kernels) / (es_mm kernel) must equal
    int phi eq.(4) bracket / int phi (1/T - 1/E) over E >= E_min^e(T): checks the es_m0, es_m1,
    es_m2, es_me structures and their SM coefficients against eq. (4) (Z_eff, eta, weights
    and response cancel in the ratio)."""
    recipe, setup = es_setup
    atom = setup.cevns.es_atoms[atom_index]
    terms = get_model("sm").terms(setup.cevns.grid, {})
    t = atom.t_nr_mev
    nodes = [int(np.argmin(np.abs(t - x))) for x in (3e-4, 1.5e-3, 4e-3)]
    for f in FLAVOURS:
        gv, ga = (2 * SIN2_W + 0.5, 0.5) if f == "nu_e" else (2 * SIN2_W - 0.5, 0.5 if f == "nu_mu_bar" else -0.5)
        mm = atom.kernel[("es_mm", f)]
        for k in nodes:
            e_bin = int(np.argmax(mm[k]))
            assert mm[k, e_bin] > 0
            row = sum(terms[(s, atom.isotope.name, f)][0, k] * atom.kernel[(s, f)][k, e_bin]
                      for s in ("es_m0", "es_m1", "es_m2", "es_me"))
            tk = float(t[k])
            emin = (tk + math.sqrt(tk**2 + 2 * M_E * tk)) / 2
            num = flux_average(f, lambda e, tk=tk, gv=gv, ga=ga: es_bracket(e, tk, gv, ga), emin)
            den = flux_average(f, lambda e, tk=tk: 1 / tk - 1 / e, emin)
            assert row / mm[k, e_bin] == pytest.approx(num / den, rel=1e-6, abs=0), f"{atom.isotope.name} {f} T={tk:.3g} MeV"


# --------------------------------------------------------------------------- magnetic moment


def test_magnetic_moment_term_normalisation(es_setup):
    """Eq. (18): m0 coefficient x G_F^2 M/pi == (pi alpha^2/m_e^2) Z^2 F^2 mu^2 / T; eq. (19) for ES."""
    recipe, setup = es_setup
    mu = 3e-10
    terms = get_model("magnetic-moment").terms(setup.cevns.grid, {"mu_nu_e": mu, "mu_nu_mu": 2 * mu})
    for ik in setup.cevns.isotopes:
        name, z, m = ik.isotope.name, ik.isotope.z, ik.isotope.mass_mev
        for f in FLAVOURS:
            muf = mu if f == "nu_e" else 2 * mu
            want = math.pi * ALPHA**2 / M_E**2 * z**2 * ik.f_proton**2 * muf**2 / ik.t_nr_mev * HBARC2
            m0 = terms[("m0", name, f)][0] * G_F**2 * m / math.pi * HBARC2
            m1 = terms[("m1", name, f)][0] * G_F**2 * m / math.pi * HBARC2
            assert np.all(m0 > 0)
            assert np.allclose(m0, want, rtol=1e-6, atol=0), f"{name} {f}: MM m0 term off eq. (18)"
            assert np.allclose(m1, -want, rtol=1e-6, atol=0), f"{name} {f}: MM m1 term must be -m0 (1/T - 1/E)"
    for atom in setup.cevns.es_atoms:
        for f in FLAVOURS:
            muf = mu if f == "nu_e" else 2 * mu
            got = terms[("es_mm", atom.isotope.name, f)][0] * G_F**2 * M_E / (2 * math.pi) * HBARC2
            assert np.allclose(got, math.pi * ALPHA**2 / M_E**2 * muf**2 * HBARC2, rtol=1e-6, atol=0), (
                f"{atom.isotope.name} {f}: ES MM term off eq. (19)")


def test_magnetic_moment_counts_scale_as_mu2(es_setup, sm_counts):
    mus = np.array([0.0, 1e-9, 2e-9, 4e-9])
    c = _counts(es_setup, "magnetic-moment", {"mu_nu_e": mus, "mu_nu_mu": mus})
    for proc in ("cevns", "es"):
        excess = c[proc] - sm_counts[proc]
        assert np.allclose(excess[0], 0.0, rtol=0, atol=1e-12 * max(1.0, sm_counts[proc].sum())), f"{proc}: mu=0 is not SM"
        assert np.all(excess[1:] >= -1e-9 * sm_counts[proc].max()), f"{proc}: MM excess negative in some bin"
        tot = excess.sum(axis=(1, 2))
        assert tot[1] > 0, f"{proc}: no MM excess"
        assert tot[2] / tot[1] == pytest.approx(4.0, rel=1e-9, abs=0) and tot[3] / tot[1] == pytest.approx(16.0, rel=1e-9, abs=0)
    cevns_excess = (c["cevns"][1] - sm_counts["cevns"][0]).sum()
    assert 5.0 < cevns_excess < 100.0, f"CsI 2021 CEvNS excess at mu = 1e-9 mu_B = {cevns_excess:.3g} events"


def test_magnetic_moment_flavour_separation(es_setup):
    recipe, setup = es_setup
    model = get_model("magnetic-moment")
    by_f0 = setup.cevns.energy_counts_from_terms(model.terms(setup.cevns.grid, {}))
    by_f = setup.cevns.energy_counts_from_terms(model.terms(setup.cevns.grid, {"mu_nu_e": 1e-9}))
    assert by_f["nu_e"].sum() > by_f0["nu_e"].sum()
    for f in ("nu_mu", "nu_mu_bar"):
        assert np.allclose(by_f[f], by_f0[f], rtol=1e-13, atol=0), f"mu_nu_e changed {f}"


def test_magnetic_moment_rate_falls_as_inverse_t(es_setup):
    """Flux-averaged MM dR/dT ~ 1/T at small T: R(T)/R(2T) ~ 2 (form factor and E_min cut add a few %)."""
    recipe, setup = es_setup
    terms = get_model("magnetic-moment").terms(setup.cevns.grid, {"mu_nu_e": 1e-9, "mu_nu_mu": 1e-9})
    ik = setup.cevns.isotopes[0]
    t, m = ik.t_nr_mev, ik.isotope.mass_mev
    for f in FLAVOURS:
        emin = (t + np.sqrt(t**2 + 2 * m * t)) / 2
        k0 = np.array([flux_average(f, lambda e: 1.0, x) for x in emin])
        k1 = np.array([flux_average(f, lambda e: 1.0 / e, x) for x in emin]) * t
        rate = terms[("m0", ik.isotope.name, f)][0] * k0 + terms[("m1", ik.isotope.name, f)][0] * k1
        for t_lo in (6e-4, 1e-3):
            i = int(np.argmin(np.abs(t - t_lo)))
            j = int(np.argmin(np.abs(t - 2 * t[i])))
            ratio = rate[i] / rate[j] * (2 * t[i] / t[j])  # correct for the grid node not being exactly 2T
            assert 1.8 < ratio < 2.3, f"{f}: R(T)/R(2T) = {ratio:.3f} at T = {t[i] * 1e3:.2f} keV"


# --------------------------------------------------------------------------- charge radius


def _nucleon_gv(recipe):
    assert recipe.couplings == "tree"
    return 0.5 - 2 * recipe.sin2_theta_w, -0.5


def test_charge_radius_shifts_proton_coupling(es_setup):
    recipe, setup = es_setup
    r2 = {"e": -0.83e-32, "mu": -0.48e-32}
    terms = get_model("charge-radius").terms(setup.cevns.grid, {"r2_nu_ee": r2["e"], "r2_nu_mumu": r2["mu"]})
    gp, gn = _nucleon_gv(recipe)
    for f in FLAVOURS:
        q_cr = math.sqrt(2) * math.pi * ALPHA / (3 * G_F) * r2[LEPTON[f]] / HBARC2  # cm^2 -> MeV^-2
        assert q_cr < 0 and abs(q_cr) > 1e-3, q_cr
        for ik in setup.cevns.isotopes:
            want = ((gp - q_cr) * ik.isotope.z * ik.f_proton + gn * ik.isotope.n * ik.f_neutron) ** 2
            got = terms[("vector", ik.isotope.name, f)][0]
            assert np.allclose(got, want, rtol=1e-6, atol=0), f"{ik.isotope.name} {f}: CR vector term != eq. (22)"
        gv, ga = es_couplings(f, recipe.sin2_theta_w)
        gv += q_cr
        for atom in setup.cevns.es_atoms:
            name = atom.isotope.name
            assert np.allclose(terms[("es_m0", name, f)][0], (gv + ga) ** 2 + (gv - ga) ** 2, rtol=1e-6, atol=0)
            assert np.allclose(terms[("es_m2", name, f)][0], (gv - ga) ** 2, rtol=1e-6, atol=0)
            assert np.allclose(terms[("es_me", name, f)][0], -(gv**2 - ga**2), rtol=1e-6, atol=1e-12)


def test_charge_radius_cancelling_proton_coupling(es_setup):
    """r2 = 3 G_F g_V^p / (sqrt2 pi alpha) makes Q_CR = g_V^p: the vector charge is the neutron part only."""
    recipe, setup = es_setup
    gp, gn = _nucleon_gv(recipe)
    r2 = 3 * G_F * gp / (math.sqrt(2) * math.pi * ALPHA) * HBARC2
    assert 0 < r2 < 1e-29
    terms = get_model("charge-radius").terms(setup.cevns.grid, {"r2_nu_ee": r2, "r2_nu_mumu": r2})
    for ik in setup.cevns.isotopes:
        for f in FLAVOURS:
            want = (gn * ik.isotope.n * ik.f_neutron) ** 2
            assert np.allclose(terms[("vector", ik.isotope.name, f)][0], want, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------- millicharge


def test_millicharge_shift_scales_as_inverse_t(es_setup):
    """Eq. (23): Q_EC = 2 sqrt2 pi alpha q / (G_F q^2), q^2 = -2 M T: Q_EC T is constant, for CEvNS and ES."""
    recipe, setup = es_setup
    q = -1e-7  # negative: Q_EC > 0 keeps the weak charge negative (neutron-dominated) on the whole grid
    terms = get_model("millicharge").terms(setup.cevns.grid, {"q_nu_ee": q, "q_nu_mumu": 2 * q})
    gp, gn = _nucleon_gv(recipe)
    for f in FLAVOURS:
        qf = q if f == "nu_e" else 2 * q
        for ik in setup.cevns.isotopes:
            z, n, m, t = ik.isotope.z, ik.isotope.n, ik.isotope.mass_mev, ik.t_nr_mev
            s_want = 2 * math.sqrt(2) * math.pi * ALPHA * qf / (G_F * (-2 * m * t))
            vec = terms[("vector", ik.isotope.name, f)][0]
            want = ((gp - s_want) * z * ik.f_proton + gn * n * ik.f_neutron) ** 2
            assert np.allclose(vec, want, rtol=1e-6, atol=0), f"{ik.isotope.name} {f}: millicharge vector term"
            assert np.all((gp - s_want) * z * ik.f_proton + gn * n * ik.f_neutron < 0)
            # the weak charge stays negative here: solve the vector term for the shift
            s_got = gp + (gn * n * ik.f_neutron + np.sqrt(vec)) / (z * ik.f_proton)
            st_got = s_got * t
            i, j = 5, int(np.argmin(np.abs(t - 2 * t[5])))
            assert st_got[i] == pytest.approx(st_got[j], rel=1e-4, abs=0), f"{f}: Q_EC(T) T not constant ({st_got[i]}, {st_got[j]})"
            assert st_got[i] == pytest.approx(-math.sqrt(2) * math.pi * ALPHA * qf / (G_F * m), rel=1e-4, abs=0)
        gv, ga = es_couplings(f, recipe.sin2_theta_w)
        for atom in setup.cevns.es_atoms:
            name, t = atom.isotope.name, atom.t_nr_mev
            gv_got = (terms[("es_m0", name, f)][0] - 2 * terms[("es_m2", name, f)][0]) / (4 * ga)
            shift_t = (gv_got - gv) * t
            assert np.allclose(shift_t, -math.sqrt(2) * math.pi * ALPHA * qf / (G_F * M_E), rtol=1e-6, atol=0), (
                f"{name} {f}: ES millicharge shift is not -sqrt2 pi alpha q/(G_F m_e T)")


def test_millicharge_es_counts_grow_as_q2(es_setup, sm_counts):
    qs = np.array([1e-9, 2e-9])
    c = _counts(es_setup, "millicharge", {"q_nu_ee": qs, "q_nu_mumu": qs})
    es = c["es"].sum(axis=(1, 2))
    assert es[0] > 1e3 * sm_counts["es"].sum(), "millicharge ES should dominate the SM ES here"
    assert es[1] / es[0] == pytest.approx(4.0, rel=0.01, abs=0), f"ES(2q)/ES(q) = {es[1] / es[0]:.4f}"


# --------------------------------------------------------------------------- sterile oscillations


def test_sterile_osc_without_mixing_is_sm(es_setup, sm_counts):
    c = _counts(es_setup, "sterile-osc", {"dm2_41_ev2": np.array([0.3, 3.0, 1e4]), "sin2_2theta_14": 0.0,
                                          "sin2_2theta_24": 0.0})
    for p in range(3):
        assert np.allclose(c["cevns"][p], sm_counts["cevns"][0], rtol=1e-12, atol=0)
        assert np.allclose(c["es"][p], sm_counts["es"][0], rtol=1e-12, atol=0)


def test_sterile_osc_fast_oscillations_halve_disappearing_flavours(es_setup):
    recipe, setup = es_setup
    model = get_model("sterile-osc")
    base = setup.cevns.energy_counts_from_terms(model.terms(setup.cevns.grid, {"dm2_41_ev2": 1e4}))
    mu_off = setup.cevns.energy_counts_from_terms(
        model.terms(setup.cevns.grid, {"dm2_41_ev2": 1e4, "sin2_2theta_24": 1.0}))
    e_off = setup.cevns.energy_counts_from_terms(
        model.terms(setup.cevns.grid, {"dm2_41_ev2": 1e4, "sin2_2theta_14": 1.0}))
    for f in FLAVOURS:
        r_mu = mu_off[f].sum() / base[f].sum()
        r_e = e_off[f].sum() / base[f].sum()
        if f == "nu_e":
            assert r_mu == pytest.approx(1.0, rel=1e-12, abs=0) and r_e == pytest.approx(0.5, abs=2e-3), (f, r_mu, r_e)
        else:
            assert r_mu == pytest.approx(0.5, abs=2e-3) and r_e == pytest.approx(1.0, rel=1e-12, abs=0), (f, r_mu, r_e)


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_sterile_osc_ratio_matches_brute_force(es_setup, flavour):
    """Vector term / SM Q^2 == int phi (1 - MT/2E^2) P(E) / int phi (1 - MT/2E^2), P averaged over L +- 0.5 m."""
    recipe, setup = es_setup
    assert setup.cevns.metadata["baseline_m"] == BASELINE_M
    dm2, s22 = 2.0, 0.6
    terms = get_model("sterile-osc").terms(setup.cevns.grid, {"dm2_41_ev2": dm2, "sin2_2theta_14": s22,
                                                                   "sin2_2theta_24": s22})
    sm_terms = get_model("sm").terms(setup.cevns.grid, {})
    ik = setup.cevns.isotopes[0]
    t, m = ik.t_nr_mev, ik.isotope.mass_mev
    xl, wl = np.polynomial.legendre.leggauss(64)
    lengths, wlen = BASELINE_M + 0.5 * xl, 0.5 * wl

    def prob(e):
        return 1 - s22 * float(np.sum(wlen * np.sin(OSC_PHASE * dm2 * lengths / e) ** 2))

    for k in (0, 60, 120, 170):
        tk = float(t[k])
        emin = (tk + math.sqrt(tk**2 + 2 * m * tk)) / 2
        if emin >= (E_PROMPT if flavour == "nu_mu" else E_MAX):
            continue
        den = flux_average(flavour, lambda e, tk=tk: 1 - m * tk / (2 * e**2), emin)
        num = flux_average(flavour, lambda e, tk=tk: (1 - m * tk / (2 * e**2)) * prob(e), emin)
        got = terms[("vector", ik.isotope.name, flavour)][0, k] / sm_terms[("vector", ik.isotope.name, flavour)][0, k]
        assert got == pytest.approx(num / den, rel=2e-5, abs=0), f"{flavour} T={tk * 1e3:.2f} keV: {got} vs {num / den}"


# --------------------------------------------------------------------------- TMM sterile


def test_tmm_without_moment_is_sm(es_setup, sm_counts):
    c = _counts(es_setup, "tmm-sterile", {"m4_mev": np.array([0.0, 1.0, 20.0]), "mu_nu_e": 0.0, "mu_nu_mu": 0.0})
    for proc in ("cevns", "es"):
        assert np.allclose(c[proc], sm_counts[proc][0], rtol=1e-12, atol=0), f"{proc}: mu = 0 is not SM"


def test_tmm_terms_against_eq26(es_setup):
    """TMM coefficients x the SM flux integral int phi (E >= E_min(T)) of their kernel must give
    (pi alpha^2/m_e^2) mu^2 int phi [eq. 26 bracket] over E >= E_min(T, m4) (eq. 27), with
    Z^2 F_p^2 and units of G_F^2 M/pi for CEvNS and m_N -> m_e, Z_eff units G_F^2 m_e/(2 pi) for ES."""
    recipe, setup = es_setup
    mu = 2e-9
    for m4 in (0.3, 1.0, 10.0):
        terms = get_model("tmm-sterile").terms(setup.cevns.grid, {"m4_mev": m4, "mu_nu_e": mu, "mu_nu_mu": mu})
        sm_terms = get_model("sm").terms(setup.cevns.grid, {})
        for f in FLAVOURS:
            ik = setup.cevns.isotopes[0]
            z, m, t = ik.isotope.z, ik.isotope.mass_mev, ik.t_nr_mev
            for k in (10, 60, 120):
                tk = float(t[k])
                k0 = flux_average(f, lambda e: 1.0, (tk + math.sqrt(tk**2 + 2 * m * tk)) / 2)
                if k0 == 0.0:
                    continue
                want = flux_average(f, lambda e, tk=tk, m=m, m4=m4: tmm_bracket(e, tk, m, m4),
                                    math.sqrt(m * tk / 2) * (1 + m4**2 / (2 * m * tk)))
                want *= math.pi * ALPHA**2 / M_E**2 * z**2 * ik.f_proton[k] ** 2 * mu**2 / (G_F**2 * m / math.pi)
                got = terms[("m0", ik.isotope.name, f)][0, k] * k0
                assert got == pytest.approx(max(want, 0.0), rel=1e-6, abs=0), f"CEvNS {f} m4={m4} T={tk * 1e3:.2f} keV"
            atom = setup.cevns.es_atoms[0]
            for tk in (float(atom.t_nr_mev[k]) for k in (60, 120, 200)):
                k_idx = int(np.argmin(np.abs(atom.t_nr_mev - tk)))
                k0 = flux_average(f, lambda e: 1.0, (tk + math.sqrt(tk**2 + 2 * M_E * tk)) / 2)
                want = flux_average(f, lambda e, tk=tk, m4=m4: tmm_bracket(e, tk, M_E, m4),
                                    math.sqrt(M_E * tk / 2) * (1 + m4**2 / (2 * M_E * tk)))
                want = max(want, 0.0) * math.pi * ALPHA**2 / M_E**2 * mu**2 / (G_F**2 * M_E / (2 * math.pi))
                extra = terms[("es_m0", atom.isotope.name, f)][0, k_idx] - sm_terms[("es_m0", atom.isotope.name, f)][0, k_idx]
                assert extra * k0 == pytest.approx(want, rel=1e-6, abs=1e-9 * abs(want) + 1e-30), (
                    f"ES {f} m4={m4} T={tk * 1e3:.2f} keV")


def test_tmm_massless_limit_is_magnetic_moment(es_setup, sm_counts):
    mu = {"mu_nu_e": 1e-9, "mu_nu_mu": 1.5e-9}
    mm = _counts(es_setup, "magnetic-moment", mu)
    tmm = _counts(es_setup, "tmm-sterile", {"m4_mev": 1e-4, **mu})
    for proc in ("cevns", "es"):
        x_mm = (mm[proc] - sm_counts[proc]).sum()
        x_tmm = (tmm[proc] - sm_counts[proc]).sum()
        assert x_mm > 0
        assert x_tmm == pytest.approx(x_mm, rel=0.01, abs=0), f"{proc}: TMM(m4 -> 0) excess {x_tmm:.4g} != MM excess {x_mm:.4g}"


def test_tmm_excess_vs_sterile_mass(es_setup, sm_counts):
    m4 = np.array([0.01, 0.5, 2.0, 5.0, 20.0, 50.0, 60.0])
    c = _counts(es_setup, "tmm-sterile", {"m4_mev": m4, "mu_nu_e": 1e-9, "mu_nu_mu": 1e-9})
    cev = (c["cevns"] - sm_counts["cevns"]).sum(axis=(1, 2))
    es = (c["es"] - sm_counts["es"]).sum(axis=(1, 2))
    assert np.all(np.diff(cev) <= 1e-9 * cev[0]), f"CEvNS TMM excess should fall with m4: {cev}"
    assert np.all(np.diff(es) <= 1e-9 * es[0]), f"ES TMM excess should fall with m4: {es}"
    assert cev[0] > 5 and cev[-2] > 0, cev
    assert abs(cev[-1]) < 1e-9, f"m4 = 60 MeV > m_mu/2: CEvNS up-scattering must be closed, excess {cev[-1]}"
    recipe, setup = es_setup
    terms = get_model("tmm-sterile").terms(setup.cevns.grid, {"m4_mev": 60.0, "mu_nu_e": 1e-9, "mu_nu_mu": 1e-9})
    for ik in setup.cevns.isotopes:
        for f in FLAVOURS:
            assert np.all(terms[("m0", ik.isotope.name, f)] == 0.0), f"{ik.isotope.name} {f}: TMM term at m4 = 60 MeV"
    # ES: E_er < ~4.5 keV in the PE < 60 window closes up-scattering above m4 ~ 2.7 MeV (seed 004 sec. 4.6 kink)
    assert es[1] > 0.5 * es[0] > 0, es
    assert abs(es[3]) < 1e-12, f"ES TMM excess at m4 = 5 MeV should vanish in the CsI 2021 window, got {es[3]}"


# --------------------------------------------------------------------------- CLI with data


def test_cli_predict_electron_scattering_on_off(data_root, monkeypatch):
    monkeypatch.setenv("CEVNS_DATA_DIR", str(data_root))
    out = {}
    for flag in ("on", "off"):
        res = _invoke(["predict", "-e", "csi-2021", "--electron-scattering", flag, "--json"])
        assert res.exit_code == 0, f"--electron-scattering {flag}: exit {res.exit_code}\n{res.output}"
        out[flag] = json.loads(res.stdout)
    on, off = out["on"], out["off"]
    assert "es_total" in on and "es_total" not in off
    assert 0.0 <= on["es_total"] < 1e-2, f"SM nu-e events should be tiny, got {on['es_total']}"
    assert np.asarray(on["bins_es"]).shape == (9, 11)
    assert on["cevns_total"] == pytest.approx(off["cevns_total"], rel=1e-12, abs=0), "ES must not change the CEvNS prediction"


# ------------------------------------------------------------- light vector on electrons (eq. 13)


@pytest.mark.parametrize("model", ["universal", "b-l"])
def test_es_vector_shift_normalisation(es_setup, model):
    """Issue #9: the ES shift of g_V is g^2 Q'_l Q'_e / (sqrt2 G_F (2 m_e T + M^2)) by default
    (the SM neutral-current normalisation of seed 004 eqs. 12, 23 and seed 002 eq. 16), and
    half of it with ``es_vector_normalisation = "printed"`` (seed 004 eq. 13 as printed)."""
    recipe, setup = es_setup
    charges = {"universal": (1.0, 1.0), "b-l": (-1.0, -1.0)}[model]  # (Q'_e, Q'_mu)
    g, m = 3e-5, 5.0
    shifts = {}
    for norm in ("consistent", "printed"):
        rec = recipe.with_options(es_vector_normalisation=norm)
        terms = get_model(model, rec.model_options()).terms(setup.cevns.grid, {"g": g, "m_med_mev": m})
        for f in ("nu_e", "nu_mu"):
            gv, ga = es_couplings(f, rec.sin2_theta_w)
            atom = setup.cevns.es_atoms[0]
            gv_got = (terms[("es_m0", atom.isotope.name, f)][0] - 2 * terms[("es_m2", atom.isotope.name, f)][0]) / (4 * ga)
            shifts[(norm, f)] = (gv_got - gv, atom.t_nr_mev)
    for f, q_l in (("nu_e", charges[0]), ("nu_mu", charges[1])):
        got, t = shifts[("consistent", f)]
        want = g**2 * q_l * charges[0] / (math.sqrt(2) * G_F * (2 * M_E * t + m**2))
        np.testing.assert_allclose(got, want, rtol=1e-6)
        np.testing.assert_allclose(shifts[("printed", f)][0], 0.5 * want, rtol=1e-6)
