import subprocess
import sys

import pandas as pd
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



def test_sp500_summary_keeps_every_date_and_warns(capsys):
    assert main(["data", "summary", "--source", "sp500"]) == 0
    out = capsys.readouterr().out
    assert "tickers    505: A AAL" in out and "(+495; -v lists all)" in out
    assert "2013-02-08 to 2018-02-07 (1,259 trading days, all kept)" in out
    assert "present    619,074 of 635,795 ticker-days (97.4%); 473 of 505 tickers on every day" in out
    assert "  late start 29: IQV 2013-05-09," in out and "  long gaps  3: DHR 5 days, ES 5 days, O 5 days" in out  # absent after 5 filled days
    # Listed too late to reach min_history: kept, never eligible (no longer dropped for the future).
    assert ("history    never eligible 5 (kept; listed inside the data, never reach min_history=252 prices): "
            "APTV, BHF, BHGE, DWDP, DXC") in out
    assert "dropped    none" in out
    assert "[611,819 labelled]" in out  # eligible, traded at t and t + 1: no halt's carried price
    assert "universe   every ticker while it has prices" in out
    assert "warning    survivorship: the tickers are the S&P 500 members of February 2018" in out


def test_verbose_lists_every_name(capsys):
    assert main(["-v", "data", "summary", "--source", "sp500", "--start", "2016-01-01"]) == 0
    out = capsys.readouterr().out
    tickers = next(line for line in out.splitlines() if line.startswith("tickers"))
    assert "-v lists all" not in out and tickers.endswith("YUM ZBH ZION ZTS")
    assert ("late start 10: WLTW 2016-01-05, UA 2016-04-08, FTV 2016-07-05, EVHC 2016-12-02, HLT 2017-01-04, "
            "DXC 2017-04-03, BHGE 2017-07-03, BHF 2017-07-17, DWDP 2017-09-01, APTV 2017-12-05") in out


def test_universe_file_and_dropped_dates(tmp_path, capsys):
    (tmp_path / "a.csv").write_text("date,A\n2024-01-01,\n" + "".join(
        f"{d.date()},{100 + i}\n" for i, d in enumerate(pd.bdate_range("2024-01-02", periods=40))))
    (tmp_path / "universe.csv").write_text("ticker,start,end\nA,2024-01-10,\n")
    (tmp_path / "config.yaml").write_text(f"data:\n  universe: {tmp_path / 'universe.csv'}\n  min_history: 30\n")
    assert main(["data", "summary", "--config", str(tmp_path / "config.yaml"), "--source", "csv",
                 "--data-dir", str(tmp_path / "a.csv")]) == 0
    out = capsys.readouterr().out
    assert f"universe   members per {tmp_path / 'universe.csv'}" in out
    assert "members    34 of 40 present ticker-days fall in a membership; never members: none" in out
    assert "history    never eligible none (min_history=30)" in out
    assert "dropped    1\n  - 1 date: no ticker has a price on them" in out
    assert "(40 trading days; dates without any price dropped, see below)" in out
    assert "[33 labelled]" in out  # the last eligible day has no next price
