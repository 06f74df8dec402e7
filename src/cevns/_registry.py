"""Registry of the public data releases cevns knows (read from ``cevns/releases/*.toml``).

One TOML file per release, shipped with the package (data, not code): title, where it is
published (``published_at``, ``doi``), the official download location (``url``, its
``format``: ``zip``, ``tar.gz`` or ``files``, and the archive's local ``filename``),
``source`` (how that location was established) and the SHA-256 of every file cevns
installs (``[files]``). The releases themselves are never shipped: see :mod:`cevns.data`
(verification) and :mod:`cevns.data_fetch` (``cevns data fetch``).

``RELEASES`` holds the COHERENT releases the experiments read (and ``cevns data check``
verifies); :func:`release_info` also knows the ones that are only fetched on request
(``xenonnt-8b``), loaded when first asked for.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

#: Releases read by the experiments, in this order.
READ_RELEASES = ("csi-2017", "csi-2021", "lar-2020")


def _load(name: str) -> dict:
    text = resources.files("cevns").joinpath("releases", f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def fetchable_releases() -> list[str]:
    """Every release with a registry file (those ``cevns data fetch`` can download)."""
    names = [p.name.removesuffix(".toml") for p in resources.files("cevns").joinpath("releases").iterdir()
             if p.name.endswith(".toml")]
    return sorted(names, key=lambda n: (n not in READ_RELEASES, n))


@cache
def release_info(name: str) -> dict:
    """The registry entry of ``name`` (KeyError if there is none)."""
    if name in RELEASES:
        return RELEASES[name]
    if name not in fetchable_releases():
        raise KeyError(name)
    return _load(name)


RELEASES: dict[str, dict] = {name: _load(name) for name in READ_RELEASES}
