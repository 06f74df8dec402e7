"""The CevnsError hierarchy and how the CLI reports it (issue #10, item 5)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cevns import errors
from cevns.cli import main
from cevns.errors import CevnsError, DataError, ParameterError, RecipeError, UnknownNameError
from helpers import assert_clean_exit, invoke


def test_hierarchy():
    for cls in (DataError, RecipeError, UnknownNameError, ParameterError):
        assert issubclass(cls, CevnsError)
    for cls in (RecipeError, UnknownNameError, ParameterError):
        assert issubclass(cls, ValueError)  # code written against the ValueError contract keeps working
    from cevns.data import DataError as DataErrorFromData
    from cevns.recipes import RecipeFileError

    assert DataErrorFromData is DataError
    assert issubclass(RecipeFileError, RecipeError)


@pytest.mark.parametrize(("call", "cls"), [
    (lambda: __import__("cevns.models", fromlist=["get_model"]).get_model("nope"), UnknownNameError),
    (lambda: __import__("cevns.recipes", fromlist=["get_recipe"]).get_recipe("nope"), UnknownNameError),
    (lambda: __import__("cevns.stats", fromlist=["x"]).delta_chi2_threshold("zero"), ParameterError),
    (lambda: __import__("cevns.inference.scan", fromlist=["x"]).log_grid(-1.0, 1.0, 3), ParameterError),
    (lambda: __import__("cevns.physics.nuclei", fromlist=["x"]).isotope("Xx999", "atzori2022"), UnknownNameError),
])
def test_user_mistakes_raise_cevns_errors(call, cls):
    with pytest.raises(cls) as exc:
        call()
    assert str(exc.value)  # a message that says what to do


def test_cli_user_error_is_one_line_exit_2():
    res = invoke(["profile", "-e", "csi-2021", "-p", "sin2_theta_w", "--range", "0.2:0.3:3", "--cl", "zero"])
    assert_clean_exit(res, 2)
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("cevns: error:"), res.output


def test_cli_debug_shows_the_traceback():
    res = CliRunner().invoke(main, ["--debug", "profile", "-e", "csi-2021", "-p", "sin2_theta_w",
                                    "--range", "0.2:0.3:3", "--cl", "zero"])
    assert res.exit_code != 0 and isinstance(res.exception, CevnsError)  # ParameterError (DataError without data)


def test_cli_bug_is_not_disguised_as_user_error(monkeypatch):
    """A non-CevnsError escaping an API call is a bug: it surfaces as an exception, not exit 2."""
    from cevns import api

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(api, "models", broken)
    res = CliRunner().invoke(main, ["models", "--json"])
    assert isinstance(res.exception, ZeroDivisionError)
    assert res.exit_code == 1


def test_errors_module_exports():
    assert set(errors.__all__) == {"CevnsError", "DataError", "ParameterError", "RecipeError", "UnknownNameError",
                                   "GridError", "ConflictError", "OutputError", "OutputLockedError", "CheckpointError",
                                   "UsageError"}
