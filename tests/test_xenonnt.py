"""Solar source, MSW flavours and the XENONnT response (issue #14).

Physics tests run everywhere; those reading the release need ``xenonnt-8b`` in one of the
``$CEVNS_DATA_DIR`` folders and h5py.
"""

from __future__ import annotations

import numpy as np
import pytest

from cevns.errors import UnknownNameError
from cevns.physics.constants import SECONDS_PER_YEAR
from cevns.physics.msw import (
    PDG2022_MIXING,
    b8_production_average,
    flavour_probabilities,
    p_ee_adiabatic_limit,
    p_ee_vacuum_average,
)
from cevns.sources.solar import (
    B8_SPECTRA,
    SOLAR_FLUXES,
    SOLAR_GRID_MEV,
    SolarSource,
    b8_shape,
    b8_table,
    hep_shape,
)

#: reading the 6928 released templates takes seconds: not in the fast subset
pytestmark = pytest.mark.slow


def test_p_ee_low_energy_is_the_vacuum_average():
    s12, s13 = PDG2022_MIXING.sin2_theta12, PDG2022_MIXING.sin2_theta13
    expected = (1 - s13) ** 2 * (1 - 0.5 * 4 * s12 * (1 - s12)) + s13**2
    assert p_ee_vacuum_average() == pytest.approx(expected)
    assert b8_production_average(np.array([1e-3]))[0, 0] == pytest.approx(expected, abs=1e-4)


def test_p_ee_high_density_is_sin2_theta12():
    assert flavour_probabilities(np.array([1e9]))[0, 0] == pytest.approx(p_ee_adiabatic_limit(), abs=1e-6)
    assert p_ee_adiabatic_limit() == pytest.approx((1 - 0.022) ** 2 * 0.307 + 0.022**2)
    # 8B at 15 MeV is close to (above) the adiabatic limit
    assert p_ee_adiabatic_limit() < b8_production_average(np.array([15.0]))[0, 0] < p_ee_adiabatic_limit() + 0.02


def test_flavour_probabilities_are_unitary():
    p = b8_production_average(np.linspace(0.1, 18, 50))
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=1e-12)


def test_solar_flux_normalisation():
    src = SolarSource("b16-gs98", include_hep=False)
    total = sum(src.fluence_per_cm2(f) for f in src.flavours) / SECONDS_PER_YEAR
    assert total == pytest.approx(SOLAR_FLUXES["b16-gs98"][0], rel=1e-9)
    for f in src.flavours:
        assert src.inverse_moments(f, np.array([0.0]))[0, 0] == pytest.approx(1.0, rel=1e-9)
    assert src.flux_parameters == {"flux_8b": 5.46}


def test_spectrum_means():
    e = SOLAR_GRID_MEV
    # Bahcall et al. 1996 state the best-fit mean 6.735 +- 0.036 MeV (their +-3 sigma spectra: +-0.107);
    # the analytic shape is calibrated to it; hep: Bahcall 1989
    for shape, mean in ((b8_shape(e, "bahcall1996"), 6.735), (b8_shape(e, "analytic"), 6.735), (hep_shape(e), 9.628),
                        (b8_shape(e, "bahcall1996-soft"), 6.735 - 3 * 0.036), (b8_shape(e, "bahcall1996-hard"), 6.735 + 3 * 0.036)):
        assert np.trapezoid(shape * e, e) / np.trapezoid(shape, e) == pytest.approx(mean, abs=0.01)


def test_b8_tables_as_published():
    e, lam = b8_table("winter2006")  # Table IV of Winter et al. 2006: normalised to 1000 over E in MeV
    assert np.diff(e[1:]) == pytest.approx(0.1) and e[1] == pytest.approx(0.1) and e[-1] == pytest.approx(15.5)
    assert lam.sum() * 0.1 == pytest.approx(1000.0, rel=1e-4)
    assert e[np.argmax(lam)] == pytest.approx(6.5)
    e, best = b8_table("bahcall1996")  # normalised to 1 over E in MeV
    assert np.trapezoid(best, e) == pytest.approx(1.0, rel=1e-4)
    # the default shape is the table itself at its nodes, zero beyond its end point
    e, lam = b8_table("winter2006")
    np.testing.assert_array_equal(b8_shape(e), lam)
    assert b8_shape(np.array([15.6, 17.0])).tolist() == [0.0, 0.0]
    assert B8_SPECTRA[0] == "winter2006" and SolarSource().b8_spectrum == "winter2006"


def test_unknown_b8_spectrum_names_the_choices():
    with pytest.raises(UnknownNameError, match="winter2006"):
        SolarSource(b8_spectrum="winter")
    with pytest.raises(UnknownNameError, match="bahcall1996"):
        b8_table("nope")


def test_interpolation_at_released_energies_is_exact():
    from cevns.experiments.xenonnt import MONO_ENERGIES_KEV, interpolate_templates, recoil_grid_kev

    rng = np.random.default_rng(1)
    tpl = rng.uniform(size=(len(MONO_ENERGIES_KEV), 2, 81))
    t, _ = recoil_grid_kev()
    out = interpolate_templates(MONO_ENERGIES_KEV, tpl, t)
    for k, e in enumerate(MONO_ENERGIES_KEV):
        i = int(np.argmin(np.abs(t - e)))
        assert np.array_equal(out[i], tpl[k])


def _xenon_root():
    from cevns.data import release_folder

    try:
        import h5py  # noqa: F401
    except ImportError:
        pytest.skip("h5py not installed")
    folder = release_folder("xenonnt-8b")
    if not (folder / "SHA256SUMS").is_file():
        pytest.skip("xenonnt-8b release not found in $CEVNS_DATA_DIR")
    return folder.parent


@pytest.fixture(scope="module")
def xenon_setup():
    from cevns.experiments import build_experiment
    from cevns.recipes import RECIPES

    return build_experiment("xenonnt-sr0-sr1", RECIPES["xenonnt2024"], _xenon_root())


def test_response_at_nodes_is_the_released_template(xenon_setup):
    from cevns.experiments.xenonnt import LIVETIMES_T_YR, mono_file, read_template

    t = xenon_setup.extras.recoil_kev
    for e, (i, j) in ((2.0, (3, 3)), (0.7, (0, 6))):
        k = int(np.argmin(np.abs(t - e)))
        hist, _ = read_template(mono_file("sr1", e, i - 3.0, j - 3.0), _xenon_root())
        got = xenon_setup.extras.response[i, j, k, 81:]
        np.testing.assert_array_equal(got, LIVETIMES_T_YR["sr1"] * hist.ravel())


def test_delta_spectrum_folds_to_the_template(xenon_setup):
    from cevns.likelihood.morph import FoldedPart

    resp = xenon_setup.extras.response
    k = 60
    delta = np.zeros((1, 1, resp.shape[2]))
    delta[0, 0, k] = 1.0
    vals = FoldedPart((0, 1), delta, resp).rows(slice(None)).values
    np.testing.assert_array_equal(vals[0, :, :, 0], resp[:, :, k])


def test_reproduces_prl133_counts(xenon_setup):
    bkg = sum(c.counts.sum() for c in xenon_setup.backgrounds.values())
    assert bkg == pytest.approx(26.4, abs=0.15)  # PRL 133: 26.4 (+1.4 -1.3)
    assert xenon_setup.observed.sum() == 37


def test_missing_template_names_file_and_doi(tmp_path):
    from cevns.data import DataError
    from cevns.experiments.xenonnt import read_binning

    (tmp_path / "xenonnt-8b").mkdir()
    with pytest.raises(DataError) as exc:
        read_binning("sr0", tmp_path)
    assert "binning/sr0.yaml" in str(exc.value) and "10.5281/zenodo.20576156" in str(exc.value)


def _old_nsi_q2(model_terms_grid, values, cpl):
    """The nsi weak charges before eps_tautau (e and mu flavours only), written out."""
    out = {}
    for ik in model_terms_grid.isotopes:
        z, n = ik.isotope.z, ik.isotope.n
        fp, fn = ik.f_proton[None, :], ik.f_neutron[None, :]
        for f, a, others in (("nu_e", "e", ("emu", "etau")), ("nu_mu", "mu", ("emu", "mutau"))):
            gp, gn = cpl[f]
            eu, ed = values[f"eps_{a}{a}_u"][:, None], values[f"eps_{a}{a}_d"][:, None]
            q2 = ((gp + 2 * eu + ed) * z * fp + (gn + eu + 2 * ed) * n * fn) ** 2
            for pair in others:
                eu, ed = values[f"eps_{pair}_u"][:, None], values[f"eps_{pair}_d"][:, None]
                q2 = q2 + ((2 * eu + ed) * z * fp + (eu + 2 * ed) * n * fn) ** 2
            out[(ik.isotope.name, f)] = q2
    return out


def test_nsi_tau_couplings_reduce_to_the_old_model_at_zero(xenon_setup):
    from cevns.models import get_model
    from cevns.models.base import couplings_for

    model = get_model("nsi")
    assert {"eps_tautau_u", "eps_tautau_d"} <= set(model.parameters)
    assert model.parameters["eps_tautau_u"].default == 0.0
    grid = xenon_setup.cevns.grid
    vals = {k: np.array([0.0, 0.1]) if k in ("eps_ee_u", "eps_emu_d", "eps_mutau_u") else np.zeros(2)
            for k in model.parameters}
    raw = model.terms_unnormalised(grid, vals)
    old = _old_nsi_q2(grid, vals, couplings_for(grid))
    for (iso, f), q2 in old.items():
        np.testing.assert_allclose(raw[("vector", iso, f)], q2, rtol=1e-13)
    # eps_tautau acts on nu_tau only; emu/etau/mutau reach nu_tau through etau and mutau
    tau = dict(vals, eps_tautau_u=np.array([0.0, 0.2]))
    raw_tau = model.terms_unnormalised(grid, tau)
    for key, q2 in raw.items():
        np.testing.assert_allclose(raw_tau[key][0], q2[0], rtol=1e-13)
        assert np.allclose(raw_tau[key][1], q2[1], rtol=1e-13) == (key[2] != "nu_tau")
    iso = grid.isotopes[0].isotope.name
    etau = dict(vals, eps_etau_u=np.array([0.0, 0.2]))
    raw_etau = model.terms_unnormalised(grid, etau)
    for f in ("nu_e", "nu_tau"):
        assert np.all(raw_etau[("vector", iso, f)][1] > raw[("vector", iso, f)][1])
    np.testing.assert_allclose(raw_etau[("vector", iso, "nu_mu")], raw[("vector", iso, "nu_mu")], rtol=1e-13)


def test_joint_fit_is_the_sum_of_its_parts(xenon_setup, data_root):
    from cevns.api import _analysis

    values = {"flux_8b": np.array([3.0, 5.46, 8.0])}
    joint = _analysis(["csi-2021", "lar-2020", "xenonnt-sr0-sr1"], "atzori2022", None, None).releasing(["flux_8b"])
    coh = _analysis(["csi-2021", "lar-2020"], "atzori2022", None, None)
    xe = _analysis(["xenonnt-sr0-sr1"], "atzori2022", None, None).releasing(["flux_8b"])
    chi2_joint, _ = joint.evaluate(values)
    chi2_coh, _ = coh.evaluate({})
    chi2_xe, _ = xe.evaluate(values)
    np.testing.assert_allclose(chi2_joint, chi2_coh[0] + chi2_xe, rtol=1e-10)


def test_data_check_verifies_xenonnt_when_present(tmp_path):
    import os

    from cevns.data import check_all

    first, second = tmp_path / "coherent", tmp_path / "more"
    first.mkdir()
    second.mkdir()
    root = f"{first}{os.pathsep}{second}"
    report = check_all(root)
    assert "xenonnt-8b" not in report["releases"] and report["data_dirs"] == [str(first), str(second)]
    (second / "xenonnt-8b" / "data").mkdir(parents=True)
    (second / "xenonnt-8b" / "data" / "sr0.csv").write_text("altered\n")
    info = check_all(root)["releases"]["xenonnt-8b"]
    assert info["status"] == "incomplete" and info["folder"] == str(second / "xenonnt-8b")
    assert {"file": "data/sr0.csv", "path": str(second / "xenonnt-8b" / "data" / "sr0.csv"),
            "status": "altered"} in info["problems"]


@pytest.fixture(scope="module")
def xenon_lk_terms(xenon_setup):
    from cevns.api import _analysis

    an = _analysis(["xenonnt-sr0-sr1"], "xenonnt2024", None, None)

    def terms(cevns):
        return an.model.terms(cevns.grid, {})

    return an.likelihoods[0], terms


def test_extra_recoil_signal_folds_through_the_same_response(xenon_lk_terms):
    """The 8B recoil spectrum given as the extra nuclear-recoil signal folds to the 8B CEvNS
    component at every light-/charge-yield node."""
    from cevns.likelihood.xenonnt import RECOIL_SIGNAL

    lk, terms = xenon_lk_terms
    rec = lk.extra["recoil"]
    by_f = rec.energy_counts_from_terms(terms(rec))
    counts = sum(np.atleast_2d(by_f[f]) for f in rec.flavours)[0]
    prep = lk.prepare_with_recoil_signal(terms, counts / lk.extra["recoil_weights_kev"])
    extra = prep["comps"][RECOIL_SIGNAL].parts[0].rows(slice(None)).values
    cevns = prep["comps"]["cevns"].parts[0].rows(slice(None)).values
    np.testing.assert_allclose(extra, cevns, rtol=1e-12)
    assert prep["points"] == 1


def test_pseudo_experiment_path_equals_the_profile(xenon_lk_terms):
    """prepare_points / profile_observed (toys, FC) on the folded XENONnT signal give the chi2 of profile()."""
    lk, terms = xenon_lk_terms
    prep = lk.prepare_points(terms)
    assert prep["points"] == 1
    ref, _ = lk.profile(terms)
    np.testing.assert_allclose(lk.profile_observed(prep, lk.observed)[0], ref, rtol=1e-8)


def test_zero_extra_recoil_signal_leaves_the_chi2_unchanged(xenon_lk_terms):
    lk, terms = xenon_lk_terms
    prep = lk.prepare_with_recoil_signal(terms, np.zeros((2, lk.extra["recoil_kev"].size)))
    chi2 = lk.profile_observed(prep, lk.observed)
    ref, _ = lk.profile(terms)
    np.testing.assert_allclose(chi2[0], ref[0], rtol=1e-8)


def test_extra_recoil_signal_of_the_wrong_shape_names_the_recoil_nodes(xenon_lk_terms):
    from cevns.errors import ParameterError

    lk, terms = xenon_lk_terms
    with pytest.raises(ParameterError, match="recoil_kev"):
        lk.prepare_with_recoil_signal(terms, np.ones(10))
    with pytest.raises(ParameterError, match="non-negative"):
        lk.prepare_with_recoil_signal(terms, -np.ones(lk.extra["recoil_kev"].size))


def test_docs_recoil_spectrum_example_runs_and_prints_what_the_docs_say(capsys):
    """The worked example of docs/xenonnt.md (folding an own recoil spectrum) is run as written."""
    import re
    from pathlib import Path

    _xenon_root()
    text = (Path(__file__).resolve().parents[1] / "docs" / "xenonnt.md").read_text()
    block = re.search(r"Any nuclear-recoil spectrum folds.*?```python\n(.*?)```", text, re.S)
    assert block, "the example block of docs/xenonnt.md moved; update this test"
    claimed = re.search(r"`\[0\. ([0-9.]+) ([0-9.]+)\]`", text)
    exec(compile(block.group(1), "docs/xenonnt.md", "exec"), {})
    printed = [float(x) for x in capsys.readouterr().out.strip().strip("[]").split()]
    assert printed[0] == 0.0
    np.testing.assert_allclose(printed[1:], [float(claimed.group(1)), float(claimed.group(2))], atol=0.006)
