"""One validated configuration: defaults in code, YAML in (``safe_load``), resolved YAML out.

Every section is a frozen pydantic model with ``extra="forbid"``: a misspelled key fails at
once with the field's name, and an out-of-range value names the allowed range.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import textwrap
from datetime import date
from pathlib import Path
from typing import Any, Iterator, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from stgnn.datasets import SP500_SECTORS
from stgnn.errors import ConfigError
from stgnn.io import atomic_write_text
from stgnn.registry import BASELINES

Source = Literal["sample", "sp500", "csv", "yfinance", "synthetic"]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SyntheticConfig(_Section):
    """A market on a known graph: clusters share a factor, each ticker follows its neighbours."""

    n_tickers: int = Field(20, ge=2, le=5000)
    n_days: int = Field(1500, ge=100, le=20000)
    cluster_size: int = Field(5, ge=2)
    lead_lag: float = Field(0.6, ge=0.0, lt=1.0, description="weight of neighbours' return today")
    factor_vol: float = Field(0.006, ge=0.0)
    idio_vol: float = Field(0.015, gt=0.0)
    seed: int = 0

    @model_validator(mode="after")
    def _clusters_fit(self) -> SyntheticConfig:
        if self.n_tickers % self.cluster_size:
            raise ValueError(
                f"n_tickers={self.n_tickers} must be a multiple of cluster_size={self.cluster_size}"
            )
        return self


class DataConfig(_Section):
    source: Source = Field("sample", description="where prices come from (sample: 20 bundled stocks; sp500: 505 bundled S&P 500 stocks 2013-2018)")
    data_dir: Path | None = Field(None, description="csv: a folder of per-ticker files or one wide file")
    tickers: tuple[str, ...] | None = Field(None, description="restrict to these tickers (yfinance: download them)")
    start: date | None = Field(None, description="first date, YYYY-MM-DD")
    end: date | None = Field(None, description="last date, YYYY-MM-DD")
    cache_dir: Path = Path("data/cache")
    max_ffill: int = Field(5, ge=0, le=60, description="missing days after a price filled with it (causally; they carry no label); later days of a gap are absent")
    min_history: int = Field(252, ge=30, description="prices a ticker listing inside the data needs (counted so far) before it is eligible")
    universe: Path | None = Field(None, description="csv ticker,start,end: a ticker is eligible only while a member (end empty: still one)")
    synthetic: SyntheticConfig = SyntheticConfig()

    @field_validator("tickers")
    @classmethod
    def _upper(cls, v):
        return None if v is None else tuple(t.strip().upper() for t in v if t.strip())

    @model_validator(mode="after")
    def _check(self) -> DataConfig:
        if self.source == "csv" and self.data_dir is None:
            raise ValueError("source 'csv' needs data_dir (a folder of per-ticker files or one wide csv)")
        if self.source == "yfinance" and not self.tickers:
            raise ValueError("source 'yfinance' needs tickers")
        if self.start and self.end and self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self


class LabelConfig(_Section):
    horizon: int = Field(1, ge=1, le=60, description="label horizon h: trading days ahead")
    threshold: float = Field(0.018, gt=0.0, lt=1.0, description="move threshold theta: the |forward log return| that counts as a move")
    vol_scaled: bool = Field(False, description="scale theta by each ticker's trailing volatility / its median")
    vol_window: int = Field(20, ge=2, le=252)
    relative_to: Literal["none", "universe", "sector"] = Field(
        "none", description="label the forward return minus the equal-weight return of the present universe (or sector)")
    kind: Literal["threshold", "quantile"] = Field(
        "threshold", description="threshold: cut the return at +-theta; quantile: each day's top q of the labelled "
                                 "tickers Up, bottom q Down")
    q: float = Field(0.2, gt=0.0, lt=0.5, description="quantile labels: the fraction of each day's tickers called Up (and Down)")
    delay: int = Field(0, ge=0, le=5, description="days between the call (after t's close) and the trade: the label runs "
                                                  "from the close of t + delay to that of t + delay + h")

    @model_validator(mode="after")
    def _quantile(self) -> LabelConfig:
        if self.kind == "quantile" and self.vol_scaled:
            raise ValueError("vol_scaled scales theta, which quantile labels do not use; set vol_scaled: false")
        return self

    @property
    def span(self) -> int:
        """Days from the call to the label's last price (``delay + horizon``): what a purge must cover."""
        return self.delay + self.horizon


MARKET_VOL_WINDOW = 20
"""Days of the universe's trailing volatility feature (``features.market``)."""


FACTOR_WARMUP = {"basic": None, "alpha158": 61, "alpha360": 60}
"""Feature sets, and the days of history each factor library needs (``basic``: from its windows)."""


class FeatureConfig(_Section):
    set: Literal["basic", "alpha158", "alpha360"] = Field(
        "basic", description="basic: the returns, volatilities and oscillators below; alpha158 / alpha360: Qlib's "
                             "factor libraries (alpha360 is a 60-day sequence the encoder reads, with model.window 1)")
    return_lags: tuple[int, ...] = (1, 2, 5, 10, 20)
    vol_windows: tuple[int, ...] = (5, 20)
    ma_windows: tuple[int, ...] = (10, 50)
    rsi_window: int = Field(14, ge=2)
    macd: tuple[int, int, int] = (12, 26, 9)
    zscore_window: int = Field(20, ge=2)
    cross_section: Literal["none", "rank", "zscore"] = Field(
        "none", description="rank or z-score each feature across the tickers present that day")
    market: bool = Field(False, description="add the present universe's own return and volatility to every node")

    @field_validator("return_lags", "vol_windows", "ma_windows")
    @classmethod
    def _positive(cls, v):
        if not v or min(v) < 1:
            raise ValueError("expected a non-empty list of positive window lengths")
        return tuple(sorted(set(v)))

    @property
    def warmup(self) -> int:
        """Days of history needed before every feature is defined."""
        market = MARKET_VOL_WINDOW + 1 if self.market else 0
        if self.set != "basic":
            return max(FACTOR_WARMUP[self.set], market)
        return max(*self.return_lags, *self.vol_windows, *self.ma_windows, self.rsi_window,
                   self.macd[1] + self.macd[2], self.zscore_window, market - 1) + 1


class SplitConfig(_Section):
    """One chronological train / val / test split (the train script); purge >= horizon."""

    val_fraction: float = Field(0.15, gt=0.0, lt=0.5)
    test_fraction: float = Field(0.15, gt=0.0, lt=0.5)
    purge_days: int | None = Field(None, ge=0, description="default: the label horizon")
    embargo_days: int = Field(0, ge=0)


class GraphConfig(_Section):
    k: int = Field(5, ge=1, le=64, description="neighbours per ticker in the graph")
    method: Literal["correlation", "residual", "sector", "sector_residual"] = Field(
        "correlation", description="neighbours by return correlation (residual: market factor removed on training days), "
                                   "or from the same sector first")
    correlation: Literal["absolute", "positive"] = "absolute"
    sector_file: Path | None = Field(None, description="ticker,sector csv for the sector graph (source sp500: its bundled sectors)")
    min_overlap: int = Field(60, ge=10, description="fewest training days two tickers both trade for their correlation to count")

    @model_validator(mode="after")
    def _sector_file(self) -> GraphConfig:
        if self.method.startswith("sector") and self.sector_file is None:
            raise ValueError(f"graph method '{self.method}' needs sector_file (a ticker,sector csv)")
        return self


class ModelConfig(_Section):
    window: int = Field(20, ge=1, le=256, description="days of history per node (the window each node sees)")
    encoder: Literal["gru", "tcn"] = Field("gru", description="temporal encoder of each node's window")
    hidden: int = Field(32, ge=4, le=1024, description="width of the hidden layers")
    temporal_layers: int = Field(1, ge=1, le=8)
    conv: Literal["gat", "gcn"] = "gat"
    graph_layers: int = Field(1, ge=1, le=4)
    heads: int = Field(2, ge=1, le=16)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    graph: bool = Field(True, description="neighbour layers after the temporal encoder; off: the temporal-only ablation")


ClassWeights = Literal["balanced", "none"]


class LossConfig(_Section):
    name: Literal["focal", "cross_entropy"] = Field("focal", description="training loss")
    focal_alpha: float | tuple[float, float, float] | None = Field(
        None, description="float a: Down/Up get a, None gets 1-a (0.5 neutral; in YAML also [down, none, up]); unset: neutral"
    )
    focal_gamma: float = Field(2.0, ge=0.0, le=10.0, description="focal focusing parameter (0: cross entropy)")
    class_weights: ClassWeights = Field("balanced", description="loss weights: inverse frequencies of the classes the loss sees, or none")
    dynamic_alpha: bool = False
    max_focal_alpha: float = Field(0.75, gt=0.0, lt=1.0)
    alpha_ramp_epochs: int = Field(10, ge=1)
    hard_negative_weight: float = Field(1.0, ge=1.0, le=10.0)
    hard_negative_band: float = Field(0.8, gt=0.0, lt=1.0, description="None rows with |fwd| >= band*theta")

    @field_validator("focal_alpha")
    @classmethod
    def _alpha(cls, v):
        values = [v] if isinstance(v, float) else (v or [])
        if any(not 0.0 <= a <= 1.0 for a in values) or (isinstance(v, float) and v in (0.0, 1.0)):
            raise ValueError("focal_alpha must be in (0, 1), or three per-class values in [0, 1]")
        return v

    @model_validator(mode="after")
    def _dynamic(self) -> LossConfig:
        if self.dynamic_alpha and not isinstance(self.focal_alpha, float):
            raise ValueError("dynamic_alpha ramps a float focal_alpha; set focal_alpha (e.g. 0.5)")
        return self


SmoteStrategy = Literal["auto", "minority", "not majority", "not minority", "all"]
"""imbalanced-learn's strategy names (``stgnn.training.smote`` resolves them for three classes)."""


class SmoteConfig(_Section):
    enabled: bool = Field(True, description="SMOTE on the training ego windows")
    sampling_strategy: SmoteStrategy | dict[str, int] = Field(
        "auto", description="imbalanced-learn strategy (in YAML also {Down: n, Up: n} target counts)"
    )
    target_ratio: float | None = Field(
        0.5, gt=0.0, le=1.0, description="minority classes raised to this share of the majority (overrides sampling_strategy)"
    )
    k_neighbors: int = Field(5, ge=1, le=50)
    max_pool: int | None = Field(5000, ge=10, description="real rows per class SMOTE interpolates between")
    mode: Literal["exact", "centre", "latent"] = Field(
        "exact", description="exact: every window of a synthetic ego graph interpolated (K + 1 windows encoded); "
                             "centre: its centre alone, attached to its base sample's real neighbours (one window); "
                             "latent: its centre's encoder state interpolated between two real samples of one day, "
                             "attached likewise (no window)")

    @field_validator("sampling_strategy")
    @classmethod
    def _strategy(cls, v):
        if isinstance(v, dict):
            unknown = set(v) - {"Down", "None", "Up"}
            if unknown:
                raise ValueError(f"sampling_strategy keys must be Down/None/Up, got {sorted(unknown)}")
        return v


class TrainingConfig(_Section):
    epochs: int = Field(20, ge=1, le=1000, description="most training epochs (early stopping may end sooner)")
    batch_days: int = Field(32, ge=1, le=4096, description="day graphs per batch")
    lr: float = Field(2e-3, gt=0.0, le=1.0, description="learning rate")
    weight_decay: float = Field(1e-4, ge=0.0)
    grad_clip: float = Field(1.0, gt=0.0)
    scheduler: Literal["cosine", "plateau", "none"] = "cosine"
    patience: int = Field(5, ge=1)
    monitor: Literal["macro_f1", "mcc", "auroc", "rank_ic", "loss"] = Field(
        "auroc", description="validation figure that chooses the best epoch (rank_ic: mean daily Spearman of p_up - p_down "
                             "with the labelled return)")
    balanced_sampler: bool = Field(False, description="draw training days rich in Down/Up more often")
    batch_order: Literal["shuffled", "contiguous"] = Field(
        "shuffled", description="contiguous: each batch a run of consecutive training days (runs shuffled, cut at "
                                "new places each epoch), so a TCN's series batches encode each ticker-day about once")
    fnr_target: float | None = Field(None, gt=0.0, lt=1.0, description="early stop only once FNR of Down and Up <= target")
    collapse_abort: bool = False
    scaler: Literal["standard", "robust"] = Field("standard", description="feature scaling fitted on training days: mean/std, or median/IQR")
    seed: int = Field(0, description="seed of weights, batches and SMOTE")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="where to train (auto: cuda if available)")
    precision: Literal["fp32", "bf16"] = Field(
        "fp32", description="bf16: forward passes under bfloat16 autocast (for CUDA; loss and probabilities stay float32)")

    @model_validator(mode="after")
    def _one_day_order(self) -> TrainingConfig:
        if self.balanced_sampler and self.batch_order == "contiguous":
            raise ValueError("balanced_sampler draws days with replacement, batch_order contiguous cuts runs of "
                             "consecutive days; choose one")
        return self


class ThresholdConfig(_Section):
    objective: Literal["macro_f1", "recall_at_precision", "fnr"] = "macro_f1"
    min_precision: float = Field(0.5, gt=0.0, lt=1.0)
    fnr_target: float = Field(0.3, gt=0.0, lt=1.0)


GRID_REFUSED: dict[str, str] = {
    "labels": "the thresholds, the test rows and the baselines of a fold use the run's labels",
    "features": "features are computed once per run, before the folds",
    "model.window": "the panel's usable days are prepared for the run's window",
    "model.graph": "the temporal-only baseline (stgnn_no_graph) answers whether the graph helps, and a grid value "
                   "would override it",
    "thresholds": "decision thresholds are tuned with the run's settings",
    "training.seed": "each fold's seeds derive from the run's seed",
    "data": "the panel is loaded once per run",
    "split": "the folds are cut once per run",
    "walkforward": "it configures the search itself",
    "experiment": "it only names the run",
}
"""Keys (or sections) a walk-forward grid cannot vary consistently within one run."""


class WalkForwardConfig(_Section):
    """Rolling (or expanding) retraining: train, purge, validate, purge, test; the test window is the step."""

    train_days: int = Field(756, ge=30, description="training window of each fold, in trading days")
    val_days: int = Field(126, ge=10, description="validation window of each fold (tuning and thresholds)")
    test_days: int = Field(126, ge=5, description="test window, also the step between folds")
    expanding: bool = Field(False, description="expanding instead of rolling training window")
    embargo_days: int = Field(0, ge=0, description="days added to each purge gap between train, val and test")
    folds: int | None = Field(None, ge=1, description="keep only the last N folds")
    search: Literal["grid", "optuna"] = Field("grid", description="grid: every combination; optuna: n_trials TPE draws from the grid's values")
    grid: dict[str, list[Any]] = Field(
        default_factory=lambda: {"loss.focal_gamma": [1.0, 2.0, 3.0, 4.0]},
        description="JSON of dotted config keys -> values tried on each fold's validation window "
                    "(not labels.*, features.*, model.window or other settings fixed per run: vary those across runs)",
    )
    n_trials: int = Field(8, ge=1, description="optuna: trials per fold")
    select_on: Literal["macro_f1", "auroc", "rank_ic"] = Field("macro_f1", description="val metric that picks the trial")
    seeds: int = Field(1, ge=1, le=20, description="models per fold; their mean probabilities are the ensemble")
    baselines: tuple[str, ...] = Field(
        tuple(BASELINES),
        description="models scored on the same folds and rows as the STGNN (empty: none)")
    baseline_C: tuple[float, ...] = Field(
        (0.01, 0.1, 1.0, 10.0), description="logistic baselines: C values tried on each fold's validation window")
    baseline_window: Literal["day", "model"] = Field(
        "day", description="logistic baselines see day t's features, or the model's window of them (flattened lags)")
    book: Literal["dollar_neutral", "unhedged"] = Field(
        "dollar_neutral", description="backtest: a lone side is hedged with the equal-weight universe, or left net long/short")
    rank_quantile: float = Field(
        0.1, gt=0.0, le=0.5, description="rank book: long the top, short the bottom quantile of p_up - p_down")
    final_model: bool = Field(
        True, description="after the folds, fit one model on the latest window and save it as the run's model.pt")
    cost_bps: float = Field(5.0, ge=0.0, description="backtest transaction cost, in basis points of turnover")
    n_boot: int = Field(500, ge=50, description="bootstrap resamples of the confidence intervals")
    block_days: int = Field(20, ge=1, description="bootstrap block length; at least 2 x horizon is used")

    @field_validator("baselines")
    @classmethod
    def _known_baselines(cls, v):
        unknown = [name for name in v if name not in BASELINES]
        if unknown:
            raise ValueError(f"unknown baselines {unknown}; choose from {list(BASELINES)}")
        if len(set(v)) < len(v):
            raise ValueError("each baseline may be named once")
        return v

    @field_validator("baseline_C")
    @classmethod
    def _c_grid(cls, v):
        if not v or min(v) <= 0:
            raise ValueError("expected a non-empty list of positive C values")
        return tuple(sorted(set(v)))

    @field_validator("grid")
    @classmethod
    def _grid(cls, v):
        for key, values in v.items():
            problem = key_problem(key)
            if problem:
                raise ValueError(f"grid key {problem}; {LISTS_KEYS}")
            if not isinstance(values, list) or not values:
                raise ValueError(f"grid values of {key} must be a non-empty list")
            for refused, why in GRID_REFUSED.items():
                if key == refused or key.startswith(refused + "."):
                    named = key
                elif refused.startswith(key + "."):  # a whole section ("model") would vary it too
                    named = f"{key} (it sets {refused})"
                else:
                    continue
                raise ValueError(f"grid key {named} is refused: {why}; vary it across runs instead, "
                                 f"one config per value (as stgnn study does with the labels)")
        return v


class Config(_Section):
    experiment: str = Field("stgnn", description="name used in the default run directory")
    data: DataConfig = DataConfig()
    labels: LabelConfig = LabelConfig()
    features: FeatureConfig = FeatureConfig()
    split: SplitConfig = SplitConfig()
    graph: GraphConfig = GraphConfig()
    model: ModelConfig = ModelConfig()
    loss: LossConfig = LossConfig()
    smote: SmoteConfig = SmoteConfig()
    training: TrainingConfig = TrainingConfig()
    thresholds: ThresholdConfig = ThresholdConfig()
    walkforward: WalkForwardConfig = WalkForwardConfig()

    @model_validator(mode="before")
    @classmethod
    def _bundled_sectors(cls, tree: Any) -> Any:
        """Source ``sp500`` ships its GICS sectors: its sector graph defaults to that file."""
        if not isinstance(tree, dict):
            return tree
        data, graph = tree.get("data") or {}, tree.get("graph") or {}
        source = data.get("source") if isinstance(data, dict) else getattr(data, "source", None)
        labels = tree.get("labels") or {}
        wants = (isinstance(graph, dict) and str(graph.get("method", "")).startswith("sector")) or \
            (isinstance(labels, dict) and labels.get("relative_to") == "sector")
        if source == "sp500" and wants and isinstance(graph, dict) and graph.get("sector_file") is None:

            tree = {**tree, "graph": {**graph, "sector_file": SP500_SECTORS}}
        return tree

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        if self.features.set == "alpha360" and self.model.window != 1:
            raise ValueError("features.set alpha360 already gives each node its last 60 days as a sequence; "
                             "set model.window: 1")
        if self.features.set == "alpha360" and self.features.market:
            raise ValueError("features.market appends two values to a day that alpha360 reads as 60 steps of its "
                             "channels; set features.market: false with alpha360")
        if self.labels.kind == "quantile" and self.loss.hard_negative_weight > 1:
            raise ValueError("loss.hard_negative_weight weighs None rows near theta, which quantile labels do not "
                             "have; set it to 1 or use labels.kind: threshold")
        return self

    def updated(self, overrides: dict[str, Any]) -> Config:
        """A copy with dotted-key overrides applied (``{"loss.focal_gamma": 3.0}``), re-validated."""
        tree = self.model_dump(mode="json")
        for key, value in overrides.items():
            problem = key_problem(key)
            if problem:
                raise ConfigError(f"{problem}; {LISTS_KEYS}.")
            node = tree
            *parents, leaf = key.split(".")
            for part in parents:
                node = node[part]
            node[leaf] = value
        return parse_config(tree)

    def hash(self) -> str:
        """Short stable hash of the resolved config, for run names."""
        return hashlib.sha1(to_yaml(self).encode()).hexdigest()[:8]


def parse_config(tree: dict[str, Any], *, origin: str = "config") -> Config:
    """Validate a nested dict; the error names the field and the allowed values."""
    try:
        return Config.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {_describe(exc)}") from None


def load_config(path: str | os.PathLike | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Defaults, then the YAML file (if any), then dotted-key overrides from flags."""
    tree: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"Config file {path} does not exist; pass an existing YAML file to --config.")
        try:
            tree = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark else ""
            raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}).") from None
        if not isinstance(tree, dict):
            raise ConfigError(f"{path}: expected a mapping of sections (data:, model:, ...), got {type(tree).__name__}.")
    config = parse_config(tree, origin=str(path or "config"))
    return config.updated(overrides or {})


def to_yaml(config: Config) -> str:
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)


def write_config(config: Config, path: str | os.PathLike) -> None:
    atomic_write_text(Path(path), to_yaml(config))


def _describe(exc: ValidationError) -> str:
    err = exc.errors()[0]
    # A union adds its member's type to the location ("literal['auto',...]"): keep field names only.
    where = ".".join(str(p) for p in err["loc"] if isinstance(p, int) or str(p).isidentifier()) or "config"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"unknown field '{where}'{_did_you_mean(where)}; {LISTS_KEYS}."
    value = err.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    return f"invalid value for '{where}'{shown}: {msg}."


LISTS_KEYS = "stgnn config --defaults lists every key"


def key_problem(key: str) -> str | None:
    """Why a dotted key (``model.hidden``) names no config field or section, with the nearest
    spelling; None when it names one."""
    model: Any = Config
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if not _is_section(model):
            return f"'{key}' is not a config key: '{'.'.join(parts[:depth])}' is a value, not a section"
        if part not in model.model_fields:
            return f"'{key}' is not a config key{_did_you_mean('.'.join(parts[:depth + 1]), parts[depth + 1:])}"
        model = model.model_fields[part].annotation
    return None


def _did_you_mean(key: str, rest: list[str] = ()) -> str:
    """``" (did you mean 'model.hidden'?)"`` for ``model.hiden``: the closest field of the same
    section, else the same name in another section (``model.epochs``: ``training.epochs``); with
    the ``rest`` of a dotted key after it where that names a field (``modle.hidden``: ``model.hidden``)."""
    parent, _, leaf = key.rpartition(".")
    keys = list(_keys())
    siblings = {k.rpartition(".")[2]: k for k in keys if k.rpartition(".")[0] == parent}
    close = difflib.get_close_matches(leaf, siblings, n=1)
    found = siblings[close[0]] if close else next((k for k in keys if k.rpartition(".")[2] == leaf), None)
    if found is None:
        return ""
    whole = ".".join([found, *rest])
    return f" (did you mean '{whole if whole in keys else found}'?)"


def _keys(model: Any = None, prefix: str = "") -> Iterator[str]:
    """Every dotted key of the schema, sections included."""
    for name, info in (model or Config).model_fields.items():
        yield prefix + name
        if _is_section(info.annotation):
            yield from _keys(info.annotation, f"{prefix}{name}.")


def _is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def commented_yaml(config: Config) -> str:
    """``config`` as YAML, every key with its value and, as a comment above it, its description
    and choices (what ``stgnn config`` prints). ``safe_load`` reads it back to ``config``."""
    head = ["# stgnn config: every key with its value. A config file needs only the keys it changes;",
            "# flags override the file. Load with: stgnn <command> --config FILE", ""]
    return "\n".join(head + _commented(config, "")) + "\n"


def _commented(section: BaseModel, pad: str) -> list[str]:
    lines = []
    values = section.model_dump(mode="json")
    for name, info in type(section).model_fields.items():
        value = getattr(section, name)
        nested = isinstance(value, BaseModel)
        lines += [f"{pad}# {line}" for line in _help_lines(info, type(value).__doc__ if nested else None)]
        if nested:
            lines += [f"{pad}{name}:", *_commented(value, pad + "  ")]
        else:
            # Block style for the key, flow style for a list inside it (``[1, 2, 5]``).
            flow = None if isinstance(values[name], (list, dict)) else False
            dumped = yaml.safe_dump({name: values[name]}, sort_keys=False, default_flow_style=flow, width=1000)
            lines += [pad + line for line in dumped.splitlines()]
    return lines


def _help_lines(info, doc: str | None) -> list[str]:
    """A field's description (a section's: its docstring's first paragraph) and its choices, wrapped."""
    text = " ".join((info.description or (doc or "").split("\n\n")[0]).split())
    choices = get_args(info.annotation) if get_origin(info.annotation) is Literal else ()
    return textwrap.wrap(text, width=96) + (textwrap.wrap(f"one of: {', '.join(map(str, choices))}", width=96)
                                            if choices else [])
