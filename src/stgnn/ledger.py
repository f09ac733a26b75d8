"""The prediction ledger: every call ``stgnn predict --ledger`` made, scored once its outcome is known.

A walk-forward says what a model should do on days it never saw; the ledger checks whether it
does, on calls written down before their prices existed. It is one csv, one row per (date, ticker,
model), with the columns of :data:`COLUMNS`:

``date``
    The panel's last date when the call was made (``YYYY-MM-DD``); the call is for the next
    ``horizon`` trading days.
``ticker``, ``p_down``, ``p_none``, ``p_up``, ``pred``, ``call``
    As ``stgnn predict`` prints them (``pred`` 0/1/2, ``call`` Down/None/Up).
``model_id``
    The first 12 hex digits of the checkpoint file's SHA-256 (:func:`stgnn.checkpoint.model_id`).
``horizon``, ``label_threshold``, ``label_vol_scaled``, ``label_vol_window``, ``label_relative_to``, ``label_kind``, ``label_q``, ``label_delay``
    The label rule of the model's config (:class:`stgnn.config.LabelConfig`), so each row is
    scored by the rule its model was trained on, whatever else the ledger holds. With a delay d
    the call of ``date`` t is entered at the close of t + d and scored at t + d + h.
``label_sector_file``
    The ``ticker,sector`` csv of a sector-relative rule (its ``graph.sector_file``); empty for
    the others. Relative labels are cut against the peers in the scoring panel: score with the
    data flags the calls were made with.
``run_dir``
    The walk-forward run the model came from (``predict --from-run``), whose out-of-sample
    intervals the live figures are compared with; empty when unknown.
``data_source``
    The prices the call was made from: the config's data section as JSON (:func:`data_source`),
    less its dates and cache. ``ledger score`` scores each row against its own source; flags may
    narrow its dates but not change it. Empty in a ledger written before sources were recorded:
    its open rows are scored against the source the flags give, which they then keep.
``live``
    ``yes`` where the call's date is after the last day of the model's own windows (train,
    validation and test: :func:`stgnn.runs.model_windows`), ``no`` where it is inside them (a
    backtest day, not a live call: left out of the live figures), empty where they are unknown
    (a checkpoint away from its run's files, or a ledger written before this column).
``label``, ``fwd_return``, ``target_return``
    The realised class, forward log return and the return the label was cut from (the excess over
    peers for a relative rule), by :func:`stgnn.data.dataset.traded_labels`, the rule of the
    walk-forward's rows; empty until a panel prices ``t + h``, and for good where the price at
    ``t`` or ``t + h`` was carried forward rather than traded. Live Rank IC and hit rate score
    ``target_return``, as the walk-forward's do.

Every write replaces the file atomically, and a second ``predict`` for the same (date, model)
replaces that call's rows instead of adding them again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from stgnn.classes import CLASS_NAMES
from stgnn.config import Config, DataConfig, LabelConfig, load_config, parse_config
from stgnn.data.dataset import traded_labels
from stgnn.data.graph import read_sectors
from stgnn.data.labels import UNKNOWN
from stgnn.data.panel import PricePanel
from stgnn.data.sources import load_panel
from stgnn.errors import StgnnError
from stgnn.evaluation.bootstrap import bootstrap_ci
from stgnn.evaluation.metrics import (PREDICTION_COLUMNS, PROBA_COLUMNS, call_hit_rate, check_labels,
                                      check_probabilities, direction_return, prediction_metrics)
from stgnn.io import atomic_write
from stgnn.reporting.report import format_interval
from stgnn.runs import MODEL, RunDir, last_window_day

RULE = {field: field if field == "horizon" else f"label_{field}" for field in LabelConfig.model_fields}
"""The ledger column of each field of the label rule."""
SECTOR_FILE = "label_sector_file"
DATA_SOURCE, LIVE = "data_source", "live"
COLUMNS = ("date", "ticker", *PROBA_COLUMNS, "pred", "call", "model_id", *RULE.values(), SECTOR_FILE, "run_dir",
           DATA_SOURCE, LIVE, "label", "fwd_return", "target_return")
LATER_COLUMNS = {DATA_SOURCE: "", LIVE: ""}
"""Columns added after ledgers were first written, and what an older ledger's rows hold: unknown."""
NOT_IDENTITY = {"start", "end", "cache_dir"}
"""Data settings that say which dates to read, not which prices: the rest name a row's source."""

LIVE_METRICS = {"macro_f1": "macro-F1", "rank_ic": "Rank IC", "directional_hit_rate": "directional hit rate"}
"""The figures a live model is held to, and how a report names them."""

STATES = SCORED, SCORED_NOW, PENDING, UNPRICED = "scored_before", "scored_now", "pending", "unpriced"
"""The state of a row after :func:`score_ledger`: scored earlier or now, ``t + h`` after the panel's
last date, or no traded price at ``t`` or ``t + h`` in the panel (an absent ticker, a gap, or a
price carried forward through a halt or after a delisting: rows the walk-forward never has)."""


def ledger_rows(calls: pd.DataFrame, model: str, config: Config, run_dir: Path | None = None, *,
                windows: dict | None = None) -> pd.DataFrame:
    """The ledger rows of one ``predict``: its calls (:func:`stgnn.inference.score_latest`'s frame)
    with the model's id, label rule (from its ``config``), run, data source and whether each call
    is live (after the model's ``windows``), not yet scored."""
    labels, sector_file = config.labels, config.graph.sector_file
    live = "" if windows is None else np.where(calls["date"] > last_window_day(windows), "yes", "no")
    rows = calls[["date", "ticker", *PROBA_COLUMNS, "pred", "call"]].assign(
        model_id=model, **{column: getattr(labels, field) for field, column in RULE.items()},
        **{SECTOR_FILE: str(sector_file.resolve()) if labels.relative_to == "sector" else ""},
        run_dir="" if run_dir is None else str(Path(run_dir).resolve()),
        **{DATA_SOURCE: data_source(config.data), LIVE: live},
        label=pd.array([pd.NA] * len(calls), dtype="Int64"), fwd_return=np.nan, target_return=np.nan)
    return rows[list(COLUMNS)]


def data_source(data: DataConfig) -> str:
    """The prices a call was made from, as its row records them: the data section as JSON, less
    :data:`NOT_IDENTITY` (scoring reads later dates), paths made absolute (scoring may run elsewhere).

    Examples
    --------
    >>> data_source(DataConfig(source="sample", end="2020-01-02"))
    '{"data_dir":null,"max_ffill":5,"min_history":252,"source":"sample","tickers":null,"universe":null}'
    """
    exclude = NOT_IDENTITY | ({"synthetic"} if data.source != "synthetic" else set())
    tree = data.model_dump(mode="json", exclude=exclude)
    for key in ("data_dir", "universe"):
        if tree[key] is not None:
            tree[key] = str(Path(tree[key]).resolve())
    return json.dumps(tree, sort_keys=True, separators=(",", ":"))


def recorded_data(source: str) -> DataConfig:
    """The data section a row's :data:`DATA_SOURCE` records (ValueError if it is not one)."""
    try:
        return DataConfig.model_validate(json.loads(source))
    except (json.JSONDecodeError, ValidationError):
        raise ValueError(f"the data source {source!r} is not a valid data section") from None


def describe_source(data: DataConfig) -> str:
    """A data source in a few words: ``csv /abs/prices``, ``sample (tickers AAPL MSFT)``."""
    words = [data.source, *([str(data.data_dir)] if data.source == "csv" else [])]
    if data.tickers:
        words.append(f"(tickers {' '.join(data.tickers)})")
    return " ".join(words)


def scoring_sources(ledger: pd.DataFrame, overrides: dict) -> tuple[pd.DataFrame, dict[str, DataConfig]]:
    """The data each open row is scored against: the source it records, with the dates of any
    ``--start``/``--end`` in ``overrides`` (dotted ``data.*`` keys of the flags given).

    Open rows that record no source (a ledger from before sources were recorded) take the one the
    flags give, and keep it in the returned ledger.

    Raises
    ------
    StgnnError
        If flags would score an open row against other prices than its own, or rows that record no
        source are open and no ``--source`` is given.
    """
    open_rows = ledger["label"].isna()
    unknown = open_rows & ledger[DATA_SOURCE].eq("")
    if unknown.any():
        if "data.source" not in overrides:
            raise StgnnError(f"{int(unknown.sum())} open ledger rows record no data source (written before stgnn "
                             "recorded one): pass the --source (with --data-dir or --tickers if used) their calls "
                             "were made from; they keep it.")
        given = data_source(load_config(None, overrides).data)
        ledger = ledger.assign(**{DATA_SOURCE: ledger[DATA_SOURCE].mask(unknown, given)})
    sources = {}
    for key in ledger.loc[open_rows, DATA_SOURCE].unique():
        recorded = recorded_data(key)
        tree = recorded.model_dump(mode="json")
        tree.update({k.removeprefix("data."): v for k, v in overrides.items()})
        data = parse_config({"data": tree}, origin="data flags").data
        if data_source(data) != data_source(recorded):
            raise StgnnError(f"The ledger's open calls were made from {describe_source(recorded)} prices; the flags "
                             f"would score them against {describe_source(data)} (settings "
                             f"{_changed(recorded, data)}): leave the data flags out, and each row is scored against "
                             "its own source (--start/--end may narrow its dates).")
        sources[key] = data
    return ledger, sources


def _changed(before: DataConfig, after: DataConfig) -> str:
    old, new = (json.loads(data_source(d)) for d in (before, after))
    return ", ".join(f"{k} {old.get(k)} -> {new.get(k)}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k))


def append_calls(path: str | Path, rows: pd.DataFrame) -> pd.DataFrame:
    """Add ``rows`` to the ledger at ``path`` (made if absent), replacing the rows of the same
    (date, model): a morning's ``predict`` run twice still counts its calls once."""
    path = Path(path)
    if path.exists():
        old = read_ledger(path)
        keys = ["date", "model_id"]
        again = pd.MultiIndex.from_frame(old[keys]).isin(pd.MultiIndex.from_frame(rows[keys]))
        rows = pd.concat([old[~again], rows], ignore_index=True)
    ledger = rows.sort_values(["date", "model_id"], kind="stable").reset_index(drop=True)
    write_ledger(path, ledger)
    return ledger


def write_ledger(path: str | Path, ledger: pd.DataFrame) -> None:
    atomic_write(path, lambda tmp: ledger[list(COLUMNS)].to_csv(tmp, index=False))


def read_ledger(path: str | Path) -> pd.DataFrame:
    """The ledger at ``path``, checked: a corrupt file is one line naming what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise StgnnError(f"Ledger {path} does not exist; stgnn predict --ledger {path} starts one.")
    try:
        ledger = pd.read_csv(path, keep_default_na=False,
                             na_values={"label": [""], "fwd_return": [""], "target_return": [""]},
                             dtype={"date": str, "ticker": str, "call": str, "model_id": str, SECTOR_FILE: str,
                                    "run_dir": str, DATA_SOURCE: str, LIVE: str})
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' parser and empty-file errors are ValueErrors
        raise _corrupt(path, f"not a readable csv ({type(exc).__name__})") from None
    ledger = _with_later_rule_fields(ledger)
    if "date" in ledger.columns:
        ledger = ledger.assign(**{c: v for c, v in LATER_COLUMNS.items() if c not in ledger.columns})
    missing = [c for c in COLUMNS if c not in ledger.columns and c != "target_return"]
    if missing:
        raise _corrupt(path, f"missing columns {missing}")
    if "target_return" not in ledger.columns:
        ledger = _with_target_return(ledger)
    try:
        return _checked(ledger)
    except (ValueError, TypeError) as exc:  # TypeError: a fractional label
        raise _corrupt(path, str(exc).splitlines()[0]) from None


LATER_RULE_FIELDS = ("kind", "q", "delay")
"""Label-rule fields added after ledgers were first written; an older ledger's rows used their defaults."""


def _with_later_rule_fields(ledger: pd.DataFrame) -> pd.DataFrame:
    """A ledger written before a label-rule field existed: its rows followed that field's default."""
    absent = {RULE[f]: LabelConfig.model_fields[f].default for f in LATER_RULE_FIELDS if RULE[f] not in ledger.columns}
    return ledger.assign(**absent) if absent and "date" in ledger.columns else ledger


def _with_target_return(ledger: pd.DataFrame) -> pd.DataFrame:
    """A ledger written before ``target_return``: the raw return for raw rules; a relative rule's
    scored rows are opened again, so the next ``ledger score`` cuts their excess return."""
    raw = ledger[RULE["relative_to"]].eq("none")
    ledger = ledger.assign(target_return=pd.to_numeric(ledger["fwd_return"]).where(raw))
    for column in ("label", "fwd_return"):
        ledger[column] = ledger[column].where(raw)
    return ledger


def _corrupt(path: Path, why: str) -> StgnnError:
    return StgnnError(f"{path} is not a prediction ledger: {why}; restore it, or start a new one with "
                      "predict --ledger.")


def _checked(ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger with its columns typed, or a ValueError naming the first bad value."""
    pd.to_datetime(ledger["date"], format="%Y-%m-%d")
    check_probabilities(ledger[list(PROBA_COLUMNS)])
    pred = check_labels(ledger["pred"].to_numpy(), name="pred")
    if (ledger["call"].to_numpy() != np.array(CLASS_NAMES)[pred]).any():
        raise ValueError("a call does not match its pred (0 Down, 1 None, 2 Up)")
    label = pd.to_numeric(ledger["label"]).astype("Int64")
    check_labels(label.dropna().to_numpy(dtype=np.int64), name="label")
    fwd = pd.to_numeric(ledger["fwd_return"]).astype(float)
    target = pd.to_numeric(ledger["target_return"]).astype(float)
    if (label.notna().to_numpy() != np.isfinite(fwd.to_numpy()) & np.isfinite(target.to_numpy())).any():
        raise ValueError("a row has a label without a finite fwd_return and target_return, or one without the other")
    for rule in ledger[list(RULE.values())].drop_duplicates().itertuples(index=False):
        label_rule(rule)
    for source in ledger[DATA_SOURCE].unique():
        if source:
            recorded_data(source)
    if not ledger[LIVE].isin(["yes", "no", ""]).all():
        raise ValueError("a live value is not yes, no or empty")
    if ledger.duplicated(["date", "ticker", "model_id"]).any():
        raise ValueError("a (date, ticker, model_id) appears twice")
    return ledger.assign(pred=pred, label=label, fwd_return=fwd, target_return=target)


def label_rule(values) -> LabelConfig:
    """The label rule of a row's :data:`RULE` columns, in their order."""
    tree = {field: v.item() if isinstance(v, np.generic) else v for field, v in zip(RULE, values)}
    try:
        return LabelConfig.model_validate(tree)
    except ValidationError:
        raise ValueError(f"the label rule {tree} is not valid") from None


def score_by_source(ledger: pd.DataFrame, sources: dict[str, DataConfig]) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Score the open rows of each source (:func:`scoring_sources`) against its own prices.

    Returns the ledger, each row's state (:func:`score_ledger`) and a line per source: which
    prices, to which date, for how many open rows."""
    state = _states_before(ledger)
    lines = []
    for key, data in sources.items():
        rows = ledger[DATA_SOURCE].eq(key)
        n_open = int((rows & ledger["label"].isna()).sum())
        panel = load_panel(data)
        ledger, scored = score_ledger(ledger, panel, among=rows)
        state[rows] = scored[rows]
        lines.append(f"{n_open} open rows against {describe_source(data)} prices to {panel.dates[-1].date()}")
    return ledger, state, lines


def _states_before(ledger: pd.DataFrame) -> pd.Series:
    """Each row's state before scoring: scored earlier, or pending."""
    return pd.Series(np.where(ledger["label"].notna(), SCORED, PENDING), index=ledger.index, dtype=object)


def score_ledger(ledger: pd.DataFrame, panel: PricePanel, *, among: pd.Series | None = None
                 ) -> tuple[pd.DataFrame, pd.Series]:
    """Fill in ``label`` and ``fwd_return`` of the open rows (those of the mask ``among``, default all)
    whose ``t + h`` the panel prices.

    Rows scored earlier keep their outcome (a panel that starts later cannot erase it). Each
    open row is labelled by its own rule, with the function that labelled the training and test
    data (:func:`traded_labels`), so a ticker halted at ``t`` or ``t + h`` is unpriced, not scored
    None on a return of 0; ``fwd_return`` is the raw forward return and ``target_return`` the one
    the label was cut from, as in the walk-forward's predictions.

    Returns
    -------
    ledger : pd.DataFrame
    state : pd.Series
        Each row's state: :data:`SCORED`, :data:`SCORED_NOW`, :data:`PENDING` or :data:`UNPRICED`.
    """
    ledger = ledger.copy()
    state = _states_before(ledger)
    dates = pd.Index(panel.dates.strftime("%Y-%m-%d"))
    tickers = pd.Index(panel.tickers)
    open_rows = ledger[ledger["label"].isna() & (True if among is None else among)]
    for (*values, sector_file), rows in open_rows.groupby([*RULE.values(), SECTOR_FILE], sort=False):
        rule = label_rule(values)
        labels = traded_labels(panel, rule, sectors=read_sectors(sector_file) if sector_file else None)
        day, column = dates.get_indexer(rows["date"]), tickers.get_indexer(rows["ticker"])
        priced = (day >= 0) & (column >= 0)
        y = np.where(priced, labels.y[day, column], UNKNOWN)
        known = y != UNKNOWN
        future = np.where(day >= 0, day + rule.span >= len(dates), rows["date"].to_numpy() > dates[-1])
        index = rows.index[known]
        ledger.loc[index, "label"] = y[known]
        ledger.loc[index, "fwd_return"] = labels.fwd_return[day[known], column[known]]
        ledger.loc[index, "target_return"] = labels.target_return[day[known], column[known]]
        state[index] = SCORED_NOW
        state[rows.index[~known & ~future]] = UNPRICED
    return ledger, state


@dataclass(frozen=True)
class WalkForwardRecord:
    """A finished walk-forward run's out-of-sample record: what its models' live calls should
    match."""

    run_dir: Path
    metrics: dict

    @classmethod
    def load(cls, run_dir: str | Path) -> WalkForwardRecord:
        run = RunDir(run_dir)
        if not run.root.is_dir():
            raise StgnnError(f"Run directory {run.root} does not exist; pass the run directory of a walk-forward.")
        if not run.metrics.is_file():
            raise StgnnError(f"{run.root} has no {run.metrics.name}: not a finished walk-forward (resume it with "
                             f"stgnn walk-forward --resume {run.root}).")
        try:
            metrics = run.read_metrics()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise StgnnError(f"{run.metrics} is not valid JSON; rerun the walk-forward's evaluation with --resume.") from None
        if MODEL not in metrics.get("intervals", {}):
            raise StgnnError(f"{run.metrics} holds no out-of-sample intervals (intervals.{MODEL}): a single split's "
                             "run, not a walk-forward's.")
        return cls(run.root, metrics)

    @property
    def period(self) -> tuple[str, str]:
        """First and last date of the out-of-sample period (the folds' test windows)."""
        folds = self.metrics["folds"]
        return folds[0]["split"]["test"]["first"], folds[-1]["split"]["test"]["last"]

    def interval(self, name: str) -> dict:
        """A metric of :data:`LIVE_METRICS` with its 95% interval (``value``, ``lo``, ``hi``).

        Macro-F1 and Rank IC are those of ``metrics.json``; the hit rate has none there, and is
        bootstrapped from ``oos_predictions.csv`` with the run's own settings and seed, as the
        walk-forward scores it: over the labelled rows (the others are there for the backtest's
        book only), on the return the labels were cut from."""
        if name != "directional_hit_rate":
            return self.metrics["intervals"][MODEL][name]
        run = RunDir(self.run_dir)
        oos = run.read_oos()
        boot = self.metrics["bootstrap"]
        seed = load_config(run.config).training.seed
        return bootstrap_ci(oos, lambda f: call_hit_rate(f["pred"], direction_return(f))[0],
                            block_days=boot["block_days"], n_boot=boot["n_boot"], seed=seed)


def live_figures(rows: pd.DataFrame) -> dict:
    """The :data:`LIVE_METRICS` of one model's scored rows, with what they count.

    The same functions as the walk-forward's figures (:func:`prediction_metrics`,
    :func:`call_hit_rate`), so each live figure means what its interval does."""
    frame = rows.assign(label=rows["label"].astype(int))[[*PREDICTION_COLUMNS, "target_return"]]
    m = prediction_metrics(frame)
    hit_rate, n_calls = call_hit_rate(frame["pred"], direction_return(frame))
    return {"macro_f1": m["macro_f1"], "rank_ic": m["rank_ic"], "directional_hit_rate": hit_rate,
            "n_rows": m["n_rows"], "n_days": m["n_days"], "n_ic_days": m["n_ic_days"], "n_calls": n_calls}


def where_in(value: float, interval: dict | None) -> str | None:
    """``inside``, ``below`` or ``above`` the interval; None where either is undefined."""
    if interval is None or any(v is None or v != v for v in (value, interval.get("lo"), interval.get("hi"))):
        return None
    return "below" if value < interval["lo"] else "above" if value > interval["hi"] else "inside"


def ledger_report(ledger: pd.DataFrame, state: pd.Series, *, run_dir: Path | None = None) -> dict:
    """Per model: its rows' states, the live figures of its scored rows, the walk-forward's
    intervals (of the run its rows record, else ``run_dir``) and where each live figure falls."""
    counts = state.value_counts()
    report = {"rows": len(ledger), **{s: int(counts.get(s, 0)) for s in STATES}, "models": []}
    for model, rows in ledger.groupby("model_id", sort=False):
        states = state[rows.index].value_counts()
        not_live = rows[LIVE].eq("no")
        scored = rows[rows["label"].notna() & ~not_live]
        source = next((r for r in rows["run_dir"] if r), None) or run_dir
        record = WalkForwardRecord.load(source) if source else None
        live = live_figures(scored) if len(scored) else None
        expected = None
        if record is not None:
            expected = {"period": list(record.period), **{name: record.interval(name) for name in LIVE_METRICS}}
        report["models"].append({
            "model_id": model, "run_dir": str(source) if source else None, "horizon": int(rows["horizon"].iloc[0]),
            "rows": len(rows), **{s: int(states.get(s, 0)) for s in STATES},
            "not_live": int(not_live.sum()), "live_unknown": int(rows[LIVE].eq("").sum()),
            "live": live,
            "walk_forward": expected,
            "where": {name: where_in(live[name], expected[name]) if live and expected else None
                      for name in LIVE_METRICS},
        })
    return report


def report_lines(report: dict) -> list[str]:
    """The report in words: counts, then each model's live figures beside its walk-forward's."""
    lines = [f"{report['rows']} rows: {report[SCORED_NOW]} scored now ({report[SCORED] + report[SCORED_NOW]} in "
             f"all), {report[PENDING]} pending (t + h not priced yet), {report[UNPRICED]} without a traded price at "
             "t or t + h"]
    for m in report["models"]:
        lines.append(f"model {m['model_id']} (horizon {m['horizon']}, run {m['run_dir'] or 'unknown'}): "
                     f"{m['rows']} rows, {m[PENDING]} pending")
        if m["not_live"]:
            lines.append(f"  warning: {m['not_live']} rows are dated inside the model's own train/validation/test "
                         "windows: not live calls, left out of the live figures")
        live, expected = m["live"], m["walk_forward"]
        if live is None:
            lines.append("  no live scored rows yet")
            continue
        days = f"{live['n_days']} day{'s' * (live['n_days'] != 1)}"
        against = (f"walk-forward out of sample {expected['period'][0]} to {expected['period'][1]}, 95% intervals "
                   "(of a whole period's figure: a short live record falls outside them more often)"
                   if expected else "no walk-forward to compare with: pass --from-run")
        lines.append(f"  live over {days} ({live['n_rows']} rows, {live['n_calls']} Down/Up calls); {against}")
        for name, text in LIVE_METRICS.items():
            value = "n/a" if live[name] != live[name] else f"{live[name]:.4f}"
            beside = f"   walk-forward {format_interval(expected[name])}   {m['where'][name] or 'n/a'}" if expected else ""
            lines.append(f"  {text:<21} live {value}{beside}")
    return lines
