"""The ``cevns`` command line. Every command has ``--json`` for scripts.

User mistakes (unknown experiment or recipe, missing or altered data) print a message
with the fix and exit with status 2; they never show a traceback.
"""

from __future__ import annotations

import json
import sys

import click

from . import __version__, api
from .data import DataError
from .experiments import experiment_names
from .recipes import RECIPES


def _emit(obj: dict, as_json: bool, human) -> None:
    if as_json:
        click.echo(json.dumps(obj, indent=2))
    else:
        human(obj)


def _fail(message: str) -> None:
    click.echo(f"cevns: error: {message}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cevns")
def main() -> None:
    """CEvNS predictions and fits for the COHERENT data releases.

    Data are read from $CEVNS_DATA_DIR (one folder per release: csi-2017, csi-2021,
    lar-2020); `cevns data check` says what is there.
    """


@main.group()
def data() -> None:
    """Locate and verify the COHERENT data releases."""


@data.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def data_check(as_json: bool) -> None:
    """Say which releases are present and pass their SHA-256 check."""
    result = api.data_check()

    def human(r: dict) -> None:
        click.echo(f"data directory: {r['data_dir']}  (set ${r['env_var']} to change)")
        for rel, info in r["releases"].items():
            click.echo(f"  {rel:9s} {info['status']:10s} {info['files_ok']}/{info['files_total']} files verified")
            for p in info["problems"]:
                click.echo(f"      {p['status']}: {p['path']}")
            if info["problems"]:
                click.echo(f"      published at {info['published_at']}")

    _emit(result, as_json, human)
    if any(info["status"] != "ok" for info in result["releases"].values()):
        sys.exit(1)


@main.command()
@click.option("--experiment", "-e", required=True, type=click.Choice(experiment_names()), help="Data release.")
@click.option("--recipe", "-r", default=None, help=f"Analysis recipe ({', '.join(RECIPES)}); default atzori2022.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with per-bin arrays).")
def predict(experiment: str, recipe: str | None, as_json: bool) -> None:
    """Standard-Model CEvNS prediction, backgrounds and observed counts for one release."""
    try:
        result = api.predict(experiment, recipe)
    except (DataError, ValueError) as exc:
        _fail(str(exc))
        return

    def human(r: dict) -> None:
        ref = r["reference"]
        click.echo(f"{r['experiment']} with recipe {r['recipe']}")
        click.echo(f"  CEvNS expected     {r['cevns_total']:9.1f}   (published: {ref['cevns_total']:g}, {ref['source']})")
        for f, v in r["cevns_by_flavor"].items():
            click.echo(f"    {f:10s}       {v:9.1f}")
        for k, v in r["backgrounds"].items():
            click.echo(f"  background {k:12s}{v:9.1f}")
        click.echo(f"  observed           {r['observed_total']:9.0f}")

    _emit(result, as_json, human)


@main.command("recipes")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def recipes_cmd(as_json: bool) -> None:
    """List the analysis recipes and their choices."""
    result = api.recipes()

    def human(r: dict) -> None:
        for name, rec in r.items():
            click.echo(f"{name:14s} {rec['description']}\n{'':14s} source: {rec['source']}")

    _emit(result, as_json, human)


if __name__ == "__main__":  # pragma: no cover
    main()
