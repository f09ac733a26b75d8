"""Features and labels of a whole panel, computed once and shared by every split and fold."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from stgnn.config import FeatureConfig, LabelConfig
from stgnn.data.features import FeatureSet, compute_features, log_returns
from stgnn.data.labels import Labels, exit_log_return, make_labels
from stgnn.data.panel import PricePanel
from stgnn.errors import DataError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PanelData:
    """Everything the model needs from a panel, as arrays indexed by day and ticker.

    A ragged panel stays dense: ``usable[t, i]`` says whether ticker i can be a node on day t
    (present and warmed up on every day of its window, and eligible that day). Labels exist only
    on usable nodes whose price at t + h exists (``labels.y`` is -1 elsewhere), so everything that
    counts known labels (scaler rows, SMOTE pools, class weights, metrics) counts present rows only.

    ``sample_days`` are the days with at least one usable node; ``labelled_days`` those with at
    least one known label. Their labels may be unknown on the last ``horizon`` days, which is what
    ``predict`` on the latest window relies on.

    ``sectors`` (ticker -> sector) is kept so that :meth:`relabel` can cut sector-relative labels
    again; ``None`` when no sector file was given.
    """

    panel: PricePanel
    features: FeatureSet
    labels: Labels
    window: int
    usable: np.ndarray
    label_config: LabelConfig = LabelConfig()
    sectors: Mapping[str, str] | None = None

    @property
    def dates(self) -> pd.DatetimeIndex:
        return self.features.dates

    @property
    def tickers(self) -> list[str]:
        return self.features.tickers

    @property
    def n_features(self) -> int:
        return self.features.values.shape[-1]

    @property
    def sample_days(self) -> np.ndarray:
        return np.flatnonzero(self.usable.any(axis=1))

    @property
    def labelled_days(self) -> np.ndarray:
        """Sample days with at least one known label."""
        return np.flatnonzero((self.labels.y >= 0).any(axis=1))

    def relabel(self, labels: LabelConfig) -> PanelData:
        """The same features with labels for another horizon, threshold or benchmark."""
        return replace(self, labels=usable_labels(self.panel, self.usable, labels, sectors=self.sectors),
                       label_config=labels)

    def returns(self) -> np.ndarray:
        """Daily log returns of shape (n_days, n_tickers); NaN on row 0 and where a price is missing."""
        return log_returns(self.panel.close.astype(np.float64)).to_numpy()


def traded_labels(panel: PricePanel, config: LabelConfig = LabelConfig(), *,
                  sectors: Mapping[str, str] | None = None, among: np.ndarray | None = None) -> Labels:
    """The labels of a panel as they could have been traded: :func:`make_labels` on the nodes that
    trade at t (the call), at t + d (the entry) and at t + d + h (the exit), every other node
    unknown (-1): a price carried forward through a halt or after a delisting gives no label. Each
    position also gets its exit return (:func:`exit_log_return`: the book holds a stock that stops
    trading, and labels never say who will).

    Quantile labels are cut among those nodes (and ``among``, when given), so each day's Up and
    Down counts hold on the rows that have a label.

    The one labelling rule: the walk-forward's training and test rows (through
    :func:`usable_labels`) and the live ledger's scores both come from it."""
    traded = panel.traded.to_numpy()
    known = traded.copy()
    for lag in (config.delay, config.span):
        later = np.zeros_like(traded)
        later[: max(len(traded) - lag, 0)] = traded[lag:]
        known &= later
    if among is not None:
        known &= among
    labels = make_labels(panel.close, config, sectors=sectors, among=known)
    exit_return = np.where(known, labels.fwd_return,
                           exit_log_return(panel.close, panel.traded, config.horizon, config.delay))
    return replace(labels, exit_return=exit_return)


def usable_labels(panel: PricePanel, usable: np.ndarray, config: LabelConfig = LabelConfig(), *,
                  sectors: Mapping[str, str] | None = None) -> Labels:
    """:func:`traded_labels` on the usable nodes only: the rows a model trains and is scored on."""
    return traded_labels(panel, config, sectors=sectors, among=usable)


def prepare(
    panel: PricePanel,
    *,
    features: FeatureConfig = FeatureConfig(),
    labels: LabelConfig = LabelConfig(),
    window: int = 20,
    sectors: Mapping[str, str] | None = None,
) -> PanelData:
    """Compute features, usable nodes and labels of a panel; refuse panels too short for one window.

    ``sectors`` (ticker -> sector) is needed for ``labels.relative_to: sector`` and kept on the
    result for :meth:`PanelData.relabel`.
    """
    feature_set = compute_features(panel, features)
    usable = feature_set.complete_windows(window) & panel.eligible.to_numpy()
    data = PanelData(panel, feature_set, usable_labels(panel, usable, labels, sectors=sectors),
                     window, usable, labels, sectors)
    if len(data.labelled_days) < 1:
        needed = features.warmup + window + labels.span
        raise DataError(
            f"{panel.source}: no ticker has a labelled day; features, a {window}-day window, a "
            f"{labels.horizon}-day horizon and a {labels.delay}-day delay need more than {needed} consecutive days "
            "with prices. Use a longer date range (or a shorter horizon or delay)."
        )
    never = [t for t, ok in zip(panel.tickers, usable.any(axis=0)) if not ok]
    if never:
        logger.warning("%d ticker(s) never have a complete %d-day window after the feature warm-up and are not "
                       "used: %s", len(never), window, ", ".join(never[:10]) + (" ..." if len(never) > 10 else ""))
    return data
