"""Models by name: ``get_model(name)``, the registry ``MODELS`` and ``register_model``.

One module per family; each registers its models here (or with the decorator in its own
file). A new model is one file: see :mod:`cevns.models.registry` and docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Mapping

from .base import Model, Parameter
from .electromagnetic import ChargeRadius, MagneticMoment, Millicharge
from .light_mediators import light_mediator_models
from .ngi import GeneralizedInteractions
from .nsi import VectorNSI
from .registry import MODELS, register_model, register_model_factory
from .sm import StandardModel
from .sterile import SterileOscillation, TransitionMagneticMomentSterile

for _cls in (StandardModel, VectorNSI, GeneralizedInteractions, MagneticMoment, ChargeRadius, Millicharge,
             SterileOscillation, TransitionMagneticMomentSterile):
    register_model(_cls)
for _name, _factory in light_mediator_models().items():
    register_model_factory(_name, _factory)


def get_model(name: str | None, options: Mapping[str, str] | None = None) -> Model:
    """A new instance of model ``name`` (``None`` -> ``sm``); unknown names list the valid ones.

    ``options`` (e.g. ``recipe.model_options()``, from the layer that holds the recipe) may
    name options of any model: the instance takes those in its :attr:`Model.option_choices`
    and ignores the rest.
    """
    model = MODELS.create("sm" if name is None else name)
    own = {k: v for k, v in (options or {}).items() if k in model.option_choices}
    return model.with_options(**own) if own else model


__all__ = ["MODELS", "Model", "Parameter", "get_model", "register_model", "register_model_factory"]
