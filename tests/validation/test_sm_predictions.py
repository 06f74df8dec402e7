"""Validation against the collaboration's published numbers (issue #2; docs/validation.md).

Tolerances are the issue's: LAr total 5 % and per-bin shape 10 % (bins with > 5 % of the
signal), CsI 2021 7 %, CsI 2017 10 %, timing a few percent per 0.5-us bin.
"""

from __future__ import annotations

import numpy as np
import pytest

from cevns import data as data_mod
from cevns.experiments import REFERENCE_PREDICTIONS, build_experiment, csi2017, csi2021, lar2020
from cevns.physics.couplings import sm_couplings
from cevns.recipes import RECIPES, get_recipe
from cevns.sources import SOURCES
from cevns.sources import STOPPED_PION_FLAVOURS as FLAVOURS
from cevns.sources.timing import binned_fractions


def sm_counts(setup, recipe):
    q = setup.cevns.sm_weak_charges(sm_couplings(FLAVOURS, recipe.couplings, recipe.sin2_theta_w))
    return setup.cevns.counts(q)


@pytest.fixture(scope="module")
def lar(data_root):
    rec = get_recipe("atzori2022")
    setup = lar2020.build(rec, data_root)
    return setup, sm_counts(setup, rec)


def test_lar_total_within_5_percent_of_release(lar):
    setup, counts = lar
    released = setup.extras.released_cevns_3d
    assert released.sum() == pytest.approx(128.0, rel=1e-6)
    assert counts.sum() == pytest.approx(128.0, rel=0.05)


@pytest.mark.parametrize("axis_name", ["energy", "time"])
def test_lar_shape_within_10_percent_in_significant_bins(lar, axis_name):
    setup, counts = lar
    released = setup.extras.released_cevns_3d  # (E, F90, t)
    ours = counts.sum(axis=1) if axis_name == "energy" else counts.sum(axis=0)
    ref = released.sum(axis=(1, 2)) if axis_name == "energy" else released.sum(axis=(0, 1))
    ours_shape, ref_shape = ours / ours.sum(), ref / ref.sum()
    significant = ref_shape > 0.05
    assert significant.sum() >= 2
    np.testing.assert_allclose(ours_shape[significant], ref_shape[significant], rtol=0.10)


@pytest.mark.parametrize("recipe_name", list(RECIPES))
def test_csi2021_within_7_percent_of_341(data_root, recipe_name):
    rec = get_recipe(recipe_name)
    counts = sm_counts(csi2021.build(rec, data_root), rec)
    assert counts.sum() == pytest.approx(REFERENCE_PREDICTIONS["csi-2021"][0], rel=0.07)


def test_csi2021_physical_time_normalisation_is_the_documented_finding(data_root):
    """With the true in-window fraction (no renormalisation to 0-6 us) the prediction is
    lower by exactly the in-window arrival probability of each flavour: 317 events, 7 %
    below 341 (docs/validation.md). This pins the size of the convention effect."""
    rec = get_recipe("atzori2022")
    win = sm_counts(csi2021.build(rec, data_root), rec)
    phys_rec = rec.with_options(time_normalisation="physical")
    phys_setup = csi2021.build(phys_rec, data_root)
    phys = sm_counts(phys_setup, phys_rec)
    pulse = SOURCES["csi-2021"].pulse
    q = phys_setup.cevns.sm_weak_charges(sm_couplings(FLAVOURS, rec.couplings))
    by_f = phys_setup.cevns.counts_by_flavour(q)
    in_window = {f: binned_fractions(f, np.array([0.0, 6.0]), pulse)[0] for f in FLAVOURS}
    assert win.sum() == pytest.approx(sum(by_f[f].sum() / in_window[f] for f in FLAVOURS), rel=1e-9)
    assert 0.90 < phys.sum() / win.sum() < 0.95


def test_csi2021_observed_and_background_counts(data_root):
    setup = csi2021.build(get_recipe(None), data_root)
    assert setup.observed.sum() == 1578  # README: 1578 events with PE < 60, t < 6 us
    assert setup.backgrounds["ss"].counts.sum() == pytest.approx(1295, rel=1e-12)  # smooth SS keeps the AC total
    # released t_rec PDFs normalised to counts over all PE; 18.45 BRN and 5.67 NIN in
    # PE < 60 before the time efficiency, reduced by it to 18.3 and 5.2
    assert setup.backgrounds["brn"].counts.sum() == pytest.approx(18.31, abs=0.05)
    assert setup.backgrounds["nin"].counts.sum() == pytest.approx(5.18, abs=0.05)


def test_csi2017_within_10_percent_of_173(data_root):
    rec = get_recipe("banerjee2021")
    counts = sm_counts(csi2017.build(rec, data_root), rec)
    assert counts.sum() == pytest.approx(173.0, rel=0.10)


@pytest.mark.parametrize(
    ("file_name", "flavour"),
    [("arrivalTimePDF_promptNeutrinos.txt", "nu_mu"), ("arrivalTimePDF_delayedNeutrinos.txt", "nu_e")],
)
def test_timing_model_reproduces_csi2017_arrival_pdfs(data_root, file_name, flavour):
    """Gaussian pulse x pi/mu decay chain against the release's 0.5-us arrival PDFs:
    every bin holding more than 1 % of the arrivals agrees to 3 %."""
    released = data_mod.load_table("csi-2017", file_name, 2, data_root)
    ours = binned_fractions(flavour, csi2017.TIME_EDGES_US, SOURCES["csi-2017"].pulse)
    ours = ours / ours.sum()  # the released PDFs are normalised in 0-12 us
    significant = released[:, 1] > 0.01
    np.testing.assert_allclose(ours[significant], released[significant, 1], rtol=0.03)


def test_every_experiment_builds_for_every_recipe(data_root):
    for name in REFERENCE_PREDICTIONS:
        for rec in RECIPES.values():
            setup = build_experiment(name, rec, data_root)
            counts = sm_counts(setup, rec)
            assert counts.shape == setup.observed.shape
            assert np.all(counts >= 0)


def test_lar_3d_prediction_spreads_energy_bins_with_released_f90(data_root, monkeypatch):
    """predict's 12 x 8 x 10 LAr array: sums to the 2D prediction and, in each energy bin
    where the release has CEvNS, has the released CEvNS F90 distribution."""
    from cevns import api

    monkeypatch.setenv("CEVNS_DATA_DIR", str(data_root))
    res = api.predict("lar-2020")
    b3 = np.asarray(res["bins_3d"]["cevns"])
    b2 = np.asarray(res["bins"]["cevns"])
    assert b3.shape == (12, 8, 10)
    np.testing.assert_allclose(b3.sum(axis=1), b2, rtol=1e-12)
    released = lar2020.load_pdf3d("cevnspdf.txt", data_root).sum(axis=2)  # (E, F90)
    for e in range(4):  # energy bins holding the signal
        ours = b3[e].sum(axis=1)
        np.testing.assert_allclose(ours / ours.sum(), released[e] / released[e].sum(), rtol=1e-9)
