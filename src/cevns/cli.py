"""The ``cevns`` command line. Every command has ``--json`` for scripts.

User mistakes (unknown experiment or recipe, missing or altered data, invalid values:
every :class:`cevns.errors.CevnsError`) print a one-line message with the fix and exit
with status 2; they never show a traceback unless ``cevns --debug ...`` asks for one.
Any other exception is a bug and surfaces with its traceback.
"""

from __future__ import annotations

import json
import math
import sys

import click

from . import __version__
from .errors import CevnsError
from .recipes import RECIPES


class _LazyModule:
    """``cevns.api``, imported on first use: `cevns --help` need not load scipy and the experiments."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        import importlib

        return getattr(importlib.import_module(self._name), attr)


api = _LazyModule("cevns.api")


class _ExperimentChoice(click.Choice):
    """``click.Choice`` of the registered experiments, looked up when first needed (not at import)."""

    def __init__(self) -> None:
        super().__init__([])

    @property
    def choices(self):  # type: ignore[override]
        from .experiments import experiment_names

        return tuple(experiment_names())

    @choices.setter
    def choices(self, value) -> None:  # click.Choice.__init__ assigns it
        pass


def _emit(obj, as_json: bool, human) -> None:
    """Print ``obj`` (a dict or a :mod:`cevns.results` record) as JSON or through ``human``."""
    if as_json:
        plain = obj.to_dict() if hasattr(obj, "to_dict") else obj
        click.echo(json.dumps(plain, indent=2))
    else:
        human(obj)


def _fail(message: str) -> None:
    click.echo(f"cevns: error: {message}", err=True)
    sys.exit(2)


def _user_error(exc: CevnsError) -> None:
    """One line and exit 2, or the traceback under ``--debug``."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and (ctx.find_root().obj or {}).get("debug"):
        raise exc
    _fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cevns")
@click.option("--debug", is_flag=True, help="Show the traceback of user errors too (for bug reports).")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """CEvNS predictions and fits for the COHERENT data releases.

    Data are read from $CEVNS_DATA_DIR (one folder per release: csi-2017, csi-2021,
    lar-2020); `cevns data check` says what is there.
    """
    ctx.obj = {"debug": debug}


@main.group()
def data() -> None:
    """Fetch and verify the public data releases (COHERENT CsI 2017, CsI 2021, LAr 2020)."""


@data.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def data_check(as_json: bool) -> None:
    """Say which releases are present and pass their SHA-256 check (exit 1 if any does not)."""
    result = _run(api.data_check)

    def human(r: dict) -> None:
        click.echo(f"data directory: {r['data_dir']}  (set ${r['env_var']} to change)")
        for rel, info in r["releases"].items():
            click.echo(f"  {rel:9s} {info['status']:10s} {info['files_ok']}/{info['files_total']} files verified")
            for p in info["problems"]:
                click.echo(f"      {p['status']}: {p['path']}")
            for p in info["line_endings"]:
                click.echo(f"      line endings only (CRLF), content verified: {p['path']}")
            if info["problems"]:
                click.echo(f"      published at {info['published_at']}; `cevns data fetch {rel}` downloads it")

    _emit(result, as_json, human)
    if any(info["status"] != "ok" for info in result["releases"].values()):
        sys.exit(1)


@data.command("fetch")
@click.argument("releases", nargs=-1)
@click.option("--url", default=None, metavar="URL",
              help="Mirror to download from instead of the official locations (default: $CEVNS_DATA_URL).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def data_fetch(releases: tuple[str, ...], url: str | None, as_json: bool) -> None:
    """Download RELEASES (default: csi-2017 csi-2021 lar-2020; also xenonnt-8b) from their official
    locations, verify every file's SHA-256 and unpack them into the data directory.

    A release already present and verified is not downloaded again. Data directory:
    $CEVNS_DATA_DIR, else the per-user data directory, where cevns then finds them.
    """
    from dataclasses import asdict

    from . import data_fetch as fetch_mod

    log = None if as_json else (lambda msg: click.echo(msg, err=True))
    results = _run(fetch_mod.fetch, list(releases), None, url, sys.stderr.isatty() and not as_json, log)

    def human(rs: list) -> None:
        for r in rs:
            if r.status == "present":
                click.echo(f"{r.release}: already present, {r.files} files verified in {r.path}")
            else:
                click.echo(f"{r.release}: {r.files} files downloaded, verified and installed in {r.path}")

    if as_json:
        click.echo(json.dumps([asdict(r) for r in results], indent=2))
    else:
        human(results)


@main.command()
@click.option("--experiment", "-e", required=True, type=_ExperimentChoice(), help="Data release.")
@click.option("--recipe", "-r", default=None, help=f"Analysis recipe ({', '.join(RECIPES)}); default atzori2022.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with per-bin arrays).")
@click.option("--electron-scattering", "es", type=click.Choice(["on", "off"]), default=None,
              help="Add nu-e scattering in CsI 2021 (default: as the recipe says).")
def predict(experiment: str, recipe: str | None, as_json: bool, es: str | None) -> None:
    """Standard-Model CEvNS prediction, backgrounds and observed counts for one release."""
    try:
        result = api.predict(experiment, recipe, _es(es))
    except CevnsError as exc:
        _user_error(exc)
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


def _range(text: str) -> list[float]:
    import numpy as np

    try:
        lo, hi, n = text.split(":")
        lo_f, hi_f, n_i = float(lo), float(hi), int(n)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use LO:HI:N, e.g. 0.15:0.35:81") from None
    if n_i < 2 or not hi_f > lo_f:
        raise click.BadParameter(f"{text!r}: need HI > LO and N >= 2")
    return np.linspace(lo_f, hi_f, n_i).tolist()


def _split(text: str | None) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


def _values(text: str | None) -> dict[str, float]:
    out = {}
    for item in _split(text):
        if "=" not in item:
            raise click.BadParameter(f"{item!r}: use NAME=VALUE")
        k, v = item.split("=", 1)
        try:
            out[k.strip()] = float(v)
        except ValueError:
            raise click.BadParameter(f"{item!r}: {v!r} is not a number") from None
    return out


ES_OPTION = click.option("--electron-scattering", "es", type=click.Choice(["on", "off"]), default=None,
                         help="Add nu-e scattering in CsI 2021 (default: as the recipe says).")


def _es(value: str | None) -> bool | None:
    return None if value is None else value == "on"


_common = [
    ES_OPTION,
    click.option("--experiments", "-e", required=True, help="Comma-separated: csi-2017, csi-2021, lar-2020."),
    click.option("--recipe", "-r", default=None, help="Recipe name or .toml/.yaml file (default atzori2022)."),
    click.option("--model", "-m", default=None, help="Model name (default sm; `cevns models` lists all)."),
    click.option("--fix", "fixed", default=None, help="Fixed model parameters, NAME=VALUE,..."),
    click.option("--json", "as_json", is_flag=True, help="Print JSON."),
]


def common_options(f):
    for opt in reversed(_common):
        f = opt(f)
    return f


def _run(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except CevnsError as exc:
        _user_error(exc)


@main.command()
@common_options
@click.option("--free", default=None, help="Free model parameters, comma-separated (e.g. cevns_norm,sin2_theta_w).")
@click.option("--plot", "plot_file", default=None, help="Write spectra with data and fitted components to FILE.")
def fit(es, experiments, recipe, model, fixed, as_json, free, plot_file) -> None:
    """Best fit with all recipe nuisances profiled."""
    exps = _split(experiments)
    result = _run(api.fit, exps, recipe, model, _split(free), _values(fixed), _es(es))
    if plot_file:
        from .inference import make_analysis
        from .results.plotting import plot_fit_spectra

        an = _run(make_analysis, exps, api.with_es(recipe, _es(es)), model, _values(fixed))
        plot_fit_spectra(result, plot_file, an)

    def human(r: dict) -> None:
        click.echo(f"{', '.join(r['experiments'])}: model {r['model']}, recipe {r['recipe']}")
        click.echo(f"  chi2_min = {r['chi2_min']:.3f}  (ndof {r['ndof']})")
        for k, v in r["best_fit"].items():
            click.echo(f"  {k} = {v:.5g} +- {r['errors_hesse'].get(k, float('nan')):.2g}")
        for e, c in r["components_fitted"].items():
            click.echo(f"  {e}: " + ", ".join(f"{k} {v:.1f}" for k, v in c.items()))

    _emit(result, as_json, human)


@main.command()
@common_options
@click.option("--param", "-p", required=True, help="Parameter to profile.")
@click.option("--range", "grid", required=True, help="LO:HI:N grid of the parameter.")
@click.option("--cl", default="1sigma", show_default=True, help="Comma-separated CLs: 1sigma, 2sigma, 90%, 0.95, ...")
@click.option("--free", default=None, help="Other model parameters to minimise at each point.")
@click.option("--dof", default=1, show_default=True, type=click.IntRange(1, 2), help="Degrees of freedom of the CL conversion.")
@click.option("--plot", "plot_file", default=None, help="Write the Delta-chi2 profile to FILE (png/pdf).")
def profile(es, experiments, recipe, model, fixed, as_json, param, grid, cl, free, dof, plot_file) -> None:
    """Delta-chi2 profile of one parameter and its intervals (several where disjoint)."""
    result = _run(api.profile, _split(experiments), param, _range(grid), recipe, model, _split(cl), _split(free),
                  _values(fixed), dof, _es(es))
    if plot_file:
        from .results.plotting import plot_profile

        plot_profile(result, plot_file)

    def human(r: dict) -> None:
        click.echo(f"{r['param']}: best {r['best']:.5g}  ({', '.join(r['experiments'])}, {r['model']}, {r['recipe']})")
        for c, ivs in r["intervals"].items():
            txt = " U ".join(f"[{lo:.4g}, {hi:.4g}]" for lo, hi in ivs) or "(none on the grid)"
            click.echo(f"  {c:>7s}: {txt}")

    _emit(result, as_json, human)


@main.command()
@common_options
@click.option("--x", "x_spec", required=True, help="PARAM:LO:HI:N for the x axis (append :log for a log grid).")
@click.option("--y", "y_spec", required=True, help="PARAM:LO:HI:N for the y axis (append :log for a log grid).")
@click.option("--cl", default="90%", show_default=True, help="Comma-separated CLs for the contours.")
@click.option("--dof", default=2, show_default=True, type=click.IntRange(1, 2))
@click.option("--plot", "plot_file", default=None, help="Write the Delta-chi2 map with contours to FILE.")
@click.option("--checkpoint", default=None, metavar="FILE",
              help="Save finished chunks of the grid to FILE and resume from it when rerun (default: none).")
def scan2d(es, experiments, recipe, model, fixed, as_json, x_spec, y_spec, cl, dof, plot_file, checkpoint) -> None:
    """Delta-chi2 on a 2D grid of two parameters, with contour polylines (evaluated in chunks)."""
    def spec(text):
        name, _, rest = text.partition(":")
        if not rest:
            raise click.BadParameter(f"{text!r}: use PARAM:LO:HI:N (or PARAM:LO:HI:N:log)")
        if rest.endswith(":log"):
            return name, _log_range(rest[: -len(":log")], name)
        return name, _range(rest)

    (xp, xv), (yp, yv) = spec(x_spec), spec(y_spec)
    result = _run(api.scan2d, _split(experiments), xp, xv, yp, yv, recipe, model, _split(cl), _values(fixed), dof,
                  _es(es), checkpoint=checkpoint)
    if plot_file:
        from .results.plotting import plot_contours

        plot_contours(result, plot_file)

    def human(r: dict) -> None:
        click.echo(f"best: {r['best']}  chi2_min {r['chi2_min']:.3f}")
        for c, v in r["contours"].items():
            click.echo(f"  {c}: {len(v['lines'])} contour line(s) at Delta-chi2 = {v['delta_chi2']:.3f}")

    _emit(result, as_json, human)


@main.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def models_cmd(as_json: bool) -> None:
    """List the models, their parameters and sources."""
    result = api.models()

    def human(r: dict) -> None:
        for name, m in r.items():
            click.echo(f"{name}: {m['description']}  [{m['source']}]")
            for p, info in m["parameters"].items():
                unit = f" [{info['unit']}]" if info["unit"] else ""
                click.echo(f"    {p}{unit}: {info['description']} ({info['source']})")

    _emit(result, as_json, human)


def _log_range(text: str, what: str) -> list[float]:
    import numpy as np

    try:
        lo, hi, n = text.split(":")
        lo_f, hi_f, n_i = float(lo), float(hi), int(n)
    except ValueError:
        raise click.BadParameter(f"{text!r}: use LO:HI:N for {what}, e.g. 0.1:10000:100") from None
    if lo_f <= 0 or hi_f <= 0:
        raise click.BadParameter(f"{text!r}: {what} must be positive (the grid is log-spaced)")
    if n_i < 1:
        raise click.BadParameter(f"{text!r}: the grid needs N >= 1 points")
    if n_i > 1 and not hi_f > lo_f:
        raise click.BadParameter(f"{text!r}: need HI > LO")
    return np.geomspace(lo_f, hi_f, n_i).tolist()


def _progress_factory(label: str):
    """A click progress bar on a terminal, nothing otherwise (returns (callback, closer))."""
    if not sys.stderr.isatty():
        return None, lambda: None
    bar = click.progressbar(length=1, label=label, file=sys.stderr)
    bar.__enter__()
    state = {"last": 0}

    def cb(done: int, total: int) -> None:
        bar.length = total
        bar.update(done - state["last"])
        state["last"] = done

    return cb, lambda: bar.__exit__(None, None, None)


def _upper_boundary_note(first: float, upper: float | None, unit: str = "") -> str:
    """Human text for the upper boundary (thin excluded strips bridged) where it differs from the first exclusion."""
    if upper is None:
        return "" if math.isnan(first) else "  (upper boundary, thin strips bridged: none below the top of the range)"
    if math.isclose(upper, first, rel_tol=1e-9):
        return ""
    return f"  (upper boundary, thin strips bridged: {upper:.3g}{unit})"


@main.command()
@click.option("--model", "-m", required=True, help="Light-mediator model (`cevns models`).")
@click.option("--experiments", "-e", required=True, help="Comma-separated experiments.")
@click.option("--recipe", "-r", default="atzori2022", show_default=True, help="Recipe name or file.")
@click.option("--cl", default="2sigma", show_default=True, help="Confidence level.")
@click.option("--dof", default=1, show_default=True, type=click.IntRange(1, 2), help="Degrees of freedom.")
@click.option("--masses", default="0.1:10000:60", show_default=True, help="LO:HI:N mediator masses [MeV], log-spaced.")
@click.option("--couplings", default="1e-7:1:80", show_default=True, help="LO:HI:N couplings, log-spaced.")
@click.option("--fix", "fixed", default=None, help="Fixed model parameters, NAME=VALUE,...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@ES_OPTION
def limits(model, experiments, recipe, cl, dof, masses, couplings, fixed, as_json, es) -> None:
    """Coupling limits at low and high mediator mass and the exclusion boundary."""
    cb, close = _progress_factory("scanning")
    try:
        result = _run(api.limits, model, _split(experiments), recipe, cl, dof, _log_range(masses, "masses"),
                      _log_range(couplings, "couplings"), _values(fixed), cb, _es(es))
    finally:
        close()

    def human(r: dict) -> None:
        click.echo(f"{r['model']} with {', '.join(r['experiments'])} ({r['recipe']}), {r['cl']} ({r['dof']} dof)")
        lo, hi = r["low_mass"], r["high_mass"]
        click.echo(f"  low mass  (M = {lo['mass_mev']:g} MeV):  g < {lo['g']:.3g}"
                   + _upper_boundary_note(lo["g"], lo.get("upper_boundary_g")))
        click.echo(f"  high mass (M = {hi['mass_mev']:g} MeV): g/M < {hi['g_over_m_per_gev']:.3g} GeV^-1"
                   + _upper_boundary_note(hi["g_over_m_per_gev"], hi.get("upper_boundary_g_over_m_per_gev"), " GeV^-1"))
        strips = [(c["mass_mev"], iv) for c in r["allowed_intervals"] for iv in c["allowed"][1:]]
        if strips:
            click.echo(f"  allowed strips/islands above the bound at {len(strips)} masses (see --json)")

    _emit(result, as_json, human)


@main.command()
@click.option("--model", "-m", required=True, help="Light-mediator model (`cevns models`).")
@click.option("--experiments", "-e", required=True, help="Comma-separated experiments.")
@click.option("--recipe", "-r", default="atzori2022", show_default=True, help="Recipe name or file.")
@click.option("--masses", required=True, help="LO:HI:N mediator masses [MeV], log-spaced.")
@click.option("--couplings", required=True, help="LO:HI:N couplings, log-spaced.")
@click.option("--out", required=True, help="Output file (.csv or .parquet); a .json sidecar is written beside it.")
@click.option("--cl", default="2sigma", show_default=True, help="CL of the 'excluded' column.")
@click.option("--dof", default=1, show_default=True, type=click.IntRange(1, 2))
@click.option("--fix", "fixed", default=None, help="Fixed model parameters, NAME=VALUE,...")
@click.option("--json", "as_json", is_flag=True, help="Print the sidecar JSON.")
@ES_OPTION
def scan(model, experiments, recipe, masses, couplings, out, cl, dof, fixed, as_json, es) -> None:
    """Full (mass, coupling) grid with profiled nuisances; resumes an interrupted scan."""
    cb, close = _progress_factory("scanning")
    try:
        result = _run(api.scan, model, _split(experiments), _log_range(masses, "masses"),
                      _log_range(couplings, "couplings"), out, recipe, _values(fixed), None, cb, cl, dof, _es(es))
    finally:
        close()
    _emit(result, as_json, lambda r: click.echo(f"wrote {r['out']} and {r['sidecar']} (chi2_min {r['chi2_min']:.3f})"))


@main.command("plot-limits")
@click.option("--model", "-m", required=True, help="Light-mediator model.")
@click.option("--experiments", "-e", "datasets", multiple=True, required=True,
              help="Dataset(s) to draw; repeat the option, e.g. -e csi-2021 -e lar-2020 -e csi-2021,lar-2020.")
@click.option("--recipe", "-r", default="atzori2022", show_default=True)
@click.option("--cl", default="2sigma", show_default=True)
@click.option("--masses", default="0.1:10000:60", show_default=True)
@click.option("--couplings", default="1e-7:1:80", show_default=True)
@click.option("--out", required=True, help="Image file (png/pdf).")
def plot_limits(model, datasets, recipe, cl, masses, couplings, out) -> None:
    """Exclusion regions of one or several datasets with the (g-2)_mu band."""
    from .results.plotting import plot_exclusions

    results = [_run(api.limits, model, _split(d), recipe, cl, 1, _log_range(masses, "masses"),
                    _log_range(couplings, "couplings")) for d in datasets]
    plot_exclusions(results, out)
    click.echo(f"wrote {out}")


@main.group("recipes", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def recipes_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the analysis recipes (presets); `show NAME` prints one, `export NAME` writes an editable copy."""
    if ctx.invoked_subcommand is not None:
        return
    result = api.recipes()

    def human(r: dict) -> None:
        for name, rec in r.items():
            click.echo(f"{name:14s} {rec['description']}\n{'':14s} source: {rec['source']}")

    _emit(result, as_json, human)


@recipes_cmd.command("show")
@click.argument("name")
def recipes_show(name: str) -> None:
    """Print a recipe (preset name or .toml/.yaml file) as TOML."""
    from .recipes import get_recipe, recipe_to_toml

    rec = _run(get_recipe, name)
    click.echo(recipe_to_toml(rec), nl=False)


@recipes_cmd.command("export")
@click.argument("name")
@click.option("--as-name", default=None, help="Name of the exported recipe (default NAME-custom; presets' names are reserved).")
def recipes_export(name: str, as_name: str | None) -> None:
    """Write a complete, editable TOML copy of a recipe to stdout (cevns recipes export NAME > my.toml)."""
    from .recipes import get_recipe, recipe_to_toml

    rec = _run(get_recipe, name)
    base = name if name in RECIPES else rec.likelihood_name
    click.echo(recipe_to_toml(rec, name=as_name or f"{rec.name}-custom", base=base), nl=False)



# -- statistics at scale (issue #12): cevns toys, fc, coverage, posterior ----------------


def _stats_options(f):
    """Options shared by the toy-based commands: toys, seed, executor, workers, scheduler, chunking."""
    opts = [
        click.option("--toys", "n_toys", default=1000, show_default=True, type=click.IntRange(1, None),
                     help="Toys per point."),
        click.option("--seed", default=0, show_default=True, type=click.IntRange(0, None), help="Random seed."),
        click.option("--nuisances", default="drawn", show_default=True, type=click.Choice(["drawn", "fixed", "nominal"]),
                     help="Toys' nuisances: drawn from their priors around the values fitted to the data, fixed there, or 0."),
        click.option("--executor", default="local", show_default=True, type=click.Choice(["local", "processes", "dask"]),
                     help="Where the chunks run: this process, local cores, or dask.distributed."),
        click.option("--workers", default=None, type=click.IntRange(1, None), help="Worker processes (default: all cores)."),
        click.option("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler (with --executor dask)."),
        click.option("--chunk", "chunk_size", default=500, show_default=True, type=click.IntRange(1, None),
                     help="Toys per task."),
        click.option("--checkpoint", default=None, metavar="DIR", help="Keep finished chunks in DIR; a rerun resumes."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _tqdm_progress(as_json: bool, label: str):
    """A tqdm bar on a terminal (never in --json output or when stderr is not a terminal)."""
    if as_json or not sys.stderr.isatty():
        return None, lambda: None
    try:
        from tqdm import tqdm
    except ImportError:  # the progress extra (pip install 'cevns[progress]') is not installed
        return None, lambda: None

    bar = tqdm(total=1, desc=label, file=sys.stderr, unit="chunk")

    def cb(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return cb, bar.close


def _fmt_intervals(ivs) -> str:
    return " U ".join(f"[{lo:.4g}, {hi:.4g}]" for lo, hi in ivs) or "(none on the grid)"


@main.command("toys")
@common_options
@_stats_options
@click.option("--param", "-p", required=True, help="Parameter fitted in every toy.")
@click.option("--range", "grid", required=True, help="LO:HI:N grid on which each toy is fitted.")
@click.option("--at", "at", required=True, type=float, help="Value at which the toys are generated (nearest grid value).")
@click.option("--first-toy", default=0, show_default=True, type=click.IntRange(0, None),
              help="Index of the first toy (split a job into runs whose files merge).")
@click.option("--asimov", is_flag=True, help="The expectation itself (Asimov data) instead of Poisson toys.")
@click.option("--out", default=None, metavar="FILE.npz", help="Save the toys (merge files with `cevns toys-merge`).")
@click.option("--plot", "plot_file", default=None, help="Histogram of the toys' Delta-chi2 against chi2_1 to FILE.")
def toys_cmd(es, experiments, recipe, model, fixed, as_json, n_toys, seed, nuisances, executor, workers, scheduler,
             chunk_size, checkpoint, param, grid, at, first_toy, asimov, out, plot_file) -> None:
    """Pseudo-experiments at one point, each fitted on a grid; the Wilks check of their Delta-chi2."""
    cb, close = _tqdm_progress(as_json, "toys")
    try:
        result = _run(api.toys, _split(experiments), param, _range(grid), at, n_toys, recipe, model, _values(fixed),
                      seed, first_toy, nuisances, asimov, chunk_size, executor, workers, scheduler, checkpoint, cb, out,
                      _es(es))
    finally:
        close()
    if plot_file:
        from .results.plotting_stats import plot_toy_histogram

        plot_toy_histogram(result["delta_chi2"], 1, plot_file, f"{param} = {result['point']:.4g}")

    def human(r) -> None:
        click.echo(f"{r['n_toys']} toys at {param} = {r['point']:.5g} ({', '.join(r['experiments'])}, {r['recipe']})")
        for cl, c in r["wilks_check"].items():
            click.echo(f"  Wilks check {cl:>7s}: P(Delta-chi2 <= chi2_1 quantile) = {c['coverage']:.4f} "
                       f"+- {c['error']:.4f} (expected {c['expected']:.4f})")

    _emit(result, as_json, human)


@main.command("toys-merge")
@click.argument("files", nargs=-1, required=True)
@click.option("--out", required=True, metavar="FILE.npz", help="Merged toy file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def toys_merge(files, out, as_json) -> None:
    """Merge toy files of the same job (same configuration, seed and point)."""
    result = _run(api.merge_toy_files, list(files), out)
    _emit(result, as_json, lambda r: click.echo(f"{r['n_toys']} toys -> {r['out']}"))


def _axis(spec: str) -> tuple[str, list[float]]:
    try:
        name, rest = spec.split(":", 1)
    except ValueError:
        raise click.BadParameter(f"{spec!r}: use PARAM:LO:HI:N") from None
    return name, _range(rest)


@main.command("fc")
@common_options
@_stats_options
@click.option("--param", "-p", default=None, help="Parameter (1D; with --range).")
@click.option("--range", "grid", default=None, help="LO:HI:N grid of the belt (its range is the allowed region).")
@click.option("--x", "x_spec", default=None, help="2D: PARAM:LO:HI:N of the first parameter.")
@click.option("--y", "y_spec", default=None, help="2D: PARAM:LO:HI:N of the second parameter.")
@click.option("--cl", default="1sigma,90%", show_default=True, help="Comma-separated CLs.")
@click.option("--ordering", default="lr", show_default=True, type=click.Choice(["lr", "central"]),
              help="lr: Feldman-Cousins; central: Neyman with central intervals of the best fit (1D).")
@click.option("--plot", "plot_file", default=None, help="Belt (1D) or regions (2D) with the Wilks ones to FILE.")
def fc_cmd(es, experiments, recipe, model, fixed, as_json, n_toys, seed, nuisances, executor, workers, scheduler,
           chunk_size, checkpoint, param, grid, x_spec, y_spec, cl, ordering, plot_file) -> None:
    """Feldman-Cousins intervals from toys, beside the Wilks intervals and the Wilks check."""
    import numpy as np

    if x_spec or y_spec:
        if not (x_spec and y_spec) or param or grid:
            raise click.UsageError("2D belts need both --x and --y (and no --param/--range)")
        (px, gx), (py, gy) = _axis(x_spec), _axis(y_spec)
        params, grids = [px, py], [gx, gy]
    else:
        if not (param and grid):
            raise click.UsageError("give --param P --range LO:HI:N (1D) or --x and --y (2D)")
        params, grids = [param], [_range(grid)]
    cb, close = _tqdm_progress(as_json, "fc toys")
    try:
        result = _run(api.fc, _split(experiments), params, grids, n_toys, recipe, model, _split(cl), _values(fixed), seed,
                      nuisances, ordering, chunk_size, executor, workers, scheduler, checkpoint, cb, _es(es))
    finally:
        close()
    if plot_file:
        from .results.plotting_stats import plot_belt

        plot_belt(result.to_dict(), plot_file)

    def human(r) -> None:
        click.echo(f"{r['param']}: {'Feldman-Cousins' if ordering == 'lr' else 'Neyman (central)'}, "
                   f"{r['n_toys']} toys per point ({', '.join(r['experiments'])}, {r['model']}, {r['recipe']})")
        for c in r["intervals"]:
            chk = r["wilks_check"][c]
            cov = np.asarray(chk["coverage"])
            if len(params) == 1:
                click.echo(f"  {c:>7s}  FC {_fmt_intervals(r['intervals'][c])}   Wilks {_fmt_intervals(r['wilks_intervals'][c])}")
            else:
                click.echo(f"  {c:>7s}  FC accepts {sum(r['intervals'][c])} of {len(r['intervals'][c])} points, "
                           f"Wilks {sum(r['wilks_intervals'][c])}")
            click.echo(f"           Wilks check: P(Delta-chi2 <= chi2_{len(params)} quantile) from {cov.min():.3f} to "
                       f"{cov.max():.3f} over the grid (expected {chk['expected']:.3f})")

    _emit(result, as_json, human)


@main.command("coverage")
@common_options
@_stats_options
@click.option("--param", "-p", required=True, help="Parameter.")
@click.option("--range", "grid", required=True, help="LO:HI:N grid on which each toy is fitted.")
@click.option("--at", "at", required=True, type=float, help="True value (nearest grid value).")
@click.option("--cl", default="1sigma", show_default=True, help="Comma-separated CLs.")
@click.option("--method", default="wilks", show_default=True, type=click.Choice(["wilks", "fc"]), help="Interval method.")
@click.option("--belt-toys", default=1000, show_default=True, type=click.IntRange(1, None),
              help="Toys of the critical value (method fc; independent stream).")
@click.option("--plot", "plot_file", default=None, help="Histogram of the toys' Delta-chi2 against chi2_1 to FILE.")
def coverage_cmd(es, experiments, recipe, model, fixed, as_json, n_toys, seed, nuisances, executor, workers, scheduler,
                 chunk_size, checkpoint, param, grid, at, cl, method, belt_toys, plot_file) -> None:
    """Coverage of an interval method at a true value, with its binomial error."""
    cb, close = _tqdm_progress(as_json, "coverage toys")
    try:
        result = _run(api.coverage, _split(experiments), param, _range(grid), at, n_toys, recipe, model, _split(cl),
                      method, _values(fixed), seed, nuisances, belt_toys, chunk_size, executor, workers, scheduler,
                      checkpoint, cb, _es(es))
    finally:
        close()
    if plot_file:
        from .results.plotting_stats import plot_toy_histogram

        plot_toy_histogram(result["toy_delta_chi2"], 1, plot_file, f"{param} = {result['true_value'][0]:.4g}")

    def human(r) -> None:
        click.echo(f"coverage of the {r['method']} interval of {param} at {r['true_value'][0]:.5g}, {r['n_toys']} toys")
        for c, v in r["coverage"].items():
            click.echo(f"  {c:>7s}: {v['coverage']:.4f} +- {v['error']:.4f} (nominal {v['expected']:.4f})")

    _emit(result, as_json, human)



@main.command("posterior")
@common_options
@click.option("--prior", "priors", multiple=True, required=True,
              help="NAME=KIND:A:B with KIND flat (A..B), log-flat (A..B, A > 0) or gaussian (mean A, width B); repeat.")
@click.option("--sampler", default="ultranest", show_default=True, type=click.Choice(["ultranest", "nautilus", "dynesty"]))
@click.option("--live-points", default=400, show_default=True, type=click.IntRange(10, None))
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, None), help="Random seed.")
@click.option("--cl", default="1sigma", show_default=True, help="Comma-separated CLs of the credible intervals.")
@click.option("--sm", "sm_values", default=None, help="NAME=VALUE,... of the SM point: report the best fit's deviation from it.")
@click.option("--plot", "plot_file", default=None, help="Corner plot of the posterior to FILE.")
def posterior_cmd(es, experiments, recipe, model, fixed, as_json, priors, sampler, live_points, seed, cl, sm_values,
                  plot_file) -> None:
    """Posterior, credible intervals and evidence by nested sampling."""
    result = _run(api.posterior, _split(experiments), list(priors), recipe, model, _values(fixed), sampler, seed,
                  live_points, _split(cl), _es(es), _values(sm_values) or None)
    if plot_file:
        from .results.plotting_stats import plot_corner

        plot_corner(result["samples"], None, result["params"], plot_file)

    def human(r) -> None:
        click.echo(f"{r['sampler']}: {r['n_calls']} likelihood calls, {r['time_s']:.1f} s, "
                   f"ln Z = {r['log_evidence']:.3f}")
        for c, ivs in r["intervals"].items():
            for n, (lo, hi) in ivs.items():
                click.echo(f"  {c:>7s} {n}: [{lo:.5g}, {hi:.5g}]  (median {r['median'][n]:.5g})")
        if "deviation_from_sm_sigma" in r:
            click.echo(f"  best fit deviates from the SM point by {r['deviation_from_sm_sigma']:.2f} sigma")

    _emit(result, as_json, human)


if __name__ == "__main__":  # pragma: no cover
    main()
