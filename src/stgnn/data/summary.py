"""What a panel holds, for ``stgnn data summary`` and the run logs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stgnn.classes import CLASS_NAMES
from stgnn.config import LabelConfig
from stgnn.data.labels import make_labels
from stgnn.data.panel import FIELDS, Dropped, PricePanel


@dataclass(frozen=True)
class PanelSummary:
    source: str
    tickers: list[str]
    first: str
    last: str
    n_days: int
    fields: list[str]
    dropped: tuple[Dropped, ...]
    horizon: int
    threshold: float
    vol_scaled: bool
    class_counts: np.ndarray

    def lines(self) -> list[str]:
        total = int(self.class_counts.sum())
        balance = "  ".join(
            f"{name} {n / total:.1%} ({n:,})" for name, n in zip(CLASS_NAMES, self.class_counts.tolist())
        )
        theta = f"{self.threshold:g}" + (" x trailing vol / its median" if self.vol_scaled else "")
        dropped = [f"  - {d.what}: {d.reason}" for d in self.dropped] or ["  none"]
        return [
            f"source     {self.source}",
            f"tickers    {len(self.tickers)}: {' '.join(self.tickers)}",
            f"dates      {self.first} to {self.last} ({self.n_days:,} trading days)",
            f"fields     {', '.join(self.fields)}",
            "dropped",
            *dropped,
            f"labels     horizon {self.horizon} day(s), theta {theta}",
            f"classes    {balance}  [{total:,} labelled]",
        ]


def summarize(panel: PricePanel, labels: LabelConfig) -> PanelSummary:
    counts = make_labels(panel.close, labels).class_counts()
    return PanelSummary(
        source=panel.source,
        tickers=panel.tickers,
        first=panel.dates[0].date().isoformat(),
        last=panel.dates[-1].date().isoformat(),
        n_days=len(panel.dates),
        fields=[f for f in FIELDS if panel.has(f)],
        dropped=panel.dropped,
        horizon=labels.horizon,
        threshold=labels.threshold,
        vol_scaled=labels.vol_scaled,
        class_counts=counts,
    )
