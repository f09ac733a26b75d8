"""One front door: every command is ``stgnn <command>``, and each repository script is that command
under its old name (same flags, same code)."""

import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import stgnn
from stgnn.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[2]
DEMO = str(ROOT / "configs" / "demo.yaml")

KEY_FLAGS = {
    "train": ["--config", "--epochs", "--focal-gamma", "--run-dir", "--mlflow"],
    "walk-forward": ["--config", "--folds", "--grid", "--workers", "--dry-run", "--resume", "--mlflow"],
    "report": ["run_dir"],
    "study": ["--config", "--variants", "--labels", "--resume", "--workers"],
    "signal": ["--config", "--feature-sets", "--labels", "--long-horizon", "--resume", "--workers"],
    "sweep": ["--gammas", "--walk-forward", "--priority", "--min-precision"],
    "ablation": ["--config", "--folds", "--variants"],
    "benchmark": ["--out", "./benchmarks", "--quick", "--sp500", "--repeats", "--device"],
    "data": ["summary"],
    "config": ["--defaults", "--config"],
    "predict": ["--checkpoint", "--from-run", "--ledger"],
    "ledger": ["score"],
    "export": ["--checkpoint", "--out"],
    "export-factor": ["run_dir", "--out", "--model"],
}

SCRIPTS = {
    "train_stgnn_improved.py": "train",
    "walk_forward_optimization.py": "walk-forward",
    "graph_study.py": "study",
    "signal_study.py": "signal",
    "focal_gamma_sweep.py": "sweep",
    "ablation.py": "ablation",
    "benchmark.py": "benchmark",
}


def _script_main(name: str):
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), ROOT / "scripts" / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def _help(run, argv, capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        run(argv)
    assert exc.value.code == 0
    return capsys.readouterr().out


def test_every_command_is_registered():
    assert [name for name, _, _ in COMMANDS] == list(KEY_FLAGS)


@pytest.mark.parametrize("command", KEY_FLAGS)
def test_help_lists_the_commands_flags(command, capsys):
    text = _help(main, [command, "--help"], capsys)
    assert text.startswith(f"usage: stgnn {command}")
    for flag in KEY_FLAGS[command]:
        assert flag in text


@pytest.mark.parametrize("script, command", SCRIPTS.items())
def test_a_script_is_its_command(script, command, capsys):
    assert _help(_script_main(script), ["--help"], capsys) == _help(main, [command, "--help"], capsys)


def test_script_and_command_print_the_same_fold_table(capsys):
    assert _script_main("walk_forward_optimization.py")(["--dry-run", "--config", DEMO]) == 0
    from_script = capsys.readouterr().out
    assert main(["walk-forward", "--dry-run", "--config", DEMO]) == 0
    assert capsys.readouterr().out == from_script
    table, counts = from_script.split("models to fit: ")
    assert table.count("\n") == 4  # a header and demo.yaml's three folds, then what they will train
    assert counts.startswith("77 (14 STGNN trainings)")


@pytest.mark.parametrize("command, module", [(name, module) for name, module, _ in COMMANDS])
def test_a_commands_help_describes_it_in_full(command, module, capsys):
    """Its whole module docstring, never a sentence cut at the first line break."""
    doc = "".join(importlib.import_module(module).__doc__.split())
    assert doc.endswith((".", ")", "?"))
    # Whitespace dropped: argparse wraps lines anywhere, hyphens included ("walk-\nforward").
    assert doc in "".join(_help(main, [command, "--help"], capsys).split())


@pytest.mark.parametrize("argv, about", [(["data", "summary"], "dropped rows and class balance"),
                                         (["ledger", "score"], "fill in outcomes once prices")])
def test_a_nested_commands_help_says_what_it_does(argv, about, capsys):
    text = _help(main, [*argv, "--help"], capsys)
    assert about in " ".join(text.split("options:")[0].split())


@pytest.mark.parametrize("argv", [["-v", "train"], ["train", "-v"], ["train"], ["data", "summary", "-v"],
                                  ["-v", "data", "summary"], ["data", "summary"], ["config", "--defaults", "-v"]])
def test_verbose_before_or_after_the_command(argv):
    assert build_parser(argv).parse_args(argv).verbose == ("-v" in argv)


def test_version(capsys):
    assert _help(main, ["--version"], capsys).strip().startswith(f"stgnn {stgnn.__version__}")


@pytest.mark.parametrize("argv, heavy", [
    (["--help"], ["torch", "pandas", "numpy", "stgnn.cli.args", "stgnn.config"]),
    (["config", "--defaults"], ["torch", "pandas"]),
])
def test_light_commands_import_no_heavy_module(argv, heavy):
    """``stgnn --help`` imports no command module, nor torch or pandas (seconds): the command table
    is read without them, and only the command asked for is imported."""
    code = ("import sys\nfrom stgnn.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(sys.modules)), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
    loaded = set(proc.stderr.split())
    assert "stgnn.cli" in loaded and not loaded & set(heavy)


@pytest.mark.parametrize("argv, message", [
    (["walk-forward", "--folds", "many"], "stgnn walk-forward: error: argument --folds: invalid int value: 'many'"),
    (["benchmark", "--device", "tpu"], "argument --device: invalid choice: 'tpu'"),
    (["sweep", "--priority", "luck"], "argument --priority: invalid choice: 'luck'"),
    (["fit"], "argument command: invalid choice: 'fit'"),
])
def test_a_bad_flag_value_is_one_line_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 2 and len(err) == 1 and message in err[0]


def test_a_benchmark_away_from_the_repository_is_refused_before_measuring(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["benchmark", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "configs/demo.yaml not found" in err[0] and "--quick" in err[0]
    assert not (tmp_path / "out").exists()
