"""`tokenledger close`: closed_months.csv written by header name, refusals, --list (no dbt)."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from harness import PROJECT_ROOT

from tokenledger import close


def org(tmp_path: Path, text: str | None) -> Path:
    folder = tmp_path / "org"
    folder.mkdir()
    if text is not None:
        (folder / "closed_months.csv").write_text(text, encoding="utf-8")
    return folder


def rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "closed_months.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_close_appends_by_header_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Columns in another order, an extra column, and no line end after the last record.
    folder = org(tmp_path, "closed_by,note,month,closed_on\ncontroller@corp.example,,2026-09,2026-10-06")
    assert close.main(["2026-10", "--by", "cfo@corp.example", "--org", str(folder)]) == 0
    today = close.today_utc().isoformat()
    assert rows(folder) == [
        {"closed_by": "controller@corp.example", "note": "", "month": "2026-09", "closed_on": "2026-10-06"},
        {"closed_by": "cfo@corp.example", "note": "", "month": "2026-10", "closed_on": today},
    ]
    out = capsys.readouterr().out
    assert out.startswith("closed 2026-10 in ") and "run `tokenledger build` to publish" in out


def test_a_month_already_closed_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "month,closed_on,closed_by\n2026-09-15,2026-10-06,controller@corp.example\n"
    folder = org(tmp_path, text)
    assert close.main(["2026-09", "--by", "cfo@corp.example", "--org", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("close: 2026-09 is already closed (on 2026-10-06 by controller@corp.example)")
    assert (folder / "closed_months.csv").read_text(encoding="utf-8") == text


def test_a_month_not_yet_ended_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = org(tmp_path, "month,closed_on,closed_by\n")
    current = close.today_utc().strftime("%Y-%m")
    assert close.main([current, "--by", "cfo@corp.example", "--org", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"close: {current} has not ended yet" in err
    assert rows(folder) == []
    # The rule itself: a month can be closed from the first day of the next one (UTC).
    assert close.close_month(folder / "closed_months.csv", date(2026, 11, 1), "x@corp.example", date(2026, 11, 30))[0] == 1
    assert close.close_month(folder / "closed_months.csv", date(2026, 11, 1), "x@corp.example", date(2026, 12, 1))[0] == 0


def test_a_missing_file_is_created_with_its_header(tmp_path: Path) -> None:
    folder = org(tmp_path, None)
    assert close.main(["2026-01", "--by", "cfo@corp.example", "--org", str(folder)]) == 0
    lines = (folder / "closed_months.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "month,closed_on,closed_by"
    assert lines[1].startswith("2026-01,") and lines[1].endswith(",cfo@corp.example")


def test_a_header_without_the_columns_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = org(tmp_path, "month,closed_on\n")
    assert close.main(["2026-01", "--by", "cfo@corp.example", "--org", str(folder)]) == 1
    assert "the header has no closed_by column" in capsys.readouterr().err


def test_list_prints_the_closed_months(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = org(tmp_path, "month,closed_on,closed_by\n2026-10,2026-11-05,b@corp.example\n2026-09,2026-10-06,a@corp.example\n")
    assert close.main(["--list", "--org", str(folder)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "2026-09  closed on 2026-10-06 by a@corp.example",
        "2026-10  closed on 2026-11-05 by b@corp.example",
    ]


@pytest.mark.parametrize("argv", [["2026-01"], ["--list", "2026-01"], ["2026-1", "--by", "x@corp.example"]])
def test_usage_errors_exit_2(argv: list[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        close.main([*argv, "--org", str(org(tmp_path, None))])
    assert exc.value.code == 2


def test_help() -> None:
    result = subprocess.run([sys.executable, "-m", "tokenledger", "close", "--help"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("usage: tokenledger close")
