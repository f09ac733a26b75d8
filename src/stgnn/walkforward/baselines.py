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
- A training set larger than ``max_train_rows`` rows is subsampled without replacement by an rng
  seeded with ``seed``, so a fit stays within seconds on large universes (lbfgs on 200k x 52 rows
  takes well under a few seconds); below that every row is used and ``seed`` has no effect.
- A class absent from the training rows still gets its probability column, always 0. When only
  one class is present at all, the regression is undefined and its limit (probability 1 for that
  class) is used, like :class:`Majority`.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from stgnn.classes import N_CLASSES
from stgnn.data.dataset import PanelData
from stgnn.data.graph import Graph
from stgnn.data.splits import Split
from stgnn.errors import ConfigError, NotFittedError


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

    def __init__(self, *, C: float = 1.0, max_iter: int = 500, max_train_rows: int = 200_000, seed: int = 0):
        if not C > 0:
            raise ValueError(f"Expected C > 0, got {C}.")
        if max_iter < 1:
            raise ValueError(f"Expected max_iter >= 1, got {max_iter}.")
        if max_train_rows < 1:
            raise ValueError(f"Expected max_train_rows >= 1, got {max_train_rows}.")
        self.C = C
        self.max_iter = max_iter
        self.max_train_rows = max_train_rows
        self.seed = seed

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(C={self.C}, max_iter={self.max_iter}, "
                f"max_train_rows={self.max_train_rows}, seed={self.seed})")

    # Subclasses: the design matrix of some days, of shape (n_days, n_tickers, n_columns).
    def _design(self, data: PanelData, days: np.ndarray, graph: Graph | None) -> tuple[np.ndarray, list[str]]:
        raise NotImplementedError

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
        """Class probabilities of shape (n_days, n_tickers, 3); a class unseen in training gets 0."""
        if not hasattr(self, "scaler_"):
            raise NotFittedError(f"{type(self).__name__}: call fit(data, train_days, graph) first.")
        days = _check_days(data, days, "days")
        x, _ = self._design(data, days, self.graph_)
        flat = x.reshape(-1, x.shape[-1])
        _check_finite(flat, self.columns_, "prediction")
        proba = np.zeros((len(flat), N_CLASSES))
        if self.model_ is None:
            proba[:, self.classes_[0]] = 1.0
        else:
            proba[:, self.model_.classes_] = self.model_.predict_proba(self.scaler_.transform(flat))
        return proba.reshape(len(days), len(data.tickers), N_CLASSES)


def _check_finite(x: np.ndarray, columns: list[str], what: str) -> None:
    """Features are defined on every sample day; a NaN here means days before the warm-up."""
    bad = ~np.isfinite(x)
    if bad.any():
        column = columns[int(np.argwhere(bad)[0][-1])]
        raise ValueError(f"Expected finite features on {what} rows, got NaN/inf in {column}; "
                         "pass sample days (PanelData.sample_days) only.")


def _feature_index(data: PanelData, name: str) -> int:
    if name not in data.features.names:
        raise ConfigError(f"Baseline needs feature {name!r}, got features {data.features.names}; "
                          "keep 20 in features.return_lags and features.vol_windows.")
    return data.features.names.index(name)


class OneFeature(LinearBaseline):
    """Logistic regression on one named feature of the centre ticker."""

    feature = ""

    def _design(self, data, days, graph):
        j = _feature_index(data, self.feature)
        return data.features.values[days][..., [j]].astype(np.float64), [self.feature]


class Momentum(OneFeature):
    """Multinomial logistic regression on the trailing 20-day log return (momentum)."""

    feature = "ret_20"


class Volatility(OneFeature):
    """Multinomial logistic regression on trailing 20-day volatility (timing of moves, not direction)."""

    feature = "vol_20"


class Logistic(LinearBaseline):
    """Multinomial logistic regression on all F features of the centre ticker (no graph)."""

    def _design(self, data, days, graph):
        return data.features.values[days].astype(np.float64), list(data.features.names)


class LogisticGraph(LinearBaseline):
    """Logistic regression on the centre's F features and the mean of its K neighbours' (2F columns).

    ``x_graph[t, i] = [x[t, i], mean_k x[t, neighbours[i, k]]]``, neighbours from ``graph``.
    """

    def _design(self, data, days, graph):
        if graph is None:
            raise ValueError("LogisticGraph: expected a Graph, got None.")
        n = len(data.tickers)
        if graph.neighbours.shape[0] != n or list(graph.tickers) != list(data.tickers):
            raise ValueError(f"Expected a graph over the panel's {n} tickers, got one over "
                             f"{graph.neighbours.shape[0]} ({graph.tickers[:3]}...).")
        x = data.features.values[days].astype(np.float64)
        neighbour_mean = x[:, graph.neighbours].mean(axis=2)  # (n_days, N, K, F) -> (n_days, N, F)
        names = list(data.features.names)
        return np.concatenate([x, neighbour_mean], axis=-1), names + [f"neighbours_mean:{f}" for f in names]


BASELINES: dict[str, type] = {
    "majority": Majority,
    "momentum": Momentum,
    "volatility": Volatility,
    "logistic": Logistic,
    "logistic_graph": LogisticGraph,
}
"""Baseline name (as in ``walkforward.baselines``) -> class; every class takes ``seed=``."""


def run_baselines(data: PanelData, split: Split, graph: Graph, *, names: list[str] | None = None,
                  seed: int = 0) -> dict[str, np.ndarray]:
    """Fit each baseline on ``split.train`` and predict ``split.test``.

    Parameters
    ----------
    data : PanelData
    split : Split
        Only ``train`` (fit) and ``test`` (predict) are used.
    graph : Graph
        Fitted by the caller on the returns of ``split.train`` only.
    names : list of str, optional
        Keys of :data:`BASELINES`; all of them by default.
    seed : int
        Passed to every baseline (the subsample of very large training sets).

    Returns
    -------
    dict of str to np.ndarray of shape (n_test_days, n_tickers, 3)
        Probabilities of Down, None, Up; turn one into a predictions frame with
        :func:`stgnn.training.trainer.predictions_frame` (then set its ``pred`` column).

    Raises
    ------
    ConfigError
        If a name is not a baseline.

    Examples
    --------
    >>> import pandas as pd
    >>> from stgnn.data.dataset import prepare
    >>> from stgnn.data.graph import CorrelationGraph
    >>> from stgnn.data.panel import build_panel
    >>> rng = np.random.default_rng(0)
    >>> idx = pd.bdate_range("2024-01-01", periods=160)
    >>> close = pd.DataFrame(100 * np.exp(np.cumsum(0.02 * rng.normal(size=(160, 3)), axis=0)),
    ...                      index=idx, columns=["A", "B", "C"])
    >>> data = prepare(build_panel({"close": close}, origin="toy", min_history=30), window=5)
    >>> days = data.labelled_days
    >>> split = Split(train=days[:60], val=days[62:70], test=days[72:])
    >>> graph = CorrelationGraph(k=1).fit(data.returns()[split.train], data.tickers).graph
    >>> proba = run_baselines(data, split, graph, names=["majority", "logistic_graph"])
    >>> proba["logistic_graph"].shape == (len(split.test), 3, 3)
    True
    """
    names = list(BASELINES) if names is None else list(names)
    unknown = [n for n in names if n not in BASELINES]
    if unknown:
        raise ConfigError(f"Unknown baselines {unknown}; choose from {sorted(BASELINES)}.")
    return {name: BASELINES[name](seed=seed).fit(data, split.train, graph).predict_proba(data, split.test)
            for name in names}
