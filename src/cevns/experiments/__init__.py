"""One module per data release; builders register by name (:mod:`.registry`).

:func:`build_experiment` dispatches by name. Every module of this package is imported here,
so a new release module registers itself by being placed in the folder.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from pathlib import Path

from ..errors import UnknownNameError
from ..recipes import Recipe
from .common import Component, ExperimentSetup
from .registry import EXPERIMENTS, ExperimentEntry, register_experiment


def experiment_names() -> list[str]:
    """Registered experiments (``csi-2017``, ``csi-2021``, ``lar-2020`` and any plug-ins)."""
    return list(EXPERIMENTS)


def build_experiment(name: str, recipe: Recipe, root: Path | None = None) -> ExperimentSetup:
    """Build the named experiment for ``recipe`` (data from ``root`` or the data directory)."""
    try:
        entry = EXPERIMENTS[name]
    except KeyError:
        raise UnknownNameError(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}") from None
    return entry.builder(recipe, root)


class _ReferencePredictions(Mapping):
    """Published SM predictions each experiment is validated against (docs/validation.md)."""

    def __getitem__(self, name: str) -> tuple[float, str]:
        ref = EXPERIMENTS[name].reference_prediction
        if ref is None:
            raise KeyError(name)
        return ref

    def __iter__(self) -> Iterator[str]:
        return (n for n in EXPERIMENTS if EXPERIMENTS[n].reference_prediction is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Builders(Mapping):
    def __getitem__(self, name: str):
        return EXPERIMENTS[name].builder

    def __iter__(self) -> Iterator[str]:
        return iter(EXPERIMENTS)

    def __len__(self) -> int:
        return len(EXPERIMENTS)


REFERENCE_PREDICTIONS = _ReferencePredictions()
BUILDERS = _Builders()

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name not in ("common", "registry"):
        importlib.import_module(f"{__name__}.{_mod.name}")

from . import csi2017, csi2021, lar2020  # noqa: E402  (registered above; named for `from cevns.experiments import csi2021`)

__all__ = ["BUILDERS", "Component", "EXPERIMENTS", "ExperimentEntry", "ExperimentSetup", "REFERENCE_PREDICTIONS",
           "build_experiment", "csi2017", "csi2021", "experiment_names", "lar2020", "register_experiment"]
