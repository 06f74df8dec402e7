"""Detector files (issue #13): validation errors, exposure scaling, threshold monotonicity,
facility presets and the closure of the CsI 2021 / LAr 2020 releases written as files."""

from __future__ import annotations

import tomllib
from importlib import resources

import numpy as np
import pytest

from cevns.projections import DetectorFileError, build_detector_setup, detector_from_mapping, detector_presets, load_detector
from cevns.recipes import get_recipe
from cevns.sources import FACILITIES, BoxPulse, BoxPulseTiming, get_facility

RECIPE = get_recipe("atzori2022")


def sm_total(setup) -> float:
    c = setup.cevns
    return float(c.counts(c.sm_weak_charges(c.sm.couplings)).sum())


def preset_raw(name: str) -> dict:
    return tomllib.loads((resources.files("cevns") / "detectors_data" / f"{name}.toml").read_text())


def test_presets_present():
    for name in ("ccm", "ccm-realistic", "coh-cryo-csi-1", "coh-cryo-csi-2", "ess-csi", "coherent-ge", "nai-tonne"):
        assert name in detector_presets()
    for name in ("sns", "sns-2mw", "sns-2p8mw", "lujan", "ess"):
        assert name in FACILITIES and FACILITIES[name].citation


def test_facility_pot_follows_power_over_energy():
    # N_POT = t P / E_p (seed 003); Lujan: 3e22 POT in 3 x 5000 h (seed 000 sec. III)
    assert get_facility("lujan").pot(3.0) == pytest.approx(3e22, rel=1e-9)
    sns2, sns28 = get_facility("sns-2mw"), get_facility("sns-2p8mw")
    assert sns28.pot_per_year / sns2.pot_per_year == pytest.approx(1.4)
    ess = get_facility("ess")
    assert ess.pot_per_year == pytest.approx(5e6 / (2e9 * 1.602176634e-19) * 5000 * 3600)


def test_box_pulse_timing_is_a_distribution():
    t = BoxPulseTiming(BoxPulse(0.0, 2860.0))
    edges = np.array([-10.0, 0.0, 1000.0, 2860.0, 3000.0, 1e5])
    for f in ("nu_e", "nu_mu", "nu_mu_bar"):
        fr = t.binned_fractions(f, edges)
        assert fr.sum() == pytest.approx(1.0, abs=1e-9) and fr[0] == pytest.approx(0.0, abs=1e-12)
    # a 2.86 ms pulse: prompt and delayed nearly indistinguishable in 1 ms bins
    assert t.binned_fractions("nu_mu", edges)[1] == pytest.approx(t.binned_fractions("nu_e", edges)[1], rel=0.01)


@pytest.mark.parametrize("name", ["ccm", "coh-cryo-csi-1", "ess-csi", "coherent-ge", "nai-tonne", "ccm-realistic"])
def test_exposure_scaling(name):
    """Twice the POT, twice the CEvNS counts and twice each background."""
    spec = load_detector(name)
    one = build_detector_setup(spec, RECIPE, years=1.0)
    two = build_detector_setup(spec, RECIPE, years=2.0)
    assert two.extras.pot == pytest.approx(2 * one.extras.pot)
    assert sm_total(two) == pytest.approx(2 * sm_total(one), rel=1e-10)
    for k in one.backgrounds:
        assert two.backgrounds[k].counts.sum() == pytest.approx(2 * one.backgrounds[k].counts.sum())
    pot = build_detector_setup(spec, RECIPE, pot=2 * one.extras.pot)
    assert sm_total(pot) == pytest.approx(sm_total(two), rel=1e-10)


def test_threshold_monotonicity():
    """Raising the threshold never adds events; the CCM count falls steeply with it."""
    from dataclasses import replace

    spec = load_detector("ccm")
    totals = []
    for thr in (5.0, 15.0, 25.0, 40.0, 60.0):
        edges = tuple(np.linspace(thr, 150.0, 26))
        s = replace(spec, energy_edges=edges, response=replace(spec.response, threshold=thr))
        totals.append(sm_total(build_detector_setup(s, RECIPE)))
    assert all(a > b for a, b in zip(totals[:-1], totals[1:], strict=True))


def test_smeared_threshold_monotonicity():
    from dataclasses import replace

    spec = load_detector("ccm-realistic")
    totals = [sm_total(build_detector_setup(replace(spec, response=replace(spec.response, threshold=t)), RECIPE))
              for t in (5.0, 10.0, 20.0)]
    assert totals[0] > totals[1] > totals[2]


@pytest.mark.parametrize("mutate, match", [
    (lambda r: r.update(colour="red"), r"unknown key 'colour'.*valid keys: name"),
    (lambda r: r["source"].pop("years"), "exactly one of source.pot or source.years"),
    (lambda r: r["source"].update(facility="isis"), "unknown facility 'isis'.*lujan"),
    (lambda r: r["target"].update(composition={"Xe999": 1}), "unknown isotope 'Xe999'"),
    (lambda r: r["response"].update(energy_unit="MeVee"), "energy_unit 'MeVee'; choose one of keVnr, keVee, PE"),
    (lambda r: r["response"].update(quenching={"model": "linear", "a": 0.2}), "needs b_per_kev"),
    (lambda r: r["response"].update(quenching={"model": "birks"}), "unknown response.quenching model 'birks'"),
    (lambda r: r["binning"].update(energy_edges=[30.0, 25.0]), "must increase strictly"),
    (lambda r: r.update(backgrounds={"ss": {"events": 10.0, "time": "late"}}), "choose one of flat, prompt, delayed"),
    (lambda r: r.update(backgrounds={"ss": {"events": 10.0, "energy": [1.0, 2.0]}}), "needs 19 per-bin weights"),
    (lambda r: r.update(backgrounds={"ss": {"rate": 10.0}}), "unknown key 'rate'"),
    (lambda r: r["source"].update(baseline_m=-1.0), "baseline_m must be > 0"),
])
def test_validation_errors_name_file_line_and_fix(mutate, match):
    raw = preset_raw("ccm")
    mutate(raw)
    with pytest.raises(DetectorFileError, match=match) as exc:
        detector_from_mapping(raw, "", "my-detector.toml")
    assert "my-detector.toml" in str(exc.value)


def test_validation_error_line_number(tmp_path):
    text = (resources.files("cevns") / "detectors_data" / "ccm.toml").read_text()
    text = text.replace('energy_unit = "PE"', 'energy_unit = "keV"')
    p = tmp_path / "bad.toml"
    p.write_text(text)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith("energy_unit"))
    with pytest.raises(DetectorFileError, match=rf"bad.toml:{line}: energy_unit 'keV'"):
        load_detector(str(p))


def test_unknown_detector_names_presets():
    with pytest.raises(ValueError, match="ccm.*coh-cryo-csi-1"):
        load_detector("no-such-detector")


@pytest.mark.parametrize("name, experiment", [("closure-csi-2021", "csi-2021"), ("closure-lar-2020", "lar-2020")])
def test_closure_sm_prediction(data_root, name, experiment):
    """The releases written as detector files (no release file read) give the release's SM
    prediction within 5 % in total (issue #13; in practice within 0.1 %) and per energy bin."""
    from cevns.experiments import build_experiment

    from_file = build_detector_setup(name, RECIPE)
    release = build_experiment(experiment, RECIPE, data_root)
    a, b = sm_total(from_file), sm_total(release)
    assert a == pytest.approx(b, rel=0.05)
    assert a == pytest.approx(b, rel=0.002)
    ca = from_file.cevns.counts(from_file.cevns.sm_weak_charges(from_file.cevns.sm.couplings)).sum(axis=1)
    cb = release.cevns.counts(release.cevns.sm_weak_charges(release.cevns.sm.couplings)).sum(axis=1)
    big = cb > 1.0
    np.testing.assert_allclose(ca[big], cb[big], rtol=0.01)
    for k, comp in release.backgrounds.items():
        np.testing.assert_allclose(from_file.backgrounds[k].counts, comp.counts, rtol=1e-4, atol=1e-6)
