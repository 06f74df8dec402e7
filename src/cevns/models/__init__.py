"""Model registry: ``get_model(name)`` and ``MODELS`` (one module per family)."""

from __future__ import annotations

from ..errors import UnknownNameError
from .base import Model, Parameter
from .electromagnetic import ChargeRadius, MagneticMoment, Millicharge
from .light_mediators import light_mediator_models
from .ngi import GeneralizedInteractions
from .nsi import VectorNSI
from .sm import StandardModel
from .sterile import SterileOscillation, TransitionMagneticMomentSterile

#: constructors by model name
MODELS: dict = {
    "sm": StandardModel, "nsi": VectorNSI, "ngi": GeneralizedInteractions, **light_mediator_models(),
    "magnetic-moment": MagneticMoment, "charge-radius": ChargeRadius, "millicharge": Millicharge,
    "sterile-osc": SterileOscillation, "tmm-sterile": TransitionMagneticMomentSterile,
}


def get_model(name: str | None) -> Model:
    """Model by name (``None`` -> ``sm``); unknown names list the valid ones."""
    key = "sm" if name is None else name
    try:
        return MODELS[key]()
    except KeyError:
        raise UnknownNameError(f"unknown model {key!r}; available models: {', '.join(MODELS)}") from None


__all__ = ["MODELS", "Model", "Parameter", "get_model"]
