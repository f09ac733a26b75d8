import subprocess
import sys

import pytest

from stgnn.cli import main


def test_sample_summary(capsys):
    assert main(["data", "summary"]) == 0
    out = capsys.readouterr().out
    assert "tickers    20:" in out and "1990-01-02 to 2022-12-28" in out
    assert "Down 12.4%" in out and "None 74.2%" in out and "Up 13.4%" in out


def test_restrictions(capsys):
    assert main(["data", "summary", "--tickers", "aapl", "MSFT", "--start", "2010-01-01", "--end", "2010-12-31",
                 "--horizon", "5", "--threshold", "0.03"]) == 0
    out = capsys.readouterr().out
    assert "tickers    2: AAPL MSFT" in out and "2010-01-04 to 2010-12-31" in out and "horizon 5" in out


@pytest.mark.parametrize("args, message", [
    (["--tickers", "ZZZ"], "unknown ticker(s) ZZZ"),
    (["--horizon", "0"], "labels.horizon"),
    (["--source", "csv"], "needs data_dir"),
    (["--source", "csv", "--data-dir", "/nonexistent/prices"], "does not exist"),
    (["--start", "2020-01-01", "--end", "2019-01-01"], "must be before end"),
    (["--start", "yesterday"], "argument --start: expected a date"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_input_is_one_line_exit_2(args, message, capsys):
    try:
        code = main(["data", "summary", *args])
    except SystemExit as exc:  # argparse exits on an unknown flag
        code = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0] and "Traceback" not in err[0]


def test_subprocess_exit_code():
    proc = subprocess.run([sys.executable, "-m", "stgnn", "data", "summary", "--horizon", "0"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1

