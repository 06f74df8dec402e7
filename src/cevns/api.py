"""Python API: every CLI command is one of these functions returning plain data.

Example
-------
>>> import cevns.api as api
>>> result = api.predict("csi-2021")              # doctest: +SKIP
>>> round(result["cevns_total"])                  # doctest: +SKIP
340
"""

from __future__ import annotations

import platform
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import __version__
from . import data as data_mod
from .couplings import FLAVOURS, sm_couplings
from .experiments import REFERENCE_PREDICTIONS, build_experiment, experiment_names
from .experiments.common import ExperimentSetup
from .recipes import RECIPES, get_recipe


def provenance(recipe_name: str, setup: ExperimentSetup | None = None) -> dict:
    """Package version, recipe, data-file hashes and data directory of a result."""
    out = {
        "cevns_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "recipe": recipe_name,
        "data_dir": str(data_mod.data_dir()),
    }
    if setup is not None:
        out["data_files_sha256"] = dict(setup.data_files)
    return out


@lru_cache(maxsize=32)
def _setup_cached(experiment: str, recipe_name: str, data_dir: str) -> ExperimentSetup:
    return build_experiment(experiment, get_recipe(recipe_name), Path(data_dir))


def load_setup(experiment: str, recipe: str | None = None) -> ExperimentSetup:
    """Build (once per process, cached) the setup of ``experiment`` under ``recipe``."""
    rec = get_recipe(recipe)
    if experiment not in experiment_names():
        raise ValueError(f"unknown experiment {experiment!r}; choose one of {', '.join(experiment_names())}")
    return _setup_cached(experiment, rec.name, str(data_mod.data_dir()))


def predict(experiment: str, recipe: str | None = None) -> dict:
    """Standard-Model prediction for one experiment.

    Returns a JSON-ready dict with ``experiment``, ``recipe``, ``cevns_total`` (expected
    CEvNS events in the analysis window after all efficiencies), ``cevns_by_flavor``,
    ``backgrounds`` (totals), ``observed_total``, ``bins`` (edges and per-bin arrays)
    and ``provenance``.
    """
    rec = get_recipe(recipe)
    setup = load_setup(experiment, rec.name)
    q = setup.cevns.sm_weak_charges(sm_couplings(rec.couplings, rec.sin2_theta_w))
    by_flavour = setup.cevns.counts_by_flavour(q)
    total = sum(by_flavour[f] for f in FLAVOURS)
    ref_value, ref_source = REFERENCE_PREDICTIONS[experiment]
    return {
        "experiment": experiment,
        "recipe": rec.name,
        "cevns_total": float(total.sum()),
        "cevns_by_flavor": {f: float(by_flavour[f].sum()) for f in FLAVOURS},
        "backgrounds": {k: float(c.counts.sum()) for k, c in setup.backgrounds.items()},
        "observed_total": float(setup.observed.sum()),
        "reference": {"cevns_total": ref_value, "source": ref_source},
        "bins": {
            "energy_unit": setup.energy_label,
            "energy_edges": setup.cevns.energy_edges.tolist(),
            "time_edges_us": setup.cevns.time_edges_us.tolist(),
            "cevns": total.tolist(),
            "observed": setup.observed.tolist(),
            "backgrounds": {k: c.counts.tolist() for k, c in setup.backgrounds.items()},
        },
        "provenance": provenance(rec.name, setup),
    }


def data_check() -> dict:
    """Which releases are present and verified in the data directory."""
    releases = {}
    for rel in data_mod.release_names():
        statuses = data_mod.check_release(rel)
        bad = [s for s in statuses if s.status != "ok"]
        releases[rel] = {
            "status": "ok" if not bad else ("missing" if all(s.status == "missing" for s in statuses) else "incomplete"),
            "files_ok": sum(s.status == "ok" for s in statuses),
            "files_total": len(statuses),
            "problems": [{"file": s.name, "path": s.path, "status": s.status} for s in bad],
            "published_at": data_mod.RELEASES[rel]["published_at"],
        }
    return {"data_dir": str(data_mod.data_dir()), "env_var": data_mod.ENV_VAR, "releases": releases}


def recipes() -> dict:
    """All recipe presets with their choices and sources."""
    return {name: r.to_dict() for name, r in RECIPES.items()}
