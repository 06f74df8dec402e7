"""Likelihood structures by (likelihood name, experiment), and building a recipe's likelihood."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..errors import UnknownNameError
from ..experiments.common import ExperimentSetup
from ..recipes import Recipe
from .core import ExperimentLikelihood

#: likelihood structures by (likelihood name, experiment): ``hook(recipe, setup, root)``
LIKELIHOOD_HOOKS: dict[tuple[str, str], Callable] = {}
#: likelihood name of a structure that applies under every recipe (a projected detector's
#: Asimov likelihood, :mod:`cevns.projections`); a recipe's own structure takes precedence
ANY_LIKELIHOOD = "*"


def register_likelihood(likelihood: str, experiment: str, replace: bool = False):
    """Decorator for a likelihood structure ``hook(recipe, setup, root) -> ExperimentLikelihood``:
    what recipe ``likelihood`` (a preset name) means for ``experiment``. Experiment modules
    register their own structures with it (docs/architecture.md)."""

    def wrap(hook: Callable) -> Callable:
        key = (likelihood, experiment)
        if key in LIKELIHOOD_HOOKS and not replace:
            raise ValueError(f"a likelihood {likelihood!r} for {experiment!r} is already registered")
        LIKELIHOOD_HOOKS[key] = hook
        return hook

    return wrap


class _LikelihoodRecipes(Mapping):
    """Likelihood name -> set of experiments it defines (a live view of the registered hooks)."""

    def __getitem__(self, name: str) -> set[str]:
        exps = {e for (lik, e) in LIKELIHOOD_HOOKS if lik == name}
        if not exps or name == ANY_LIKELIHOOD:
            raise KeyError(name)
        return exps | {e for (lik, e) in LIKELIHOOD_HOOKS if lik == ANY_LIKELIHOOD}

    def __iter__(self):
        return iter(dict.fromkeys(lik for lik, _ in LIKELIHOOD_HOOKS if lik != ANY_LIKELIHOOD))

    def __len__(self) -> int:
        return len({lik for lik, _ in LIKELIHOOD_HOOKS if lik != ANY_LIKELIHOOD})


LIKELIHOOD_RECIPES = _LikelihoodRecipes()

def build_likelihood(experiment: str, recipe: Recipe, root=None, setup: ExperimentSetup | None = None) -> ExperimentLikelihood:
    """The likelihood of ``experiment`` as ``recipe`` defines it: the structure named by
    ``recipe.likelihood_name`` (code hooks below) with the nuisance priors of the recipe's
    ``[nuisances.EXPERIMENT]`` table (:meth:`Recipe.priors_for`)."""
    lk = _build_structure(experiment, recipe, root, setup)
    return apply_nuisance_priors(lk, recipe.priors_for(experiment), recipe.name)


def apply_nuisance_priors(lk: ExperimentLikelihood, priors: dict[str, float | None], recipe_name: str = "") -> ExperimentLikelihood:
    """Set each linear nuisance's Gaussian sigma (None: free) from ``priors`` (name -> sigma).

    A name the likelihood does not have is a recipe error naming the valid ones; nuisances
    not in ``priors`` keep the structure's value.
    """
    from dataclasses import replace as dc_replace

    from ..errors import RecipeError

    names = [nu.name for nu in lk.nuisances]
    unknown = sorted(set(priors) - set(names))
    if unknown:
        raise RecipeError(f"recipe {recipe_name!r}: no nuisance {', '.join(unknown)} in the {lk.experiment} likelihood "
                          f"({lk.description}); valid: {', '.join(names) or 'none'}")
    lk.nuisances = [dc_replace(nu, sigma=priors[nu.name]) if nu.name in priors else nu for nu in lk.nuisances]
    return lk


def _build_structure(experiment: str, recipe: Recipe, root=None, setup: ExperimentSetup | None = None) -> ExperimentLikelihood:
    kind = recipe.likelihood_name
    hook = LIKELIHOOD_HOOKS.get((kind, experiment)) or LIKELIHOOD_HOOKS.get((ANY_LIKELIHOOD, experiment))
    if hook is None:
        avail = "; ".join(f"{r}: {', '.join(sorted(e))}" for r, e in LIKELIHOOD_RECIPES.items())
        raise UnknownNameError(f"recipe {recipe.name!r} defines no likelihood for {experiment!r}; available: {avail}")
    if setup is None:
        from ..experiments import build_experiment

        setup = build_experiment(experiment, recipe, root)
    return hook(recipe, setup, root)
