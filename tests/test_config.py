from pathlib import Path

import pytest
import yaml

from stgnn.config import Config, commented_yaml, load_config, parse_config, write_config
from stgnn.errors import ConfigError


def test_round_trip(tmp_path):
    config = Config().updated({"loss.focal_gamma": 3.0, "data.tickers": ["aapl"]})
    write_config(config, tmp_path / "c.yaml")
    assert load_config(tmp_path / "c.yaml") == config
    assert config.data.tickers == ("AAPL",)


@pytest.mark.parametrize("tree, message", [
    ({"model": {"hiden": 3}}, "unknown field 'model.hiden' (did you mean 'model.hidden'?)"),
    ({"trainig": {"epochs": 3}}, "unknown field 'trainig' (did you mean 'training'?)"),
    ({"model": {"epochs": 3}}, "unknown field 'model.epochs' (did you mean 'training.epochs'?)"),
    ({"walkforward": {"grid": {"loss.focal_gama": [1.0]}}},
     "grid key 'loss.focal_gama' is not a config key (did you mean 'loss.focal_gamma'?)"),
    ({"walkforward": {"grid": {"modle.hidden": [8]}}}, "(did you mean 'model.hidden'?)"),
    ({"walkforward": {"grid": {"model.hidden.width": [8]}}}, "'model.hidden' is a value, not a section"),
    ({"labels": {"horizon": 0}}, "'labels.horizon'"),
    ({"loss": {"focal_gamma": -1}}, "'loss.focal_gamma'"),
    ({"loss": {"focal_alpha": 1.5}}, "focal_alpha must be in (0, 1)"),
    ({"smote": {"sampling_strategy": "balanced"}}, "'smote.sampling_strategy' (got 'balanced'): Input should be 'auto'"),
    ({"data": {"source": "csv"}}, "needs data_dir"),
])
def test_errors_name_the_field(tree, message):
    with pytest.raises(ConfigError, match=None) as exc:
        parse_config(tree)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_yaml_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(listy)


def test_python_tags_are_refused_not_executed(tmp_path):
    evil = tmp_path / "evil.yaml"
    marker = tmp_path / "pwned"
    evil.write_text(f'experiment: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(evil)
    assert not marker.exists()


def test_overrides_and_hash():
    config = load_config(None, {"training.epochs": 3})
    assert config.training.epochs == 3
    assert config.hash() == load_config(None, {"training.epochs": 3}).hash() != Config().hash()
    with pytest.raises(ConfigError, match="training.epochs"):
        config.updated({"training.epochs": 0})


@pytest.mark.parametrize("key, values", [
    ("labels.threshold", [0.01, 0.03]),
    ("labels", [{"horizon": 1}, {"horizon": 5}]),
    ("features.market", [False, True]),
    ("model.window", [5, 10]),
    ("model.graph", [True, False]),
    ("thresholds.objective", ["macro_f1"]),
    ("training.seed", [0, 1]),
])
def test_the_grid_refuses_what_one_run_cannot_vary(key, values):
    """Labels, features and the window are fixed when the panel is prepared, before any fold; the
    graph switch would override the temporal-only baseline; thresholds and seeds follow the run."""
    with pytest.raises(ConfigError) as exc:
        parse_config({"walkforward": {"grid": {"loss.focal_gamma": [2.0], key: values}}})
    message = str(exc.value)
    assert f"grid key {key} is refused" in message and "vary it across runs" in message and "\n" not in message


def test_the_grid_still_varies_training_settings():
    grid = {"loss.focal_gamma": [1.0, 2.0], "model.hidden": [8, 16], "training.lr": [1e-3], "graph.k": [3, 5]}
    assert parse_config({"walkforward": {"grid": grid}}).walkforward.grid == grid
    assert Config().updated({"walkforward.grid": grid}).walkforward.grid == grid


@pytest.mark.parametrize("key, message", [
    ("training.epoch", "'training.epoch' is not a config key (did you mean 'training.epochs'?)"),
    ("trainig.epochs", "(did you mean 'training.epochs'?)"),
    ("nothing.like.it", "'nothing.like.it' is not a config key; stgnn config --defaults lists every key."),
])
def test_a_misspelled_override_names_the_nearest_key(key, message):
    with pytest.raises(ConfigError) as exc:
        Config().updated({key: 1})
    assert message in str(exc.value)


@pytest.mark.parametrize("config", [
    Config(),
    Config().updated({"data.source": "csv", "data.data_dir": "prices", "data.start": "2010-01-04",
                      "data.tickers": ["aapl"], "loss.focal_alpha": [0.3, 0.4, 0.3],
                      "smote.sampling_strategy": {"Down": 100}, "walkforward.grid": {"model.hidden": [8, 16]}}),
], ids=["defaults", "changed"])
def test_commented_yaml_reads_back(config):
    assert parse_config(yaml.safe_load(commented_yaml(config))) == config


def test_commented_yaml_describes_every_described_field():
    text = commented_yaml(Config())
    flat = " ".join(line.strip().removeprefix("# ") for line in text.splitlines())
    for section in Config.model_fields.values():
        for info in getattr(section.annotation, "model_fields", {}).values():
            if info.description:
                assert " ".join(info.description.split()) in flat
    assert "# one of: correlation, residual, sector, sector_residual\n  method: correlation\n" in text


def test_every_shipped_config_loads_and_the_gru_sp500_differs_only_in_its_model():
    """The repository's configs parse as they are; sp500_gru.yaml is sp500.yaml with another model,
    batch order and SMOTE mode (and its own experiment name), so their comparison compares those."""
    configs = sorted((Path(__file__).parents[1] / "configs").glob("*.yaml"))
    loaded = {path.stem: load_config(path) for path in configs}
    assert {"demo", "sp500", "sp500_gru"} <= set(loaded)
    sp500, gru = (loaded[name].model_dump(mode="json") for name in ("sp500", "sp500_gru"))
    changed = {f"{section}.{key}" for section in sp500 if isinstance(sp500[section], dict)
               for key in sp500[section] if sp500[section][key] != gru[section][key]}
    assert changed == {"model.encoder", "model.temporal_layers", "smote.mode", "training.batch_order"}
    assert sp500["experiment"] != gru["experiment"]
    assert gru["model"]["encoder"] == Config().model.encoder and gru["smote"]["mode"] == Config().smote.mode
