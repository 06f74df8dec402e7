"""Plots on request (``--plot FILE``): spectra with data and fitted components, profiles, contours,
exclusion regions.

matplotlib is imported lazily with the non-interactive Agg backend, so plotting works on
machines without a display. Axes carry the symbols and units of the model's parameter
declarations (:meth:`cevns.models.Parameter.axis_label`); titles name the data sets, the
recipe and the CL.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

EXPERIMENT_LABELS = {"csi-2017": "CsI 2017", "csi-2021": "CsI 2021", "lar-2020": "LAr 2020"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def param_label(model: str, param: str) -> str:
    """Symbol and unit of ``param`` of ``model`` for an axis (the name where the model is unknown)."""
    try:
        from ..models import get_model

        return get_model(model).parameters[param].axis_label()
    except Exception:  # a model of an unloaded plugin, or a renamed parameter: still plot
        return param


def _datasets(experiments) -> str:
    return " + ".join(EXPERIMENT_LABELS.get(e, e) for e in experiments)


def _cl_value(cl: str):
    return float(cl) if cl.replace(".", "", 1).isdigit() else cl


def plot_profile(result: dict, path: str) -> None:
    """Delta-chi2 profile with the CL thresholds, intervals and best fit of ``api.profile``."""
    from ..stats import delta_chi2_threshold

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), constrained_layout=True)
    x, d = np.asarray(result["values"], float), np.asarray(result["delta_chi2"], float)
    ax.plot(x, d, color="C0", lw=2, label=_datasets(result["experiments"]))
    thresholds = {}
    for k, (cl, ivs) in enumerate(result["intervals"].items()):
        thr = thresholds[cl] = delta_chi2_threshold(_cl_value(cl), result["dof"])
        txt = " U ".join(f"[{lo:.4g}, {hi:.4g}]" for lo, hi in ivs) or "none"
        ax.axhline(thr, color=f"C{k + 1}", ls="--", lw=1, label=f"{cl} ({result['dof']} dof): {txt}")
        for lo, hi in ivs:
            ax.axvspan(lo, hi, color=f"C{k + 1}", alpha=0.08)
    ax.axvline(result["best"], color="k", ls=":", lw=1, label=f"best fit {result['best']:.4g}")
    ymax = max(5.0, 1.3 * max(thresholds.values(), default=1.0))
    ax.set_ylim(0, ymax)
    ax.set_xlim(x.min(), x.max())
    edges = result.get("touches_grid_edge") or {}
    if any(v for flags in edges.values() for f in flags for v in f.values()):
        ax.text(0.5, 0.97, "interval reaches the grid edge: it extends beyond the plotted range",
                transform=ax.transAxes, ha="center", va="top", fontsize=8, color="C3")
    ax.set_xlabel(param_label(result["model"], result["param"]))
    ax.set_ylabel(r"$\Delta\chi^2$")
    ax.set_title(f"{_datasets(result['experiments'])}: model {result['model']}, recipe {result['recipe']}", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    fig.savefig(path, dpi=150)
    plt.close(fig)


def plot_contours(result: dict, path: str) -> None:
    """Filled Delta-chi2 map with the contour lines of ``api.scan2d``."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 5.0), constrained_layout=True)
    x, y = np.asarray(result["x"]["values"]), np.asarray(result["y"]["values"])
    d = np.asarray(result["delta_chi2"])
    im = ax.pcolormesh(x, y, np.minimum(d, 25.0), shading="auto", cmap="viridis_r")
    fig.colorbar(im, ax=ax, label=r"$\Delta\chi^2$ (clipped at 25)")
    for k, (cl, c) in enumerate(result["contours"].items()):
        for j, line in enumerate(c["lines"]):
            arr = np.asarray(line)
            ax.plot(arr[:, 0], arr[:, 1], color=f"C{k + 1}", lw=2,
                    label=f"{cl} CL ({result['dof']} dof)" if j == 0 else None)
    b = result["best"]
    ax.plot(b[result["x"]["param"]], b[result["y"]["param"]], "w*", ms=12, mec="k", label="best fit")
    for vals, setter in ((x, ax.set_xscale), (y, ax.set_yscale)):
        if len(vals) > 2 and np.all(vals > 0) and np.allclose(np.diff(np.log(vals)), np.log(vals[1] / vals[0])):
            setter("log")
    ax.set_xlabel(param_label(result["model"], result["x"]["param"]))
    ax.set_ylabel(param_label(result["model"], result["y"]["param"]))
    ax.set_xlim(x.min(), x.max())
    ax.set_ylim(y.min(), y.max())
    ax.set_title(f"{_datasets(result['experiments'])}: model {result['model']}, recipe {result['recipe']}", fontsize=10)
    ax.legend(frameon=True, fontsize=8)
    fig.savefig(path, dpi=150)
    plt.close(fig)


#: what the LAr fit plot says about its prompt-time pulls (docs/validation.md, "Finding (LAr timing)")
LAR_TIMING_NOTE = {
    "decay-chain": ("LAr prompt bins (t < 1 us): the fit uses the flavour-dependent decay-chain timing "
                    "(lar_time_model = decay-chain); the released CEvNS PDF has one time shape for all "
                    "energies, and the prompt excess at higher energies it absorbs is left to BRN here: "
                    "large prompt pulls are expected (docs/validation.md, Finding (LAr timing))."),
    "release": ("LAr timing: the released CEvNS PDF (one time shape for all energies, "
                "lar_time_model = release), as COHERENT's fit (docs/validation.md, Finding (LAr timing))."),
}


def plot_fit_spectra(result: dict, path: str, analysis) -> None:
    """Energy and time projections of data and fitted components for each experiment of a fit,
    per unit width (the bins are unequal), with the pulls (data - fit)/sqrt(fit) below; the
    title names the likelihood (form and recipe) the fit used."""
    plt = _plt()
    n = len(analysis.likelihoods)
    fig = plt.figure(figsize=(11, 4.8 * n), constrained_layout=True)
    gs = fig.add_gridspec(2 * n, 2, height_ratios=[3, 1] * n)
    values = {k: np.array([v]) for k, v in result["best_fit"].items()}
    _, details = analysis.evaluate(values)
    notes = []
    for row, lk in enumerate(analysis.likelihoods):
        setup = lk.setup
        best = details[lk.experiment]
        parts = {k: v[0] for k, v in best["parts"].items()}
        ne, nt = setup.cevns.shape

        def to2d(a, ne=ne, nt=nt):
            a = np.asarray(a)
            return a.reshape(ne, -1, nt).sum(axis=1) if a.size != ne * nt else a.reshape(ne, nt)

        obs = to2d(lk.observed)
        fitted = " ".join(f"{k} = {v:.4g}" for k, v in result["best_fit"].items()) or "no free model parameter"
        for col, (axis, edges, label, unit) in enumerate((
            (1, np.asarray(setup.cevns.energy_edges, float), f"energy [{setup.energy_label}]", setup.energy_label),
            (0, np.asarray(setup.cevns.time_edges_us, float), r"time [$\mu$s]", r"$\mu$s"),
        )):
            ax = fig.add_subplot(gs[2 * row, col])
            axp = fig.add_subplot(gs[2 * row + 1, col], sharex=ax)
            width = np.diff(edges)
            bottom = np.zeros(len(edges) - 1)
            for k, (name, arr) in enumerate(sorted(parts.items(), key=lambda kv: kv[0] != "ss")):
                proj = to2d(arr).sum(axis=axis) / width
                ax.stairs(bottom + proj, edges, baseline=bottom, fill=True, alpha=0.5, color=f"C{k}", label=name)
                bottom = bottom + proj
            o = obs.sum(axis=axis)
            centres = 0.5 * (edges[1:] + edges[:-1])
            ax.errorbar(centres, o / width, yerr=np.sqrt(np.maximum(o, 1)) / width, fmt="ko", ms=3, label="data")
            ax.set_ylabel(f"events / {unit}")
            ax.set_xlim(edges[0], edges[-1])
            ax.set_title(f"{EXPERIMENT_LABELS.get(lk.experiment, lk.experiment)}: {lk.form} likelihood, recipe "
                         f"{lk.recipe} ({fitted})", fontsize=9)
            ax.legend(fontsize=8, frameon=False)
            ax.tick_params(labelbottom=False)
            expected = bottom * width
            pull = (o - expected) / np.sqrt(np.maximum(expected, 1e-9))
            axp.bar(centres, pull, width=width, color="0.5", edgecolor="k", lw=0.5)
            axp.axhline(0, color="k", lw=0.8)
            for lvl in (-2, 2):
                axp.axhline(lvl, color="k", lw=0.5, ls=":")
            axp.set_ylabel(r"(data$-$fit)/$\sqrt{\mathrm{fit}}$", fontsize=8)
            axp.set_xlabel(label)
        if lk.experiment == "lar-2020":
            notes.append(LAR_TIMING_NOTE.get(getattr(analysis.recipe, "lar_time_model", ""), ""))
    if any(notes):
        import textwrap

        fig.suptitle("\n".join(textwrap.fill(t, 150) for t in notes if t), fontsize=8, x=0.01, ha="left", y=0.0,
                     va="bottom")
        fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
    fig.savefig(path, dpi=150)
    plt.close(fig)


def read_curve_csv(path: str) -> dict:
    """A published (digitised) limit curve: CSV with columns ``mass_mev,g`` and optional
    comment lines ``# label: ...`` and ``# source: ...`` (docs/limits.md, "Overlaying
    published curves"). Returns ``{"label", "source", "mass_mev", "g"}``."""
    from ..errors import ParameterError

    meta = {"label": Path(path).stem, "source": ""}
    rows = []
    try:
        with open(path, newline="") as fh:
            lines = []
            for line in fh:
                if line.lstrip().startswith("#"):
                    key, _, val = line.lstrip("# ").partition(":")
                    if key.strip() in meta and val.strip():
                        meta[key.strip()] = val.strip()
                elif line.strip():
                    lines.append(line)
        for rec in csv.DictReader(lines):
            rows.append((float(rec["mass_mev"]), float(rec["g"])))
    except OSError as exc:
        raise ParameterError(f"cannot read the curve file {path}: {exc.strerror}") from None
    except (KeyError, ValueError, TypeError):
        raise ParameterError(f"{path}: expected a CSV with numeric columns mass_mev,g") from None
    if not rows:
        raise ParameterError(f"{path}: no rows; expected a CSV with columns mass_mev,g")
    arr = np.array(sorted(rows))
    return {**meta, "mass_mev": arr[:, 0].tolist(), "g": arr[:, 1].tolist()}


_HATCHES = ["///", "\\\\\\", "||", "--", "..", "xx"]
_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"]


def plot_exclusions(results: list[dict], path: str, overlays: list[dict] | None = None) -> dict:
    """Excluded (mass, coupling) regions of ``api.limits`` results, with the (g-2)_mu band.

    Each data set has its own colour, hatch and line style (the regions stay distinguishable
    where they overlap); allowed strips above a bound are drawn as white bands. The axes are
    fitted to the curves drawn. ``overlays`` are published curves (:func:`read_curve_csv`),
    drawn as grey lines. Returns the curves drawn (JSON-ready): ``datasets`` (label,
    ``mass_mev``, lower bound ``g``), ``gm2_band``, ``overlays``, ``xlim``, ``ylim``.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.6, 5.0), constrained_layout=True)
    styles = ["-", "--", ":", "-."]
    drawn: dict = {"datasets": [], "gm2_band": None, "overlays": [], "xlim": None, "ylim": None}
    ys, xs = [], []
    for k, r in enumerate(results):
        cols = r["allowed_intervals"]
        m = np.array([c["mass_mev"] for c in cols])
        bound = np.array([c["allowed"][0][1] if c["allowed"] else np.nan for c in cols])
        label = _datasets(r["experiments"])
        colour = _COLOURS[k % len(_COLOURS)]
        top = np.full_like(bound, 10.0)
        if k == 0:  # the first region filled, the others hatched on top: overlaps stay readable
            ax.fill_between(m, bound, top, facecolor=colour, alpha=0.15, edgecolor="none")
        else:
            with plt.rc_context({"hatch.linewidth": 0.6, "hatch.color": colour}):
                ax.fill_between(m, bound, top, facecolor="none", edgecolor=colour, hatch=_HATCHES[(k - 1) % len(_HATCHES)],
                                lw=0, alpha=0.5)
        ax.plot(m, bound, color=colour, ls=styles[k % 4], lw=2, label=f"{label} excluded")
        sm = [(c["mass_mev"], *c["allowed"][1]) for c in cols if len(c["allowed"]) > 1]
        if sm:
            arr = np.array(sm)
            ax.fill_between(arr[:, 0], arr[:, 1], arr[:, 2], color="white", alpha=0.9, zorder=2)
            ax.plot(arr[:, 0], arr[:, 1], color=colour, ls=styles[k % 4], lw=0.8, zorder=3)
            ax.plot(arr[:, 0], arr[:, 2], color=colour, ls=styles[k % 4], lw=0.8, zorder=3)
        ok = np.isfinite(bound)
        xs += m.tolist()
        ys += bound[ok].tolist()
        drawn["datasets"].append({"label": label, "experiments": list(r["experiments"]), "cl": r["cl"],
                                  "mass_mev": m.tolist(), "g": [float(v) if np.isfinite(v) else None for v in bound],
                                  "strips": [list(map(float, s)) for s in sm]})
    band = results[0].get("gm2_band")
    if band:
        ax.fill_between(band["mass_mev"], band["g_low"], band["g_high"], color="gold", alpha=0.6,
                        label=r"$(g-2)_\mu$ $2\sigma$", zorder=1)
        drawn["gm2_band"] = {k: band[k] for k in ("mass_mev", "g_low", "g_high")}
    for j, ov in enumerate(overlays or []):
        ax.plot(ov["mass_mev"], ov["g"], color=f"{0.15 + 0.2 * (j % 4):.2f}", ls=(0, (5, 2, 1, 2)), lw=1.5,
                label=ov["label"] + (f" ({ov['source']})" if ov.get("source") else ""), zorder=4)
        drawn["overlays"].append(ov)
        ys += [g for g in ov["g"] if g > 0]
    ax.set_xscale("log")
    ax.set_yscale("log")
    if xs:
        drawn["xlim"] = [float(min(xs)), float(max(xs))]
        ax.set_xlim(*drawn["xlim"])
    if ys:
        lo, hi = min(ys), max(ys)
        drawn["ylim"] = [float(lo / 3.0), float(min(hi * 10.0, 10.0))]
        ax.set_ylim(*drawn["ylim"])
    model = results[0]["model"]
    ax.set_xlabel(param_label(model, "m_med_mev"))
    ax.set_ylabel(param_label(model, "g"))
    ax.set_title(f"model {model}, recipe {results[0]['recipe']}: excluded at {results[0]['cl']} "
                 f"({results[0].get('dof', 1)} dof)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right", framealpha=0.9)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return drawn
