"""Figures of runs and walk-forwards: pure functions of plain inputs, one PNG each.

Every function draws on a ``matplotlib.figure.Figure`` built directly (no pyplot global state,
no display needed), writes the PNG atomically with :func:`stgnn.io.atomic_write` and returns its
path. Classes appear in the order Down, None, Up, each in its own colour throughout.

NaN values are drawn as gaps (a line breaks, a lone point keeps its marker); a series that is all
NaN keeps its legend entry, marked "no data". Inputs that cannot be drawn honestly (wrong shapes,
missing columns, intervals that do not contain their value) raise ``ValueError``.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.dates import ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter
from numpy.typing import ArrayLike
from sklearn.metrics import average_precision_score, precision_recall_curve

from stgnn.classes import CLASS_NAMES, DOWN, N_CLASSES, UP
from stgnn.evaluation.metrics import check_labels, check_probabilities
from stgnn.io import atomic_write

FIGSIZE = (6.0, 4.5)
"""Size of a one-panel figure in inches."""
DPI = 110
CLASS_COLORS = ("tab:red", "tab:gray", "tab:green")
"""Colour of Down, None and Up."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
VAL_METRICS = {"macro_f1": "macro-F1", "auroc_mean": "mean AUROC",
               "recall_down": "recall Down", "recall_up": "recall Up"}
"""Validation metrics of a training history and their legend labels."""

PathLike = str | os.PathLike


def _save(path: PathLike, draw: Callable[[Figure], object], *, figsize=FIGSIZE) -> Path:
    """Build a figure, let ``draw`` fill it, and write it atomically as a PNG."""
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    draw(fig)
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI))
    return Path(path)


def _check_columns(frame: pd.DataFrame, columns: Sequence[str], *, what: str = "columns") -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"Expected a pandas DataFrame, got {type(frame).__name__}.")
    if len(columns) == 0:
        raise ValueError(f"Expected at least one of the {what} to plot, got none.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"Expected {what} {missing} in the frame, got columns {list(frame.columns)}.")


def _plot_lines(ax: Axes, x, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """One line with markers per column; NaN values leave gaps."""
    for column in columns:
        y = frame[column].to_numpy(dtype=float)
        label = column if np.isfinite(y).any() else f"{column} (no data)"
        ax.plot(x, y, marker="o", ms=4, label=label)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def plot_confusion_matrix(matrix: ArrayLike, path: PathLike, *, title: str = "Confusion matrix",
                          normalize: bool = True) -> Path:
    """Draw a 3x3 confusion matrix annotated with counts and row shares.

    Parameters
    ----------
    matrix : array-like of shape (3, 3)
        Counts; rows are true classes, columns predicted classes, both Down, None, Up.
    path : str or path-like
        Where to write the PNG.
    title : str
        Figure title.
    normalize : bool
        Colour the cells by row share (the recall of each true class, so rare classes read as
        clearly as common ones) if True, by count if False. Each cell shows both either way.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If ``matrix`` is not of shape (3, 3) or holds a negative or non-finite count.
    """
    cm = np.asarray(matrix, dtype=float)
    if cm.shape != (N_CLASSES, N_CLASSES):
        raise ValueError(f"Expected a confusion matrix of shape (3, 3), got shape {cm.shape}.")
    if not (np.isfinite(cm) & (cm >= 0)).all():
        raise ValueError(f"Expected finite non-negative counts, got {cm.tolist()}.")
    totals = cm.sum(axis=1)
    share = np.divide(cm, totals[:, None], out=np.full_like(cm, np.nan), where=totals[:, None] > 0)
    colour = share if normalize else cm
    vmax = 1.0 if normalize else max(cm.max(), 1.0)

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        image = ax.imshow(colour, cmap="Blues", vmin=0, vmax=vmax)
        fig.colorbar(image, ax=ax, label="share of true class" if normalize else "count", shrink=0.8)
        for i in range(N_CLASSES):
            for j in range(N_CLASSES):
                count = f"{cm[i, j]:,.0f}" if cm[i, j].is_integer() else f"{cm[i, j]:,.1f}"
                pct = "–" if np.isnan(share[i, j]) else f"{share[i, j]:.1%}"
                dark = np.nan_to_num(colour[i, j]) > 0.6 * vmax
                ax.text(j, i, f"{count}\n{pct}", ha="center", va="center", fontsize=9,
                        color="white" if dark else "black")
        ax.set_xticks(range(N_CLASSES), CLASS_NAMES)
        ax.set_yticks(range(N_CLASSES), [f"{n}\n(n={t:,.0f})" for n, t in zip(CLASS_NAMES, totals)])
        ax.set(xlabel="Predicted class", ylabel="True class", title=title)

    return _save(path, draw)


def plot_pr_curves(y_true: ArrayLike, proba: ArrayLike, path: PathLike, *,
                   title: str = "Precision-recall (one vs rest)") -> Path:
    """Draw one-vs-rest precision-recall curves of Down and Up.

    Down is scored by ``proba[:, 0]`` and Up by ``proba[:, 2]``. The legend gives each class's
    average precision; a dashed line of the same colour marks its base rate (the precision of a
    random score). A class absent from ``y_true`` gets no curve and says so in the legend.

    Parameters
    ----------
    y_true : array-like of shape (n_rows,)
        True classes in {0, 1, 2}.
    proba : array-like of shape (n_rows, 3)
        Probabilities of Down, None, Up.
    path : str or path-like
        Where to write the PNG.
    title : str
        Figure title.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If either input is invalid (see :func:`stgnn.evaluation.metrics.check_probabilities`) or
        they differ in length.
    """
    y = check_labels(y_true, name="y_true")
    p = check_probabilities(proba)
    if len(y) != len(p):
        raise ValueError(f"Expected y_true and proba of one length, got {len(y)} and {len(p)}.")

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        for cls in (DOWN, UP):
            name, color, target = CLASS_NAMES[cls], CLASS_COLORS[cls], y == cls
            if not target.any():
                ax.plot([], [], color=color, label=f"{name}: absent from y_true, no curve")
                continue
            precision, recall, _ = precision_recall_curve(target, p[:, cls])
            ap = average_precision_score(target, p[:, cls])
            ax.plot(recall, precision, color=color, drawstyle="steps-post", label=f"{name} (AP {ap:.3f})")
            ax.axhline(target.mean(), color=color, ls="--", lw=1,
                       label=f"{name} base rate {target.mean():.3f}")
        ax.set(xlabel="Recall", ylabel="Precision", xlim=(0, 1), ylim=(0, 1.02), title=title)
        ax.legend(loc="upper right", fontsize=8)
        ax.grid(alpha=0.3)

    return _save(path, draw)


def _history_values(history: Sequence[Mapping], *keys: str) -> np.ndarray:
    """``history[i][keys[0]][keys[1]]...`` for each epoch as floats; None (JSON null) is NaN."""
    values = []
    for i, entry in enumerate(history):
        value = entry
        for key in keys:
            if not isinstance(value, Mapping) or key not in value:
                got = sorted(value) if isinstance(value, Mapping) else type(value).__name__
                raise ValueError(f"Expected history[{i}] to have {'/'.join(keys)}, got {got}.")
            value = value[key]
        values.append(np.nan if value is None else float(value))
    return np.array(values)


def plot_training_curves(history: Sequence[Mapping], path: PathLike, *,
                         best_epoch: int | None = None) -> Path:
    """Draw losses and validation metrics per epoch, side by side.

    Parameters
    ----------
    history : sequence of dict
        One dict per epoch with ``epoch``, ``train_loss``, ``train_loss_per_class`` (a dict with
        Down, None, Up), ``val_loss`` and ``val`` (a dict with at least ``macro_f1``,
        ``auroc_mean``, ``recall_down``, ``recall_up``); other keys (``lr``, ...) are ignored.
        A value of None (NaN written as JSON null) is drawn as a gap.
    path : str or path-like
        Where to write the PNG.
    best_epoch : int, optional
        Epoch to mark with a vertical line on both panels.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If ``history`` is empty, an entry lacks a key, or ``best_epoch`` is not one of its epochs.
    """
    if len(history) == 0:
        raise ValueError("Expected a history of at least one epoch, got none.")
    epochs = _history_values(history, "epoch")
    if best_epoch is not None and best_epoch not in epochs:
        raise ValueError(f"Expected best_epoch among the epochs {epochs[0]:g}..{epochs[-1]:g}, "
                         f"got {best_epoch}.")
    losses = {"train": _history_values(history, "train_loss"),
              **{f"train {n}": _history_values(history, "train_loss_per_class", n) for n in CLASS_NAMES},
              "val": _history_values(history, "val_loss")}
    styles = {"train": dict(color="black"), "val": dict(color="black", ls="--"),
              **{f"train {n}": dict(color=c, lw=1, alpha=0.8) for n, c in zip(CLASS_NAMES, CLASS_COLORS)}}
    metrics = {label: _history_values(history, "val", key) for key, label in VAL_METRICS.items()}

    def draw(fig: Figure) -> None:
        left, right = fig.subplots(1, 2)
        for label, values in losses.items():
            left.plot(epochs, values, marker="o", ms=3, label=label, **styles[label])
        for label, values in metrics.items():
            right.plot(epochs, values, marker="o", ms=3, label=label)
        left.set(xlabel="Epoch", ylabel="Loss", title="Loss")
        right.set(xlabel="Epoch", ylabel="Validation metric", title="Validation metrics")
        for ax in (left, right):
            if best_epoch is not None:
                ax.axvline(best_epoch, color="tab:purple", ls=":", label=f"best epoch {best_epoch}")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.legend(fontsize=8)
            ax.grid(alpha=0.3)

    return _save(path, draw, figsize=(2 * FIGSIZE[0], FIGSIZE[1]))


def plot_equity_curves(curves: Mapping[str, pd.Series], path: PathLike, *,
                       title: str = "Cumulative value", log: bool = False, drawdowns: bool = False) -> Path:
    """Draw the cumulative value of several strategies on one axis.

    Parameters
    ----------
    curves : dict of str to pd.Series
        Strategy name to its value over time, indexed by date (datetimes or date strings).
    path : str or path-like
        Where to write the PNG.
    title : str
        Figure title.
    log : bool
        Logarithmic value axis, so equal returns look equal at every level.
    drawdowns : bool
        Below the curves, each one's fall from its running peak.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If ``curves`` is empty, an index cannot be read as dates, or ``log`` is set and a curve
        has a value <= 0.
    TypeError
        If a curve is not a pandas Series.
    """
    if len(curves) == 0:
        raise ValueError("Expected at least one equity curve, got none.")
    for name, curve in curves.items():
        if not isinstance(curve, pd.Series):
            raise TypeError(f"Expected a pandas Series for curve {name!r}, got {type(curve).__name__}.")
        if pd.api.types.is_numeric_dtype(curve.index.dtype):
            raise ValueError(f"Expected curve {name!r} indexed by dates, got a {curve.index.dtype} index.")
        if log and (curve.dropna() <= 0).any():
            raise ValueError(f"Expected positive values for a log scale, "
                             f"got min {curve.min()} in curve {name!r}.")

    def draw(fig: Figure) -> None:
        ax, drawdown = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1]) if drawdowns else (fig.subplots(), None)
        _date_lines(ax, curves)
        ax.set(xlabel="" if drawdowns else "Date", ylabel="Cumulative value" + (" (log scale)" if log else ""),
               title=title)
        if log:
            _plain_log_ticks(ax, np.concatenate([c.to_numpy(dtype=float) for c in curves.values()]))
        ax.legend(fontsize=8)
        if drawdowns:
            _date_lines(drawdown, {name: c / c.cummax() - 1 for name, c in curves.items()})
            drawdown.set(xlabel="Date", ylabel="drawdown from the peak")

    return _save(path, draw, figsize=(FIGSIZE[0], FIGSIZE[1] * (1.5 if drawdowns else 1)))


def _date_lines(ax: Axes, curves: Mapping[str, pd.Series]) -> None:
    """One line per curve against its dates, each its own colour."""
    palette = colormaps["tab10" if len(curves) <= 10 else "tab20"].colors  # no two curves share a colour
    for (name, curve), color in zip(curves.items(), palette * (len(curves) // len(palette) + 1)):
        ax.plot(pd.DatetimeIndex(pd.to_datetime(curve.index)), curve.to_numpy(dtype=float), label=name, color=color)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.grid(alpha=0.3)


def plot_over_dates(curves: Mapping[str, pd.Series], path: PathLike, *, ylabel: str, title: str) -> Path:
    """Several series against their dates on one axis (turnover per rebalance, ...)."""
    if len(curves) == 0:
        raise ValueError("Expected at least one series, got none.")

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        _date_lines(ax, curves)
        ax.set(xlabel="Date", ylabel=ylabel, title=title)
        ax.legend(fontsize=8)

    return _save(path, draw)


def _plain_log_ticks(ax: Axes, values: np.ndarray) -> None:
    """Log scale labelled 0.95, 1, 1.05 rather than 9.5 x 10^-1; minor ticks too within one decade."""
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:.4g}")
    ax.yaxis.set_major_formatter(plain)
    values = values[np.isfinite(values)]
    narrow = values.size == 0 or values.max() < 10 * values.min()
    ax.yaxis.set_minor_formatter(plain if narrow else NullFormatter())


def plot_metric_over_time(frame: pd.DataFrame, path: PathLike, *, metrics: Sequence[str],
                          title: str = "Metrics over time") -> Path:
    """Draw metric columns against the frame's index (fold, year, ...), one line per metric.

    Parameters
    ----------
    frame : pd.DataFrame
        Indexed by period; a numeric index is drawn to scale, any other (labels, periods, dates)
        as evenly spaced ticks labelled with its values.
    path : str or path-like
        Where to write the PNG.
    metrics : list of str
        Columns of ``frame`` to draw; NaN values leave gaps.
    title : str
        Figure title.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If ``metrics`` is empty or names a column ``frame`` lacks.
    """
    _check_columns(frame, metrics, what="metrics")
    index = frame.index
    numeric = pd.api.types.is_numeric_dtype(index.dtype)
    x = index.to_numpy() if numeric else np.arange(len(index))

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        _plot_lines(ax, x, frame, metrics)
        if numeric:
            ax.xaxis.set_major_locator(MaxNLocator(integer=pd.api.types.is_integer_dtype(index.dtype)))
        else:
            step = max(1, len(index) // 12)
            ax.set_xticks(x[::step], [str(v) for v in index[::step]], rotation=30, ha="right")
        ax.set(xlabel=index.name or "Period", ylabel="Value", title=title)

    return _save(path, draw)


def plot_metric_vs_param(frame: pd.DataFrame, path: PathLike, *, param: str, metrics: Sequence[str],
                         title: str | None = None) -> Path:
    """Draw metric columns against a numeric parameter column (e.g. a focal-gamma sweep).

    Parameters
    ----------
    frame : pd.DataFrame
        One row per parameter value; rows are drawn in increasing ``param``.
    path : str or path-like
        Where to write the PNG.
    param : str
        Column of the parameter, drawn on the x axis.
    metrics : list of str
        Columns to draw against it; NaN values leave gaps.
    title : str, optional
        Figure title; "Metrics vs {param}" by default.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If ``metrics`` is empty, a column is missing, or ``param`` is not numeric.
    """
    _check_columns(frame, [param], what="param")
    _check_columns(frame, metrics, what="metrics")
    if not pd.api.types.is_numeric_dtype(frame[param].dtype):
        raise ValueError(f"Expected a numeric param column {param!r}, got dtype {frame[param].dtype}.")
    ordered = frame.sort_values(param)

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        _plot_lines(ax, ordered[param].to_numpy(dtype=float), ordered, metrics)
        ax.set(xlabel=param, ylabel="Value", title=title or f"Metrics vs {param}")

    return _save(path, draw)


def plot_bar_with_ci(frame: pd.DataFrame, path: PathLike, *, label: str, value: str, lo: str, hi: str,
                     title: str = "Comparison with confidence intervals") -> Path:
    """Draw one horizontal bar per row with its confidence interval as an error bar.

    Rows are drawn top to bottom in frame order; a NaN bound draws no error bar on that side.
    A percentile bootstrap interval need not contain its point estimate (a skewed resampling
    distribution); the bar is then drawn with the interval's near side at the value.

    Parameters
    ----------
    frame : pd.DataFrame
        One row per variant (ablation, baseline, ...).
    path : str or path-like
        Where to write the PNG.
    label, value, lo, hi : str
        Columns of the bar's name, its value, and the lower and upper bounds of its interval.
    title : str
        Figure title.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If a column is missing or ``frame`` is empty.
    """
    _check_columns(frame, [label, value, lo, hi])
    if frame.empty:
        raise ValueError("Expected at least one row to plot, got an empty frame.")
    v, low, high = (frame[c].to_numpy(dtype=float) for c in (value, lo, hi))
    err = np.clip(np.vstack([v - low, high - v]), 0, None)
    y = np.arange(len(frame))

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        ax.barh(y, v, xerr=err, color="tab:blue", alpha=0.7, capsize=3)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, [str(s) for s in frame[label]])
        ax.invert_yaxis()
        ax.set(xlabel=value, title=title)
        ax.grid(axis="x", alpha=0.3)

    return _save(path, draw, figsize=(FIGSIZE[0], max(2.5, 0.4 * len(frame) + 1.5)))


def plot_forest(frame: pd.DataFrame, path: PathLike, *, panel: str, label: str, value: str, lo: str, hi: str,
                nulls: Mapping[str, float | None] | None = None, title: str = "Estimates with 95% intervals") -> Path:
    """A forest plot: one panel per value of ``panel`` (a metric), each row a point with its interval.

    Rows keep their first-seen order, top to bottom, in every panel; a row missing from a panel, or
    with a NaN value, leaves its line empty there. ``nulls`` maps a panel to the value of no effect
    (0 for a difference or a correlation), drawn as a dashed line, and greys the rows whose interval
    contains it; None or absent draws none.

    Parameters
    ----------
    frame : pd.DataFrame
        Long format: one row per (panel, label).
    path : str or path-like
        Where to write the PNG.
    panel, label, value, lo, hi : str
        Columns of the panel's name, the row's name, its estimate and its interval's bounds.
    nulls : mapping, optional
    title : str

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        If a column is missing or ``frame`` is empty.
    """
    _check_columns(frame, [panel, label, value, lo, hi])
    if frame.empty:
        raise ValueError("Expected at least one row to plot, got an empty frame.")
    nulls = nulls or {}
    rows = list(dict.fromkeys(frame[label].astype(str)))
    panels = list(dict.fromkeys(frame[panel]))
    y = {name: i for i, name in enumerate(rows)}

    def draw(fig: Figure) -> None:
        axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
        for ax, name in zip(axes, panels):
            part = frame[frame[panel] == name]
            v, low, high = (part[c].to_numpy(dtype=float) for c in (value, lo, hi))
            err = np.nan_to_num(np.clip(np.vstack([v - low, high - v]), 0, None))
            null = nulls.get(name)
            clear = np.ones(len(part), bool) if null is None else (low > null) | (high < null)
            for keep, color in ((clear, "tab:blue"), (~clear, "tab:gray")):
                ax.errorbar(v[keep], [y[str(r)] for r in part[label][keep]], xerr=err[:, keep], fmt="o", color=color,
                            ms=4, capsize=3)
            if null is not None:
                ax.axvline(null, color="black", lw=0.8, ls="--")
            ax.set(title=str(name))
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.grid(axis="x", alpha=0.3)
        axes[0].set_yticks(range(len(rows)), rows)
        axes[0].set_ylim(len(rows) - 0.5, -0.5)
        fig.suptitle(title)

    width = 2.6 * len(panels) + 0.5 + 0.075 * max(map(len, rows))  # the panels, then room for the longest name
    return _save(path, draw, figsize=(max(FIGSIZE[0], width), max(2.5, 0.35 * len(rows) + 1.5)))


def plot_ic_over_time(daily: Mapping[str, pd.Series], path: PathLike, *, highlight: str, window: int = 63,
                      title: str = "Rank IC over time") -> Path:
    """Cumulative daily IC of every model (top) and the rolling means of all, over ``highlight``'s
    daily IC on its own axis (bottom): a steady slope is a steady signal, a step is a few lucky days.

    Parameters
    ----------
    daily : dict of str to pd.Series
        Model name to its daily IC, indexed by date (datetimes or date strings).
    path : str or path-like
    highlight : str
        The model whose daily values are drawn as bars (a key of ``daily``).
    window : int
        Days of the rolling mean (63: a quarter).
    title : str

    Raises
    ------
    ValueError
        If ``daily`` is empty or lacks ``highlight``.
    """
    if highlight not in daily:
        raise ValueError(f"Expected {highlight!r} among the daily series, got {list(daily)}.")
    series = {name: pd.Series(s.to_numpy(dtype=float), index=pd.to_datetime(s.index)).sort_index()
              for name, s in daily.items()}

    def draw(fig: Figure) -> None:
        top, bottom = fig.subplots(2, 1, sharex=True)
        palette = colormaps["tab10"].colors
        for (name, s), color in zip(series.items(), palette * (len(series) // len(palette) + 1)):
            width = 2.0 if name == highlight else 1.0
            top.plot(s.index, s.cumsum().to_numpy(), label=name, color=color, lw=width)
            bottom.plot(s.index, s.rolling(window, min_periods=window // 3).mean().to_numpy(), color=color, lw=width)
        own = series[highlight]
        days = bottom.twinx()  # the daily values swing ten times wider than their rolling means
        days.bar(own.index, own.to_numpy(), width=1.0, color="tab:gray", alpha=0.3)
        days.set_ylabel(f"{highlight}, daily (grey bars)", color="tab:gray")
        _symmetric(days, own.to_numpy())  # both axes centred on 0, so the bars' zero is the lines' zero
        _symmetric(bottom, np.concatenate([line.get_ydata() for line in bottom.get_lines()]))
        bottom.set_zorder(days.get_zorder() + 1)
        bottom.patch.set_visible(False)
        for ax in (top, bottom):
            ax.axhline(0, color="black", lw=0.8)
            ax.grid(alpha=0.3)
        top.set(ylabel="cumulative IC")
        fig.suptitle(title)
        top.legend(fontsize=8, ncol=5, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)  # above the curves
        bottom.set(ylabel=f"{window}-day rolling mean", xlabel="Date")
        bottom.xaxis.set_major_formatter(ConciseDateFormatter(bottom.xaxis.get_major_locator()))

    return _save(path, draw, figsize=(FIGSIZE[0] * 1.4, FIGSIZE[1] * 1.3))


def plot_quantile_returns(daily: pd.DataFrame, intervals: pd.DataFrame, path: PathLike, *, horizon: int = 1,
                          title: str = "Returns by score quantile") -> Path:
    """alphalens' three views of a score: each quantile's mean forward return with its interval
    (left), each quantile's cumulative return (top right) and the top-minus-bottom spread's (bottom
    right). Returns over ``horizon`` days are divided by it before they are summed (overlapping
    holding periods), so a cumulative curve reads per day held.

    Parameters
    ----------
    daily : pd.DataFrame
        Dates x quantiles (1 lowest): each day's mean (demeaned) forward log return.
    intervals : pd.DataFrame
        Indexed by quantile, columns ``value``, ``lo``, ``hi``: the mean over days and its interval.
    path : str or path-like
    horizon : int
    title : str

    Raises
    ------
    ValueError
        If ``daily`` is empty or ``intervals`` lacks a column.
    """
    _check_columns(intervals, ["value", "lo", "hi"])
    if daily.empty:
        raise ValueError("Expected at least one day of quantile returns, got none.")
    dates = pd.to_datetime(daily.index)
    per_day = daily.fillna(0.0) / horizon
    colors = colormaps["RdYlGn"](np.linspace(0.05, 0.95, daily.shape[1]))

    def draw(fig: Figure) -> None:
        left, right = fig.subfigures(1, 2, width_ratios=[1, 1.6])
        bars = left.subplots()
        v = intervals["value"].to_numpy(dtype=float) * 1e4
        err = np.clip(np.vstack([v - intervals["lo"].to_numpy(dtype=float) * 1e4,
                                 intervals["hi"].to_numpy(dtype=float) * 1e4 - v]), 0, None)
        bars.bar([str(q) for q in intervals.index], v, yerr=err, color=colors, capsize=3)
        bars.axhline(0, color="black", lw=0.8)
        bars.set(xlabel="score quantile (1 lowest)", ylabel=f"mean {horizon}-day return beyond the day's mean, bps",
                 title="Mean by quantile (95% CI)")
        top, bottom = right.subplots(2, 1, sharex=True)
        for q, color in zip(daily.columns, colors):
            top.plot(dates, per_day[q].cumsum().to_numpy(), color=color, label=f"Q{q}")
        spread = per_day[daily.columns[-1]] - per_day[daily.columns[0]]
        bottom.plot(dates, spread.cumsum().to_numpy(), color="tab:blue")
        top.set(ylabel="cumulative log return", title="Each quantile, cumulative")
        bottom.set(ylabel="cumulative log return", title="Top minus bottom quantile", xlabel="Date")
        top.legend(fontsize=7, ncol=len(daily.columns))
        for ax in (top, bottom):
            ax.axhline(0, color="black", lw=0.8)
            ax.grid(alpha=0.3)
        bottom.xaxis.set_major_formatter(ConciseDateFormatter(bottom.xaxis.get_major_locator()))
        fig.suptitle(title)

    return _save(path, draw, figsize=(FIGSIZE[0] * 1.8, FIGSIZE[1] * 1.1))


def _symmetric(ax: Axes, values: np.ndarray) -> None:
    limit = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 0.0
    ax.set_ylim(-1.1 * limit - 1e-12, 1.1 * limit + 1e-12)


def plot_month_year_heatmap(values: pd.Series, path: PathLike, *, how: str = "mean", fmt: str = "{:+.3f}",
                            title: str = "By month and year") -> Path:
    """A year x month grid of a daily series, aggregated by ``how`` (``mean`` for an IC, ``sum`` of
    log returns for a book), each cell annotated with its value and its count of days.

    Raises
    ------
    ValueError
        If ``values`` has no finite value.
    """
    s = pd.Series(values.to_numpy(dtype=float), index=pd.to_datetime(values.index)).dropna()
    if s.empty:
        raise ValueError("Expected a series with at least one finite value, got none.")
    grouped = s.groupby([s.index.year, s.index.month])
    grid = grouped.agg(how).unstack().reindex(columns=range(1, 13))
    counts = grouped.size().unstack().reindex(columns=range(1, 13))
    limit = float(np.nanmax(np.abs(grid.to_numpy()))) or 1.0

    def draw(fig: Figure) -> None:
        ax = fig.subplots()
        image = ax.imshow(grid.to_numpy(), cmap="RdYlGn", vmin=-limit, vmax=limit, aspect="auto")
        for (i, j), v in np.ndenumerate(grid.to_numpy()):
            if np.isfinite(v):
                ax.text(j, i, f"{fmt.format(v)}\n{int(counts.iat[i, j])}d", ha="center", va="center", fontsize=6)
        ax.set_xticks(range(12), ["J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D"])
        ax.set_yticks(range(len(grid)), [str(y) for y in grid.index])
        ax.set(title=title)
        fig.colorbar(image, ax=ax, shrink=0.8)

    return _save(path, draw, figsize=(FIGSIZE[0] * 1.4, max(2.5, 0.6 * len(grid) + 1.5)))


def png_data_uri(path: PathLike) -> str:
    """Return a PNG file as a base64 data URI, so a self-contained HTML report can embed it.

    Parameters
    ----------
    path : str or path-like
        A PNG file.

    Returns
    -------
    str
        ``"data:image/png;base64,..."``.

    Raises
    ------
    ValueError
        If the file is not a PNG.
    """
    data = Path(path).read_bytes()
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError(f"Expected a PNG file, got {str(path)!r} starting with {data[:8]!r}.")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
