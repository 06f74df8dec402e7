"""The ``cevns`` command line. Every command has ``--json`` for scripts.

User mistakes (unknown experiment or recipe, missing or altered data, invalid values:
every :class:`cevns.errors.CevnsError`) print a one-line message with the fix and exit
with status 2; they never show a traceback unless ``cevns --debug ...`` asks for one.
Any other exception is a bug and surfaces with its traceback.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import warnings

import click

from . import __version__
from .errors import CevnsError
from .progress import progress_bar, wants_bar
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
        click.echo(f"data directory: {os.pathsep.join(r['data_dirs'])}  (set ${r['env_var']} to change)")
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
    with progress_bar("profile", wants_bar(as_json)) as cb, _warnings_to_stderr():
        result = _run(api.profile, _split(experiments), param, _range(grid), recipe, model, _split(cl), _split(free),
                      _values(fixed), dof, _es(es), progress=cb)
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
    with progress_bar("scan2d", wants_bar(as_json)) as cb, _warnings_to_stderr():
        result = _run(api.scan2d, _split(experiments), xp, xv, yp, yv, recipe, model, _split(cl), _values(fixed), dof,
                      _es(es), checkpoint=checkpoint, progress=cb)
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


@contextlib.contextmanager
def _warnings_to_stderr():
    """Warnings of the inference layer (e.g. an interval reaching the grid edge) as one line each on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for w in caught:
                click.echo(f"cevns: warning: {w.message}", err=True)


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
    with progress_bar("limits", wants_bar(as_json)) as cb:
        result = _run(api.limits, model, _split(experiments), recipe, cl, dof, _log_range(masses, "masses"),
                      _log_range(couplings, "couplings"), _values(fixed), cb, _es(es))

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
    with progress_bar("scan", wants_bar(as_json)) as cb:
        result = _run(api.scan, model, _split(experiments), _log_range(masses, "masses"),
                      _log_range(couplings, "couplings"), out, recipe, _values(fixed), None, cb, cl, dof, _es(es))
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
@click.option("--overlay", "overlays", multiple=True, metavar="CSV",
              help="Published curve to draw over the regions: CSV with columns mass_mev,g (and '# label: ...'); repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the curves drawn as JSON.")
def plot_limits(model, datasets, recipe, cl, masses, couplings, out, overlays, as_json) -> None:
    """Exclusion regions of one or several datasets with the (g-2)_mu band."""
    from .results.plotting import plot_exclusions, read_curve_csv

    curves = [_run(read_curve_csv, f) for f in overlays]
    with progress_bar("limits", wants_bar(as_json)) as cb:
        results = [_run(api.limits, model, _split(d), recipe, cl, 1, _log_range(masses, "masses"),
                        _log_range(couplings, "couplings"), None, cb) for d in datasets]
    drawn = plot_exclusions(results, out, curves)
    _emit({"out": out, "model": model, "recipe": results[0]["recipe"], "cl": cl, **drawn}, as_json,
          lambda r: click.echo(f"wrote {out}"))


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



@main.command("project")
@click.option("--detector", "-d", required=True, help="Detector preset (ccm, coh-cryo-csi-1, ...) or a detector file.")
@click.option("--model", "-m", default=None, help="Light-mediator model for expected limits (omit: SM counts only).")
@click.option("--recipe", "-r", default="atzori2022", show_default=True, help="Recipe name or file.")
@click.option("--exposure-years", type=float, default=None, help="Years of running (overrides the file's exposure).")
@click.option("--pot", type=float, default=None, help="Protons on target (overrides the file's exposure).")
@click.option("--cl", default="2sigma", show_default=True, help="CL of the expected limit.")
@click.option("--masses", default="1:10000:25", show_default=True, help="LO:HI:N mediator masses [MeV], log-spaced.")
@click.option("--combine", default=None, help="Comma-separated releases to combine with (e.g. csi-2021,lar-2020).")
@click.option("--fix", "fixed", default=None, help="Fixed model parameters, NAME=VALUE,...")
@click.option("--plot", "plot_out", default=None, help="Write the expected-limit plot to this file (png/pdf).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def project(detector, model, recipe, exposure_years, pot, cl, masses, combine, fixed, plot_out, as_json) -> None:
    """Projected reach of a detector without data: SM counts, expected limits (Asimov, +-1/2 sigma), discovery."""
    result = _run(api.project, detector, model, recipe, exposure_years, pot, cl,
                  _log_range(masses, "masses") if model else None, _split(combine), _values(fixed))
    if plot_out and model:
        from .projections.plotting import plot_projection

        plot_projection(result, plot_out)

    def human(r) -> None:
        yrs = f"{r['exposure_years']:g} years, " if r["exposure_years"] else ""
        click.echo(f"{r['detector']}: {r['description']}")
        click.echo(f"  {r['facility']['name']} at {r['baseline_m']:g} m, {yrs}{r['pot']:.3g} POT ({r['recipe']})")
        click.echo(f"  SM CEvNS events: {r['cevns_total']:.1f}"
                   + "".join(f", {k} {v:.1f}" for k, v in r["backgrounds"].items()))
        if r["model"]:
            click.echo(f"  {r['model']} expected limit ({r['cl']}), g at M [MeV]:")
            for mm, g in zip(r["masses_mev"], r["expected_limit_g"], strict=True):
                click.echo(f"    {mm:10.3g}  {g:.3g}")
        if plot_out:
            click.echo(f"  plot: {plot_out}")

    _emit(result, as_json, human)


if __name__ == "__main__":  # pragma: no cover
    main()
