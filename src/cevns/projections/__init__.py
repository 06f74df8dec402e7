"""Projections for detectors without a data release (issue #13).

* :mod:`.spec`: the detector file (TOML) and its validation; presets in ``cevns/detectors_data``;
* :mod:`.build`: file -> :class:`~cevns.experiments.common.ExperimentSetup` with Asimov data, the
  Asimov likelihood, registration as an experiment;
* :mod:`.sensitivity`: expected exclusion curves with Asimov +-1/2 sigma bands, discovery
  reach, combination with today's data.
"""

from __future__ import annotations

from .build import DetectorExtras, asimov_likelihood, build_detector_setup, register_detector, with_observed
from .spec import DetectorFileError, DetectorSpec, detector_from_mapping, detector_presets, load_detector

__all__ = ["DetectorExtras", "DetectorFileError", "DetectorSpec", "asimov_likelihood", "build_detector_setup",
           "detector_from_mapping", "detector_presets", "load_detector", "register_detector", "with_observed"]
