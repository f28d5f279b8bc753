"""`tokenledger validate` and `tokenledger init`: the organisation files checked without dbt, and the same
mistakes failing their dbt tests in a plain `dbt build` (one slow build).

The fast tests run no dbt: the sample validates clean, an `init`ed folder validates clean, and each planted
mistake is reported as exactly one `file:row:column: value — why` line.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from harness import PROJECT_ROOT, new_warehouse

from tokenledger import orgfiles, validate
from tokenledger.common import ORG_MARKER, SAMPLE_ORG, dbt_org_path

# The planted mistakes: file -> its whole content, on top of an `init`ed folder. Each mistake is placed so
# that in a dbt build its test is not skipped by another failure upstream (a failed seed test skips the
# seed's staging model and everything below it).
PLANTED = {
    # duplicate team_id (ids compare trimmed and case-insensitively, as the models compare them)
    "teams.csv": "team_id,team_name,cost_center,merged_into,merged_on\n"
                 "search,Search,CC-100,,\nsupport,Support,CC-200,,\nfinance,Finance,CC-500,,\nSearch,Search again,CC-101,,\n",
    # a near-miss column name
    "agent_directory.csv": "agent,team_id,efective_from\nsearch-bot,search,2026-01-01\nreport-summarizer,,2026-01-01\n",
    # a date written day first
    "people.csv": "email,team_id,effective_from\nalice@corp.example,search,2026-01-01\ncarol@corp.example,support,15/10/2026\n",
    # a team_id not in teams.csv
    "team_headcount.csv": "team_id,month,headcount\nsearch,2026-09-01,12\nserch,2026-09-01,3\n",
    # two rows in force from the same date
    "price_overrides.csv": "provider,model_id,effective_from,discount_pct\n"
                           "openai,gpt-5.4-mini,2026-10-01,12\nOpenAI,gpt-5.4-mini,2026-10-01,15\n",
    # fixed shares summing to 90
    "shared_agent_rules.csv": "agent,method,effective_from\nreport-summarizer,even,2026-01-01\nreport-summarizer,fixed,2026-10-01\n",
    "shared_agent_splits.csv": "agent,team_id,percent,effective_from\n"
                               "report-summarizer,support,60,2026-10-01\nreport-summarizer,finance,30,2026-10-01\n",
    # a budget for an unknown team; thresholds the wrong way round
    "budgets.csv": "scope,scope_id,effective_from,monthly_budget_usd,warn_pct,critical_pct,enforcement\n"
                   "team,search,2026-09-01,12,80,100,alert\nteam,growth,2026-09-01,5,,,alert\n"
                   "project,ranking,2026-09-01,8,90,85,alert\n",
}

EXPECTED = [
    "teams.csv:5:team_id: Search — duplicate team_id (also line 2)",
    "agent_directory.csv:1:efective_from: efective_from — unknown column; did you mean effective_from? "
    "(its values would be ignored)",
    "people.csv:3:effective_from: 15/10/2026 — not a date (YYYY-MM-DD)",
    "team_headcount.csv:3:team_id: serch — unknown team_id: not in teams.csv; did you mean search?",
    "shared_agent_splits.csv:2:percent: 90 — the fixed split of report-summarizer from 2026-10-01 sums to 90, "
    "not 100 (the fixed rule of shared_agent_rules.csv line 3)",
    "budgets.csv:3:scope_id: growth — unknown team_id: not in teams.csv (scope is team)",
    "budgets.csv:4:warn_pct: 90 — above critical_pct (85)",
    "price_overrides.csv:3:effective_from: 2026-10-01 — provider openai, model_id gpt-5.4-mini has two rows in force "
    "from 2026-10-01 (also line 2): their periods overlap",
]

# The dbt test each planted mistake fails in a plain `dbt build`.
EXPECTED_DBT_FAILURES = [
    "unique_stg_org__teams_team_id",
    "tl_documented_columns_agent_directory_2",
    "tl_castable_people_effective_from__date",
    "relationships_stg_org__team_headcount_team_id__team_id__ref_stg_org__teams_",
    "assert_fixed_splits_sum_to_100",
    "relationships_stg_org__budgets_scope_id__team_id__ref_stg_org__teams_",
    "tl_expression_is_true_stg_org__budgets_critical_pct__critical_pct_warn_pct",
    "tl_unique_combination_stg_org__price_overrides_provider__model_id__effective_from",
]


def planted_org(folder: Path) -> Path:
    orgfiles.init(folder)
    for name, text in PLANTED.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def errors(problems: list[validate.Problem]) -> list[str]:
    return [str(p) for p in problems if p.severity == "error"]


def test_the_sample_validates_without_errors() -> None:
    started = time.monotonic()
    problems = validate.check(SAMPLE_ORG)
    assert time.monotonic() - started < 5
    assert errors(problems) == []
    # its one deliberate oddity the models tolerate: a personal key whose owner is nobody in people.csv
    assert [str(p) for p in problems] == [
        "api_keys.csv:9:owner_email: reports-robot@corp.example — unknown email: not in people.csv"]


def test_init_writes_every_org_file_header_only_with_a_readme(tmp_path: Path) -> None:
    org = tmp_path / "org"
    orgfiles.init(org)
    assert (org / ORG_MARKER).is_file() and (org / "README.md").is_file()
    for spec in orgfiles.ORG_FILES.values():
        assert (org / spec.file_name).read_text(encoding="utf-8") == ",".join(c.name for c in spec.columns) + "\n"
        text = (org / f"{spec.name}.md").read_text(encoding="utf-8")
        for column in spec.columns:
            assert f"| `{column.name}` |" in text
            assert "{{" not in text  # doc() references are resolved
        example = text.split("```csv\n", 1)[1].split("\n```", 1)[0].splitlines()
        assert example == [",".join(c.name for c in spec.columns), ",".join(
            f'"{c.example}"' if "," in c.example else c.example for c in spec.columns)]
    assert validate.check(org) == []


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    org = tmp_path / "org"
    orgfiles.init(org)
    (org / "teams.csv").write_text("team_id\nsearch\n", encoding="utf-8")
    command = [sys.executable, "-m", "tokenledger", "init", str(org)]
    refused = subprocess.run(command, capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert refused.returncode == 1 and "refusing to overwrite" in refused.stderr
    assert (org / "teams.csv").read_text(encoding="utf-8") == "team_id\nsearch\n"
    forced = subprocess.run([*command, "--force"], capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert forced.returncode == 0, forced.stderr
    assert (org / "teams.csv").read_text(encoding="utf-8").startswith("team_id,team_name,")


def test_each_planted_mistake_is_one_exact_line(tmp_path: Path) -> None:
    org = planted_org(tmp_path / "org")
    started = time.monotonic()
    problems = validate.check(org)
    assert time.monotonic() - started < 5  # a sanity bound: it reads a few small CSVs
    assert sorted(errors(problems)) == sorted(EXPECTED)
    assert [p for p in problems if p.severity != "error"] == []


def test_validate_command_exits_1_on_an_error(tmp_path: Path) -> None:
    org = planted_org(tmp_path / "org")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "tokenledger", "validate", "--org", str(org)],
                            capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert time.monotonic() - started < 5
    assert result.returncode == 1
    assert sorted(result.stdout.splitlines()) == sorted(EXPECTED)
    assert f"{len(EXPECTED)} error(s)" in result.stderr
    clean = subprocess.run([sys.executable, "-m", "tokenledger", "validate", "--org", str(SAMPLE_ORG)],
                           capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert clean.returncode == 0, clean.stdout


@pytest.mark.parametrize(("file", "text", "expected"), [
    ("teams.csv", "Team_ID,team_name\nsearch,Search\nsearch,Again\n",  # header names are case-insensitive
     ["teams.csv:3:team_id: search — duplicate team_id (also line 2)"]),
    ("teams.csv", "team_id,Team_id\nsearch,x\n", ["teams.csv:1:Team_id: Team_id — duplicate column (also column 1 of the header)"]),
    ("teams.csv", "team_name\nSearch\n", ["teams.csv:1:team_id: (missing) — required column is missing from the header"]),
    ("teams.csv", "team_id,team_name,notes\nsearch,Search,x\n", []),  # a far unknown column is a warning
    ("teams.csv", "team_id,team_name\n,Search\n", ["teams.csv:2:team_id: (blank) — required: the value is blank"]),
    ("teams.csv", "team_id,merged_into\nsearch,search\n",
     ["teams.csv:2:merged_into: search — a team cannot be merged into itself"]),
    ("teams.csv", "team_id\nsearch\n\"a,b\",c\n", ["teams.csv:3:*: 2 values — the header has 1 columns "
                                                    "(a comma inside a value needs quotes)"]),
    ("api_keys.csv", "api_key_id,key_kind,team_id\nk1,robot,\nk2,team,\n",
     ["api_keys.csv:2:key_kind: robot — not one of team, personal",
      "api_keys.csv:3:team_id: (blank) — required (key_kind is team): the value is blank"]),
    ("team_headcount.csv", "team_id,month,headcount\nsearch,2026-09-01,12.5\n",
     ["team_headcount.csv:2:headcount: 12.5 — not a whole number"]),
    ("team_headcount.csv", "team_id,month,headcount\nsearch,2026-02-30,-1\n",
     ["team_headcount.csv:2:month: 2026-02-30 — no such date (YYYY-MM-DD)",
      "team_headcount.csv:2:headcount: -1 — below 0 (the least allowed)"]),
    ("price_overrides.csv", "provider,model_id,effective_from,discount_pct\nopenai,*,2026-01-01,120\n",
     ["price_overrides.csv:2:discount_pct: 120 — above 100 (the most allowed)"]),
    ("provider_invoices.csv", "provider,month,invoiced_usd\nopenai,Sep 2026,\"1,200\"\n",
     ["provider_invoices.csv:2:month: Sep 2026 — not a month (YYYY-MM, or a date YYYY-MM-DD)",
      "provider_invoices.csv:2:invoiced_usd: 1,200 — not a number (digits, an optional . and decimals; "
      "no thousands separator or unit)"]),
    ("restatements.csv", "month,reason,approved_by\n2026-08,late export,cfo@corp.example\n",
     ["restatements.csv:2:month: 2026-08 — unknown month: not in closed_months.csv"]),
    ("closed_months.csv", "month,closed_on\n2026-09,2026-08-31\n",
     ["closed_months.csv:2:closed_on: 2026-08-31 — before month (2026-09)"]),
    ("team_headcount.csv", "team_id,month,headcount\nsearch,2026-09-01,12\nsearch,2026-09-15,13\n",
     ["team_headcount.csv:3:month: 2026-09-15 — team_id search has two rows for 2026-09 (also line 2)"]),
    ("provider_invoices.csv", "provider,month,invoiced_usd\nopenai,2026-09,1\nopenai,2026-09-30,2\n",
     ["provider_invoices.csv:3:month: 2026-09-30 — duplicate (provider, month) = (openai, 2026-09-30) (also line 2)"]),
    ("people.csv", "email,team_id\nalice(at)corp.example,search\n",
     ["people.csv:2:email: alice(at)corp.example — not an email address (name@domain)"]),
])
def test_one_mistake_one_line(tmp_path: Path, file: str, text: str, expected: list[str]) -> None:
    org = tmp_path / "org"
    orgfiles.init(org)
    (org / "teams.csv").write_text("team_id\nsearch\n", encoding="utf-8")
    (org / "closed_months.csv").write_text("month\n2026-09\n", encoding="utf-8")
    (org / file).write_text(text, encoding="utf-8")
    assert errors(validate.check(org)) == expected


def test_a_missing_file_is_an_error_and_a_stray_csv_a_warning(tmp_path: Path) -> None:
    org = tmp_path / "org"
    orgfiles.init(org)
    (org / "budgets.csv").rename(org / "budget.csv")
    problems = validate.check(org)
    assert [str(p) for p in problems] == [
        "budgets.csv:0:*: (missing) — no such file: the build needs every org file (a header-only file is an "
        "empty one; tokenledger init writes them all)",
        "budget.csv:0:*: budget.csv — not an org file: the build loads it as an unused seed; did you mean budgets.csv?"]
    assert [p.severity for p in problems] == ["error", "warning"]


def test_a_new_org_file_needs_only_its_yml(tmp_path: Path) -> None:
    """The checks read the schema's meta: an org file described in a new seeds/*.yml is checked with no code."""
    schema = tmp_path / "seeds"
    schema.mkdir()
    (schema / "_extra__seeds.yml").write_text(yaml.safe_dump({"version": 2, "seeds": [{
        "name": "custom_prices", "config": {"meta": {"key": ["provider", "model", "effective_from"]}},
        "columns": [
            {"name": "provider", "config": {"meta": {"type": "text", "required": True}}},
            {"name": "model", "config": {"meta": {"type": "text", "required": True}}},
            {"name": "match", "config": {"meta": {"type": "enum", "values": ["exact", "prefix"]}}},
            {"name": "effective_from", "config": {"meta": {"type": "date"}}},
            {"name": "input_mtok", "config": {"meta": {"type": "decimal", "min": 0}},
             "data_tests": [{"tl_castable": {"arguments": {"data_type": "decimal(18, 6)"}}}]},
            {"name": "output_mtok", "config": {"meta": {"type": "decimal", "min": 0}}},
        ]}]}), encoding="utf-8")
    files = orgfiles.load_schema(schema)
    org = tmp_path / "org"
    orgfiles.init(org, files=files)
    (org / "custom_prices.csv").write_text(
        "provider,model,match,effective_from,input_mtok,ouput_mtok\n"
        "acme,acme-7b,exact,2026-01-01,-1,\nacme,ACME-7b,glob,2026-01-01,1e3,\n", encoding="utf-8")
    assert errors(validate.check(org, files)) == [
        "custom_prices.csv:1:ouput_mtok: ouput_mtok — unknown column; did you mean output_mtok? (its values would be ignored)",
        "custom_prices.csv:2:input_mtok: -1 — below 0 (the least allowed)",
        "custom_prices.csv:3:match: glob — not one of exact, prefix",
        "custom_prices.csv:3:input_mtok: 1e3 — not a number (digits, an optional . and decimals; no thousands separator or unit)",
        "custom_prices.csv:3:effective_from: 2026-01-01 — provider acme, model acme-7b has two rows in force from "
        "2026-01-01 (also line 2): their periods overlap",
    ]


def _seed_tests(column: dict) -> list:
    return list(column.get("data_tests") or [])


def test_the_schema_meta_and_the_dbt_tests_agree() -> None:
    """Each rule validate reads from the meta has its dbt test, so a plain `dbt build` fails on it too."""
    staged = {m["name"]: m for path in sorted((PROJECT_ROOT / "models/staging/org").glob("*.yml"))
              for m in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", [])}
    lacking = []
    for path in sorted((PROJECT_ROOT / "seeds").glob("*.yml")):
        for seed in yaml.safe_load(path.read_text(encoding="utf-8"))["seeds"]:
            seed_tests = [next(iter(t)) if isinstance(t, dict) else t for t in seed.get("data_tests", [])]
            if "tl_documented_columns" not in seed_tests:
                lacking.append(f"{seed['name']}: tl_documented_columns")
            unique = [t["tl_unique_combination"]["arguments"]["columns"] for t in seed.get("data_tests", [])
                      if isinstance(t, dict) and "tl_unique_combination" in t]
            key = ((seed.get("config") or {}).get("meta") or {}).get("key")
            if unique != [key]:
                lacking.append(f"{seed['name']}: meta key {key} vs tl_unique_combination {unique}")
            model = staged.get(f"stg_org__{seed['name']}", {"columns": []})
            model_tests = {c["name"]: str(c.get("data_tests", [])) for c in model["columns"]}
            for column in seed["columns"]:
                meta = (column.get("config") or {}).get("meta") or {}
                tests = str(_seed_tests(column))
                where = f"{seed['name']}.{column['name']}"
                if meta.get("type") in ("date", "month", "decimal", "integer", "email") and "tl_castable" not in tests:
                    lacking.append(f"{where}: tl_castable")
                if meta.get("required") and "not_null" not in tests:
                    lacking.append(f"{where}: not_null")
                if meta.get("type") == "enum" and "accepted_values" not in model_tests.get(column["name"], ""):
                    lacking.append(f"{where}: accepted_values on stg_org__{seed['name']}")
                if meta.get("references") and "relationships" not in model_tests.get(column["name"], "") + tests:
                    lacking.append(f"{where}: relationships")
    assert not lacking, "\n".join(lacking)


@pytest.mark.slow
def test_plain_dbt_build_fails_each_planted_mistake_by_name(tmp_path: Path) -> None:
    org = planted_org(tmp_path / "org")
    before = {path.name: path.read_bytes() for path in org.iterdir()}
    wh = new_warehouse(tmp_path / "wh", TOKENLEDGER_ORG=dbt_org_path(org))
    result = wh.dbt("build", check=False)
    assert result.returncode == 1
    failed = {match.group(2) for match in re.finditer(r"\b(FAIL|ERROR) \d+ (\S+)", result.stdout)}
    failed |= {match.group(1) for match in re.finditer(r"(?:Failure|Error) in test (\S+)", result.stdout)}
    missing = [name for name in EXPECTED_DBT_FAILURES if name not in failed]
    assert not missing, f"these did not fail: {missing}\nfailed: {sorted(failed)}"
    # the build reads the organisation folder and never writes into it (no run SQL over the CSVs)
    assert {path.name: path.read_bytes() for path in org.iterdir()} == before


def test_oddities_the_models_tolerate_are_warnings(tmp_path: Path) -> None:
    org = tmp_path / "org"
    orgfiles.init(org)
    files = {
        "teams.csv": "team_id,merged_into,merged_on,notes\nsearch,,2026-10-01,x\n",
        "agent_directory.csv": "agent,team_id\nbot,\nhelper,\n",
        "shared_agent_rules.csv": "agent,method,effective_from\nbot,fixed,2026-01-01\n",
        "shared_agent_splits.csv": "agent,team_id,percent,effective_from\nbot,search,100,2026-02-01\nhelper,search,,\n",
    }
    for name, text in files.items():
        (org / name).write_text(text, encoding="utf-8")
    problems = validate.check(org)
    assert [(str(p), p.severity) for p in problems] == [
        ("teams.csv:1:notes: notes — unknown column: ignored (the columns are team_id, team_name, cost_center, "
         "merged_into, merged_on, peer_group)", "warning"),
        ("teams.csv:2:merged_on: 2026-10-01 — merged_on without merged_into: ignored", "warning"),
        ("shared_agent_rules.csv:2:method: fixed — no split set of bot in shared_agent_splits.csv is in force from "
         "2026-01-01: shares are even until one is", "warning"),
        ("shared_agent_splits.csv:3:agent: helper — no rule in shared_agent_rules.csv: the split is never used", "warning"),
    ]
