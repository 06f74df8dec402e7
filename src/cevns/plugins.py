"""A name -> item registry that also finds plug-ins through an entry-point group.

Used by the model and experiment registries (:mod:`cevns.models.registry`,
:mod:`cevns.experiments.registry`): items register in code; a package outside cevns
declares entry points in ``group``, loaded the first time a name is missing or the
registry is listed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import metadata
from typing import Any


class PluginRegistry(Mapping):
    """Read like a dict; ``add``/``remove`` change it; entry points of ``group`` load lazily."""

    def __init__(self, group: str, kind: str) -> None:
        self.group = group
        self.kind = kind
        self._items: dict[str, Any] = {}
        self._entry_points_loaded = False

    def add(self, name: str, item: Any, replace: bool = False) -> None:
        if not name or not isinstance(name, str):
            raise ValueError(f"a {self.kind} needs a non-empty name")
        if name in self._items and not replace:
            raise ValueError(f"{self.kind} {name!r} is already registered; pass replace=True to override it")
        self._items[name] = item

    def remove(self, name: str) -> None:
        self._items.pop(name, None)

    def load_entry_point(self, entry_point) -> None:
        """Load one entry point (subclasses decide what its object means)."""
        obj = entry_point.load()
        if entry_point.name not in self._items:
            self._items[entry_point.name] = obj

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in metadata.entry_points(group=self.group):
            self.load_entry_point(ep)

    def __getitem__(self, name: str) -> Any:
        if name not in self._items:
            self._load_entry_points()
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        self._load_entry_points()
        return iter(self._items)

    def __len__(self) -> int:
        self._load_entry_points()
        return len(self._items)
