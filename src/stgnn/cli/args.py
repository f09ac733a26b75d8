"""Flags shared by the commands (the parser class, ``-v`` and the error guard are in
:mod:`stgnn.cli.base`).

A config flag is one row of a table: its name and the dotted config key it sets. Its type,
choices, help and shown default are read from the pydantic field in :mod:`stgnn.config`, so
each is written once; a flag overrides the config only when the user gives it.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, Literal, Sequence, Union, get_args, get_origin

from pydantic.fields import FieldInfo

from stgnn.config import Config
from stgnn.registry import BACKENDS, BASELINES, MLFLOW_DEFAULT_URI


def _json_arg(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON ({exc.msg})") from None


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


_PARSERS: dict[type, Callable[[str], Any]] = {int: int, float: float, str: str, Path: Path, date: _date_arg}
"""Scalar field types a flag can take, and how its text becomes one."""


@dataclass(frozen=True)
class Flag:
    """A flag that sets one config field. The other attributes are what the schema cannot say:
    ``action`` for a bool whose flag turns it off, ``nargs`` where an empty list means something,
    ``type`` for a non-scalar field and ``choices`` kept in a registry outside the schema."""

    name: str
    key: str
    action: str | None = None
    nargs: str | None = None
    type: Callable[[str], Any] | None = None
    choices: Sequence[str] | None = None

    @property
    def dest(self) -> str:
        return self.name.lstrip("-").replace("-", "_")

    def add_to(self, group: argparse._ActionsContainer, *, show_default: bool) -> None:
        group.add_argument(self.name, dest=self.dest, default=None,
                           **self._options(schema_field(self.key), show_default))

    def _options(self, info: FieldInfo, show_default: bool) -> dict[str, Any]:
        """A bool whose default is off gets a switch that turns it on; one that is on, ``--x/--no-x``."""
        default = info.get_default(call_default_factory=True)
        shown = f" (default: {_shown(default)})" if show_default and default is not None else ""
        text = f"{info.description}{shown}".replace("%", "%%")
        kind = _scalar(info.annotation)
        if kind is bool:
            return {"help": text, "action": self.action or ("store_true" if not default else argparse.BooleanOptionalAction)}
        if get_origin(kind) is Literal:
            return {"help": text, "choices": get_args(kind)}
        # A tuple here is tuple[X, ...]: a fixed-length one is never a flag's first type.
        nargs, kind = ("+", get_args(kind)[0]) if get_origin(kind) is tuple else (None, kind)
        return {"help": text, "nargs": self.nargs or nargs, "choices": self.choices, "type": self.type or _PARSERS[kind]}


def schema_field(key: str) -> FieldInfo:
    """The pydantic field of a dotted config key (``model.window``)."""
    *sections, leaf = key.split(".")
    model = Config
    for section in sections:
        model = model.model_fields[section].annotation
    return model.model_fields[leaf]


def _scalar(annotation):
    """The first member of ``X | ... | None`` (the one a flag gives); the annotation if no union."""
    if get_origin(annotation) in (Union, types.UnionType):
        return next(a for a in get_args(annotation) if a is not type(None))
    return annotation


def _shown(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (tuple, list)):
        return " ".join(map(str, value))
    return json.dumps(value) if isinstance(value, dict) else str(value)


DATA_FLAGS = (
    Flag("--source", "data.source"),
    Flag("--data-dir", "data.data_dir"),
    Flag("--tickers", "data.tickers"),
    Flag("--start", "data.start"),
    Flag("--end", "data.end"),
    Flag("--universe", "data.universe"),
    Flag("--max-ffill", "data.max_ffill"),
    Flag("--min-history", "data.min_history"),
)

LABEL_FLAGS = (
    Flag("--horizon", "labels.horizon"),
    Flag("--threshold", "labels.threshold"),
    Flag("--vol-scaled", "labels.vol_scaled"),
    Flag("--relative-to", "labels.relative_to"),
    Flag("--label-kind", "labels.kind"),
    Flag("--quantile", "labels.q"),
    Flag("--delay", "labels.delay"),
)

FEATURE_FLAGS = (Flag("--features", "features.set"),)

TRAINING_FLAGS = FEATURE_FLAGS + (
    Flag("--window", "model.window"),
    Flag("--k", "graph.k"),
    Flag("--graph-method", "graph.method"),
    Flag("--sector-file", "graph.sector_file"),
    Flag("--cross-section", "features.cross_section"),
    Flag("--market-features", "features.market"),
    Flag("--no-graph", "model.graph", action="store_false"),
    Flag("--encoder", "model.encoder"),
    Flag("--hidden", "model.hidden"),
    Flag("--loss", "loss.name"),
    Flag("--focal-alpha", "loss.focal_alpha"),
    Flag("--focal-gamma", "loss.focal_gamma"),
    Flag("--class-weights", "loss.class_weights"),
    Flag("--smote", "smote.enabled"),
    Flag("--smote-strategy", "smote.sampling_strategy"),
    Flag("--smote-ratio", "smote.target_ratio"),
    Flag("--smote-mode", "smote.mode"),
    Flag("--balanced-sampler", "training.balanced_sampler"),
    Flag("--batch-order", "training.batch_order"),
    Flag("--scaler", "training.scaler"),
    Flag("--epochs", "training.epochs"),
    Flag("--batch-days", "training.batch_days"),
    Flag("--lr", "training.lr"),
    Flag("--monitor", "training.monitor"),
    Flag("--seed", "training.seed"),
    Flag("--device", "training.device"),
    Flag("--precision", "training.precision"),
    Flag("--experiment", "experiment"),
)

WALKFORWARD_FLAGS = (
    Flag("--train-days", "walkforward.train_days"),
    Flag("--val-days", "walkforward.val_days"),
    Flag("--test-days", "walkforward.test_days"),
    Flag("--expanding", "walkforward.expanding"),
    Flag("--embargo-days", "walkforward.embargo_days"),
    Flag("--folds", "walkforward.folds"),
    Flag("--search", "walkforward.search"),
    Flag("--grid", "walkforward.grid", type=_json_arg),
    Flag("--n-trials", "walkforward.n_trials"),
    Flag("--select-on", "walkforward.select_on"),
    Flag("--seeds", "walkforward.seeds"),
    Flag("--baselines", "walkforward.baselines", nargs="*", choices=tuple(BASELINES)),
    Flag("--baseline-c", "walkforward.baseline_C"),
    Flag("--baseline-window", "walkforward.baseline_window"),
    Flag("--book", "walkforward.book"),
    Flag("--rank-quantile", "walkforward.rank_quantile"),
    Flag("--final-model", "walkforward.final_model"),
    Flag("--cost-bps", "walkforward.cost_bps"),
    Flag("--n-boot", "walkforward.n_boot"),
    Flag("--block-days", "walkforward.block_days"),
)

ALL_FLAGS = DATA_FLAGS + LABEL_FLAGS + TRAINING_FLAGS + WALKFORWARD_FLAGS


def add_flags(parser: argparse.ArgumentParser, title: str, flags: Sequence[Flag], *,
              show_defaults: bool = True) -> None:
    """One help section of config flags; ``show_defaults=False`` where the values a flag overrides
    are not the schema's defaults (a checkpoint's config)."""
    group = parser.add_argument_group(title)
    for flag in flags:
        flag.add_to(group, show_default=show_defaults)


def add_from_run_flag(parser: argparse._ActionsContainer, help: str) -> None:
    """``--from-run RUN_DIR``: a run a command reads. Its old name ``--run-dir`` (which the commands
    that write a run take) still works, hidden, and says the new one."""
    parser.add_argument("--from-run", type=Path, metavar="RUN_DIR", help=help)
    parser.add_argument("--run-dir", dest="from_run", type=Path, action=_RenamedTo, help=argparse.SUPPRESS)


class _RenamedTo(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        print(f"note: {option_string} is now --from-run here (--run-dir names a run a command writes)", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_config_file_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="YAML config file; flags override it")


def add_execution_flags(parser: argparse.ArgumentParser) -> None:
    """Where folds run: not in the config, as it changes nothing in what they compute."""
    g = parser.add_argument_group("execution")
    g.add_argument("--backend", choices=BACKENDS, default="local",
                   help="where folds run: this machine, or Ray tasks (pip install 'stgnn[distributed]') (default: %(default)s)")
    g.add_argument("--workers", type=int, default=1, help="parallel folds: processes, or Ray CPUs (default: %(default)s)")
    g.add_argument("--ray-address", help="join an existing Ray cluster (default: start a local one)")


def execution(args: argparse.Namespace) -> dict[str, Any]:
    """Backend keyword arguments of :func:`stgnn.walkforward.backends.run_tasks`."""
    return {"backend": args.backend, "workers": args.workers, "ray_address": args.ray_address}


def config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Dotted config keys of the flags a user gave; an explicit SMOTE strategy replaces the ratio."""
    found = {flag.key: getattr(args, flag.dest) for flag in ALL_FLAGS if getattr(args, flag.dest, None) is not None}
    if "smote.sampling_strategy" in found and "smote.target_ratio" not in found:
        found["smote.target_ratio"] = None
    return found


def add_experiment_flags(parser: argparse.ArgumentParser, *, walk_forward: bool = True) -> None:
    """What every experiment command takes: the config file, data, label and training (and
    walk-forward and execution) flags, ``--run-dir`` and ``--mlflow`` (``-v``: every command has it)."""
    add_config_file_flag(parser)
    add_flags(parser, "data", DATA_FLAGS + LABEL_FLAGS)
    add_flags(parser, "model and training", TRAINING_FLAGS)
    if walk_forward:
        add_flags(parser, "walk-forward", WALKFORWARD_FLAGS)
        add_execution_flags(parser)
    parser.add_argument("--run-dir", type=Path, help="write the run exactly here (default runs/<id>)")
    parser.add_argument("--mlflow", nargs="?", const=MLFLOW_DEFAULT_URI, default=None, metavar="URI",
                        help=f"also log the finished run to MLflow (default store {MLFLOW_DEFAULT_URI})")
