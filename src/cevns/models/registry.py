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

        def terms_unnormalised(self, grid, v): ...   # grid: cevns.prediction.TargetGrid

Families built from one class with different arguments register a factory with
:func:`register_model_factory`. A package outside cevns exposes its models through the
entry-point group ``cevns.models`` (name = model name, value = ``module:Class`` or a
zero-argument factory); they are loaded the first time a name is not found.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import UnknownNameError
from ..plugins import PluginRegistry

ENTRY_POINT_GROUP = "cevns.models"


class ModelRegistry(PluginRegistry):
    """Name -> zero-argument constructor of a :class:`Model` (read like a dict)."""

    def __init__(self) -> None:
        super().__init__(ENTRY_POINT_GROUP, "model")

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
