"""Regenerate the JSON schema of every command's ``--json`` output and docs/json.md.

Each command is run on a few representative inputs (``SAMPLES``); genson infers one schema
from all of them, which is then relaxed where the output may legitimately vary (numbers
may be ``null``: undefined values are written as null, never NaN) and written to
``src/cevns/schemas/<command>.json``. ``tests/test_json_schemas.py`` validates the same
commands' output against the committed schemas, so a change of the JSON that scripts read
fails a test until the schema (and docs/json.md) are regenerated:

    CEVNS_DATA_DIR=../shared/data/coherent python scripts/json_schemas.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT / "src" / "cevns" / "schemas"

#: a cheap toy problem: LAr 2020 (Gaussian chi2), sin^2 theta_W on 5 points, 20 toys
_TOY_ARGS = ["-e", "lar-2020", "-r", "atzori2022", "-p", "sin2_theta_w", "--range", "0.15:0.35:5", "--toys", "20"]

#: command -> argument lists whose --json output the schema must describe ("{tmp}": a scratch folder)
SAMPLES: dict[str, list[list[str]]] = {
    "predict": [["predict", "--experiment", e, "--json"] for e in ("csi-2017", "csi-2021", "lar-2020")]
    + [["predict", "--experiment", "csi-2021", "--recipe", "deromeri2023", "--json"]],
    "fit": [["fit", "-e", "csi-2021", "--recipe", "atzori2022", "--free", "cevns_norm", "--json"],
            ["fit", "-e", "csi-2021,lar-2020", "--recipe", "deromeri2023", "--json"]],
    "profile": [["profile", "-e", "csi-2021", "-p", "sin2_theta_w", "--range", "0.15:0.35:9", "--json"]],
    "scan2d": [["scan2d", "-e", "csi-2021", "-m", "nsi", "--x", "eps_ee_u:-0.2:0.6:5", "--y", "eps_mumu_u:-0.2:0.6:5",
                "--json"]],
    "limits": [["limits", "-m", "universal", "-e", "csi-2021", "--masses", "0.1:10000:12", "--json"]],
    "scan": [["scan", "-m", "universal", "-e", "lar-2020", "--masses", "1:1000:4", "--couplings", "1e-6:1e-2:5",
              "--out", "{tmp}/scan.csv", "--json"]],
    "plot-limits": [["plot-limits", "-m", "universal", "-e", "csi-2021", "-e", "lar-2020", "--masses", "0.1:10000:8",
                     "--couplings", "1e-7:1:10", "--out", "{tmp}/limits.png", "--json"]],
    "project": [["project", "--detector", "coh-cryo-csi-1", "--json"],
                ["project", "--detector", "ccm", "--model", "lmu-ltau", "--masses", "1:1000:5", "--json"]],
    "toys": [["toys", *_TOY_ARGS, "--at", "0.23", "--json"]],
    "toys-merge": [["toys-merge", "{tmp}/toys_a.npz", "{tmp}/toys_b.npz", "--out", "{tmp}/toys.npz", "--json"]],
    "fc": [["fc", *_TOY_ARGS, "--json"]],
    "coverage": [["coverage", *_TOY_ARGS, "--at", "0.23", "--json"]],
    "posterior": [["posterior", "-e", "lar-2020", "-r", "atzori2022", "--prior", "sin2_theta_w=flat:0.15:0.35",
                   "--live-points", "20", "--json"]],
    "data check": [["data", "check", "--json"]],
    # fetch into a scratch data directory holding a verified copy of the release: nothing is downloaded
    "data fetch": [["data", "fetch", "csi-2017", "--json"]],
    "recipes": [["recipes", "--json"]],
    "recipes show": [["recipes", "show", "atzori2022", "--json"], ["recipes", "show", "deromeri2023", "--json"]],
    "recipes export": [["recipes", "export", "atzori2022", "--json"]],
    "models": [["models", "--json"]],
}


def run(argv: list[str], tmp: str) -> object:
    """The parsed ``--json`` output of ``cevns argv`` (raises on a non-zero exit)."""
    from click.testing import CliRunner

    from cevns.cli import main

    env = None
    if argv[0] == "toys-merge":  # its inputs: two halves of one toy run
        for first, name in ((0, "toys_a"), (20, "toys_b")):
            run(["toys", *_TOY_ARGS, "--at", "0.23", "--first-toy", str(first), "--out", f"{{tmp}}/{name}.npz", "--json"],
                tmp)
    if argv[:2] == ["data", "fetch"]:
        import shutil

        from cevns.data import data_dir

        scratch = Path(tmp) / "data"
        for release in argv[2:]:
            if not release.startswith("-"):
                shutil.copytree(data_dir() / release, scratch / release, dirs_exist_ok=True)
        env = {"CEVNS_DATA_DIR": str(scratch)}
    res = CliRunner(env=env).invoke(main, [a.replace("{tmp}", tmp) for a in argv], catch_exceptions=False)
    if res.exit_code != 0:
        raise RuntimeError(f"cevns {' '.join(argv)} exited {res.exit_code}: {res.output}")
    return json.loads(res.stdout if hasattr(res, "stdout") else res.output)


def _relax(node: dict, depth: int = 0) -> dict:
    """Numbers may be null (undefined values are written as null, never NaN); below the top
    level no key is required (nested objects are often keyed by data: flavours, backgrounds,
    nuisances, models, which differ between experiments and recipes)."""
    if not isinstance(node, dict):
        return node
    if depth > 0:
        node.pop("required", None)
    t = node.get("type")
    if t in ("number", "integer"):
        node["type"] = [t, "null"]
    elif isinstance(t, list) and ("number" in t or "integer" in t) and "null" not in t:
        node["type"] = [*t, "null"]
    for key in ("properties", "patternProperties"):
        for k, v in node.get(key, {}).items():
            node[key][k] = _relax(v, depth + 1)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            # the objects of a top-level list keep their required keys
            node[key] = _relax(node[key], depth if key == "items" and depth == 0 else depth + 1)
    for key in ("anyOf", "oneOf"):
        if key in node:
            node[key] = [_relax(v, depth) for v in node[key]]
    return node


def infer(command: str, outputs: list[object]) -> dict:
    """One schema for every sample output of ``command``."""
    from genson import SchemaBuilder

    b = SchemaBuilder()
    for out in outputs:
        b.add_object(out)
    schema = _relax(b.to_schema())
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"cevns {command} --json"
    schema["description"] = (f"Output of `cevns {command} --json` (generated by scripts/json_schemas.py from "
                             "representative runs; keys may be added, never removed or retyped).")
    return schema


def markdown(schemas: dict[str, dict]) -> str:
    """docs/json.md: the top-level keys of each command's output."""
    lines = ["# JSON output", "",
             "Every command prints JSON with `--json`. Undefined numbers are `null`, never `NaN`. The",
             "schemas are shipped in the package (`cevns/schemas/<command>.json`, JSON Schema 2020-12).",
             "`tests/test_json_schemas.py` checks each command's output against its schema.",
             "`python scripts/json_schemas.py` regenerates them and this page.", ""]
    for cmd, schema in schemas.items():
        lines += [f"## `cevns {cmd} --json`", "", f"Schema: `cevns/schemas/{cmd.replace(' ', '_')}.json`", ""]
        props = schema.get("properties") or (schema.get("items") or {}).get("properties") or {}
        if schema.get("type") == "array":
            lines += ["A list of objects with:", ""]
        req = set(schema.get("required", []) or (schema.get("items") or {}).get("required", []))
        lines += ["| key | type | always present |", "|---|---|---|"]
        for k, v in props.items():
            t = v.get("type", "object" if "properties" in v else "any")
            t = " or ".join(t) if isinstance(t, list) else t
            lines.append(f"| `{k}` | {t} | {'yes' if k in req else 'no'} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    SCHEMA_DIR.mkdir(exist_ok=True)
    schemas = {}
    with tempfile.TemporaryDirectory() as tmp:
        for cmd, samples in SAMPLES.items():
            schemas[cmd] = infer(cmd, [run(a, tmp) for a in samples])
            path = SCHEMA_DIR / f"{cmd.replace(' ', '_')}.json"
            path.write_text(json.dumps(schemas[cmd], indent=1, sort_keys=True) + "\n", encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    (ROOT / "docs" / "json.md").write_text(markdown(schemas), encoding="utf-8")
    print("wrote docs/json.md")


if __name__ == "__main__":
    main()
