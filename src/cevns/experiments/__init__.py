"""One module per COHERENT data release; :func:`build_experiment` dispatches by name."""

from __future__ import annotations

from pathlib import Path

from ..errors import UnknownNameError
from ..recipes import Recipe
from . import csi2017, csi2021, lar2020
from .common import Component, ExperimentSetup

BUILDERS = {"csi-2017": csi2017.build, "csi-2021": csi2021.build, "lar-2020": lar2020.build}

#: Published SM predictions each release is validated against (see docs/validation.md).
REFERENCE_PREDICTIONS = {
    "csi-2017": (173.0, "COHERENT Science 357 (2017) 1123, quoted in seed 000 sec. II.B"),
    "csi-2021": (341.0, "COHERENT PRL 129 (2022) 081801"),
    "lar-2020": (128.0, "LArParametersAnlA.yaml cevnsPredictionNormalization (sum of cevnspdf.txt)"),
}


def experiment_names() -> list[str]:
    """Known experiments: ``csi-2017``, ``csi-2021``, ``lar-2020``."""
    return list(BUILDERS)


def build_experiment(name: str, recipe: Recipe, root: Path | None = None) -> ExperimentSetup:
    """Build the named experiment for ``recipe`` (data from ``root`` or the data directory)."""
    try:
        builder = BUILDERS[name]
    except KeyError:
        raise UnknownNameError(f"unknown experiment {name!r}; choose one of {', '.join(BUILDERS)}") from None
    return builder(recipe, root)


__all__ = ["BUILDERS", "Component", "ExperimentSetup", "REFERENCE_PREDICTIONS", "build_experiment", "experiment_names"]
