"""Non-linear nuisances as smooth template morphs, profiled jointly with the linear ones.

The CsI 2021 likelihood of seed 004 (eqs. 36-38) has three nuisances that change the
*shape* of the expectation: the radius scaling alpha_4 (form factors, hence the model's
weak charges), the beam-timing shift alpha_6 (time fractions of CEvNS, BRN and NIN
templates) and the efficiency shift alpha_7 (energy kernels). Their templates are built
exactly on a grid of nodes (the branches of :class:`~cevns.likelihood.core.BranchGrid`)
and interpolated between the nodes, axis by axis, with not-a-knot cubic splines
(:class:`MorphAxis`; with three nodes the spline is the parabola through them). Because
the expectation factorises,

    S[e, t](theta) = sum_f E_f[e](alpha_4, alpha_7) T_f[t](alpha_6),
    B_b[e, t](theta) = B_b[e, t](alpha_6),

the morph costs a few small contractions per point, and the chi2 is a smooth function of
all nuisances at once: :func:`profile_morphed` minimises it over the linear nuisances and
the non-linear ones together with a batched projected Newton solve (exact Hessian, with
its Gauss-Newton part as fallback), inside the grid's range. This replaces profiling
every node and interpolating the chi2 between nodes (:func:`~cevns.likelihood.core.
refine_grid_minimum`): the minimum is that of one smooth function, continuous in the
model parameters (no switching between stencils), and a batch of points costs a few
times one linear profile instead of one per node (issue #10).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ..stats import dot_observed, observed_constants

_ORDERS = (0, 1, 2)
#: step halvings of the line search before a row is taken as converged
MAX_HALVINGS = 12


@lru_cache(maxsize=64)
def _cardinal_splines(nodes: tuple[float, ...]):
    """Not-a-knot cubic splines through the unit vectors of ``nodes`` and their two derivatives."""
    from scipy.interpolate import CubicSpline

    if len(nodes) == 1:
        return None
    if len(nodes) == 2:  # a straight line
        x0, x1 = nodes
        return ("linear", x0, x1)
    s = CubicSpline(np.asarray(nodes), np.eye(len(nodes)))
    return (s, s.derivative(1), s.derivative(2))


@dataclass(frozen=True)
class MorphAxis:
    """One non-linear nuisance: its name, grid nodes and prior.

    Values are confined to ``[nodes[0], nodes[-1]]`` (the grid's range; seed 004 gives
    alpha_6 and alpha_7 bounded ranges and no prior); ``sigma`` adds the Gaussian penalty
    (x / sigma)^2 (alpha_4, seed 004 eq. 38), ``None`` none.
    """

    name: str
    nodes: tuple[float, ...]
    sigma: float | None = None

    @property
    def bounds(self) -> tuple[float, float]:
        return float(self.nodes[0]), float(self.nodes[-1])

    def basis(self, x: NDArray[np.float64], order: int = 0) -> NDArray[np.float64]:
        """Weights ``(P, n_nodes)`` of the nodes in the interpolant at ``x`` (its
        ``order``-th derivative for order 1, 2): value = basis @ node values."""
        x = np.asarray(x, dtype=float)
        s = _cardinal_splines(tuple(self.nodes))
        if s is None:
            return np.full((x.size, 1), 1.0 if order == 0 else 0.0)
        if s[0] == "linear":
            _, x0, x1 = s
            u = (x - x0) / (x1 - x0)
            if order == 0:
                return np.stack([1.0 - u, u], axis=1)
            if order == 1:
                return np.broadcast_to(np.array([-1.0, 1.0]) / (x1 - x0), (x.size, 2)).copy()
            return np.zeros((x.size, 2))
        return s[order](x)


def _contract(values: NDArray[np.float64], weights: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
    """Contract the node axes 1..k of ``values`` ``(P or 1, n_1, ..., n_k, ...)`` with
    per-point weights ``(P, n_i)``; returns ``(P, ...)``."""
    out = values
    for w in weights:
        p, n_nodes = w.shape
        rest = out.shape[2:]
        if out.shape[0] == 1:  # the same node values for every point: one matrix product
            out = (w @ out.reshape(n_nodes, -1)).reshape(p, *rest)
        else:
            out = np.matmul(w[:, None, :], out.reshape(p, n_nodes, -1))[:, 0].reshape(p, *rest)
    return out


@dataclass(frozen=True)
class MorphPart:
    """Node values of one factor of a template: ``values`` has shape ``(P or 1, n_a, n_b, ..., *rest)``
    with one node axis per entry of ``axes`` (indices into the likelihood's morph axes)."""

    axes: tuple[int, ...]
    values: NDArray[np.float64]

    @property
    def n_rows(self) -> int:
        """Points the part holds (1: the same for all)."""
        return int(self.values.shape[0])

    def rows(self, rows) -> MorphPart:
        """The part restricted to the points ``rows`` (unchanged when it is the same for all)."""
        if self.values.shape[0] == 1:
            return self
        return MorphPart(self.axes, self.values[rows])

    def evaluate(self, bases: list[dict[int, NDArray[np.float64]]], derivatives: bool = True):
        """(value, {a: d/da}, {(a, b): d2/da db} with a <= b) at the points whose per-axis
        bases (``bases[a][order]``) are given; derivatives along axes it does not have are
        absent (and all of them without ``derivatives``)."""
        top = 2 if derivatives else 0
        # contract the node axes one at a time, for every derivative order still allowed;
        # each combination then reuses the partial contractions
        partial = {(): self.values}
        for a in self.axes:
            partial = {(*key, o): _contract(arr, [bases[a][o]])
                       for key, arr in partial.items() for o in range(top + 1) if sum(key) + o <= top}
        axes = self.axes
        value = partial[(0,) * len(axes)]
        if not derivatives:
            return value, {}, {}

        def pick(which: dict[int, int]):
            return partial[tuple(which.get(a, 0) for a in axes)]

        grad = {a: pick({a: 1}) for a in axes}
        hess = {}
        for i, a in enumerate(axes):
            hess[(a, a)] = pick({a: 2})
            for b in axes[i + 1 :]:
                hess[(min(a, b), max(a, b))] = pick({a: 1, b: 1})
        return value, grad, hess


@dataclass(frozen=True)
class FoldedPart:
    """A :class:`MorphPart` whose node values are a per-point input folded through a response
    grid: values[p, n_a, n_b, ..., F, out] = sum_k inputs[p, F, k] response[n_a, n_b, ..., k, out]
    (XENONnT: a recoil spectrum through the released efficiency templates at each light- and
    charge-yield node). The node values are only formed for the rows of a chunk (:meth:`rows`),
    so memory is bounded by the chunk, not by the number of points."""

    axes: tuple[int, ...]
    inputs: NDArray[np.float64]  # (P, F, n_in)
    response: NDArray[np.float64]  # (n_a, n_b, ..., n_in, n_out)

    @property
    def n_rows(self) -> int:
        return int(self.inputs.shape[0])

    def rows(self, rows) -> MorphPart:
        x = self.inputs if self.inputs.shape[0] == 1 else self.inputs[rows]
        node_shape = self.response.shape[:-2]
        n_in, n_out = self.response.shape[-2:]
        r = np.moveaxis(self.response.reshape(-1, n_in, n_out), 1, 0).reshape(n_in, -1)  # (n_in, nodes * out)
        vals = (x @ r).reshape(x.shape[0], x.shape[1], *node_shape, n_out)  # (P, F, nodes..., out)
        return MorphPart(self.axes, np.moveaxis(vals, 1, -2))

    def evaluate(self, bases, derivatives: bool = True):
        return self.rows(slice(None)).evaluate(bases, derivatives)


@dataclass(frozen=True)
class MorphedComponent:
    """One component of the expectation as a function of the non-linear nuisances.

    ``kind == "product"``: sum over flavours of ``energy[f]`` (x) ``time[f]``, flattened
    to bins (energy-major, as :func:`~cevns.likelihood.core._flatten_2d`); the energy part
    is ``(P, ..., F, n_E)``, the time part ``(1, ..., F, n_t)``.
    ``kind == "single"``: ``parts[0]`` is already ``(P or 1, ..., B)``.
    """

    kind: str
    parts: tuple[MorphPart, ...]

    def rows(self, rows) -> MorphedComponent:
        return MorphedComponent(self.kind, tuple(p.rows(rows) for p in self.parts))

    def evaluate(self, bases, n_points: int, derivatives: bool = True):
        """(value (P, B), {a: d value / da (P, B)}, {(a, b): d2 value / da db (P, B)}) at the
        points of ``bases``; absent derivatives are zero (all of them without ``derivatives``)."""
        if self.kind == "single":
            v, g, h = self.parts[0].evaluate(bases, derivatives)
            return _non_negative(np.broadcast_to(v, (n_points, v.shape[-1])), g, h)
        energy, time = self.parts
        ev, eg, eh = energy.evaluate(bases, derivatives)
        tv, tg, th = time.evaluate(bases, derivatives)

        def outer(e, t):  # sum_f (P, F, n_E) x (P or 1, F, n_t) -> (P, n_E * n_t)
            return np.matmul(e.transpose(0, 2, 1), t).reshape(n_points, -1)

        ev = np.broadcast_to(ev, (n_points, *ev.shape[1:]))
        value = outer(ev, tv)
        if not derivatives:
            return _non_negative(value, {}, {})
        grad = {a: outer(g, tv) for a, g in eg.items()} | {a: outer(ev, g) for a, g in tg.items()}
        hess = {k: outer(h, tv) for k, h in eh.items()} | {k: outer(ev, h) for k, h in th.items()}
        for a, ga in eg.items():
            for b, gb in tg.items():
                hess[(min(a, b), max(a, b))] = outer(ga, gb)  # d2 [E(a) T(b)] / da db = E_a T_b
        return _non_negative(value, grad, hess)


def _non_negative(value, grad: dict, hess: dict):
    """An expectation cannot be negative: where the spline undershoots zero between nodes
    (a bin that is empty at some nodes; ~1e-8 events seen), the component is 0 there, with
    zero derivatives."""
    neg = value < 0
    if not neg.any():
        return value, grad, hess
    return (np.where(neg, 0.0, value), {k: np.where(neg, 0.0, v) for k, v in grad.items()},
            {k: np.where(neg, 0.0, v) for k, v in hess.items()})


@dataclass
class MorphSolution:
    """Joint minimum per point: chi2 (P,), linear nuisances eta (P, K), non-linear ones
    theta (P, d), and the components at the minimum {name: (P, B)}."""

    chi2: NDArray[np.float64]
    eta: NDArray[np.float64]
    theta: NDArray[np.float64]
    components: dict[str, NDArray[np.float64]] = field(default_factory=dict)


def profile_morphed(
    components: dict[str, MorphedComponent],
    observed: NDArray[np.float64],
    axes: Sequence[MorphAxis],
    targets: Sequence[Sequence[str]],
    multipliers: Sequence[NDArray[np.float64] | None],
    sigmas: NDArray[np.float64],
    n_points: int,
    theta0: NDArray[np.float64] | None = None,
    max_iter: int = 100,
    tol: float = 1e-9,
    centre: NDArray[np.float64] | None = None,
) -> MorphSolution:
    """Minimise the Poisson chi2 (Baker-Cousins, seed 004 eq. 36) over the linear nuisances
    eta and the non-linear ones theta for ``n_points`` points at once.

    mu = sum_c F_c * C_c(theta),  F_c = 1 + sum_{k: c in targets[k]} eta_k m_k,
    chi2 = 2 sum_b [mu - n + n ln(n / mu)] + sum_k (eta_k / sigma_k)^2 + sum_a (theta_a / sigma_a)^2.

    ``components`` maps each component name to its morph; ``targets[k]`` are the
    components nuisance k scales, ``multipliers[k]`` its relative shape (None: a
    normalisation, bounded below by -1), ``sigmas[k]`` its prior width (inf: none).
    Projected Newton on (eta, theta) with step halving: theta stays inside each axis'
    node range; rows are iterated until the objective improves by less than ``tol``.

    ``observed`` may be (n_points, B), one observed vector per row, and ``centre``
    (n_points, K + n_axes) moves the centres of the Gaussian constraints of (eta, theta)
    per row (pseudo-experiments' auxiliary measurements; default 0).
    """
    n = np.asarray(observed, dtype=float)
    n_axes, k_count = len(axes), len(targets)
    dim = k_count + n_axes
    # ``observed`` (B,) for every point, or (n_points, B): one observed vector per row (toys)
    per_row = n.ndim == 2
    pos_all = n > 0
    n_log_n_all, n_sum_all = observed_constants(n)
    n_bins = n.shape[-1]

    def rows_of(r):
        if not per_row or r is None:
            return n, pos_all, n_log_n_all, n_sum_all
        return n[r], pos_all[r], n_log_n_all[r], n_sum_all[r]
    sig = np.asarray(sigmas, dtype=float)
    pen = np.concatenate([
        np.where(np.isfinite(sig) & (sig > 0), 1.0 / np.where(np.isfinite(sig) & (sig > 0), sig, 1.0) ** 2, 0.0),
        [0.0 if ax.sigma is None else 1.0 / ax.sigma**2 for ax in axes],
    ])
    lower = np.concatenate([[-1.0 if m is None else -np.inf for m in multipliers], [ax.bounds[0] for ax in axes]])
    upper = np.concatenate([np.full(k_count, np.inf), [ax.bounds[1] for ax in axes]])
    names = list(components)
    mult = [1.0 if m is None else np.asarray(m, dtype=float) for m in multipliers]
    eye = np.eye(dim)[None]

    cen = None if centre is None else np.broadcast_to(np.asarray(centre, dtype=float), (n_points, dim))

    def dev(z, r=None):
        if cen is None:
            return z
        return z - (cen if r is None else cen[r])

    def evaluate(z, comps, derivatives=True, r=None):
        """mu (N, B), the component values and, with ``derivatives``, the gradient of the
        objective (N, dim) and its Hessian (N, dim, dim): the Gauss-Newton part and the full one."""
        theta = z[:, k_count:]
        bases = [{o: ax.basis(theta[:, a], o) for o in (_ORDERS if derivatives else (0,))} for a, ax in enumerate(axes)]
        n_rows = z.shape[0]
        vals, grads, hesss = {}, {}, {}
        for c in names:
            vals[c], grads[c], hesss[c] = comps[c].evaluate(bases, n_rows, derivatives)
        factor = {c: 1.0 for c in names}
        for k, tg in enumerate(targets):
            for c in tg:
                if c in factor:
                    factor[c] = factor[c] + z[:, k, None] * mult[k]
        mu = sum(factor[c] * vals[c] for c in names)
        if not derivatives:
            return mu, vals, None
        nr = rows_of(r)[0]
        safe = mu > 0
        ratio = np.where(safe, nr / np.where(safe, mu, 1.0), 0.0)
        resid = 1.0 - ratio  # d chi2 / d mu / 2
        curv = np.where(safe, ratio / np.where(safe, mu, 1.0), 0.0)  # d2 chi2 / d mu2 / 2
        jac = np.zeros((n_rows, dim, n_bins))
        for k, tg in enumerate(targets):
            jac[:, k] = mult[k] * sum(vals[c] for c in tg if c in vals)
        for c in names:
            for a, g in grads[c].items():
                jac[:, k_count + a] += factor[c] * g
        grad = 2.0 * np.matmul(jac, resid[:, :, None])[:, :, 0] + 2.0 * pen * dev(z, r)
        gauss_newton = 2.0 * np.matmul(jac * curv[:, None, :], jac.transpose(0, 2, 1)) + np.diag(2.0 * pen)[None]
        full = gauss_newton.copy()
        # second derivatives of mu, contracted with the residual: eta_k x theta_a and theta x theta
        for k, tg in enumerate(targets):
            w = resid * mult[k]
            for c in tg:
                for a, g in grads.get(c, {}).items():
                    v = 2.0 * np.einsum("nb,nb->n", g, w)
                    full[:, k, k_count + a] += v
                    full[:, k_count + a, k] += v
        for c in names:
            w = resid * factor[c]
            for (a, b), h in hesss[c].items():
                v = 2.0 * np.einsum("nb,nb->n", h, w)
                full[:, k_count + a, k_count + b] += v
                if a != b:
                    full[:, k_count + b, k_count + a] += v
        return mu, vals, (grad, gauss_newton, full)

    def objective(z, mu, r=None):
        nr, pos, n_log_n, n_sum = rows_of(r)
        bad = np.any((mu < 0) | ((mu <= 0) & pos), axis=-1) | ~np.all(np.isfinite(mu), axis=-1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_mu = np.log(np.where(pos, np.maximum(mu, 1e-300), 1.0))
            val = 2.0 * (mu.sum(axis=-1) - n_sum + n_log_n - dot_observed(log_mu, nr)) + np.sum(dev(z, r)**2 * pen, axis=-1)
        return np.where(bad, np.inf, val)

    z = np.zeros((n_points, dim))
    if theta0 is not None:
        z[:, k_count:] = theta0
    mu, _, _ = evaluate(z, components, derivatives=False)
    f = objective(z, mu)
    active = np.flatnonzero(np.isfinite(f))
    comps_a = {c: components[c].rows(active) for c in names}
    for _ in range(max_iter):
        if active.size == 0:
            break
        za, fa = z[active], f[active]
        _, _, (grad, gauss_newton, full) = evaluate(za, comps_a, r=active)
        # projected Newton: variables on a bound with the gradient pushing outwards stay there
        at_bound = ((za <= lower + 1e-12) & (grad > 0)) | ((za >= upper - 1e-12) & (grad < 0))
        # a nuisance the chi2 does not depend on (no curvature: e.g. the signal's when the
        # signal is zero) is held, not sent to a bound by a step over a vanishing pivot
        diag = np.diagonal(gauss_newton, axis1=1, axis2=2)
        at_bound |= diag <= 1e-12 * (1.0 + diag.max(axis=1, keepdims=True))
        both = at_bound[:, :, None] | at_bound[:, None, :]
        g_free = np.where(at_bound, 0.0, grad)
        finite = np.isfinite(full).all(axis=(1, 2)) & np.isfinite(g_free).all(axis=1)
        steps = []
        for hess in (full, gauss_newton):
            h = np.where(both, eye, hess) + 1e-12 * eye
            h = np.where(finite[:, None, None], h, eye)
            try:
                steps.append(-np.linalg.solve(h, np.where(finite[:, None], g_free, 0.0)[..., None])[..., 0])
            except np.linalg.LinAlgError:
                steps.append(-np.einsum("nkl,nl->nk", np.linalg.pinv(h), g_free))
        # the full Newton step where it descends, else the (positive semi-definite) Gauss-Newton one
        descends = np.einsum("nk,nk->n", steps[0], g_free) < 0
        step = np.where(descends[:, None], steps[0], steps[1])
        new_z, new_f = za.copy(), fa.copy()
        pending = np.arange(active.size)
        t = 1.0
        # a row whose step no longer lowers the objective after MAX_HALVINGS halvings is at
        # its minimum to rounding (the step is then below ~1e-4 of a Newton step): it stops
        for _ in range(MAX_HALVINGS):
            cand = np.clip(za[pending] + t * step[pending], lower, upper)
            sub = {c: comps_a[c].rows(pending) for c in names}
            mu_c, _, _ = evaluate(cand, sub, derivatives=False)
            fc = objective(cand, mu_c, active[pending])
            ok = fc <= fa[pending] + 1e-12
            acc = pending[ok]
            new_z[acc], new_f[acc] = cand[ok], fc[ok]
            pending = pending[~ok]
            if pending.size == 0:
                break
            t *= 0.5
        improvement = fa - new_f
        z[active], f[active] = new_z, new_f
        keep = improvement >= tol
        if not keep.all():
            active = active[keep]
            comps_a = {c: comps_a[c].rows(np.flatnonzero(keep)) for c in names}
    mu, vals, _ = evaluate(z, components, derivatives=False)
    return MorphSolution(objective(z, mu), z[:, :k_count], z[:, k_count:], vals)



@dataclass(frozen=True)
class SeparableMorph:
    """How a likelihood's branches vary with its non-linear nuisances (``axes``, the
    branch grid's axes with their priors): the signal's energy counts (model terms and
    energy kernels) with ``energy_axes``, its time fractions with ``time_axes``, and
    each background template with ``background_axes[name]`` (absent: constant)."""

    axes: tuple[MorphAxis, ...]
    energy_axes: tuple[str, ...]
    time_axes: tuple[str, ...]
    background_axes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def axis_index(self, names: Sequence[str]) -> tuple[int, ...]:
        order = [ax.name for ax in self.axes]
        return tuple(order.index(n) for n in names)
