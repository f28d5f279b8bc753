"""The `tokenledger` command: one entry point, every subcommand with its --help, no path hacks.

Fast (no warehouse): each --help runs in a fresh interpreter, as a user would type it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from harness import PROJECT_ROOT

from tokenledger.cli import COMMANDS


def tl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tokenledger", *args], cwd=PROJECT_ROOT, capture_output=True, text=True)


def test_top_level_help_lists_every_command() -> None:
    result = tl("--help")
    assert result.returncode == 0, result.stderr
    for name in COMMANDS:
        assert re.search(rf"^  {name}\s", result.stdout, re.M), name
    for required in ("init", "validate", "ingest", "unload", "build", "run", "summary", "export", "report", "alerts",
                     "close", "prices"):
        assert required in COMMANDS


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_subcommand_has_help(name: str) -> None:
    result = tl(name, "--help")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "usage" in result.stdout.lower() or name == "dbt", result.stdout
    assert "Traceback" not in result.stderr


def test_an_unknown_command_exits_2_with_the_list() -> None:
    result = tl("nonsense")
    assert result.returncode == 2 and "unknown command" in result.stderr and "validate" in result.stderr


def test_the_package_never_edits_sys_path() -> None:
    offenders = [str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / "tokenledger").glob("*.py")
                 if "sys.path" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_the_console_script_is_installed() -> None:
    script = PROJECT_ROOT / ".venv" / "bin" / "tokenledger"
    if not script.exists():
        pytest.skip("no .venv/bin/tokenledger: run `make setup`")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "validate" in result.stdout


@pytest.mark.parametrize("scheduled", [True, False])
def test_a_scheduled_build_leaves_out_unit_tests_and_scopes_the_month_facts_tests(
        scheduled: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tokenledger import build

    seen: list[tuple[list[str], dict[str, str]]] = []

    def fake_build(dbt_args: list[str], env: dict[str, str], *_: object, **__: object) -> int:
        seen.append((dbt_args, env))
        return 0

    monkeypatch.delenv("TOKENLEDGER_TEST_SCOPE", raising=False)
    monkeypatch.setattr(build, "dbt_build", fake_build)
    monkeypatch.setattr(build, "validate_org", lambda *_: True)
    monkeypatch.setattr(build, "new_log_path", lambda: tmp_path / "build.log")
    flag = ["--scheduled"] if scheduled else []
    assert build.main([*flag, "--db", str(tmp_path / "w.duckdb"), "--", "-s", "marts"]) == 0
    [(dbt_args, env)] = seen
    if scheduled:
        assert dbt_args == ["--exclude-resource-type", "unit_test", "-s", "marts"]
        assert env["TOKENLEDGER_TEST_SCOPE"] == "rebuilt"
    else:
        assert dbt_args == ["-s", "marts"]
        assert "TOKENLEDGER_TEST_SCOPE" not in env
