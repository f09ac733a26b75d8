"""Inference from an exported model with torch, numpy and pandas only (no torch-geometric, no stgnn).

Two ways in:

- :meth:`ExportedModel.predict_prices` goes from prices to calls, as ``stgnn predict`` does: it
  takes the daily prices of the exported tickers (wide frames, dates x tickers, NaN where a ticker
  has no price), applies the panel's rules (a gap of up to ``max_ffill`` days holds the last price;
  a ticker listing inside the data is eligible from its ``min_history``-th price), computes the
  ``basic`` feature set, scales it, builds the day graph of the tickers usable on the last date and
  applies the tuned thresholds. Universe membership is the caller's: pass the members' columns.
- :meth:`ExportedModel.predict` takes the unscaled feature window of shape (W, N, F) of every
  exported ticker: the way in for the factor libraries (``alpha158``, ``alpha360``), whose code
  stays in stgnn (:func:`stgnn.data.features.compute_features` computes the window).

This module imports nothing from stgnn, so a serving process can vendor this one file. For that,
its feature code repeats stgnn's ``basic`` set (:mod:`stgnn.data.features`, the source of truth);
a test holds the two equal, options included.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import torch

CLASS_NAMES = ("Down", "None", "Up")
FIELDS = ("close", "open", "high", "low", "volume")
VOLUME_WINDOW = 20


class ExportedModel:
    """A loaded export: ``predict_prices(prices)`` or ``predict(window)`` -> probabilities and calls."""

    def __init__(self, directory: str | Path):
        directory = Path(directory)
        self.manifest = json.loads((directory / "manifest.json").read_text())
        self.program_path = directory / self.manifest["program"]
        self.program = torch.export.load(str(self.program_path)).module()
        scaler = self.manifest["scaler"]
        self.center = np.asarray(scaler["center"], dtype=np.float64)
        self.scale = np.asarray(scaler["scale"], dtype=np.float64)
        self.clip = float(scaler["clip"])
        self.edge_index = torch.tensor(self.manifest["edge_index"], dtype=torch.long).reshape(2, -1)
        self.edge_weight = torch.tensor(self.manifest["edge_weight"], dtype=torch.float32)

    @property
    def tickers(self) -> list[str]:
        return self.manifest["tickers"]

    def probabilities(self, window: np.ndarray) -> np.ndarray:
        """P(Down), P(None), P(Up) per ticker from an unscaled (W, N, F) window."""
        w, n, f = self.manifest["window"], len(self.tickers), len(self.manifest["features"])
        if window.shape != (w, n, f):
            raise ValueError(f"Expected a feature window of shape {(w, n, f)}, got {window.shape}.")
        if not np.isfinite(window).all():
            raise ValueError("Expected finite features in the window, got NaN or inf.")
        return self._day_graph(window, np.ones(n, bool))

    def predict(self, window: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Probabilities and calls (the tuned thresholds' margin rule, or argmax without them)."""
        proba = self.probabilities(window)
        return proba, [CLASS_NAMES[c] for c in self.calls(proba)]

    def calls(self, proba: np.ndarray) -> np.ndarray:
        """Down=0, None=1, Up=2 per row: with margins ``p_down - t_down`` and ``p_up - t_up``, the side
        with the larger margin if that margin is >= 0, else None (stgnn's ``apply_thresholds``)."""
        t = self.manifest["thresholds"]
        if t is None:
            return proba.argmax(axis=1)
        up_minus_down, offset = proba[:, 2] - proba[:, 0], t["up"] - t["down"]
        up = (proba[:, 2] >= t["up"]) & (up_minus_down > offset)
        down = (proba[:, 0] >= t["down"]) & (up_minus_down < offset)
        return np.where(up, 2, np.where(down, 0, 1))

    def predict_prices(self, prices: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        """The calls of the last date of ``prices``, for the exported tickers usable on it.

        Parameters
        ----------
        prices : mapping of field name to pd.DataFrame
            ``close`` (required) and the fields the model was trained with among ``open``, ``high``,
            ``low``, ``volume``: dates x tickers, one row per trading day, NaN where a ticker has no
            price; at least the manifest's ``history_days`` rows (the features' warm-up and the window).

        Returns
        -------
        pd.DataFrame
            date, ticker, p_down, p_none, p_up, score (p_up - p_down), pred, call, sorted by score;
            an exported ticker missing from it had no price, or no complete window, on the last date.
        """
        if self.manifest["format"] < 2:
            raise ValueError("This export (format 1) lacks what predict_prices needs; export its checkpoint again.")
        config = self.manifest["config"]
        spec = config["features"]
        if spec["set"] != "basic":
            raise ValueError(f"predict_prices computes the basic feature set; this model reads {spec['set']}: "
                             "compute its window with stgnn.data.features.compute_features and call predict.")
        fields, eligible = panel_fields(prices, self.tickers, max_ffill=config["data"]["max_ffill"],
                                  min_history=config["data"]["min_history"])
        names, values = basic_features(fields, spec, market_vol_window=self.manifest["market_vol_window"])
        if names != self.manifest["features"]:
            raise ValueError(f"Expected prices that give the features {self.manifest['features']}, got {names}: "
                             "pass the fields (open/high/low/volume) the model was trained with.")
        w, close = self.manifest["window"], fields["close"]
        if len(close) < w:
            raise ValueError(f"Expected at least {w} days of prices, got {len(close)}.")
        usable = complete_windows(values, w)[-1] & eligible.to_numpy()[-1]
        if not usable.any():
            raise ValueError(f"No ticker has a complete {w}-day window of features ending {close.index[-1].date()}; "
                             f"pass at least {self.manifest['history_days']} days of prices.")
        scored = np.flatnonzero(usable)
        proba = self._day_graph(values[-w:], usable).astype(np.float64)
        pred = self.calls(proba)
        frame = pd.DataFrame({"date": close.index[-1].date().isoformat(), "ticker": close.columns[scored],
                              "p_down": proba[:, 0], "p_none": proba[:, 1], "p_up": proba[:, 2],
                              "score": proba[:, 2] - proba[:, 0], "pred": pred,
                              "call": [CLASS_NAMES[c] for c in pred]})
        return frame.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)

    def _day_graph(self, window: np.ndarray, usable: np.ndarray) -> np.ndarray:
        """Probabilities of the ``usable`` tickers from their unscaled (W, N, F) window: the day
        graph keeps the edges between usable tickers, as stgnn's does."""
        x = np.clip((window[:, usable] - self.center) / self.scale, -self.clip, self.clip).astype(np.float32)
        nodes = torch.from_numpy(np.ascontiguousarray(x.transpose(1, 0, 2)))
        keep = torch.from_numpy(usable)
        kept = keep[self.edge_index[0]] & keep[self.edge_index[1]]
        new_id = torch.cumsum(keep.long(), 0) - 1
        with torch.no_grad():
            return self.program(nodes, new_id[self.edge_index[:, kept]], self.edge_weight[kept]).numpy()


def load_exported(directory: str | Path) -> ExportedModel:
    return ExportedModel(directory)


def panel_fields(prices: Mapping[str, pd.DataFrame], tickers: list[str], *, max_ffill: int,
                 min_history: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The fields of ``tickers`` as stgnn's panel holds them, and where each is eligible (priced and
    seasoned): dates without any price dropped, gaps of up to ``max_ffill`` days holding the last
    price, a field kept only where it has a value wherever close has one."""
    unknown = set(prices) - set(FIELDS)
    if unknown or "close" not in prices:
        raise ValueError(f"Expected price fields among {FIELDS} with close, got {sorted(prices)}.")
    close = prices["close"]
    columns = [t for t in tickers if t in close.columns]
    if not columns:
        raise ValueError(f"Expected prices of the exported tickers ({', '.join(tickers[:5])}, ...), got none.")
    close = close[columns].astype(float).sort_index()
    close = close[close.notna().any(axis=1)]
    close.index = pd.DatetimeIndex(close.index)
    observed = close.notna()
    seasoned = (observed.cumsum() >= min_history) | observed.iloc[0]
    close = _fill_short_gaps(close, max_ffill)
    present = close.notna()
    fields = {"close": close}
    for name in FIELDS[1:]:
        if name in prices:
            frame = prices[name].reindex(columns=columns).astype(float).sort_index()
            frame = _fill_short_gaps(frame.set_axis(pd.DatetimeIndex(frame.index)).reindex(close.index), max_ffill)
            if not (frame.isna() & present).to_numpy().any():
                fields[name] = frame.where(present)
    return fields, present & seasoned


def _fill_short_gaps(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The first ``limit`` missing days after each value hold it; later ones stay NaN."""
    observed = frame.notna().to_numpy()
    row = np.arange(len(observed))[:, None]
    previous = np.maximum.accumulate(np.where(observed, row, -1), axis=0)
    fill = ~observed & (previous >= 0) & (row - previous <= limit)
    return frame.mask(fill, frame.ffill()) if fill.any() else frame


def basic_features(fields: Mapping[str, pd.DataFrame], spec: Mapping, *,
                   market_vol_window: int) -> tuple[list[str], np.ndarray]:
    """stgnn's ``basic`` feature set of a panel's fields: names and values (n_days, n_tickers,
    n_features) float32, NaN during warm-up and where a ticker has no price."""
    close = fields["close"]
    ret1 = _log_returns(close)
    frames = {f"ret_{lag}": _log_returns(close, lag) for lag in spec["return_lags"]}
    frames["ret_rel_1"] = ret1.sub(ret1.mean(axis=1), axis=0)
    frames.update({f"vol_{w}": ret1.rolling(w).std() for w in spec["vol_windows"]})
    frames.update({f"ma_ratio_{w}": np.log(close) - np.log(close.rolling(w).mean()) for w in spec["ma_windows"]})
    w = spec["rsi_window"]
    gain, loss = (r.ewm(alpha=1 / w, adjust=False, min_periods=w).mean() for r in (ret1.clip(lower=0),
                                                                                  -ret1.clip(upper=0)))
    frames[f"rsi_{w}"] = ((gain - loss) / (gain + loss).where(gain + loss > 0)).fillna(0.0).where(gain.notna())
    fast, slow, signal = spec["macd"]
    macd = (_ema(close, fast) - _ema(close, slow)) / close
    frames["macd_hist"] = macd - _ema(macd, signal)
    w = spec["zscore_window"]
    mean, std = close.rolling(w).mean(), close.rolling(w).std()
    frames[f"zscore_{w}"] = ((close - mean) / std.where(std > 0)).where(std.isna() | (std > 0), 0.0)
    if "high" in fields and "low" in fields:
        high, low = fields["high"], fields["low"]
        frames["range"] = np.log(high / low)
        frames["close_loc"] = ((close - low) / (high - low).where(high > low)).fillna(0.5) * 2 - 1
    if "open" in fields:
        frames["gap"] = np.log(fields["open"] / close.shift(1))
    if "volume" in fields:
        log_vol = np.log1p(fields["volume"])
        frames["volume_z"] = log_vol - log_vol.rolling(VOLUME_WINDOW).mean()
    present = close.notna().to_numpy()
    values = _cube(frames.values(), present)
    if spec["cross_section"] != "none":
        for block in range(0, values.shape[-1], 16):  # float64 a block at a time, as stgnn does
            part = slice(block, block + 16)
            values[..., part] = _cross_section(values[..., part].astype(np.float64), spec["cross_section"])
    names = list(frames)
    if spec["market"]:
        market = ret1.mean(axis=1)
        shared = {"market_ret_1": market, f"market_vol_{market_vol_window}": market.rolling(market_vol_window).std()}
        columns = [np.repeat(s.to_numpy()[:, None], close.shape[1], axis=1) for s in shared.values()]
        values = np.concatenate([values, _cube(columns, present)], axis=-1)
        names += list(shared)
    return names, values


def complete_windows(values: np.ndarray, window: int) -> np.ndarray:
    """(n_days, n_tickers): every feature is finite on each of the ``window`` days ending at t."""
    bad = np.vstack([np.zeros((1, values.shape[1]), np.int64),
                     np.cumsum(~np.isfinite(values).all(axis=-1), axis=0)])
    ends = np.arange(len(values))
    ok = bad[ends + 1] - bad[np.maximum(ends - window + 1, 0)] == 0
    ok[ends - window + 1 < 0] = False
    return ok


def _log_returns(close: pd.DataFrame, lag: int = 1) -> pd.DataFrame:
    return np.log(close).diff(lag)


def _ema(frame: pd.DataFrame, span: int) -> pd.DataFrame:
    return frame.ewm(span=span, adjust=False, min_periods=span).mean()


def _cube(frames: Iterable, present: np.ndarray) -> np.ndarray:
    frames = list(frames)
    values = np.empty((*present.shape, len(frames)), np.float32)
    for j, frame in enumerate(frames):
        values[..., j] = np.asarray(frame, dtype=np.float64)
    values[~np.isfinite(values) | ~present[..., None]] = np.nan
    return values


def _cross_section(values: np.ndarray, method: str) -> np.ndarray:
    """Rank onto [-1, 1] or z-score each feature across the tickers that have it that day."""
    finite = np.isfinite(values)
    n = finite.sum(axis=1, keepdims=True)
    if method == "rank":
        by_ticker = np.moveaxis(values, 1, 0)
        ranks = pd.DataFrame(by_ticker.reshape(len(by_ticker), -1)).rank().to_numpy()
        scaled = 2 * (np.moveaxis(ranks.reshape(by_ticker.shape), 0, 1) - 1) / np.maximum(n - 1, 1) - 1
    else:
        mean = np.where(finite, values, 0.0).sum(axis=1, keepdims=True) / np.maximum(n, 1)
        std = np.sqrt((np.where(finite, values - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / np.maximum(n, 1))
        scaled = (values - mean) / np.where(std > 0, std, np.inf)
    return np.where(finite, np.where(n >= 2, scaled, 0.0), np.nan)
