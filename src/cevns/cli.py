"""The ``cevns`` command line. Every command has ``--json`` for scripts.

User mistakes (unknown experiment or recipe, missing or altered data, invalid values:
every :class:`cevns.errors.CevnsError`) print a one-line message with the fix and exit
with status 2; they never show a traceback unless ``cevns --debug ...`` asks for one.
Any other exception is a bug and surfaces with its traceback.
"""

from __future__ import annotations

import contextlib
import math
import os
import shlex
import sys
import warnings

import click

from . import __version__
from .errors import CevnsError, ConflictError
from .outputs import atomic_path, to_json
from .progress import progress_bar, wants_bar
from .recipes import RECIPES
from .validation import PLOT_EXTENSIONS, check_output_path, parse_assignments, parse_grid, split_items


class _LazyModule:
    """``cevns.api``, imported on first use: `cevns --help` need not load scipy and the experiments."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        import importlib

        return getattr(importlib.import_module(self._name), attr)


api = _LazyModule("cevns.api")


def _emit(obj, as_json: bool, human) -> None:
    """Print ``obj`` (a dict or a :mod:`cevns.results` record) as JSON or through ``human``.

    The JSON is always valid JSON: NaN and infinities become ``null`` (with a ``<key>_reason``
    beside a scalar), :func:`cevns.outputs.to_json`.
    """
    if as_json:
        plain = obj.to_dict() if hasattr(obj, "to_dict") else obj
        click.echo(to_json(plain))
    else:
        human(obj)


def _one_line(message: str) -> str:
    return "; ".join(part.strip() for part in str(message).splitlines() if part.strip())


def _fail(message: str, code: int = 2) -> None:
    click.echo(f"cevns: error: {_one_line(message)}", err=True)
    sys.exit(code)


#: the arguments of this invocation (for the resume hint after Ctrl-C)
_ARGV: list[str] = []


def _command_line() -> str:
    return "cevns " + shlex.join(_ARGV)


def _interrupted(note: str) -> None:
    """Ctrl-C: one line saying what was kept and how to go on, exit status 130."""
    click.echo(f"cevns: interrupted; {note}", err=True)
    sys.exit(130)


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and (ctx.find_root().obj or {}).get("debug"))


class _CevnsGroup(click.Group):
    """The ``cevns`` group: usage errors as one line (exit 2), Ctrl-C as exit 130, like every user error."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        global _ARGV
        _ARGV = list(sys.argv[1:] if args is None else args)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name or "cevns", complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                exc.show()
                sys.exit(exc.exit_code)
            ctx = getattr(exc, "ctx", None)
            hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
            _fail(exc.format_message() + hint, exc.exit_code)
        except click.Abort:
            _interrupted("nothing to resume")
        sys.exit(rv if isinstance(rv, int) else 0)


def _user_error(exc: CevnsError) -> None:
    """One line and exit 2, or the traceback under ``--debug``."""
    if _debug():
        raise exc
    _fail(str(exc))


def _check_plot(path: str | None) -> None:
    """A --plot/--out image path, checked before any computation."""
    if path is not None:
        _run(check_output_path, path, PLOT_EXTENSIONS, "--plot")


def _write_plot(path: str, draw) -> None:
    """Draw to a temporary file and rename it (no partial image); the results are already printed."""
    try:
        with atomic_path(path) as tmp:
            draw(str(tmp))
    except Exception as exc:
        if _debug():
            raise
        _fail(f"the results were printed above, but the plot {path} could not be written: "
              f"{type(exc).__name__}: {exc}")


@click.group(cls=_CevnsGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
        click.echo(to_json([asdict(r) for r in results]))
    else:
        human(results)


@main.command()
@click.option("--experiment", "--experiments", "-e", "experiment", required=True, multiple=True,
              help="Data release (one: csi-2017, csi-2021, lar-2020).")
@click.option("--recipe", "-r", default=None, help=f"Analysis recipe ({', '.join(RECIPES)}); default atzori2022.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with per-bin arrays).")
@click.option("--electron-scattering", "es", type=click.Choice(["on", "off"]), default=None,
              help="Add nu-e scattering in CsI 2021 (default: as the recipe says).")
def predict(experiment: tuple[str, ...], recipe: str | None, as_json: bool, es: str | None) -> None:
    """Standard-Model CEvNS prediction, backgrounds and observed counts for one release."""
    try:
        exps = split_items(experiment)
        if len(exps) != 1:
            raise ConflictError(f"predict takes one experiment, got {len(exps)} ({', '.join(exps) or 'none'}); "
                                f"run it once per experiment")
        result = api.predict(exps[0], recipe, _es(es))
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


def _range(text: str, what: str = "--range") -> list[float]:
    return _run(parse_grid, text, what, False, api.BYTES_PER_POINT["profile"]).tolist()


def _split(text) -> list[str]:
    """Comma-separated and/or repeated option values (``-e a,b`` = ``-e a -e b``)."""
    return split_items(text)


def _values(text) -> dict[str, float]:
    return _run(parse_assignments, text, "--fix")


ES_OPTION = click.option("--electron-scattering", "es", type=click.Choice(["on", "off"]), default=None,
                         help="Add nu-e scattering in CsI 2021 (default: as the recipe says).")


def _es(value: str | None) -> bool | None:
    return None if value is None else value == "on"


_common = [
    ES_OPTION,
    click.option("--experiments", "--experiment", "-e", "experiments", required=True, multiple=True,
                 help="Comma-separated or repeated: csi-2017, csi-2021, lar-2020."),
    click.option("--recipe", "-r", default=None, help="Recipe name or .toml/.yaml file (default atzori2022)."),
    click.option("--model", "-m", default=None, help="Model name (default sm; `cevns models` lists all)."),
    click.option("--fix", "fixed", multiple=True, help="Fixed model parameters, NAME=VALUE,... (repeatable)."),
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
@click.option("--free", multiple=True, help="Free model parameters, comma-separated or repeated (e.g. cevns_norm,sin2_theta_w).")
@click.option("--plot", "plot_file", default=None, help="Write spectra with data and fitted components to FILE (png/pdf/svg).")
def fit(es, experiments, recipe, model, fixed, as_json, free, plot_file) -> None:
    """Best fit with all recipe nuisances profiled."""
    exps = _split(experiments)
    _check_plot(plot_file)
    result = _run(api.fit, exps, recipe, model, _split(free), _values(fixed), _es(es))

    def human(r: dict) -> None:
        click.echo(f"{', '.join(r['experiments'])}: model {r['model']}, recipe {r['recipe']}")
        click.echo(f"  chi2_min = {r['chi2_min']:.3f}  (ndof {r['ndof']})")
        for k, v in r["best_fit"].items():
            click.echo(f"  {k} = {v:.5g} +- {r['errors_hesse'].get(k, float('nan')):.2g}")
        for e, c in r["components_fitted"].items():
            click.echo(f"  {e}: " + ", ".join(f"{k} {v:.1f}" for k, v in c.items()))

    _emit(result, as_json, human)
    if plot_file is not None:
        from .inference import make_analysis
        from .results.plotting import plot_fit_spectra

        an = _run(make_analysis, exps, api.with_es(recipe, _es(es)), model, _values(fixed))
        _write_plot(plot_file, lambda f: plot_fit_spectra(result, f, an))


@main.command()
@common_options
@click.option("--param", "-p", required=True, help="Parameter to profile.")
@click.option("--range", "grid", required=True, help="LO:HI:N grid of the parameter.")
@click.option("--cl", default=("1sigma",), multiple=True, show_default=True,
              help="Comma-separated or repeated CLs: 1sigma, 2sigma, 90%, 0.95, ...")
@click.option("--free", multiple=True, help="Other model parameters to minimise at each point.")
@click.option("--dof", default=1, show_default=True, type=click.IntRange(1, 2), help="Degrees of freedom of the CL conversion.")
@click.option("--plot", "plot_file", default=None, help="Write the Delta-chi2 profile to FILE (png/pdf).")
def profile(es, experiments, recipe, model, fixed, as_json, param, grid, cl, free, dof, plot_file) -> None:
    """Delta-chi2 profile of one parameter and its intervals (several where disjoint)."""
    _check_plot(plot_file)
    with progress_bar("profile", wants_bar(as_json)) as cb, _warnings_to_stderr():
        result = _run(api.profile, _split(experiments), param, _range(grid, f"--range of {param}"), recipe, model,
                      _split(cl), _split(free), _values(fixed), dof, _es(es), progress=cb)

    def human(r: dict) -> None:
        click.echo(f"{r['param']}: best {r['best']:.5g}  ({', '.join(r['experiments'])}, {r['model']}, {r['recipe']})")
        for c, ivs in r["intervals"].items():
            txt = " U ".join(f"[{lo:.4g}, {hi:.4g}]" for lo, hi in ivs) or "(none on the grid)"
            click.echo(f"  {c:>7s}: {txt}")

    _emit(result, as_json, human)
    if plot_file is not None:
        from .results.plotting import plot_profile

        _write_plot(plot_file, lambda f: plot_profile(result, f))


@main.command()
@common_options
@click.option("--x", "x_spec", required=True, help="PARAM:LO:HI:N for the x axis (append :log for a log grid).")
@click.option("--y", "y_spec", required=True, help="PARAM:LO:HI:N for the y axis (append :log for a log grid).")
@click.option("--cl", default=("90%",), multiple=True, show_default=True, help="Comma-separated or repeated CLs for the contours.")
@click.option("--dof", default=2, show_default=True, type=click.IntRange(1, 2))
@click.option("--plot", "plot_file", default=None, help="Write the Delta-chi2 map with contours to FILE.")
@click.option("--checkpoint", default=None, metavar="FILE",
              help="Save finished chunks of the grid to FILE and resume from it when rerun (default: none).")
def scan2d(es, experiments, recipe, model, fixed, as_json, x_spec, y_spec, cl, dof, plot_file, checkpoint) -> None:
    """Delta-chi2 on a 2D grid of two parameters, with contour polylines (evaluated in chunks)."""
    def spec(text, axis):
        name, _, rest = text.partition(":")
        log = rest.endswith(":log")
        rest = rest[: -len(":log")] if log else rest
        if not name.strip() or rest.count(":") != 2:
            _fail(f"--{axis} {text!r}: use PARAM:LO:HI:N (or PARAM:LO:HI:N:log), e.g. eps_ee_u:-0.2:0.6:61")
        return name.strip(), _run(parse_grid, rest, f"--{axis} {name}", log).tolist()

    (xp, xv), (yp, yv) = spec(x_spec, "x"), spec(y_spec, "y")
    _check_plot(plot_file)
    try:
        with progress_bar("scan2d", wants_bar(as_json)) as cb, _warnings_to_stderr():
            result = _run(api.scan2d, _split(experiments), xp, xv, yp, yv, recipe, model, _split(cl), _values(fixed),
                          dof, _es(es), checkpoint=checkpoint, progress=cb)
    except KeyboardInterrupt:
        if checkpoint is None:
            _interrupted("nothing was saved; add --checkpoint FILE to make the scan resumable")
        _interrupted(f"finished chunks are saved in {checkpoint}; to resume, run the same command again: "
                     f"{_command_line()}")

    def human(r: dict) -> None:
        click.echo(f"best: {r['best']}  chi2_min {r['chi2_min']:.3f}")
        for c, v in r["contours"].items():
            click.echo(f"  {c}: {len(v['lines'])} contour line(s) at Delta-chi2 = {v['delta_chi2']:.3f}")

    _emit(result, as_json, human)
    if plot_file is not None:
        from .results.plotting import plot_contours

        _write_plot(plot_file, lambda f: plot_contours(result, f))


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
    return _run(parse_grid, text, f"--{what}", True).tolist()


@contextlib.contextmanager
def _warnings_to_stderr():
    """cevns's own warnings (an interval or contour reaching the grid edge) as one line each on
    stderr; any other warning (numpy, a library) is re-issued under Python's usual filters."""
    from .inference.analysis import GridEdgeWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridEdgeWarning)
        try:
            yield
        finally:
            pass
    for w in caught:
        if issubclass(w.category, GridEdgeWarning):
            click.echo(f"cevns: warning: {w.message}", err=True)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _upper_boundary_note(first: float, upper: float | None, unit: str = "") -> str:
    """Human text for the upper boundary (thin excluded strips bridged) where it differs from the first exclusion."""
    if upper is None:
        return "" if math.isnan(first) else "  (upper boundary, thin strips bridged: none below the top of the range)"
    if math.isclose(upper, first, rel_tol=1e-9):
        return ""
    return f"  (upper boundary, thin strips bridged: {upper:.3g}{unit})"


@main.command()
@click.option("--model", "-m", required=True, help="Light-mediator model (`cevns models`).")
@click.option("--experiments", "--experiment", "-e", "experiments", required=True, multiple=True,
              help="Comma-separated or repeated experiments.")
@click.option("--recipe", "-r", default="atzori2022", show_default=True, help="Recipe name or file.")
@click.option("--cl", default="2sigma", show_default=True, help="Confidence level.")
@click.option("--dof", default=1, show_default=True, type=click.IntRange(1, 2), help="Degrees of freedom.")
@click.option("--masses", default="0.1:10000:60", show_default=True, help="LO:HI:N mediator masses [MeV], log-spaced.")
@click.option("--couplings", default="1e-7:1:80", show_default=True, help="LO:HI:N couplings, log-spaced.")
@click.option("--fix", "fixed", multiple=True, help="Fixed model parameters, NAME=VALUE,... (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@ES_OPTION
def limits(model, experiments, recipe, cl, dof, masses, couplings, fixed, as_json, es) -> None:
    """Coupling limits at low and high mediator mass and the exclusion boundary."""
    m_grid, g_grid = _log_range(masses, "masses"), _log_range(couplings, "couplings")
    with progress_bar("limits", wants_bar(as_json)) as cb:
        result = _run(api.limits, model, _split(experiments), recipe, cl, dof, m_grid, g_grid, _values(fixed), cb,
                      _es(es))

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
@click.option("--experiments", "--experiment", "-e", "experiments", required=True, multiple=True,
              help="Comma-separated or repeated experiments.")
@click.option("--recipe", "-r", default="atzori2022", show_default=True, help="Recipe name or file.")
@click.option("--masses", required=True, help="LO:HI:N mediator masses [MeV], log-spaced.")
@click.option("--couplings", required=True, help="LO:HI:N couplings, log-spaced.")
@click.option("--out", required=True, help="Output file (.csv or .parquet); a .json sidecar is written beside it.")
@click.option("--cl", default="2sigma", show_default=True, help="CL of the 'excluded' column.")
@click.option("--dof", default=1, show_default=True, type=click.IntRange(1, 2))
@click.option("--fix", "fixed", multiple=True, help="Fixed model parameters, NAME=VALUE,... (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the sidecar JSON.")
@click.option("--executor", default="local", show_default=True, type=click.Choice(["local", "processes", "dask"]),
              help="Where the chunks run: this process, local cores, or dask.distributed (same result).")
@click.option("--workers", default=None, type=click.IntRange(1, None), help="Worker processes (default: all cores).")
@click.option("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler (with --executor dask).")
@ES_OPTION
def scan(model, experiments, recipe, masses, couplings, out, cl, dof, fixed, as_json, executor, workers, scheduler,
         es) -> None:
    """Full (mass, coupling) grid with profiled nuisances; resumes an interrupted scan."""
    m_grid, g_grid = _log_range(masses, "masses"), _log_range(couplings, "couplings")
    try:
        with progress_bar("scan", wants_bar(as_json)) as cb:
            result = _run(api.scan, model, _split(experiments), m_grid, g_grid, out, recipe, _values(fixed), None, cb,
                          cl, dof, _es(es), executor=executor, workers=workers, scheduler=scheduler)
    except KeyboardInterrupt:
        _interrupted(f"finished chunks are saved in {out}.partial.npz; to resume, run the same command again: "
                     f"{_command_line()}")
    _emit(result, as_json, lambda r: click.echo(f"wrote {r['out']} and {r['sidecar']} (chi2_min {r['chi2_min']:.3f})"))


@main.command("plot-limits")
@click.option("--model", "-m", required=True, help="Light-mediator model.")
@click.option("--experiments", "--experiment", "-e", "datasets", multiple=True, required=True,
              help="Dataset(s) to draw; repeat the option, e.g. -e csi-2021 -e lar-2020 -e csi-2021,lar-2020.")
@click.option("--recipe", "-r", default="atzori2022", show_default=True)
@click.option("--cl", default="2sigma", show_default=True)
@click.option("--masses", default="0.1:10000:60", show_default=True)
@click.option("--couplings", default="1e-7:1:80", show_default=True)
@click.option("--out", required=True, help="Image file (png/pdf/svg).")
@click.option("--overlay", "overlays", multiple=True, metavar="CSV",
              help="Published curve to draw over the regions: CSV with columns mass_mev,g (and '# label: ...'); repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the curves drawn and the limits of every dataset as JSON.")
def plot_limits(model, datasets, recipe, cl, masses, couplings, out, overlays, as_json) -> None:
    """Exclusion regions of one or several datasets with the (g-2)_mu band."""
    from .results.plotting import plot_exclusions, read_curve_csv

    combos = [",".join(_split(d)) for d in datasets]
    _run(_no_duplicate_datasets, combos)
    m_grid, g_grid = _log_range(masses, "masses"), _log_range(couplings, "couplings")
    _run(check_output_path, out, PLOT_EXTENSIONS, "--out")
    curves = [_run(read_curve_csv, f) for f in overlays]
    with progress_bar("limits", wants_bar(as_json)) as cb:
        results = [_run(api.limits, model, _split(d), recipe, cl, 1, m_grid, g_grid, None, cb) for d in combos]
    drawn: dict = {}

    def draw(path: str) -> None:
        drawn.update(plot_exclusions(results, path, curves))

    _write_plot(out, draw)
    _emit({"out": out, "model": model, "recipe": results[0]["recipe"], "cl": cl, "datasets": combos,
           "limits": [r.to_dict() for r in results], **drawn}, as_json, lambda r: click.echo(f"wrote {out}"))


def _no_duplicate_datasets(combos: list[str]) -> None:
    from .validation import no_duplicates

    no_duplicates(combos, "dataset", "-e")


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
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of TOML.")
def recipes_show(name: str, as_json: bool) -> None:
    """Print a recipe (preset name or .toml/.yaml file) as TOML."""
    from .recipes import get_recipe, recipe_to_toml

    rec = _run(get_recipe, name)
    _emit(rec.to_dict(), as_json, lambda _: click.echo(recipe_to_toml(rec), nl=False))


@recipes_cmd.command("export")
@click.argument("name")
@click.option("--as-name", default=None, help="Name of the exported recipe (default NAME-custom; presets' names are reserved).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON ({name, base, toml}) instead of the TOML text.")
def recipes_export(name: str, as_name: str | None, as_json: bool) -> None:
    """Write a complete, editable TOML copy of a recipe to stdout (cevns recipes export NAME > my.toml)."""
    from .recipes import get_recipe, recipe_to_toml

    rec = _run(get_recipe, name)
    base = name if name in RECIPES else rec.likelihood_name
    new_name = as_name or f"{rec.name}-custom"
    text = recipe_to_toml(rec, name=new_name, base=base)
    _emit({"name": new_name, "base": base, "toml": text}, as_json, lambda _: click.echo(text, nl=False))



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
    _check_plot(plot_file)
    with progress_bar("toys", wants_bar(as_json)) as cb:
        result = _run(api.toys, _split(experiments), param, _range(grid), at, n_toys, recipe, model, _values(fixed),
                      seed, first_toy, nuisances, asimov, chunk_size, executor, workers, scheduler, checkpoint, cb, out,
                      _es(es))

    def human(r) -> None:
        click.echo(f"{r['n_toys']} toys at {param} = {r['point']:.5g} ({', '.join(r['experiments'])}, {r['recipe']})")
        for cl, c in r["wilks_check"].items():
            click.echo(f"  Wilks check {cl:>7s}: P(Delta-chi2 <= chi2_1 quantile) = {c['coverage']:.4f} "
                       f"+- {c['error']:.4f} (expected {c['expected']:.4f})")

    _emit(result, as_json, human)
    if plot_file is not None:
        from .results.plotting_stats import plot_toy_histogram

        _write_plot(plot_file, lambda f: plot_toy_histogram(result["delta_chi2"], 1, f, f"{param} = {result['point']:.4g}"))


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
    _check_plot(plot_file)
    with progress_bar("fc toys", wants_bar(as_json)) as cb:
        result = _run(api.fc, _split(experiments), params, grids, n_toys, recipe, model, _split(cl), _values(fixed), seed,
                      nuisances, ordering, chunk_size, executor, workers, scheduler, checkpoint, cb, _es(es))

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
    if plot_file is not None:
        from .results.plotting_stats import plot_belt

        _write_plot(plot_file, lambda f: plot_belt(result.to_dict(), f))


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
    _check_plot(plot_file)
    with progress_bar("coverage toys", wants_bar(as_json)) as cb:
        result = _run(api.coverage, _split(experiments), param, _range(grid), at, n_toys, recipe, model, _split(cl),
                      method, _values(fixed), seed, nuisances, belt_toys, chunk_size, executor, workers, scheduler,
                      checkpoint, cb, _es(es))

    def human(r) -> None:
        click.echo(f"coverage of the {r['method']} interval of {param} at {r['true_value'][0]:.5g}, {r['n_toys']} toys")
        for c, v in r["coverage"].items():
            click.echo(f"  {c:>7s}: {v['coverage']:.4f} +- {v['error']:.4f} (nominal {v['expected']:.4f})")

    _emit(result, as_json, human)
    if plot_file is not None:
        from .results.plotting_stats import plot_toy_histogram

        title = f"{param} = {result['true_value'][0]:.4g}"
        _write_plot(plot_file, lambda f: plot_toy_histogram(result["toy_delta_chi2"], 1, f, title))



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
    _check_plot(plot_file)
    result = _run(api.posterior, _split(experiments), list(priors), recipe, model, _values(fixed), sampler, seed,
                  live_points, _split(cl), _es(es), _values(sm_values) or None)

    def human(r) -> None:
        click.echo(f"{r['sampler']}: {r['n_calls']} likelihood calls, {r['time_s']:.1f} s, "
                   f"ln Z = {r['log_evidence']:.3f}")
        for c, ivs in r["intervals"].items():
            for n, (lo, hi) in ivs.items():
                click.echo(f"  {c:>7s} {n}: [{lo:.5g}, {hi:.5g}]  (median {r['median'][n]:.5g})")
        if "deviation_from_sm_sigma" in r:
            click.echo(f"  best fit deviates from the SM point by {r['deviation_from_sm_sigma']:.2f} sigma")

    _emit(result, as_json, human)
    if plot_file is not None:
        from .results.plotting_stats import plot_corner

        _write_plot(plot_file, lambda f: plot_corner(result["samples"], None, result["params"], f))


if __name__ == "__main__":  # pragma: no cover
    main()
