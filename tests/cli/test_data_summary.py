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
    (["--features", "alpha101"], "argument --features: invalid choice: 'alpha101'"),
    (["--label-kind", "quantile", "--quantile", "0.6"], "'labels.q' (got 0.6)"),
    (["--delay", "-1"], "'labels.delay' (got -1)"),
])
def test_bad_input_is_one_line_exit_2(args, message, capsys):
    try:
        code = main(["data", "summary", *args])
    except SystemExit as exc:  # argparse exits on an unknown flag
        code = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0] and "Traceback" not in err[0]


def test_a_feature_set_in_a_config_file_is_checked(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text("features:\n  set: alpha101\n")
    assert main(["data", "summary", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "features.set" in err[0]


def test_a_horizon_and_delay_that_leave_no_labelled_day_are_one_line(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--start", "2022-10-01", "--horizon", "50", "--delay", "5", "--run-dir", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no ticker has a labelled day" in err[0] and "5-day delay" in err[0]
    assert not out.exists()


def test_closes_only_give_the_close_part_of_a_factor_library_and_say_what_is_missing(capsys, caplog):
    assert main(["data", "summary", "--features", "alpha158"]) == 0
    assert "features   75 (alpha158): ROC5, ROC10," in capsys.readouterr().out
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert "alpha158 on sample" in warning and "75 factors" in warning and "KBAR (no open, high, low)" in warning


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
    assert "features   " in out and "(basic)" in out
    assert "universe   every ticker while it has prices" in out
    assert "warning    survivorship: the tickers are the S&P 500 members of February 2018" in out


@pytest.mark.slow
def test_sp500_summary_reports_alpha158(capsys):
    assert main(["data", "summary", "--source", "sp500", "--features", "alpha158"]) == 0
    assert "features   158 (alpha158): KMID, KLEN," in capsys.readouterr().out


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
