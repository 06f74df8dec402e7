"""Models register by name; a model defined outside the package is one file (issue #10, item 3).

The model below lives in this test module, not in cevns: it registers with the decorator,
declares its parameters and its mediator (with its own parameter names), and then works
with every part of the package that takes a model name (analysis, scans and limits).
"""

from __future__ import annotations

import numpy as np
import pytest

from cevns.errors import UnknownNameError
from cevns.models import MODELS, Model, Parameter, get_model, register_model
from cevns.models import registry as registry_mod
from cevns.models.base import couplings_for, sm_charge

G_F = 1.1663788e-11  # MeV^-2


class ToyUniversalZprime(Model):
    """A universal Z' (seed 002 eq. 16 with unit charges), written as a user would, with its own
    parameter names ``mass_mev`` and ``coupling``."""

    mediator_params = ("mass_mev", "coupling")
    muon_charge = 1.0

    def __init__(self) -> None:
        super().__init__("toy-universal", "toy universal Z' from outside the package", "seed 002 eq. (16)", {
            "mass_mev": Parameter("mass_mev", 1e3, "MeV", "mediator mass", "user", (1e-3, 1e6)),
            "coupling": Parameter("coupling", 0.0, "", "coupling", "user", (0.0, 1.0)),
        })

    def terms_unnormalised(self, grid, v):
        cpl = couplings_for(grid)
        g2, m2 = v["coupling"][:, None] ** 2, v["mass_mev"][:, None] ** 2
        out = {}
        for ik in grid.isotopes:
            q2 = 2.0 * ik.isotope.mass_mev * ik.t_nr_mev[None, :]
            nuclear = 3 * ik.isotope.z * ik.f_proton[None, :] + 3 * ik.isotope.n * ik.f_neutron[None, :]
            shift = g2 / (np.sqrt(2.0) * G_F * (q2 + m2)) * nuclear
            for f in grid.flavours:
                q = sm_charge(ik, *cpl[f]) + shift
                out[("vector", ik.isotope.name, f)] = q * q
        return out


@pytest.fixture
def toy_registered():
    register_model(ToyUniversalZprime)
    yield "toy-universal"
    MODELS.remove("toy-universal")


def test_registration_by_decorator(toy_registered):
    assert toy_registered in MODELS
    m = get_model(toy_registered)
    assert isinstance(m, ToyUniversalZprime) and m.mediator_params == ("mass_mev", "coupling")
    with pytest.raises(ValueError, match="already registered"):
        register_model(ToyUniversalZprime)


def test_unknown_model_lists_the_registered_ones(toy_registered):
    with pytest.raises(UnknownNameError) as exc:
        get_model("no-such-model")
    assert "toy-universal" in str(exc.value) and "universal" in str(exc.value)


def test_outside_model_equals_the_packaged_universal_model(toy_registered, data_root):
    """The toy and the packaged ``universal`` model give the same chi2 at the same (M, g)."""
    from cevns.inference import make_analysis

    toy = make_analysis(["csi-2021"], "atzori2022", toy_registered)
    ref = make_analysis(["csi-2021"], "atzori2022", "universal")
    m, g = np.array([1.0, 50.0, 1e4]), np.array([1e-5, 3e-5, 1e-3])
    chi2_toy, _ = toy.evaluate({"mass_mev": m, "coupling": g})
    chi2_ref, _ = ref.evaluate({"m_med_mev": m, "g": g})
    np.testing.assert_allclose(chi2_toy, chi2_ref, rtol=1e-6)


def test_limits_use_the_declared_mediator_parameters(toy_registered, data_root):
    from cevns import api

    masses, couplings = np.geomspace(1.0, 100.0, 3), np.geomspace(1e-6, 1e-3, 12)
    toy = api.limits(toy_registered, ["csi-2021"], "atzori2022", masses=masses, couplings=couplings)
    ref = api.limits("universal", ["csi-2021"], "atzori2022", masses=masses, couplings=couplings)
    assert toy["low_mass"]["g"] == pytest.approx(ref["low_mass"]["g"], rel=1e-6)
    assert toy["gm2_band"] is not None and toy["gm2_band"]["g_low"] == ref["gm2_band"]["g_low"]


def test_entry_point_plugins_are_loaded_on_demand(monkeypatch):
    """A package outside cevns exposes models through the ``cevns.models`` entry-point group."""

    class FakeEntryPoint:
        name = "plugin-toy"

        def load(self):
            return ToyUniversalZprime

    calls = []

    def fake_entry_points(group):
        calls.append(group)
        return [FakeEntryPoint()]

    from cevns import plugins

    monkeypatch.setattr(plugins.metadata, "entry_points", fake_entry_points)
    reg = registry_mod.ModelRegistry()
    assert isinstance(reg.create("plugin-toy"), ToyUniversalZprime)
    assert calls == [registry_mod.ENTRY_POINT_GROUP]
