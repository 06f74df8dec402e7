"""Plots a physicist can put in a talk (issue #11 item 7): symbols and units on the axes,
frames fitted to the curves, published curves overlaid, the curves drawn as JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cevns.errors import ParameterError
from cevns.models import get_model
from cevns.results.plotting import param_label, plot_exclusions, plot_profile, read_curve_csv


@pytest.mark.parametrize("model, param, label", [
    ("sm", "sin2_theta_w", r"$\sin^2\theta_W$"),
    ("magnetic-moment", "mu_nu_e", r"$\mu_{\nu_e}$ [$\mu_B$]"),
    ("universal", "g", r"$g_{Z'}$"),
    ("universal", "m_med_mev", r"$M_{Z'}$ [MeV]"),
    ("scalar", "m_med_mev", r"$M_\phi$ [MeV]"),
    ("sm", "rn_csi", r"$R_n(\mathrm{CsI})$ [fm]"),
])
def test_axis_labels_from_parameter_metadata(model, param, label):
    assert param_label(model, param) == label
    assert param_label("no-such-model", "x") == "x"


def test_every_packaged_parameter_has_a_symbol():
    from cevns.models import MODELS

    for name, cls in MODELS.items():
        for p in cls().parameters.values():
            assert p.axis_label().startswith(("$", "CEvNS")), (name, p.name, p.axis_label())


def _limit(experiments, scale):
    m = np.geomspace(0.1, 1e4, 20)
    bound = scale * np.maximum(2e-5, 2e-5 * m / 30.0)
    return {"model": "universal", "recipe": "atzori2022", "cl": "2sigma", "dof": 1, "experiments": experiments,
            "allowed_intervals": [{"mass_mev": float(a), "allowed": [[1e-7, float(b)]]} for a, b in zip(m, bound, strict=True)],
            "gm2_band": None}


def test_exclusions_fill_the_frame_and_return_the_curves(tmp_path):
    csv = tmp_path / "published.csv"
    csv.write_text("# label: COHERENT 2021\n# source: digitised by hand\nmass_mev,g\n1,3e-5\n100,1e-4\n1000,1e-3\n")
    drawn = plot_exclusions([_limit(["csi-2021"], 1.0), _limit(["lar-2020"], 1.3)], str(tmp_path / "x.png"),
                            [read_curve_csv(str(csv))])
    assert (tmp_path / "x.png").stat().st_size > 10_000
    assert drawn["xlim"] == [0.1, 1e4]
    lo, hi = drawn["ylim"]
    assert lo == pytest.approx(2e-5 / 3) and hi <= 10.0 and hi >= 1.3 * 2e-5 * 1e4 / 30
    assert [d["label"] for d in drawn["datasets"]] == ["CsI 2021", "LAr 2020"]
    assert drawn["overlays"][0]["label"] == "COHERENT 2021" and drawn["overlays"][0]["g"] == [3e-5, 1e-4, 1e-3]
    json.dumps(drawn)


def test_bad_curve_file_is_a_user_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("mass,coupling\n1,2\n")
    with pytest.raises(ParameterError, match="mass_mev,g"):
        read_curve_csv(str(bad))
    with pytest.raises(ParameterError, match="cannot read"):
        read_curve_csv(str(tmp_path / "missing.csv"))


def test_profile_plot_names_units_and_marks_the_edge(tmp_path, monkeypatch):
    import matplotlib.axes

    labels = []
    monkeypatch.setattr(matplotlib.axes.Axes, "set_xlabel", lambda self, t, *a, **k: labels.append(t))
    res = {"experiments": ["csi-2021"], "model": "magnetic-moment", "recipe": "atzori2022", "param": "mu_nu_e",
           "values": [0.0, 1e-9, 2e-9], "delta_chi2": [0.0, 1.0, 4.0], "best": 0.0, "dof": 1,
           "intervals": {"1sigma": [[0.0, 1e-9]]}, "touches_grid_edge": {"1sigma": [{"lower": True, "upper": False}]}}
    plot_profile(res, str(tmp_path / "p.png"))
    assert labels == [get_model("magnetic-moment").parameters["mu_nu_e"].axis_label()]
