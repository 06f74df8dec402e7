"""Every command's ``--json`` output matches its shipped JSON Schema (docs/json.md), and every
command with ``--json`` has a schema."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click
import jsonschema
import pytest

from cevns.cli import main
from cevns.errors import UnknownNameError
from cevns.schemas import schema, schema_names

_SPEC = importlib.util.spec_from_file_location(
    "json_schemas_script", Path(__file__).resolve().parents[1] / "scripts" / "json_schemas.py")
script = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(script)

CASES = [(cmd, argv) for cmd, samples in script.SAMPLES.items() for argv in samples]


def _json_commands(group: click.Group, prefix: str = "") -> list[str]:
    out = []
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            out += _json_commands(cmd, f"{prefix}{name} ")
        elif any(getattr(p, "name", "") == "as_json" for p in cmd.params):
            out.append(f"{prefix}{name}")
    return out


def test_every_json_command_has_a_schema():
    missing = sorted(set(_json_commands(main)) - set(schema_names()))
    assert not missing, f"commands with --json but no schema (run scripts/json_schemas.py): {missing}"


@pytest.mark.slow
@pytest.mark.parametrize("command,argv", CASES, ids=[" ".join(a[:3]) for _, a in CASES])
def test_output_matches_schema(command, argv, data_root, tmp_path):
    out = script.run(argv, str(tmp_path))
    jsonschema.validate(out, schema(command))


def test_schema_catches_a_changed_key(data_root, tmp_path):
    """The check can fail: an output missing a required key, or with a key retyped, is rejected."""
    out = script.run(script.SAMPLES["predict"][0], str(tmp_path))
    broken = {k: v for k, v in out.items() if k != "cevns_total"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema("predict"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**out, "cevns_total": "many"}, schema("predict"))


def test_unknown_schema_names_the_valid_ones():
    with pytest.raises(UnknownNameError, match="predict"):
        schema("predikt")
