"""The validation search of one window, a fold's or the final model's: each trial of the grid an
ensemble of ``walkforward.seeds`` models, the best on validation chosen, its decision thresholds
tuned there and its models packed into a checkpoint (:meth:`Window.tune`).

One search for a fold and for the final model, so the model that makes tomorrow's calls is chosen
exactly as the ones the walk-forward judged were. Nothing here reads or writes files
(:mod:`stgnn.walkforward.fold_run` does).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

import numpy as np

from stgnn.checkpoint import build_checkpoint
from stgnn.config import Config
from stgnn.data.dataset import PanelData
from stgnn.data.splits import Split
from stgnn.errors import ConfigError
from stgnn.evaluation.metrics import classification_metrics, headline, mean_rank_ic, prediction_metrics, proba_of
from stgnn.formats import metric
from stgnn.models.stgnn import STGNN
from stgnn.training.fold import FoldData, FoldFitter
from stgnn.training.imbalance import ImbalancePlan
from stgnn.training.thresholds import DecisionThresholds, tune_thresholds
from stgnn.training.trainer import ClassificationSTGNNTrainer, predictions_frame

logger = logging.getLogger(__name__)


def trial_grid(config: Config) -> list[dict]:
    """Every combination of the grid, each checked against the schema before any training."""
    grid = config.walkforward.grid
    trials = [dict(zip(grid, values)) for values in itertools.product(*grid.values())] or [{}]
    for params in trials:
        config.updated(params)  # raises ConfigError naming a bad key or value
    return trials


@dataclass(frozen=True)
class SeedEnsemble:
    """``walkforward.seeds`` models trained on one fitted fold; their mean probabilities are the
    ensemble's predictions.

    Attributes
    ----------
    val, test : np.ndarray of shape (n_days, n_tickers, 3)
        Mean probabilities of the validation and test days; ``test`` is None without a test
        window (the final model).
    models : list of STGNN
    plan : ImbalancePlan
        The imbalance plan every seed trained with.
    best_epochs : list of int
    seed_metrics : list of dict
        Each seed's headline test metrics (argmax calls); empty without a test window.
    alarms : list of str
        Every seed's collapse alarms.
    """

    val: np.ndarray
    test: np.ndarray | None
    models: list[STGNN]
    plan: ImbalancePlan
    best_epochs: list[int]
    seed_metrics: list[dict]
    alarms: list[str]


@dataclass(frozen=True)
class SearchResult:
    """The chosen trial of a search and every trial's record (``params``, ``val_score``,
    ``best_epochs``: what a fold's info keeps)."""

    params: dict
    ensemble: SeedEnsemble
    trials: list[dict]


@dataclass(frozen=True)
class TunedModel:
    """What the validation search chose for the model: its trial, thresholds and checkpoint.

    Attributes
    ----------
    params : dict
        The chosen trial's grid values.
    trials : list of dict
        Every trial's params, validation score and best epochs.
    ensemble : SeedEnsemble
        The chosen trial's models and their predictions.
    thresholds : DecisionThresholds
        Tuned on the chosen trial's validation probabilities.
    checkpoint : dict
        Its models with everything inference needs (:func:`stgnn.checkpoint.build_checkpoint`).
    """

    params: dict
    trials: list[dict]
    ensemble: SeedEnsemble
    thresholds: DecisionThresholds
    checkpoint: dict


@dataclass(frozen=True, eq=False)
class Window:
    """One window's search: the config, data, split and seed every trial, seed and baseline of it
    shares, and the folds fitted on its training days (one per distinct set of data settings,
    fitted on first use). ``name`` labels its log lines."""

    config: Config
    data: PanelData
    split: Split
    seed: int
    name: str
    progress: bool = False
    _folds: dict[tuple, FoldData] = field(default_factory=dict, init=False, repr=False)

    def fold_for(self, config: Config) -> FoldData:
        """The fold fitted with ``config``'s data settings, shared by every trial that has them; its
        imbalance block is logged once, when it is fitted (each trial's own, with its focal alpha and
        gamma, at DEBUG)."""
        key = FoldFitter.key(config)
        if key not in self._folds:
            fold = self._folds[key] = FoldFitter(config, seed=self.seed).fit(self.data, self.split.train)
            logger.info("%s, shared by its trials: %s", self.name, "\n".join(fold.plan_for(config.loss).lines()))
        return self._folds[key]

    def tune(self) -> TunedModel:
        """Search the grid, tune the decision thresholds on the chosen trial's validation
        probabilities and pack its models into a checkpoint."""
        found = self.search()
        thresholds = self.thresholds(found.ensemble.val)
        chosen = self.config.updated(found.params)
        checkpoint = build_checkpoint(found.ensemble.models, chosen, self.fold_for(chosen), found.ensemble.plan,
                                      thresholds.to_dict())
        return TunedModel(found.params, found.trials, found.ensemble, thresholds, checkpoint)

    def search(self, overrides: dict | None = None, label: str = "") -> SearchResult:
        """The grid searched on validation with ``overrides`` on the config (the temporal-only
        baseline's ``model.graph``), by ``walkforward.search``; ``label`` tells its log lines apart."""
        config = self.config.updated(overrides) if overrides else self.config
        name = f"{self.name} ({label})" if label else self.name
        wf = config.walkforward
        trials, best = [], None

        def evaluate(params: dict) -> float:
            nonlocal best
            cfg = config.updated(params)
            ensemble = self._fit_seeds(cfg)
            val = predictions_frame(self.fold_for(cfg).data, self.split.val, ensemble.val)
            score = _selection_score(val, wf.select_on)
            trials.append({"params": params, "val_score": score, "best_epochs": ensemble.best_epochs})
            logger.info("%s trial %s: %s; best epoch %s", name, params, _trial_scores(val, score, wf.select_on),
                        ", ".join(map(str, ensemble.best_epochs)))
            if best is None or score > best[0]:
                best = (score, params, ensemble)
            return score

        (_optuna_search if wf.search == "optuna" else _grid_search)(config, evaluate, seed=self.seed)
        _, params, ensemble = best
        return SearchResult(params, ensemble, trials)

    def _fit_seeds(self, config: Config) -> SeedEnsemble:
        """Train ``walkforward.seeds`` models on the fold of ``config``, seeded from the window's seed on."""
        fold = self.fold_for(config)
        vals, tests, models, epochs, seed_metrics, alarms = [], [], [], [], [], []
        for s in range(config.walkforward.seeds):
            trainer = ClassificationSTGNNTrainer(config, fold, self.split, seed=self.seed + s, progress=self.progress,
                                                 log_level=logging.DEBUG)
            result = trainer.fit()
            vals.append(trainer.predict_proba(self.split.val))
            models.append(trainer.model_)
            epochs.append(result.best_epoch)
            alarms.extend(result.alarms)
            if len(self.split.test):
                test = trainer.predict_proba(self.split.test)
                tests.append(test)
                frame = predictions_frame(fold.data, self.split.test, test)
                seed_metrics.append(headline(prediction_metrics(frame.assign(pred=proba_of(frame).argmax(1)))))
        return SeedEnsemble(val=np.mean(vals, axis=0), test=np.mean(tests, axis=0) if tests else None, models=models,
                            plan=trainer.plan_, best_epochs=epochs, seed_metrics=seed_metrics, alarms=alarms)

    def score(self, proba: np.ndarray) -> float:
        """The validation score that chooses among trials, for a baseline's validation probabilities."""
        return _selection_score(predictions_frame(self.data, self.split.val, proba), self.config.walkforward.select_on)

    def thresholds(self, val: np.ndarray) -> DecisionThresholds:
        """Decision thresholds tuned on validation probabilities as ``config.thresholds`` asks."""
        t = self.config.thresholds
        frame = predictions_frame(self.data, self.split.val, val)
        return tune_thresholds(frame["label"].to_numpy(), proba_of(frame),
                               objective=t.objective, min_precision=t.min_precision, fnr_target=t.fnr_target)


SELECTION_NAMES = {"auroc": "mean AUROC", "rank_ic": "Rank IC"}
"""How a trial's log line names a ``walkforward.select_on`` score other than macro-F1."""


def _trial_scores(val, score: float, select_on: str) -> str:
    """``val macro-F1 argmax +0.3940, at tuned thresholds +0.4684 (the selection score)``: the
    trial's argmax macro-F1 (the number the epoch lines show) beside the score that chooses it."""
    f1 = classification_metrics(val["label"].to_numpy(), proba_of(val).argmax(1))["macro_f1"]
    argmax = f"val macro-F1 argmax {metric(f1)}"
    if select_on == "macro_f1":
        return f"{argmax}, at tuned thresholds {metric(score)} (the selection score)"
    return f"{argmax}; val {SELECTION_NAMES[select_on]} {metric(score)} (the selection score)"


def _selection_score(frame, select_on: str) -> float:
    """The validation score of ``walkforward.select_on`` on a validation predictions frame."""
    proba = proba_of(frame)
    if select_on == "auroc":
        return prediction_metrics(frame.assign(pred=proba.argmax(1)))["auroc_mean"]
    if select_on == "rank_ic":
        return mean_rank_ic(frame)
    return tune_thresholds(frame["label"].to_numpy(), proba).value


def _grid_search(config: Config, evaluate, *, seed: int) -> None:
    for params in trial_grid(config):
        evaluate(params)


def _optuna_search(config: Config, evaluate, *, seed: int) -> None:
    """Optuna's TPE over the grid's values (each key a categorical choice), ``n_trials`` per window.

    Each window's study lives in memory in the process running it, so folds spread over workers or
    Ray never share a storage (a shared SQLite file would not survive that)."""
    try:
        import optuna
    except ImportError:
        raise ConfigError("--search optuna needs Optuna: pip install optuna.") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    grid = config.walkforward.grid
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    for _ in range(config.walkforward.n_trials):
        trial = study.ask()
        params = {key: trial.suggest_categorical(key, values) for key, values in grid.items()}
        study.tell(trial, evaluate(params))
