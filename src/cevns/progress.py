"""Progress reporting for long computations (profiles, 2D scans, mass-coupling scans, limits).

The inference layer never draws anything: its long functions take an optional
``progress`` callback, ``progress(done, total)``, called after each chunk of work
(``total`` may grow when a later stage adds work, e.g. the refinement of limits).
``None`` (the API default) reports nothing.

The command line turns it into a bar with :func:`progress_bar`, only where a person
watches: stderr is a terminal and the output is not ``--json``. tqdm draws the bar
(on stderr), so stdout stays clean for the result.

>>> from cevns.progress import progress_bar
>>> with progress_bar("profile", enabled=False) as cb:   # nothing drawn, cb is None
...     cb is None
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

#: ``progress(done, total)``: ``done`` of ``total`` units of work finished
ProgressFn = Callable[[int, int], None]


def report(progress: ProgressFn | None, done: int, total: int) -> None:
    """Call ``progress(done, total)`` if a callback was given."""
    if progress is not None:
        progress(int(done), int(total))


def stage(progress: ProgressFn | None, offset: int, total: int) -> ProgressFn | None:
    """A callback for one stage of a computation: its ``(done, n)`` counts from ``offset`` of ``total``."""
    if progress is None:
        return None

    def cb(done: int, n: int) -> None:
        progress(offset + int(done), max(int(total), offset + int(n)))

    return cb


def wants_bar(as_json: bool = False, stream: TextIO | None = None) -> bool:
    """True where a bar helps: ``stream`` (default stderr) is a terminal and the output is not JSON."""
    stream = sys.stderr if stream is None else stream
    if as_json:
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


@contextmanager
def progress_bar(label: str, enabled: bool | None = None, stream: TextIO | None = None) -> Iterator[ProgressFn | None]:
    """A ``progress(done, total)`` callback drawing a tqdm bar on ``stream`` (default stderr).

    ``enabled=None`` means :func:`wants_bar` (a terminal, not JSON). Disabled, it yields
    ``None``, which every inference function reads as "report nothing". The bar is closed
    on exit, also on Ctrl-C or an error.
    """
    stream = sys.stderr if stream is None else stream
    if enabled is None:
        enabled = wants_bar(False, stream)
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=0, desc=label, file=stream, leave=False, dynamic_ncols=True, unit="step",
               mininterval=0.0)
    try:
        def cb(done: int, total: int) -> None:
            if total != bar.total:
                bar.total = total
                bar.refresh()
            bar.update(max(0, int(done) - bar.n))

        yield cb
    finally:
        bar.close()
