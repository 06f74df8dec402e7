"""Plots of the toy-based statistics (issue #12): toy Delta-chi2 against chi2_k, belts,
posterior corner plots. Imported on use (loads matplotlib)."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2 as chi2_dist


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_toy_histogram(delta_chi2, dof: int, path, title: str = "", ax=None):
    """Histogram of the toys' Delta-chi2 (density) against the chi2_dof density of Wilks' theorem."""
    plt = _plt()
    t = np.asarray(delta_chi2, dtype=float)
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(5, 3.6))
    hi = max(8.0, float(np.quantile(t, 0.995)) if t.size else 8.0)
    bins = np.linspace(0, hi, 41)
    ax.hist(t, bins=bins, density=True, histtype="step", color="k", label=f"{t.size} toys")
    x = np.linspace(1e-3, hi, 400)
    ax.plot(x, chi2_dist.pdf(x, dof), "r-", label=rf"$\chi^2_{dof}$ (Wilks)")
    ax.set_yscale("log")
    ax.set_xlabel(r"$\Delta\chi^2$ at the true value")
    ax.set_ylabel("density")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    if own:
        fig.tight_layout()
        fig.savefig(path, dpi=130)
        plt.close(fig)


def plot_belt(result: dict, path, title: str | None = None):
    """1D: observed Delta-chi2 with the FC critical values and the Wilks thresholds per CL,
    beside the toys' Delta-chi2 at the grid point nearest the best fit against chi2_1 (when
    the result holds them); 2D: the accepted FC and Wilks points per CL."""
    plt = _plt()
    toys = result.get("toy_delta_chi2") or {}
    if len(result["params"]) == 1 and toys:  # belt, and the toys at the best fit against chi2_1
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
        x = np.asarray(result["values"], dtype=float)
        m = int(np.argmin(np.abs(x - result["best"][0])))
        plot_toy_histogram(toys[str(m)], 1, None, f"toys at {result['params'][0]} = {x[m]:.4g}", ax=ax2)
    else:
        fig, ax = plt.subplots(figsize=(5.5, 3.8))
    colours = ["C0", "C1", "C2", "C3"]
    if len(result["params"]) == 1:
        x = np.asarray(result["values"], dtype=float)
        ax.plot(x, result["delta_chi2"], "k-", label=r"observed $\Delta\chi^2$")
        for c, (cl, crit) in zip(colours, result["critical_values"].items(), strict=False):
            if isinstance(crit, dict):
                continue
            ax.plot(x, crit, "--", color=c, label=f"FC critical value {cl}")
            ax.axhline(result["wilks_threshold"][cl], color=c, ls=":", lw=1, label=f"Wilks {cl}")
        ax.set_xlabel(result["params"][0])
        ax.set_ylabel(r"$\Delta\chi^2$")
        ax.set_ylim(0, max(6.0, 1.5 * max(result["wilks_threshold"].values())))
    else:
        pts = np.asarray(result["values"], dtype=float)
        for c, cl in zip(colours, result["intervals"], strict=False):
            fc = np.asarray(result["intervals"][cl], dtype=bool)
            wk = np.asarray(result["wilks_intervals"][cl], dtype=bool)
            ax.scatter(pts[fc, 0], pts[fc, 1], s=30, facecolors="none", edgecolors=c, label=f"FC {cl}")
            ax.scatter(pts[wk, 0], pts[wk, 1], s=6, color=c, marker="x", label=f"Wilks {cl}")
        ax.set_xlabel(result["params"][0])
        ax.set_ylabel(result["params"][1])
    ax.set_title(title or f"{', '.join(result.get('experiments', []))} {result.get('recipe', '')}: "
                 f"{result['n_toys']} toys/point", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def plot_corner(samples, weights, names, path, truths=None):
    """Corner plot of posterior samples (``corner`` if installed, else pairwise histograms)."""
    plt = _plt()
    samples = np.asarray(samples, dtype=float)
    try:
        import corner

        fig = corner.corner(samples, weights=weights, labels=list(names), truths=truths, quantiles=[0.16, 0.5, 0.84])
    except ImportError:  # pragma: no cover - corner is optional
        d = samples.shape[1]
        fig, axes = plt.subplots(d, d, figsize=(2.5 * d, 2.5 * d), squeeze=False)
        for i in range(d):
            for j in range(d):
                a = axes[i, j]
                if i == j:
                    a.hist(samples[:, i], bins=40, weights=weights, histtype="step", color="k")
                elif i > j:
                    a.hist2d(samples[:, j], samples[:, i], bins=40, weights=weights, cmap="Greys")
                else:
                    a.axis("off")
            axes[-1, i].set_xlabel(names[i])
    fig.savefig(path, dpi=110)
    plt.close(fig)
