"""Experiment registry: builders register by name with a decorator; plug-ins through entry points.

An experiment is one module: its builder, decorated with :func:`register_experiment`,
reads and verifies its release's files (listed with their SHA-256 in
:mod:`cevns._registry`, the data entry) and returns an
:class:`~cevns.experiments.common.ExperimentSetup`; the same module registers its
likelihood structures with :func:`cevns.likelihood.register_likelihood`. Modules placed in
the ``cevns.experiments`` package are imported (and so registered) automatically; a package
outside cevns names its modules in the entry-point group ``cevns.experiments``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..plugins import PluginRegistry

ENTRY_POINT_GROUP = "cevns.experiments"


@dataclass(frozen=True)
class ExperimentEntry:
    """A registered experiment: its builder ``(recipe, root) -> ExperimentSetup`` and the
    published SM prediction it is validated against (value, source), if any."""

    name: str
    builder: Callable
    reference_prediction: tuple[float, str] | None = None


class ExperimentRegistry(PluginRegistry):
    """Name -> :class:`ExperimentEntry` (read like a dict); an entry point names a module whose
    import registers its experiments."""

    def __init__(self) -> None:
        super().__init__(ENTRY_POINT_GROUP, "experiment")

    def load_entry_point(self, entry_point) -> None:
        entry_point.load()  # importing the module registers its experiments


#: every registered experiment
EXPERIMENTS = ExperimentRegistry()


def register_experiment(name: str, reference_prediction: tuple[float, str] | None = None, replace: bool = False):
    """Decorator for a builder ``build(recipe, root=None) -> ExperimentSetup``: registers it as ``name``."""

    def wrap(builder: Callable) -> Callable:
        EXPERIMENTS.add(name, ExperimentEntry(name, builder, reference_prediction), replace=replace)
        return builder

    return wrap
