"""Inference on top of the recipe likelihoods: fits, profiles and intervals
(:mod:`.analysis`), chunked and checkpointed scans and the limit finder (:mod:`.scan`)."""

from .analysis import Analysis, GridEdgeWarning, edge_warnings, intervals, make_analysis, touches_grid_edge

__all__ = ["Analysis", "GridEdgeWarning", "edge_warnings", "intervals", "make_analysis", "touches_grid_edge"]
