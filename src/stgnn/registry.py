"""The names a config or a flag may give, written once: the baselines (and what each is), the
backends folds run on, MLflow's default store.

It sits below :mod:`stgnn.config` and imports nothing heavy, so a command's ``--help`` stays quick, which checks ``walkforward.baselines`` against it; the
implementations (:mod:`stgnn.walkforward.baselines`) and the walk-forward that trains the
temporal-only STGNN read their properties from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Baseline:
    """One baseline: its config name, what it is in a few words, and how it is fitted.

    Attributes
    ----------
    name : str
        As written in ``walkforward.baselines``.
    description : str
        What it is, for help texts and reports.
    tuned : bool
        Its setting is chosen on each fold's validation window (the linear models' ``C`` from
        ``walkforward.baseline_C``, the trees' leaves from their own small grid).
    windowed : bool
        With ``walkforward.baseline_window: model`` it sees the model's window (flattened lags).
    """

    name: str
    description: str
    tuned: bool = False
    windowed: bool = False


NO_GRAPH = "stgnn_no_graph"
"""The temporal-only STGNN, trained by the walk-forward beside the model (the graph's comparison)."""

BAYES = "bayes"
"""The synthetic market's exact posterior, scored beside the baselines on the same rows: the best
possible, a reference rather than a baseline (no config names it; a run on the synthetic source
gets it where the posterior is exact, :func:`stgnn.data.sources.synthetic.bayes_unavailable`)."""

BASELINES: dict[str, Baseline] = {b.name: b for b in (
    Baseline("majority", "training class frequencies as constant probabilities"),
    Baseline("momentum", "logistic regression on the trailing 20-day return", tuned=True),
    Baseline("volatility", "logistic regression on trailing 20-day volatility", tuned=True),
    Baseline("logistic", "logistic regression on the ticker's own features", tuned=True, windowed=True),
    Baseline("logistic_graph", "the same plus its graph neighbours' mean features", tuned=True, windowed=True),
    Baseline("lightgbm", "LightGBM's gradient-boosted trees on the ticker's own features that day", tuned=True),
    Baseline("lightgbm_graph", "the same plus its graph neighbours' mean features", tuned=True),
    Baseline(NO_GRAPH, "the STGNN without its neighbour layers, with its own grid search and seeds"),
)}
"""Every baseline a config may name, in the order reports list them."""


BACKENDS = ("local", "ray")
"""Where folds run (:func:`stgnn.walkforward.backends.run_tasks`): this process or its workers, or Ray."""

MLFLOW_DEFAULT_URI = "sqlite:///mlflow.db"
"""The store ``--mlflow`` logs to when given no URI (MLflow 3's default local store)."""
