"""Inference on top of the recipe likelihoods: fits, profiles and intervals
(:mod:`.analysis`), chunked and checkpointed scans and the limit finder (:mod:`.scan`)."""

from .analysis import Analysis, intervals, make_analysis

__all__ = ["Analysis", "intervals", "make_analysis"]
