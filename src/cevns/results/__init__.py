"""Typed result records with ``to_dict()`` (:mod:`.records`) and plots drawn from them
(:mod:`.plotting`, imported on use: it loads matplotlib)."""

from .records import ContourSet, FitResult, LimitResult, Prediction, ProfileResult, Scan2DResult, ScanFileResult, StatisticsResult

__all__ = ["ContourSet", "FitResult", "LimitResult", "Prediction", "ProfileResult", "Scan2DResult", "ScanFileResult",
           "StatisticsResult"]
