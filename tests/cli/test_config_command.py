"""``stgnn config``: every key with its default, as YAML that loads back; a config file resolved."""

import pytest
import yaml

from stgnn.cli import main
from stgnn.config import Config, parse_config


def test_defaults_are_yaml_that_validates_to_the_default_config(capsys):
    assert main(["config", "--defaults"]) == 0
    text = capsys.readouterr().out
    assert parse_config(yaml.safe_load(text)) == Config()
    assert "# neighbours per ticker in the graph\n  k: 5\n" in text


def test_a_config_file_is_shown_resolved(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  hidden: 8\n")
    assert main(["config", "--config", str(path)]) == 0
    assert parse_config(yaml.safe_load(capsys.readouterr().out)) == Config().updated({"model.hidden": 8})


def test_a_misspelled_key_is_one_line_with_the_nearest_key(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("model:\n  hiden: 8\n")
    assert main(["config", "--config", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown field 'model.hiden' (did you mean 'model.hidden'?)" in err[0]


def test_it_asks_for_defaults_or_a_file(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["config"])
    assert exc.value.code == 2 and "one of the arguments --defaults --config is required" in capsys.readouterr().err
