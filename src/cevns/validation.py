"""Checks of user input before any work is done (issue #11).

Small pure functions shared by :mod:`cevns.api` and :mod:`cevns.cli`, so that the Python
API refuses what the command line refuses. Each raises one :class:`cevns.errors.CevnsError`
subclass with a one-line message that names the fix:

* parameter values: finite and inside the bounds the model declares
  (:class:`cevns.models.Parameter`), :func:`check_values`;
* grids: ``LO:HI:N`` text (:func:`parse_grid`), degenerate ranges and the memory a grid
  needs (:func:`check_grid`, :func:`check_grid_memory`);
* duplicates and contradictions (:func:`no_duplicates`, :func:`check_roles`);
* output paths: folder exists and is writable, the path is not a folder, the extension
  is supported (:func:`check_output_path`), before the computation starts.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from .errors import ConflictError, GridError, OutputError, ParameterError

#: image formats the plotting commands write (matplotlib back ends that need nothing extra)
PLOT_EXTENSIONS = (".png", ".pdf", ".svg", ".eps", ".ps", ".jpg", ".jpeg")
#: table formats of ``cevns scan``
TABLE_EXTENSIONS = (".csv", ".parquet")
#: environment variable with the memory (GiB) a grid may need before it is refused
MEMORY_ENV_VAR = "CEVNS_MAX_MEMORY_GIB"
DEFAULT_MEMORY_GIB = 8.0


def _fmt(v: float) -> str:
    return f"{v:.6g}"


# ----------------------------------------------------------------------------- values


def parse_number(text: str, what: str) -> float:
    """``text`` as a float; a :class:`ParameterError` naming ``what`` otherwise (NaN/inf are checked later)."""
    try:
        return float(str(text).strip())
    except ValueError:
        raise ParameterError(f"{what}: {text!r} is not a number") from None


def parse_assignments(items: Iterable[str], option: str = "--fix") -> dict[str, float]:
    """``NAME=VALUE`` items (each may hold several, comma-separated) as a dict; a name given twice is an error."""
    out: dict[str, float] = {}
    for item in split_items(items):
        name, eq, value = item.partition("=")
        name = name.strip()
        if not eq or not name:
            raise ParameterError(f"{option} {item!r}: use NAME=VALUE, e.g. {option} cevns_norm=1.1")
        if name in out:
            raise ConflictError(f"parameter {name!r} is given twice in {option}; give each parameter once")
        out[name] = parse_number(value, f"{option} {name}")
    return out


def split_items(items: str | Iterable[str] | None) -> list[str]:
    """Comma-separated and/or repeated option values, flattened, blanks dropped."""
    if items is None:
        return []
    if isinstance(items, str):
        items = [items]
    return [t.strip() for text in items for t in str(text).split(",") if t.strip()]


def check_values(model, values: Mapping[str, object], what: str = "") -> None:
    """Every value of every parameter finite and inside the bounds the model declares.

    ``values`` maps parameter names to numbers or arrays; names the model does not have
    are left to the model's own check. ``what`` prefixes the message (e.g. ``"--fix "``).
    """
    params = getattr(model, "parameters", {})
    for name, raw in values.items():
        arr = np.atleast_1d(np.asarray(raw, dtype=float))
        p = params.get(name)
        bounds = None if p is None else p.bounds
        bad = arr[~np.isfinite(arr)]
        if bad.size:
            hint = f" within its bounds [{_fmt(bounds[0])}, {_fmt(bounds[1])}]" if bounds else ""
            raise ParameterError(f"{what}{name} = {bad[0]} is not a finite number; give a finite value{hint}")
        if bounds is None or arr.size == 0:
            continue
        lo, hi = bounds
        outside = arr[(arr < lo) | (arr > hi)]
        if outside.size:
            unit = f" {p.unit}" if p.unit else ""
            raise ParameterError(f"{what}{name} = {_fmt(outside[0])} is outside its bounds [{_fmt(lo)}, {_fmt(hi)}]{unit} "
                                 f"declared by model {model.name!r}; choose values within them (`cevns models`)")


# ----------------------------------------------------------------------------- grids


def parse_grid(text: str, what: str, log: bool = False, bytes_per_point: float = 8.0) -> np.ndarray:
    """``LO:HI:N`` as ``N`` linearly (or, with ``log``, logarithmically) spaced values.

    Refuses malformed text, non-finite ends, N < 2, HI <= LO and, for log grids,
    non-positive ends, each with a message that shows a valid example. A grid whose
    results would need more than :func:`memory_limit_bytes` (``bytes_per_point`` each) is
    refused before it is made.
    """
    example = "0.1:10000:100" if log else "0.15:0.35:81"
    parts = str(text).split(":")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise GridError(f"{what} {text!r}: use LO:HI:N, e.g. {example}")
    try:
        lo, hi, n_f = (parse_number(p, f"{what} {text!r}") for p in parts)
    except ParameterError as exc:
        raise GridError(f"{exc}; use LO:HI:N, e.g. {example}") from None
    if math.isfinite(n_f) and not float(n_f).is_integer():
        raise GridError(f"{what} {text!r}: N must be a whole number of points, e.g. {example}")
    n = int(n_f) if math.isfinite(n_f) else -1
    what = f"{what} {text!r}"
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ParameterError(f"{what}: LO and HI must be finite numbers (not a finite number: "
                             f"{parts[0] if not math.isfinite(lo) else parts[1]})")
    check_grid_memory(n, bytes_per_point, what)
    return make_grid(lo, hi, n, what, log)


def make_grid(lo: float, hi: float, n: int, what: str, log: bool = False) -> np.ndarray:
    """The grid of :func:`parse_grid` from numbers."""
    if n < 2:
        raise GridError(f"{what}: a grid needs N >= 2 points, got N = {n} (for a single value use --fix NAME=VALUE)")
    if log and not (lo > 0 and hi > 0):
        raise GridError(f"{what}: LO and HI must be positive on a log-spaced grid, got {_fmt(lo)}:{_fmt(hi)}")
    if not hi > lo:
        raise GridError(f"{what}: need HI > LO, got LO = {_fmt(lo)}, HI = {_fmt(hi)}")
    return np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n)


def check_grid(values, what: str, log: bool = False, min_points: int = 1) -> np.ndarray:
    """A grid given as numbers (Python API): 1-D, finite, at least ``min_points``, positive if ``log``."""
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if arr.ndim != 1:
        raise GridError(f"{what}: give a 1-D sequence of values, got shape {arr.shape}")
    if arr.size < min_points:
        raise GridError(f"{what}: a grid needs at least {min_points} value(s), got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{what}: {arr[~np.isfinite(arr)][0]} is not a finite number")
    if log and np.any(arr <= 0):
        raise GridError(f"{what}: values must be positive on a log-spaced grid, got {_fmt(arr[arr <= 0][0])}")
    return arr


def memory_limit_bytes() -> float:
    """The memory a grid may need: ``$CEVNS_MAX_MEMORY_GIB`` GiB, default 8 GiB or half the RAM if less."""
    env = os.environ.get(MEMORY_ENV_VAR)
    if env:
        try:
            gib = float(env)
        except ValueError:
            raise ParameterError(f"${MEMORY_ENV_VAR} = {env!r} is not a number of GiB") from None
        return gib * 2**30
    limit = DEFAULT_MEMORY_GIB * 2**30
    try:
        limit = min(limit, 0.5 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not on POSIX
        pass
    return limit


def check_grid_memory(n_points: int, bytes_per_point: float, what: str) -> None:
    """Refuse a grid whose results would need more memory than :func:`memory_limit_bytes`."""
    need, limit = float(n_points) * bytes_per_point, memory_limit_bytes()
    if need > limit:
        raise GridError(f"{what}: {n_points:,} points need about {need / 2**30:.3g} GiB of memory "
                        f"(limit {limit / 2**30:.3g} GiB, ${MEMORY_ENV_VAR} raises it); use fewer points")


# ----------------------------------------------------------------------------- duplicates, contradictions


def no_duplicates(items: Sequence[str], what: str, option: str) -> list[str]:
    """``items`` unchanged if no name repeats; a :class:`ConflictError` naming the first repeat otherwise."""
    seen: set[str] = set()
    for it in items:
        if it in seen:
            raise ConflictError(f"{what} {it!r} is given twice in {option}; give each once")
        seen.add(it)
    return list(items)


def check_roles(scanned: Sequence[str] = (), free: Sequence[str] = (), fixed: Iterable[str] = (),
                scan_option: str = "the scan") -> None:
    """A parameter is scanned, free or fixed, never two of these at once; no name repeats in ``free``."""
    no_duplicates(list(free), "parameter", "--free")
    fixed = set(fixed)
    for p in scanned:
        if p in free:
            raise ConflictError(f"parameter {p!r} is profiled ({scan_option}) and also in --free; "
                                f"remove it from --free")
        if p in fixed:
            raise ConflictError(f"parameter {p!r} is scanned and also fixed (--fix); remove it from --fix")
    for p in free:
        if p in fixed:
            raise ConflictError(f"parameter {p!r} is both free and fixed (--free and --fix); give it in one of them")


# ----------------------------------------------------------------------------- output paths


def check_output_path(path: str | os.PathLike, extensions: Sequence[str] | None, what: str) -> Path:
    """An output file we can write: a name, in an existing writable folder, not a folder, a known extension.

    Checked before any computation; the folder is probed by creating (and removing) a
    temporary file, which also catches read-only file systems and root-owned folders.
    """
    text = os.fspath(path)
    if not text.strip():
        raise OutputError(f"{what}: the file name is empty; give a path such as out{(extensions or ('.txt',))[0]}")
    p = Path(text).expanduser()
    if p.is_dir():
        raise OutputError(f"{what} {text}: is a folder; give a file name inside it, e.g. {p / ('out' + (extensions or ('',))[0])}")
    if extensions is not None and p.suffix.lower() not in extensions:
        raise OutputError(f"{what} {text}: unknown extension {p.suffix or '(none)'!r}; supported: {', '.join(extensions)}")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{what} {text}: folder {folder} does not exist; create it (mkdir -p {folder}) or choose another")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".cevns-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{what} {text}: folder {folder} is not writable ({exc.strerror or exc}); "
                          f"choose a folder you can write to") from None
    return p


__all__ = ["PLOT_EXTENSIONS", "TABLE_EXTENSIONS", "check_grid", "check_grid_memory", "check_output_path",
           "check_roles", "check_values", "make_grid", "memory_limit_bytes", "no_duplicates", "parse_assignments",
           "parse_grid", "parse_number", "split_items"]
