"""Plot of a :class:`~cevns.projections.sensitivity.ProjectionResult` (imported on use: loads matplotlib)."""

from __future__ import annotations

import numpy as np


def plot_projection(result, out: str, extra_curves: dict | None = None) -> str:
    """Expected limit with +-1/2 sigma bands, discovery reach, combined limit and (g-2)_mu band;
    ``extra_curves`` maps a label to (masses_mev, g) drawn as lines. Returns ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = result.to_dict() if hasattr(result, "to_dict") else result
    m = np.asarray(d["masses_mev"], dtype=float)

    def arr(v):
        return np.array([np.nan if x is None else x for x in v], dtype=float)

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    if d.get("gm2_band"):
        b = d["gm2_band"]
        ax.fill_between(b["mass_mev"], b["g_low"], b["g_high"], color="tab:cyan", alpha=0.4, label="(g-2)$_\\mu$ 2$\\sigma$")
    bands = d.get("bands_g") or {}
    if "-2" in bands and "+2" in bands:
        ax.fill_between(m, np.maximum(arr(bands["-2"]), 1e-12), arr(bands["+2"]), color="gold", alpha=0.6, label="±2σ")
    if "-1" in bands and "+1" in bands:
        ax.fill_between(m, arr(bands["-1"]), arr(bands["+1"]), color="limegreen", alpha=0.7, label="±1σ")
    ax.plot(m, arr(d["expected_limit_g"]), "k--", label=f"{d['detector']} expected ({d['cl']})")
    for key, style in (("3sigma", "b:"), ("5sigma", "b-.")):
        if d.get("discovery_g") and d["discovery_g"].get(key):
            ax.plot(m, arr(d["discovery_g"][key]), style, label=f"discovery {key}")
    if d.get("combined_limit_g") is not None:
        ax.plot(m, arr(d["combined_limit_g"]), "r-", label=f"+ {', '.join(d['combined_with'])}")
    for label, (mm, gg) in (extra_curves or {}).items():
        ax.plot(mm, gg, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    lows = [arr(d["expected_limit_g"])] + ([arr(bands["-1"])] if "-1" in bands else [])
    low = np.nanmin(np.where(np.concatenate(lows) > 0, np.concatenate(lows), np.nan))
    ax.set_ylim(bottom=0.3 * low)  # the -2 sigma band reaches g = 0 at a 2 sigma CL (CCGV sec. 3.8)
    ax.set_xlabel("$M_{Z'}$ [MeV]")
    ax.set_ylabel("$g_{Z'}$")
    ax.set_title(f"{d['detector']}: {d['model']}, {d['cevns_total']:.0f} SM CEvNS events")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
