"""Model registry: models register by name with a decorator; plug-ins through entry points.

A model is one file: subclass :class:`cevns.models.base.Model`, declare its parameters
(:class:`~cevns.models.base.Parameter`: name, default, unit, meaning, source, bounds) and
register it::

    from cevns.models import Model, Parameter, register_model

    @register_model
    class MyMediator(Model):
        mediator_params = ("m_med_mev", "g")   # mass [MeV] and coupling, for scans and limits
        muon_charge = 1.0                      # for the (g-2)_mu band (None: no muon coupling)

        def __init__(self):
            super().__init__("my-mediator", "what it is", "paper eq.", {...parameters...})

        def terms_unnormalised(self, cevns, recipe, v): ...

Families built from one class with different arguments register a factory with
:func:`register_model_factory`. A package outside cevns exposes its models through the
entry-point group ``cevns.models`` (name = model name, value = ``module:Class`` or a
zero-argument factory); they are loaded the first time a name is not found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib.metadata import entry_points

from ..errors import UnknownNameError

ENTRY_POINT_GROUP = "cevns.models"


class ModelRegistry(Mapping):
    """Name -> zero-argument constructor of a :class:`Model` (read like a dict)."""

    def __init__(self) -> None:
        self._factories: dict[str, Callable] = {}
        self._entry_points_loaded = False

    def add(self, name: str, factory: Callable, replace: bool = False) -> None:
        if not name or not isinstance(name, str):
            raise ValueError("a model needs a non-empty name")
        if name in self._factories and not replace:
            raise ValueError(f"model {name!r} is already registered; pass replace=True to override it")
        self._factories[name] = factory

    def remove(self, name: str) -> None:
        self._factories.pop(name, None)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name not in self._factories:
                self._factories[ep.name] = ep.load()

    def __getitem__(self, name: str) -> Callable:
        if name not in self._factories:
            self._load_entry_points()
        return self._factories[name]

    def __iter__(self) -> Iterator[str]:
        self._load_entry_points()
        return iter(self._factories)

    def __len__(self) -> int:
        self._load_entry_points()
        return len(self._factories)

    def create(self, name: str):
        """A new instance of model ``name``; unknown names list the valid ones."""
        try:
            factory = self[name]
        except KeyError:
            raise UnknownNameError(f"unknown model {name!r}; available models: {', '.join(self)}") from None
        return factory()


#: every registered model (the package's own and plug-ins)
MODELS = ModelRegistry()


def register_model(cls=None, *, name: str | None = None, replace: bool = False):
    """Class decorator: register a :class:`Model` subclass under ``name`` (default: the name
    its no-argument constructor gives the instance)."""

    def wrap(c):
        key = name if name is not None else c().name
        MODELS.add(key, c, replace=replace)
        return c

    return wrap if cls is None else wrap(cls)


def register_model_factory(name: str, factory: Callable, replace: bool = False) -> None:
    """Register a zero-argument factory (for families of one class with different arguments)."""
    MODELS.add(name, factory, replace=replace)
