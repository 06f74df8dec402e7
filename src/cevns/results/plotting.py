"""Plots on request (``--plot FILE``): spectra with data and fitted components, profiles, contours.

matplotlib is imported lazily with the non-interactive Agg backend, so plotting works on
machines without a display.
"""

from __future__ import annotations

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_profile(result: dict, path: str) -> None:
    """Delta-chi2 profile with the CL thresholds and intervals of ``api.profile``."""
    from ..stats import delta_chi2_threshold

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.4), constrained_layout=True)
    ax.plot(result["values"], result["delta_chi2"], color="C0", lw=2, label=", ".join(result["experiments"]))
    for k, (cl, ivs) in enumerate(result["intervals"].items()):
        thr = delta_chi2_threshold(cl if not cl.replace(".", "", 1).isdigit() else float(cl), result["dof"])
        ax.axhline(thr, color=f"C{k + 1}", ls="--", lw=1, label=f"{cl} ({result['dof']} dof)")
        for lo, hi in ivs:
            ax.axvspan(lo, hi, color=f"C{k + 1}", alpha=0.08)
    ymax = max(5.0, 1.3 * max(delta_chi2_threshold(c if not c.replace(".", "", 1).isdigit() else float(c), result["dof"])
                              for c in result["intervals"]))
    ax.set_ylim(0, ymax)
    ax.set_xlabel(result["param"])
    ax.set_ylabel(r"$\Delta\chi^2$")
    ax.set_title(f"model {result['model']}, recipe {result['recipe']}")
    ax.legend(frameon=False)
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
            ax.plot(arr[:, 0], arr[:, 1], color=f"C{k + 1}", lw=2, label=f"{cl} ({result['dof']} dof)" if j == 0 else None)
    b = result["best"]
    ax.plot(b[result["x"]["param"]], b[result["y"]["param"]], "w*", ms=12, mec="k", label="best fit")
    for vals, setter in ((x, ax.set_xscale), (y, ax.set_yscale)):
        if len(vals) > 2 and np.all(vals > 0) and np.allclose(np.diff(np.log(vals)), np.log(vals[1] / vals[0])):
            setter("log")
    ax.set_xlabel(result["x"]["param"])
    ax.set_ylabel(result["y"]["param"])
    ax.set_title(f"{', '.join(result['experiments'])}: model {result['model']}, recipe {result['recipe']}")
    ax.legend(frameon=True, fontsize=8)
    fig.savefig(path, dpi=150)
    plt.close(fig)


def plot_fit_spectra(result: dict, path: str, analysis) -> None:
    """Energy and time projections of data and fitted components for each experiment of a fit."""
    plt = _plt()
    n = len(analysis.likelihoods)
    fig, axes = plt.subplots(n, 2, figsize=(11, 3.8 * n), constrained_layout=True, squeeze=False)
    values = {k: np.array([v]) for k, v in result["best_fit"].items()}
    _, details = analysis.evaluate(values)
    for row, lk in enumerate(analysis.likelihoods):
        setup = lk.setup
        shape = lk.observed.size
        best = details[lk.experiment]
        parts = {k: v[0] for k, v in best["parts"].items()}
        ne, nt = setup.cevns.shape
        def to2d(a, ne=ne, nt=nt):
            a = np.asarray(a)
            return a.reshape(ne, -1, nt).sum(axis=1) if a.size != ne * nt else a.reshape(ne, nt)
        obs = to2d(lk.observed) if shape != ne * nt else lk.observed.reshape(ne, nt)
        for col, (axis, edges, label) in enumerate(
            ((1, setup.cevns.energy_edges, setup.energy_label), (0, setup.cevns.time_edges_us, "time [us]"))
        ):
            ax = axes[row, col]
            bottom = np.zeros(len(edges) - 1)
            for k, (name, arr) in enumerate(sorted(parts.items(), key=lambda kv: kv[0] != "ss")):
                proj = to2d(arr).sum(axis=axis)
                ax.stairs(bottom + proj, edges, baseline=bottom, fill=True, alpha=0.5, color=f"C{k}", label=name)
                bottom = bottom + proj
            o = obs.sum(axis=axis)
            centres = 0.5 * (edges[1:] + edges[:-1])
            ax.errorbar(centres, o, yerr=np.sqrt(np.maximum(o, 1)), fmt="ko", ms=3, label="data")
            ax.set_xlabel(label)
            ax.set_ylabel("events per bin")
            ax.set_title(f"{lk.experiment} ({lk.recipe})")
            ax.legend(fontsize=8, frameon=False)
    fig.savefig(path, dpi=150)
    plt.close(fig)


def plot_exclusions(results: list[dict], path: str) -> None:
    """Excluded (mass, coupling) regions of ``api.limits`` results, with the (g-2)_mu band.

    For each dataset the region above the lower bound is shaded, allowed strips/islands
    above it are drawn hatched-free (white), in the style of seed 002 figs. 4-8.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.6, 5.0), constrained_layout=True)
    styles = ["-", "--", ":", "-."]
    for k, r in enumerate(results):
        cols = r["allowed_intervals"]
        m = np.array([c["mass_mev"] for c in cols])
        bound = np.array([c["allowed"][0][1] if c["allowed"] else np.nan for c in cols])
        label = " + ".join(r["experiments"])
        ax.plot(m, bound, color=f"C{k}", ls=styles[k % 4], lw=2, label=f"{label} ({r['cl']})")
        ax.fill_between(m, bound, 10.0, color=f"C{k}", alpha=0.12)
        # allowed strips above the bound (first one per mass), drawn as white bands
        sm = [(c["mass_mev"], *c["allowed"][1]) for c in cols if len(c["allowed"]) > 1]
        if sm:
            arr = np.array(sm)
            ax.fill_between(arr[:, 0], arr[:, 1], arr[:, 2], color="white", alpha=0.9, zorder=2)
            ax.plot(arr[:, 0], arr[:, 1], color=f"C{k}", ls=styles[k % 4], lw=0.8, zorder=3)
            ax.plot(arr[:, 0], arr[:, 2], color=f"C{k}", ls=styles[k % 4], lw=0.8, zorder=3)
    band = results[0].get("gm2_band")
    if band:
        ax.fill_between(band["mass_mev"], band["g_low"], band["g_high"], color="gold", alpha=0.6,
                        label=r"$(g-2)_\mu$ $2\sigma$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    lo_g = min(min(c["allowed"][0][0] for c in r["allowed_intervals"] if c["allowed"]) for r in results)
    ax.set_ylim(max(lo_g, 1e-7), 1.0)
    ax.set_xlabel(r"$M_{Z'}$ [MeV]" if results[0]["model"] not in ("scalar",) else r"$M_\phi$ [MeV]")
    ax.set_ylabel(r"$g$")
    ax.set_title(f"model {results[0]['model']}, recipe {results[0]['recipe']}: excluded regions")
    ax.legend(fontsize=8, loc="lower right")
    fig.savefig(path, dpi=150)
    plt.close(fig)
