"""Features and labels of a whole panel, computed once and shared by every split and fold."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from stgnn.config import FeatureConfig, LabelConfig
from stgnn.data.features import FeatureSet, compute_features, log_returns
from stgnn.data.labels import Labels, make_labels
from stgnn.data.panel import PricePanel
from stgnn.errors import DataError


@dataclass(frozen=True)
class PanelData:
    """Everything the model needs from a panel, as arrays indexed by day and ticker.

    ``sample_days`` are the days a model can be trained or scored on: every feature of the
    whole window is defined there. Their labels may still be unknown (the last ``horizon`` days),
    which is what ``predict`` on the latest window relies on.
    """

    panel: PricePanel
    features: FeatureSet
    labels: Labels
    window: int
    label_config: LabelConfig = LabelConfig()

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
        first = self.features.first_complete + self.window - 1
        return np.arange(first, len(self.dates))

    @property
    def labelled_days(self) -> np.ndarray:
        """Sample days whose labels are known for every ticker."""
        days = self.sample_days
        return days[(self.labels.y[days] >= 0).all(axis=1)]

    def relabel(self, labels: LabelConfig) -> PanelData:
        """The same features with labels for another horizon or threshold."""
        return replace(self, labels=make_labels(self.panel.close, labels), label_config=labels)

    def returns(self) -> np.ndarray:
        """Daily log returns of shape (n_days, n_tickers); row 0 is NaN."""
        return log_returns(self.panel.close.astype(np.float64)).to_numpy()


def prepare(
    panel: PricePanel,
    *,
    features: FeatureConfig = FeatureConfig(),
    labels: LabelConfig = LabelConfig(),
    window: int = 20,
) -> PanelData:
    """Compute features and labels of a panel; refuse panels too short for one window."""
    data = PanelData(panel, compute_features(panel, features), make_labels(panel.close, labels), window, labels)
    _check_finite_after_warmup(data.features)
    needed = features.warmup + window + labels.horizon
    if len(data.labelled_days) < 1:
        raise DataError(
            f"{panel.source}: {len(panel.dates)} days are too few; features, a {window}-day window and "
            f"a {labels.horizon}-day horizon need more than {needed}. Use a longer date range."
        )
    return data


def _check_finite_after_warmup(features: FeatureSet) -> None:
    """A feature undefined after its warm-up would reach the model as NaN: refuse it by name."""
    first = features.first_complete
    bad = ~np.isfinite(features.values[first:])
    if bad.any():
        day, ticker, feature = np.argwhere(bad)[0]
        raise DataError(
            f"Feature {features.names[feature]} of {features.tickers[ticker]} is undefined on "
            f"{features.dates[first + day].date()}; check that ticker's prices around that date."
        )
