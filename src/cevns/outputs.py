"""Writing results safely (issue #11): atomic files with normal permissions, and output locks.

* :func:`atomic_write_bytes` and :func:`atomic_path` write to a temporary file in the
  target's folder and rename it over the target, so a reader never sees half a file and
  an interrupted job leaves no partial file; the file gets the permissions of any new
  file (0666 minus the umask), not the 0600 of :func:`tempfile.mkstemp`.
* :func:`output_lock` keeps two jobs from writing the same output: the second one stops
  at once with a one-line :class:`cevns.errors.OutputLockedError` naming the lock file;
  a lock left by a job that no longer runs on this machine is taken over.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import OutputError, OutputLockedError


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _normal_permissions(path: str | os.PathLike) -> None:
    os.chmod(path, 0o666 & ~_umask())


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path (same folder, same extension) to write; renamed to ``path`` on success.

    On an exception (or Ctrl-C) the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                               suffix=f".tmp{path.suffix}")
    os.close(fd)
    try:
        yield Path(tmp)
        _normal_permissions(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def lock_path(path: str | os.PathLike) -> Path:
    """The lock file of an output: ``<path>.lock`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".lock")


def _stale(lock: Path) -> bool:
    """A lock written on this machine by a process that no longer runs."""
    try:
        pid_s, _, host = lock.read_text().partition(" ")
        pid = int(pid_s)
    except (OSError, ValueError):
        return False
    if host.strip() != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@contextlib.contextmanager
def output_lock(path: str | os.PathLike) -> Iterator[Path]:
    """Hold ``<path>.lock`` while writing ``path``; a second job gets :class:`OutputLockedError`."""
    lock = lock_path(path)
    for attempt in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            break
        except FileExistsError:
            if attempt == 0 and _stale(lock):
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
                continue
            who = ""
            with contextlib.suppress(OSError):
                who = f" (pid {lock.read_text().strip()})"
            raise OutputLockedError(f"another cevns job is writing {path}{who}: lock file {lock} exists; wait for it "
                                    f"to finish, or if no job is running delete {lock}") from None
        except OSError as exc:
            raise OutputError(f"cannot create the lock file {lock}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{os.getpid()} {socket.gethostname()}\n")
    try:
        yield lock
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


def json_safe(obj, reasons: bool = True):
    """A copy of ``obj`` that is valid JSON: NaN and +-inf become ``null``.

    NumPy arrays and scalars become lists and numbers. With ``reasons``, a dict entry
    whose value is a non-finite number also gets ``<key>_reason`` (``"not a number"``,
    ``"infinite"``) unless the dict already has that key, so a reader knows why it is null.
    """
    import numpy as np

    def num(v: float):
        return float(v) if math.isfinite(v) else None

    def why(v: float) -> str:
        return "not a number (NaN)" if math.isnan(v) else ("+infinite" if v > 0 else "-infinite")

    def conv(o):
        if isinstance(o, dict):
            out = {}
            for k, v in o.items():
                key = str(k) if not isinstance(k, str) else k
                out[key] = conv(v)
                if reasons and isinstance(v, float | np.floating) and not math.isfinite(float(v)):
                    out.setdefault(f"{key}_reason", why(float(v)))
            return out
        if isinstance(o, list | tuple):
            return [conv(v) for v in o]
        if isinstance(o, np.ndarray):
            return conv(o.tolist())
        if isinstance(o, bool | np.bool_):
            return bool(o)
        if isinstance(o, int | np.integer):
            return int(o)
        if isinstance(o, float | np.floating):
            return num(float(o))
        if hasattr(o, "to_dict"):
            return conv(o.to_dict())
        return o

    return conv(obj)


def to_json(obj, indent: int | None = 2) -> str:
    """``obj`` as strictly valid JSON (no NaN/Infinity, see :func:`json_safe`)."""
    return json.dumps(json_safe(obj), indent=indent, allow_nan=False, default=str)


__all__ = ["json_safe", "to_json", "atomic_path", "atomic_write_bytes", "lock_path", "output_lock"]
