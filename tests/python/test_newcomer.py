"""A new user's own organisation, following the README's five steps: init, edit, validate, ingest, run.

`tokenledger init` writes an empty organisation folder; the test writes a few rows of its own
organisation and a Jobs export, plants five mistakes that `tokenledger validate` must each name on its
own line (`file:row:column: value — why`), fixes them, and runs. The team totals must equal genai-prices'
`calc_price` of each job (an independent oracle), and nothing of the bundled sample's organisation may be
in the warehouse: no discount, invoice, closed month, budget, alias or team the user did not write.
Then the same organisation files with their columns in another order must build identical marts
(files are read by header name, never by position).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import genai_prices
import pytest
from harness import PROJECT_ROOT, Warehouse, new_warehouse

pytestmark = pytest.mark.slow

TEAMS = [("acme-pay", "Payments", "CC-1"), ("acme-ml", "ML Platform", "CC-2")]
AGENTS = [("pay-bot", "acme-pay", "2026-01-01"), ("ml-agent", "acme-ml", "2026-01-01")]
KEYS = [("k.pay", "team", "acme-pay", ""), ("k.ml", "team", "acme-ml", "")]
# (job_id, created_at, agent, model, provider, input, cached input, output, api key)
JOBS = [
    ("j-1", "2026-10-02T10:00:00Z", "pay-bot", "gpt-5.4-mini", "openai", 120_000, 20_000, 4_000, "k.pay"),
    ("j-2", "2026-10-09T11:30:00Z", "pay-bot", "gpt-5.4", "openai", 35_000, 0, 2_500, "k.pay"),
    ("j-3", "2026-10-15T08:00:00Z", "ml-agent", "gpt-5.4-mini", "openai", 500_000, 250_000, 30_000, "k.ml"),
    ("j-4", "2026-10-20T17:45:00Z", "ml-agent", "gpt-5.4", "openai", 8_000, 4_096, 900, "k.ml"),
]
JOBS_HEADER = ["job_id", "created_at", "agent", "model", "provider", "input_tokens", "cached_input_tokens",
               "output_tokens", "status", "api_key_id"]


def tl(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tokenledger", *args], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, env=env)


def write_csv(path: Path, header: list[str], rows: list[tuple[object, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def expected_cost(job: tuple[object, ...]) -> Decimal:
    _, at, _, model, provider, inp, cached, out, _ = job
    usage = genai_prices.Usage(input_tokens=int(str(inp)), cache_read_tokens=int(str(cached)), output_tokens=int(str(out)))
    when = datetime.fromisoformat(str(at).replace("Z", "+00:00")).astimezone(UTC)
    price = genai_prices.calc_price(usage, str(model), provider_id=str(provider), genai_request_timestamp=when)
    return Decimal(str(price.total_price))


def marts(wh: Warehouse) -> dict[str, list[tuple[object, ...]]]:
    tables = [name for (name,) in wh.query(
        "select table_name from information_schema.tables where table_schema = 'marts' and table_type = 'BASE TABLE' "
        "order by 1")]
    out = {}
    for name in tables:
        columns = [c for (c,) in wh.query(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
            "order by ordinal_position", [name]) if not c.endswith(("_at", "loaded_on"))]
        listed = ", ".join(f'"{c}"' for c in columns)
        out[name] = wh.query(f"select {listed} from marts.{name} order by all")
    return out


def test_a_new_organisation_from_init_to_its_own_figures(tmp_path: Path) -> None:
    org = tmp_path / "acme-org"
    init = tl("init", str(org))
    assert init.returncode == 0, init.stderr
    files = sorted(p.name for p in org.glob("*.csv"))
    assert {"teams.csv", "agent_directory.csv", "api_keys.csv", "budgets.csv", "closed_months.csv"} <= set(files)
    for name in files:  # header only: no example row in a CSV
        assert len((org / name).read_text(encoding="utf-8").splitlines()) == 1, name
    assert tl("validate", "--org", str(org)).returncode == 0  # an empty organisation is valid

    # Five planted mistakes.
    write_csv(org / "teams.csv", ["team_id", "team_name", "cost_center"],
              [*TEAMS, ("acme-pay", "Payments again", "CC-9")])                      # 1. duplicate team id (row 4)
    write_csv(org / "agent_directory.csv", ["agent", "team_id", "effective_from"],
              [AGENTS[0], ("ml-agent", "acme-ml", "15/10/2026")])                    # 2. unparseable date (row 3)
    write_csv(org / "api_keys.csv", ["api_key_id", "key_kind", "team_id", "owner_email"],
              [("k.pay", "team", "acme-payments", ""), KEYS[1]])                     # 3. unknown team (row 2)
    write_csv(org / "budgets.csv", ["scope", "scope_id", "effective_from", "monthly_budget_usdd"],
              [("team", "acme-hr", "2026-10-01", "100")])                            # 4. near-miss column, 5. unknown team
    result = tl("validate", "--org", str(org))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for prefix in ("teams.csv:4:team_id: acme-pay — ", "agent_directory.csv:3:effective_from: 15/10/2026 — ",
                   "api_keys.csv:2:team_id: acme-payments — ", "budgets.csv:1:monthly_budget_usdd: ",
                   "budgets.csv:2:scope_id: acme-hr — "):
        assert any(line.startswith(prefix) for line in lines), (prefix, lines)
    assert any("did you mean monthly_budget_usd" in line for line in lines), lines

    # Fixed: the organisation as intended, and a month of Jobs usage.
    write_csv(org / "teams.csv", ["team_id", "team_name", "cost_center"], list(TEAMS))
    write_csv(org / "agent_directory.csv", ["agent", "team_id", "effective_from"], list(AGENTS))
    write_csv(org / "api_keys.csv", ["api_key_id", "key_kind", "team_id", "owner_email"], list(KEYS))
    write_csv(org / "budgets.csv", ["scope", "scope_id", "effective_from", "monthly_budget_usd"], [])
    validated = tl("validate", "--org", str(org))
    assert validated.returncode == 0, validated.stdout
    jobs = tmp_path / "exports" / "jobs-2026-10.csv"
    jobs.parent.mkdir()
    write_csv(jobs, JOBS_HEADER, [(*j[:8], "succeeded", j[8]) for j in JOBS])

    wh = new_warehouse(tmp_path / "wh")
    env = {**wh.env(), "TOKENLEDGER_ORG": str(org)}
    ingested = tl("ingest", "--db", str(wh.db), str(jobs.parent), env=env)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr
    run = tl("run", "--org", str(org), "--db", str(wh.db), env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert len(run.stdout.splitlines()) <= 45, run.stdout  # a quiet console: phases, then the summary

    team_of_key = {key: team for key, _, team, _ in KEYS}
    expected = {team: sum((expected_cost(j) for j in JOBS if team_of_key[str(j[8])] == team), Decimal(0))
                for team, _, _ in TEAMS}
    got = dict(wh.query("select team_id, cost_usd from marts.fct_team_monthly_spend where month = '2026-10-01'"))
    assert got.pop("unattributed", 0) == 0, got  # every job's key names its team
    assert set(got) == set(expected), got
    for team, usd in expected.items():
        assert abs(Decimal(got[team]) - usd) < Decimal("1e-9"), (team, got[team], usd)
    cents = dict(wh.query("select team_id, cost_cents from marts.fct_team_monthly_spend where month = '2026-10-01'"))
    total = sum(expected.values(), Decimal(0))
    assert sum(cents.values()) == int((total * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    # Nothing of the sample: the organisation tables hold exactly the rows written, no more.
    written = {"teams": len(TEAMS), "agent_directory": len(AGENTS), "api_keys": len(KEYS)}
    for (table,) in wh.query("select table_name from information_schema.tables where table_schema = 'seeds' "
                             "and not starts_with(table_name, 'price_')"):
        assert wh.scalar(f"select count(*) from seeds.{table}") == written.get(table, 0), table
    assert {t for (t,) in wh.query("select team_id from marts.dim_teams")} <= {"acme-pay", "acme-ml", "unattributed"}
    assert wh.scalar("select count(*) from marts.fct_usage_events where cost_usd <> list_cost_usd") == 0
    assert wh.scalar("select count(*) from marts.fct_usage_events") == len(JOBS)
    before = marts(wh)

    # The same files with their columns in another order build the same marts.
    for name in ("teams.csv", "agent_directory.csv", "api_keys.csv"):
        with (org / name).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        (org / name).write_text("\n".join(",".join(reversed(row)) for row in rows) + "\n", encoding="utf-8")
    rebuilt = tl("build", "--org", str(org), "--db", str(wh.db), "--", "--exclude-resource-type", "unit_test", env=env)
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:]
    assert marts(wh) == before
