"""Config flags come from the schema: keys exist, choices and help are the fields', and a flag
sets its key only when given."""

import argparse
import importlib.util
from datetime import date
from pathlib import Path
from typing import Literal, get_args, get_origin

import pytest

from stgnn.cli import main, walk_forward
from stgnn.cli.args import ALL_FLAGS, _scalar, config_overrides, schema_field
from stgnn.cli.base import Parser
from stgnn.config import load_config
from stgnn.registry import BACKENDS, BASELINES

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "walk_forward_optimization.py"


def _walk_forward_parser() -> Parser:
    """The parser of ``stgnn walk-forward``: every config flag, the execution flags and its own."""
    parser = Parser()
    walk_forward.add_arguments(parser)
    return parser


def _actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {option: action for action in parser._actions for option in action.option_strings}


@pytest.mark.parametrize("flag", ALL_FLAGS, ids=lambda f: f.name)
def test_flag_matches_its_schema_field(flag):
    info = schema_field(flag.key)  # a KeyError names a dotted key the schema lacks
    action = _actions(_walk_forward_parser())[flag.name]
    assert info.description and info.description in action.help
    kind = _scalar(info.annotation)
    if get_origin(kind) is Literal:
        assert tuple(action.choices) == get_args(kind)
    assert action.default is None  # the config's value stands unless the flag is given


def test_registries_give_the_choices():
    actions = _actions(_walk_forward_parser())
    assert tuple(actions["--baselines"].choices) == tuple(BASELINES)
    assert tuple(actions["--backend"].choices) == BACKENDS


def test_walk_forward_help_describes_each_field_once(capsys):
    spec = importlib.util.spec_from_file_location("walk_forward_script", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with pytest.raises(SystemExit) as exc:
        script.main(["--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # undo argparse's line wrapping
    assert text.count(schema_field("model.window").description) == 1
    for flag in ("--baseline-c", "--baseline-window", "--book", "--block-days", "--select-on"):
        assert flag in text


def test_only_given_flags_override():
    parser = _walk_forward_parser()
    assert config_overrides(parser.parse_args([])) == {}
    found = config_overrides(parser.parse_args([
        "--no-graph", "--no-smote", "--vol-scaled", "--expanding", "--balanced-sampler", "--start", "2010-01-04",
        "--grid", '{"model.hidden": [8, 16]}', "--baselines", "--baseline-c", "0.5", "2", "--book", "unhedged",
        "--select-on", "auroc", "--block-days", "10", "--baseline-window", "model", "--tickers", "AAPL", "MSFT"]))
    assert found == {
        "model.graph": False, "smote.enabled": False, "labels.vol_scaled": True, "walkforward.expanding": True,
        "training.balanced_sampler": True, "data.start": date(2010, 1, 4), "walkforward.grid": {"model.hidden": [8, 16]},
        "walkforward.baselines": [], "walkforward.baseline_C": [0.5, 2.0], "walkforward.book": "unhedged",
        "walkforward.select_on": "auroc", "walkforward.block_days": 10, "walkforward.baseline_window": "model",
        "data.tickers": ["AAPL", "MSFT"]}
    config = load_config(None, found)
    assert config.walkforward.baselines == () and config.walkforward.baseline_C == (0.5, 2.0)
    assert config_overrides(parser.parse_args(["--smote"])) == {"smote.enabled": True}


def test_an_explicit_smote_strategy_replaces_the_ratio():
    found = config_overrides(_walk_forward_parser().parse_args(["--smote-strategy", "minority"]))
    assert found == {"smote.sampling_strategy": "minority", "smote.target_ratio": None}


def test_predict_help_shows_the_checkpoint_as_the_default(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = capsys.readouterr().out
    assert "the checkpoint's" in text and "(default: sample)" not in text and "--horizon" not in text


@pytest.mark.parametrize("argv, message", [
    (["predict", "--checkpoint", "model.pt", "--horizon", "5"], "unrecognized arguments: --horizon 5"),
    (["predict", "--checkpoint", "model.pt", "--threshold", "0.02"], "unrecognized arguments: --threshold"),
    (["predict", "--checkpoint", "model.pt", "--config", "c.yaml"], "unrecognized arguments: --config"),
    (["data", "summary", "--source", "parquet"], "argument --source: invalid choice"),
])
def test_a_flag_a_command_does_not_use_is_refused(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and message in err[0]


@pytest.mark.parametrize("argv, message", [
    (["--grid", "{"], "argument --grid: not valid JSON"),
    (["--end", "2020-13-01"], "argument --end: expected a date YYYY-MM-DD"),
    (["--baselines", "arima"], "argument --baselines: invalid choice"),
    (["--book", "long_only"], "argument --book: invalid choice"),
])
def test_a_bad_value_is_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        _walk_forward_parser().parse_args(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and message in err[0]
