"""cevns: coherent elastic neutrino-nucleus scattering phenomenology at stopped-pion sources.

Data flow: source -> target -> interaction -> detector -> prediction -> likelihood ->
inference -> results. Start with :mod:`cevns.api` (or the ``cevns`` command line).
"""

__version__ = "0.1.0"  # the only place the version is written (pyproject.toml reads it)
