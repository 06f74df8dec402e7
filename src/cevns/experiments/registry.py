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

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points

ENTRY_POINT_GROUP = "cevns.experiments"


@dataclass(frozen=True)
class ExperimentEntry:
    """A registered experiment: its builder ``(recipe, root) -> ExperimentSetup`` and the
    published SM prediction it is validated against (value, source), if any."""

    name: str
    builder: Callable
    reference_prediction: tuple[float, str] | None = None


class ExperimentRegistry(Mapping):
    """Name -> :class:`ExperimentEntry` (read like a dict); entry points load on first miss."""

    def __init__(self) -> None:
        self._entries: dict[str, ExperimentEntry] = {}
        self._entry_points_loaded = False

    def add(self, entry: ExperimentEntry, replace: bool = False) -> None:
        if entry.name in self._entries and not replace:
            raise ValueError(f"experiment {entry.name!r} is already registered; pass replace=True to override it")
        self._entries[entry.name] = entry

    def remove(self, name: str) -> None:
        self._entries.pop(name, None)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            ep.load()  # importing the module registers its experiments

    def __getitem__(self, name: str) -> ExperimentEntry:
        if name not in self._entries:
            self._load_entry_points()
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        self._load_entry_points()
        return iter(self._entries)

    def __len__(self) -> int:
        self._load_entry_points()
        return len(self._entries)


#: every registered experiment
EXPERIMENTS = ExperimentRegistry()


def register_experiment(name: str, reference_prediction: tuple[float, str] | None = None, replace: bool = False):
    """Decorator for a builder ``build(recipe, root=None) -> ExperimentSetup``: registers it as ``name``."""

    def wrap(builder: Callable) -> Callable:
        EXPERIMENTS.add(ExperimentEntry(name, builder, reference_prediction), replace=replace)
        return builder

    return wrap
