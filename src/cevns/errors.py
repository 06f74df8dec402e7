"""The errors cevns raises for problems a user can fix.

Every user-facing problem is a :class:`CevnsError` whose message names the fix; the CLI
prints it as one line and exits with status 2. Anything else that escapes is a bug and
surfaces with its traceback (``cevns --debug`` shows tracebacks for user errors too).

The subclasses also derive from :class:`ValueError` (except :class:`DataError`, a
file-system problem) so that code written against the earlier ``ValueError`` contract
keeps working.
"""

from __future__ import annotations


class CevnsError(Exception):
    """Base class: a problem the user can fix; the message says how."""


class DataError(CevnsError):
    """A data-release file is missing, altered or unreadable; the message says how to fix it."""


class RecipeError(CevnsError, ValueError):
    """A recipe (preset or file) is invalid: unknown key, wrong type or invalid choice."""


class UnknownNameError(CevnsError, ValueError):
    """An unknown experiment, recipe, model, parameter or option value; the message lists the valid ones."""


class ParameterError(CevnsError, ValueError):
    """A parameter value or grid is invalid (out of bounds, not finite, empty, inconsistent)."""


class GridError(ParameterError):
    """A grid is malformed, degenerate (one point, LO >= HI, non-positive on a log grid) or too large."""


class ConflictError(ParameterError):
    """Options contradict each other or repeat a name (an experiment twice, a parameter both free and fixed)."""


class OutputError(CevnsError, ValueError):
    """An output path cannot be written (missing or unwritable folder, a folder, unknown extension)."""


class OutputLockedError(OutputError):
    """Another job is writing the same output (its lock file exists); the message names the lock."""


class CheckpointError(CevnsError):
    """A checkpoint file is damaged or not a cevns checkpoint; the message says to delete it."""


class UsageError(CevnsError, ValueError):
    """The command line itself is wrong (missing or unknown option, invalid choice)."""


__all__ = ["CevnsError", "CheckpointError", "ConflictError", "DataError", "GridError", "OutputError",
           "OutputLockedError", "ParameterError", "RecipeError", "UnknownNameError", "UsageError"]
