"""Published-number checks (validation against the seeds and the collaboration's numbers).

Every test in this folder carries the ``validation`` and ``slow`` markers, so that
``pytest -m "not slow"`` (or ``-m "not validation"``) is the fast developer loop; CI runs everything.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/validation/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.validation)
            item.add_marker(pytest.mark.slow)
