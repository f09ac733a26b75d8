"""Baselines on the same folds and rows as the STGNN, each fitted on the fold's training days only.

- ``majority``: the training class frequencies as constant probabilities (argmax: the majority).
- ``momentum``: multinomial logistic regression on the trailing 20-day log return ``ret_20``
  alone: the momentum rule made probabilistic (sign *and* size of the trailing move).
- ``volatility``: the same on trailing 20-day volatility ``vol_20`` alone. It can time *that* a
  move comes, never its direction: the honest "is it just volatility timing?" baseline. On real
  prices it comes close to much richer models.
- ``logistic``: on all F features of the centre ticker that day (linear, no graph).
- ``logistic_graph``: the same plus the mean of its K graph neighbours' features that day
  (2F columns: linear, with the graph).
- ``lightgbm`` and ``lightgbm_graph``: gradient-boosted trees (LightGBM's multiclass
  ``LGBMClassifier``) on the same columns as ``logistic`` and ``logistic_graph`` on day t: the
  practitioner's reference on a factor library. A small grid (:data:`BOOSTING_GRID`) is chosen on
  the validation window, each fit stopping early on that window's log-loss.
- ``stgnn_no_graph``: the STGNN without its graph layer (the temporal-only ablation). It is
  trained by the walk-forward itself (:mod:`stgnn.walkforward.search`), with the model's seeds
  and its own validation-chosen settings. Every name, and whether its ``C`` is tuned and it sees
  the model's window, is written once in :mod:`stgnn.registry`.

Every baseline has ``fit(data, train_days, graph) -> self`` and ``predict_proba(data, days)``
of shape (n_days, n_tickers, 3) in the class order Down, None, Up. Training rows are the
(day, ticker) pairs of ``train_days`` with a known label (``y >= 0``); nothing else is read by
``fit``. The graph is the caller's, fitted on the same training days' returns.

Design choices
--------------
- Regressions are **unweighted** (no ``class_weight="balanced"``), so their probabilities stay
  calibrated. Their argmax rarely calls a minority class, but the walk-forward tunes decision
  thresholds on validation for every model alike, and AUROC / average precision ignore
  calibration anyway.
- Columns are standardised with statistics of the training rows only (``scaler_``).
- ``window=w`` (``logistic`` and ``logistic_graph`` in the walk-forward, with
  ``walkforward.baseline_window: model``) gives the regression days ``t, t-1, ..., t-w+1`` of its
  columns side by side (flattened lags), the same history the STGNN's window sees.
- The walk-forward fits each linear baseline for every ``C`` of ``walkforward.baseline_C`` and
  keeps the one whose validation score is best (:func:`fit_on_validation`), as it does the
  STGNN's grid.
- A training set larger than ``max_train_rows`` rows is subsampled without replacement by an rng
  seeded with ``seed``, so a fit stays within seconds on large universes (lbfgs on 200k x 52 rows
  takes well under a few seconds); below that every row is used and ``seed`` has no effect.
- A class absent from the training rows still gets its probability column, always 0. When only
  one class is present at all, the regression is undefined and its limit (probability 1 for that
  class) is used, like :class:`Majority`.
- LightGBM runs deterministically (``deterministic``, row-wise histograms, seeded bagging) on
  ``torch.get_num_threads()`` threads: a walk-forward worker's share of the cores, as torch's.
- ``momentum`` and ``volatility`` read ``ret_20`` / ``vol_20`` from the run's features when the
  feature set has them (then cross-sectioned like the rest, with ``features.cross_section``); a
  factor library has no such column, and they compute it from the closes (raw), so the one-feature
  rule stays the same rule whatever the model reads.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from stgnn.classes import N_CLASSES
from stgnn.data.dataset import PanelData
from stgnn.data.features import log_returns, trailing_volatility
from stgnn.data.graph import Graph
from stgnn.data.splits import Split
from stgnn.errors import ConfigError, NotFittedError
from stgnn.registry import BASELINES


def _check_days(data: PanelData, days: np.ndarray, name: str) -> np.ndarray:
    days = np.asarray(days)
    if days.ndim != 1 or not np.issubdtype(days.dtype, np.integer):
        raise ValueError(f"Expected {name} a 1-d array of integer day indices, got dtype {days.dtype}, "
                         f"shape {days.shape}.")
    n = len(data.dates)
    if len(days) and (days.min() < 0 or days.max() >= n):
        raise ValueError(f"Expected {name} in [0, {n}), got values from {days.min()} to {days.max()}.")
    return days


def _train_labels(data: PanelData, train_days: np.ndarray) -> np.ndarray:
    """Labels of the training days, of shape (n_train_days, n_tickers); refuse if none is known."""
    y = data.labels.y[train_days]
    if not (y >= 0).any():
        raise ValueError(f"Expected training days with known labels, got none among {len(train_days)} days.")
    return y


class Majority:
    """Constant probabilities: the class frequencies of the training rows.

    Parameters
    ----------
    seed : int
        Unused; accepted so that every baseline is built the same way.
    """

    def __init__(self, *, seed: int = 0):
        self.seed = seed

    def __repr__(self) -> str:
        return "Majority()"

    @staticmethod
    def candidates(C_grid) -> list[dict]:
        """Settings tried on validation: none."""
        return [{}]

    def fit(self, data: PanelData, train_days: np.ndarray, graph: Graph | None = None) -> Majority:
        """Count the known labels of ``train_days``; ``graph`` is ignored."""
        y = _train_labels(data, _check_days(data, train_days, "train_days"))
        counts = np.bincount(y[y >= 0], minlength=N_CLASSES)
        self.class_counts_ = counts
        self.proba_ = counts / counts.sum()
        return self

    def predict_proba(self, data: PanelData, days: np.ndarray) -> np.ndarray:
        """The training frequencies on every row, of shape (n_days, n_tickers, 3)."""
        if not hasattr(self, "proba_"):
            raise NotFittedError("Majority: call fit(data, train_days, graph) first.")
        days = _check_days(data, days, "days")
        return np.broadcast_to(self.proba_, (len(days), len(data.tickers), N_CLASSES)).copy()


class LinearBaseline:
    """Multinomial logistic regression on per-(day, ticker) rows; subclasses choose the columns.

    ``p(c | x) = softmax(W z + b)_c`` with ``z`` the columns standardised on the training rows,
    fitted by lbfgs with an L2 penalty of strength ``1 / C``.

    Parameters
    ----------
    C : float, default 1.0
        Inverse L2 regularisation strength (scikit-learn's ``C``).
    window : int, default 1
        Days of each column the regression sees (``t`` back to ``t - window + 1``, flattened).
    max_iter : int, default 500
        lbfgs iterations.
    max_train_rows : int, default 200_000
        Training rows beyond this are subsampled (seeded by ``seed``).
    seed : int, default 0
        Seed of that subsample.

    Attributes
    ----------
    columns_ : list of str
        Names of the regression's columns.
    scaler_ : StandardScaler
        Fitted on the training rows.
    model_ : LogisticRegression or None
        None when the training rows hold one class only (see the module notes).
    classes_ : np.ndarray
        Classes seen in training; the columns of ``model_.predict_proba``.
    n_train_rows_ : int
        Rows the regression was fitted on (after subsampling).
    """

    def __init__(self, *, C: float = 1.0, window: int = 1, max_iter: int = 500, max_train_rows: int = 200_000,
                 seed: int = 0):
        if not C > 0:
            raise ValueError(f"Expected C > 0, got {C}.")
        if window < 1:
            raise ValueError(f"Expected window >= 1, got {window}.")
        if max_iter < 1:
            raise ValueError(f"Expected max_iter >= 1, got {max_iter}.")
        if max_train_rows < 1:
            raise ValueError(f"Expected max_train_rows >= 1, got {max_train_rows}.")
        self.C = C
        self.window = window
        self.max_iter = max_iter
        self.max_train_rows = max_train_rows
        self.seed = seed

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(C={self.C}, window={self.window}, max_iter={self.max_iter}, "
                f"max_train_rows={self.max_train_rows}, seed={self.seed})")

    @staticmethod
    def candidates(C_grid) -> list[dict]:
        """Settings tried on validation: each ``C`` of the grid."""
        return [{"C": C} for C in C_grid]

    # Subclasses: the columns of some days, of shape (n_days, n_tickers, n_columns), and their names.
    def _columns(self, data: PanelData, days: np.ndarray, graph: Graph | None) -> tuple[np.ndarray, list[str]]:
        raise NotImplementedError

    def _design(self, data: PanelData, days: np.ndarray, graph: Graph | None) -> tuple[np.ndarray, list[str]]:
        """The columns of day t, then of t-1, ... t-window+1 (a lag before day 0 is refused)."""
        if self.window > 1 and len(days) and days.min() < self.window - 1:
            raise ValueError(f"Expected days >= {self.window - 1} for a {self.window}-day window, got {days.min()}.")
        lagged = [self._columns(data, days - lag, graph) for lag in range(self.window)]
        if self.window == 1:
            return lagged[0]
        names = [f"{name}@t-{lag}" for lag, (_, cols) in enumerate(lagged) for name in cols]
        return np.concatenate([x for x, _ in lagged], axis=-1), names

    def fit(self, data: PanelData, train_days: np.ndarray, graph: Graph | None = None) -> LinearBaseline:
        """Fit on the known labels of ``train_days`` (and the graph, for ``logistic_graph``)."""
        train_days = _check_days(data, train_days, "train_days")
        y = _train_labels(data, train_days)
        x, columns = self._design(data, train_days, graph)
        known = y >= 0
        x, y = x[known], y[known]
        _check_finite(x, columns, "training")
        if len(y) > self.max_train_rows:
            pick = np.sort(np.random.default_rng(self.seed).choice(len(y), self.max_train_rows, replace=False))
            x, y = x[pick], y[pick]
        self.graph_ = graph
        self.columns_ = columns
        self.scaler_ = StandardScaler().fit(x)
        self.classes_ = np.unique(y)
        self.n_train_rows_ = len(y)
        self.model_ = None
        if len(self.classes_) > 1:
            self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(self.scaler_.transform(x), y)
        return self

    def predict_proba(self, data: PanelData, days: np.ndarray) -> np.ndarray:
        """Class probabilities of shape (n_days, n_tickers, 3); a class unseen in training gets 0;
        NaN for tickers not usable on a day."""
        if not hasattr(self, "scaler_"):
            raise NotFittedError(f"{type(self).__name__}: call fit(data, train_days, graph) first.")
        days = _check_days(data, days, "days")
        x, _ = self._design(data, days, self.graph_)
        predict = None if self.model_ is None else lambda flat: self.model_.predict_proba(self.scaler_.transform(flat))
        return _proba_of_usable(data, days, x, self.columns_, self.classes_, predict)


def _proba_of_usable(data: PanelData, days: np.ndarray, x: np.ndarray, columns: list[str], classes: np.ndarray,
                     predict) -> np.ndarray:
    """(n_days, n_tickers, 3) probabilities from ``predict`` on the usable rows of ``x`` (NaN on the
    others); a class absent from ``classes`` (unseen in training) gets 0, and with ``predict`` None
    (one training class) that class gets 1."""
    usable = data.usable[days].reshape(-1)
    flat = x.reshape(-1, x.shape[-1])[usable]
    _check_finite(flat, columns, "prediction")
    known = np.zeros((len(flat), N_CLASSES))
    if predict is None:
        known[:, classes[0]] = 1.0
    elif len(flat):
        known[:, classes] = predict(flat)
    proba = np.full((len(usable), N_CLASSES), np.nan)
    proba[usable] = known
    return proba.reshape(len(days), len(data.tickers), N_CLASSES)


def _check_finite(x: np.ndarray, columns: list[str], what: str) -> None:
    """Features are defined on every sample day; a NaN here means days before the warm-up."""
    bad = ~np.isfinite(x)
    if bad.any():
        column = columns[int(np.argwhere(bad)[0][-1])]
        raise ValueError(f"Expected finite features on {what} rows, got NaN/inf in {column}; "
                         "pass sample days (PanelData.sample_days) only.")


BASIC_FROM_CLOSE = {"ret_20": lambda close: log_returns(close, 20), "vol_20": lambda close: trailing_volatility(close, 20)}
"""The one-feature rules' columns, computed from the closes when the feature set lacks them."""


class OneFeature(LinearBaseline):
    """Logistic regression on one named feature of the centre ticker."""

    feature = ""

    def _columns(self, data, days, graph):
        if self.feature in data.features.names:
            values = data.features.values[days][..., data.features.names.index(self.feature)]
        else:
            close = data.panel.close.astype(np.float64)
            values = BASIC_FROM_CLOSE[self.feature](close).to_numpy()[days]
        return values[..., None].astype(np.float64), [self.feature]


class Momentum(OneFeature):
    """Multinomial logistic regression on the trailing 20-day log return (momentum)."""

    feature = "ret_20"


class Volatility(OneFeature):
    """Multinomial logistic regression on trailing 20-day volatility (timing of moves, not direction).

    With ``features.cross_section`` on, ``vol_20`` is the day's rank or z-score of it, so this
    baseline then times moves across tickers only, not across volatility regimes."""

    feature = "vol_20"


def own_columns(data: PanelData, days: np.ndarray, graph: Graph | None) -> tuple[np.ndarray, list[str]]:
    """All F features of the centre ticker on ``days``: (n_days, n_tickers, F) and their names."""
    return data.features.values[days].astype(np.float64), list(data.features.names)


def graph_columns(data: PanelData, days: np.ndarray, graph: Graph | None) -> tuple[np.ndarray, list[str]]:
    """The centre's F features and the mean of its K neighbours' (2F columns).

    ``x_graph[t, i] = [x[t, i], mean_k x[t, neighbours[i, k]]]``, neighbours from ``graph``; the
    mean runs over the neighbours present that day (0 when none is).
    """
    if graph is None:
        raise ValueError("A graph baseline: expected a Graph, got None.")
    n = len(data.tickers)
    if graph.neighbours.shape[0] != n or list(graph.tickers) != list(data.tickers):
        raise ValueError(f"Expected a graph over the panel's {n} tickers, got one over "
                         f"{graph.neighbours.shape[0]} ({graph.tickers[:3]}...).")
    x, names = own_columns(data, days, graph)
    columns = names + [f"neighbours_mean:{f}" for f in names]
    return np.concatenate([x, neighbour_mean(x, graph.neighbours)], axis=-1), columns


def neighbour_mean(x: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
    """Mean of x (n_days, N, F) over each ticker's neighbours that exist and have features that
    day; 0 where none has. One neighbour slot at a time: the (n_days, N, K, F) gather would need
    gigabytes at alpha360's 360 features."""
    total = np.zeros_like(x)
    count = np.zeros(x.shape, dtype=np.int32)
    for slot in neighbours.T:
        exists = slot >= 0
        part = x[:, np.where(exists, slot, 0)]
        seen = np.isfinite(part) & exists[None, :, None]
        total += np.where(seen, part, 0.0)
        count += seen
    return total / np.maximum(count, 1)


class Logistic(LinearBaseline):
    """Multinomial logistic regression on all F features of the centre ticker (no graph)."""

    _columns = staticmethod(own_columns)


class LogisticGraph(LinearBaseline):
    """Logistic regression on the centre's F features and the mean of its K neighbours' (2F
    columns, :func:`graph_columns`)."""

    _columns = staticmethod(graph_columns)


BOOSTING_GRID = ({"num_leaves": 15}, {"num_leaves": 63})
"""LightGBM's settings tried on each fold's validation window: shallow and deeper trees (the
learning rate is fixed and the number of trees set by early stopping on the same window)."""


class Boosting:
    """LightGBM's multiclass trees on per-(day, ticker) rows of day t; subclasses choose the columns.

    Parameters
    ----------
    num_leaves : int, default 31
    learning_rate : float, default 0.05
    n_estimators : int, default 400
        Most boosting rounds; early stopping on ``eval_days`` usually ends sooner.
    early_stopping_rounds : int, default 30
    min_child_samples : int, default 200
        Rows per leaf at least: daily returns are noisy, and small leaves fit the noise.
    max_train_rows : int, default 200_000
        Training rows beyond this are subsampled (seeded by ``seed``).
    seed : int, default 0
        Seed of the subsample, of LightGBM's row and column bagging.

    Attributes
    ----------
    columns_ : list of str
    model_ : lightgbm.LGBMClassifier or None
        None when the training rows hold one class only.
    classes_ : np.ndarray
    n_train_rows_ : int
    best_iteration_ : int
        Rounds kept (the early-stopping choice; ``n_estimators`` without ``eval_days``).
    """

    uses_eval_days = True

    def __init__(self, *, num_leaves: int = 31, learning_rate: float = 0.05, n_estimators: int = 400,
                 early_stopping_rounds: int = 30, min_child_samples: int = 200, max_train_rows: int = 200_000,
                 seed: int = 0):
        if num_leaves < 2:
            raise ValueError(f"Expected num_leaves >= 2, got {num_leaves}.")
        if not learning_rate > 0:
            raise ValueError(f"Expected learning_rate > 0, got {learning_rate}.")
        self.num_leaves = num_leaves
        self.learning_rate = learning_rate
        self.n_estimators = n_estimators
        self.early_stopping_rounds = early_stopping_rounds
        self.min_child_samples = min_child_samples
        self.max_train_rows = max_train_rows
        self.seed = seed

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(num_leaves={self.num_leaves}, learning_rate={self.learning_rate}, "
                f"n_estimators={self.n_estimators}, seed={self.seed})")

    @staticmethod
    def candidates(C_grid) -> list[dict]:
        """Settings tried on validation: :data:`BOOSTING_GRID` (``C`` is the linear models')."""
        return [dict(params) for params in BOOSTING_GRID]

    def _columns(self, data: PanelData, days: np.ndarray, graph: Graph | None) -> tuple[np.ndarray, list[str]]:
        raise NotImplementedError

    def _rows(self, data: PanelData, days: np.ndarray, graph: Graph | None):
        """The known labels' rows of ``days``: columns (n, C), labels (n,) and the columns' names."""
        x, names = self._columns(data, days, graph)
        y = data.labels.y[days]
        known = y >= 0
        _check_finite(x[known], names, "labelled")
        return x[known], y[known], names

    def fit(self, data: PanelData, train_days: np.ndarray, graph: Graph | None = None, *,
            eval_days: np.ndarray | None = None) -> Boosting:
        """Fit on the known labels of ``train_days``, stopping early on those of ``eval_days``."""
        lightgbm = _lightgbm()
        train_days = _check_days(data, train_days, "train_days")
        _train_labels(data, train_days)
        x, y, self.columns_ = self._rows(data, train_days, graph)
        if len(y) > self.max_train_rows:
            pick = np.sort(np.random.default_rng(self.seed).choice(len(y), self.max_train_rows, replace=False))
            x, y = x[pick], y[pick]
        self.graph_ = graph
        self.classes_ = np.unique(y)
        self.n_train_rows_ = len(y)
        self.model_, self.best_iteration_ = None, 0
        if len(self.classes_) < 2:
            return self
        self.model_ = lightgbm.LGBMClassifier(
            objective="multiclass" if len(self.classes_) > 2 else "binary", n_estimators=self.n_estimators,
            learning_rate=self.learning_rate, num_leaves=self.num_leaves, min_child_samples=self.min_child_samples,
            subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0, max_bin=63,
            random_state=self.seed, deterministic=True, force_row_wise=True, n_jobs=torch.get_num_threads(),
            verbose=-1)
        fit_kwargs = {}
        if eval_days is not None:
            ex, ey, _ = self._rows(data, _check_days(data, eval_days, "eval_days"), graph)
            seen = np.isin(ey, self.classes_)  # a validation class unseen in training has no output to score
            if seen.any():
                fit_kwargs = {"eval_X": (ex[seen],), "eval_y": (ey[seen],),
                              "callbacks": [lightgbm.early_stopping(self.early_stopping_rounds, verbose=False)]}
        self.model_.fit(x, y, **fit_kwargs)
        self.best_iteration_ = int(self.model_.best_iteration_ or self.n_estimators)
        return self

    def predict_proba(self, data: PanelData, days: np.ndarray) -> np.ndarray:
        """Class probabilities of shape (n_days, n_tickers, 3); a class unseen in training gets 0;
        NaN for tickers not usable on a day."""
        if not hasattr(self, "classes_"):
            raise NotFittedError(f"{type(self).__name__}: call fit(data, train_days, graph) first.")
        days = _check_days(data, days, "days")
        x, _ = self._columns(data, days, self.graph_)
        predict = None if self.model_ is None else (
            lambda flat: self.model_.predict_proba(flat, num_iteration=self.best_iteration_))
        return _proba_of_usable(data, days, x, self.columns_, self.classes_, predict)


class LightGBM(Boosting):
    """LightGBM on all F features of the centre ticker (no graph)."""

    _columns = staticmethod(own_columns)


class LightGBMGraph(Boosting):
    """LightGBM on the centre's F features and its K neighbours' mean (:func:`graph_columns`)."""

    _columns = staticmethod(graph_columns)


def _lightgbm():
    try:
        import lightgbm
    except ImportError:
        raise ConfigError("The lightgbm baselines need LightGBM: pip install lightgbm (or drop lightgbm and "
                          "lightgbm_graph from walkforward.baselines).") from None
    return lightgbm


MODELS: dict[str, type] = {
    "majority": Majority,
    "momentum": Momentum,
    "volatility": Volatility,
    "logistic": Logistic,
    "logistic_graph": LogisticGraph,
    "lightgbm": LightGBM,
    "lightgbm_graph": LightGBMGraph,
}
"""Baselines fitted here: name (of :data:`stgnn.registry.BASELINES`) -> class; every class takes
``seed=``. The other, :data:`~stgnn.registry.NO_GRAPH`, is trained by the walk-forward."""


def fit_on_validation(name: str, data: PanelData, split: Split, graph: Graph | None, *, score, C_grid=(1.0,),
                      window: int = 1, seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict]:
    """Fit baseline ``name`` on ``split.train`` for each candidate setting, keep the best by
    ``score`` on ``split.val``.

    Parameters
    ----------
    name : str
        A key of :data:`MODELS`.
    score : callable
        ``score(val_proba) -> float``, higher is better: the same validation criterion the model's
        own search uses. Test days are predicted only by the chosen fit.
    C_grid : sequence of float
        Values of ``C`` tried by the linear baselines; the trees try :data:`BOOSTING_GRID`, and
        stop early on the validation window; untuned baselines are fitted once.
    window : int
        Days of history for ``windowed`` baselines (others see day t only).

    Returns
    -------
    val_proba, test_proba : np.ndarray of shape (n_days, n_tickers, 3)
    info : dict
        ``{"params", "C", "window", "val_score", "val_scores"}`` of the chosen fit: its settings
        (``C`` None where it has none), and the validation score per candidate tried; the trees add
        ``n_trees``, the rounds early stopping kept.

    Examples
    --------
    >>> import pandas as pd
    >>> from stgnn.data.dataset import prepare
    >>> from stgnn.data.panel import build_panel
    >>> rng = np.random.default_rng(0)
    >>> idx = pd.bdate_range("2024-01-01", periods=160)
    >>> close = pd.DataFrame(100 * np.exp(np.cumsum(0.02 * rng.normal(size=(160, 3)), axis=0)),
    ...                      index=idx, columns=["A", "B", "C"])
    >>> data = prepare(build_panel({"close": close}, origin="toy", min_history=30), window=5)
    >>> days = data.labelled_days
    >>> split = Split(train=days[:60], val=days[62:70], test=days[72:])
    >>> val, test, info = fit_on_validation("logistic", data, split, None, score=lambda p: -p[..., 1].mean(),
    ...                                     C_grid=(0.01, 1.0), window=3)
    >>> test.shape == (len(split.test), 3, 3), info["window"], sorted(info["val_scores"])
    (True, 3, ['C=0.01', 'C=1'])
    """
    if name not in MODELS:
        raise ConfigError(f"Unknown baseline {name!r}; choose from {sorted(MODELS)}.")
    cls, spec = MODELS[name], BASELINES[name]
    window = window if spec.windowed else 1
    fixed = {"seed": seed, **({"window": window} if spec.windowed else {})}
    eval_days = {"eval_days": split.val} if getattr(cls, "uses_eval_days", False) else {}
    best, scores = None, {}
    for params in cls.candidates(C_grid) if spec.tuned else [{}]:
        model = cls(**fixed, **params).fit(data, split.train, graph, **eval_days)
        val = model.predict_proba(data, split.val)
        key = ", ".join(f"{k}={v:g}" for k, v in params.items()) or "-"
        scores[key] = value = float(score(val))
        if best is None or value > best[0]:  # ties keep the first candidate (the strongest regularisation)
            best = (value, params, model, val)
    value, params, model, val = best
    info = {"params": params, "C": params.get("C"), "window": window, "val_score": value, "val_scores": scores}
    if hasattr(model, "best_iteration_"):
        info["n_trees"] = model.best_iteration_
    return val, model.predict_proba(data, split.test), info
