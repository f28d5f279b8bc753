"""Write a month's finance exports: the chargeback as CSV and XLSX, and the allocation memo.

    tokenledger export --month YYYY-MM [--out DIR] [--target duckdb|postgres|spark] [--db PATH] [--focus]

Writes into DIR (default `exports/` under the project root, created when missing):
  chargeback-YYYY-MM.csv        one line per team (marts.rpt_chargeback_monthly) and a totals line
  chargeback-YYYY-MM.xlsx       the same, plus the model/agent and project/environment/customer breakdowns
                                and the savings opportunities (sheet "Savings")
  allocation-memo-YYYY-MM.md    a one-page memo finance can quote, every figure read from the marts
  savings-YYYY-MM.csv           each team's savings opportunities (marts.rpt_savings_opportunities)

Money is shown to the cent from the marts' integer cents (largest remainder, so lines sum to the
month total rounded half-up); every totals line is checked against the month total before anything
is written. Text cells are neutralised against formula injection (common.neutralise). In showback
mode (project var chargeback_mode) both files carry a "not billed" banner. `--target` names the engine
the marts were built on (default $DBT_TARGET, else duckdb): tokenledger.warehouse reads them, so every
engine gives the same files. Details: docs/exports.md.
Exit 1 with a one-line message when the warehouse is missing or unbuilt, the month has no data, a
total does not tie, or the output directory cannot be created or written.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tokenledger.common import (
    PROJECT_ROOT,
    cents_to_dollars,
    last_build_problem,
    money,
    money_signed,
    month_arg,
    neutralise,
    percent,
    round_cents,
    scalar,
)  # fmt: skip
from tokenledger.warehouse import WarehouseError, add_target_argument, label, open_marts, resolve_target

SHOWBACK_BANNER = "SHOWBACK — NOT BILLED: for information only"
CSV_BANNER = "# " + SHOWBACK_BANNER  # the CSV's first line in showback mode (one field, no comma)
MONEY_FORMAT = '"$"#,##0.00'
PERCENT_FORMAT = "0.00%"
INTEGER_FORMAT = "#,##0"
MIGRATION_PP = Decimal(10)  # a model's share moving this many percentage points is a "migration"

Row = dict[str, Any]
# Every relation read_month, apply_publication and read_savings read (tokenledger.warehouse fetches these from
# Postgres or Spark); write_focus also reads FOCUS_RELATIONS.
RELATIONS = (
    "raw.build_runs", "marts.rpt_chargeback_monthly", "marts.dim_teams", "marts.fct_team_monthly_spend",
    "marts.rpt_chargeback_by_model_agent", "marts.rpt_chargeback_by_dimension", "marts.fct_usage_events",
    "intermediate.int_shared_agent_rules_versioned", "staging.stg_org__shared_agent_splits",
    "marts.fct_cost_allocations", "audit.shared_logins", "audit.unpriced_events", "marts.fct_invoice_reconciliation",
    "marts.fct_budget_status", "audit.spend_anomalies", "marts.dim_agent_ownership", "marts.rpt_confidence_mix_monthly",
    "marts.rpt_savings_opportunities", "marts.published_team_monthly_spend", "audit.restatement_candidates",
)  # fmt: skip
FOCUS_RELATIONS = ("marts.focus_cost_and_usage",)


class ExportError(SystemExit):
    """A one-line refusal: exit status 1, message on stderr, nothing written."""

    def __init__(self, message: str) -> None:
        super().__init__(f"tokenledger: {message}")


# --------------------------------------------------------------------------------------------------
# Reading the warehouse
# --------------------------------------------------------------------------------------------------


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[Row]:
    result = con.execute(sql, list(params))
    names = [column[0] for column in result.description]
    return [dict(zip(names, values)) for values in result.fetchall()]


def relation_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    query = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    return bool(scalar(con, query, [schema, name]))


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


@dataclass
class MonthData:
    """Everything the three files need, read in one go under the warehouse lock."""

    month: date
    chargeback: list[Row]
    by_model_agent: list[Row]
    by_dimension: list[Row]
    memo: dict[str, Any]
    savings: list[Row] | None = None  # marts.rpt_savings_opportunities; None on a warehouse built before it


TEAM_ORDER = "(team_id = 'unattributed'), cost_usd desc, team_id"


def mix_rows(con: duckdb.DuckDBPyConnection, month: date, basis: str) -> list[Row]:
    """The month's confidence mix (HIGH, MEDIUM, LOW, UNATTRIBUTED) with its cents, from the mart."""
    return fetch(con, "select confidence, cost_usd, cost_cents from marts.rpt_confidence_mix_monthly "
                      "where basis = ? and month = ? order by confidence_order", [basis, month])


def read_month(con: duckdb.DuckDBPyConnection, month: date) -> MonthData:
    m, prev, nxt = month, previous_month(month), next_month(month)
    chargeback = fetch(con, f"select * from marts.rpt_chargeback_monthly where month = ? order by {TEAM_ORDER}", [m])
    if not chargeback:
        raise ExportError(f"no data for {m:%Y-%m} in marts.rpt_chargeback_monthly (nothing exported)")
    team_names = "left join marts.dim_teams as teams on breakdown.team_id = teams.team_id"
    team_order = (f"join (select team_id, row_number() over (order by {TEAM_ORDER}) as team_rank "
                  "from marts.fct_team_monthly_spend where month = ?) as ranks on breakdown.team_id = ranks.team_id")
    by_model_agent = fetch(con, f"""
        select breakdown.*, coalesce(teams.team_name, breakdown.team_id) as team_name
        from marts.rpt_chargeback_by_model_agent as breakdown {team_names} {team_order}
        where breakdown.month = ? order by ranks.team_rank, breakdown.driver_rank""", [m, m])
    by_dimension = fetch(con, f"""
        select breakdown.*, coalesce(teams.team_name, breakdown.team_id) as team_name
        from marts.rpt_chargeback_by_dimension as breakdown {team_names} {team_order}
        where breakdown.month = ?
        order by ranks.team_rank, breakdown.cost_usd desc, breakdown.project, breakdown.environment, breakdown.customer""",
        [m, m])
    totals = """
        select sum(cost_cents) as cents, sum(cost_usd) as cost_usd, sum(list_cost_usd) as list_cost_usd,
               sum(cost_high_usd) as high, sum(cost_medium_usd) as medium, sum(cost_low_usd) as low,
               sum(case when team_id = 'unattributed' then cost_usd else 0 end) as unattributed,
               count(*) as lines
        from marts.fct_team_monthly_spend where month = ?"""
    events = """
        select count(*) as events, count(*) filter (where cost_usd is null) as unpriced,
               coalesce(sum(cost_usd), 0) as cost_usd
        from marts.fct_usage_events where month = ?"""
    memo: dict[str, Any] = {
        "totals": fetch(con, totals, [m])[0],
        "previous_totals": fetch(con, totals, [prev])[0],
        "events": fetch(con, events, [m])[0],
        "mix": mix_rows(con, m, "ledger"),
        "rules": fetch(con, """
            select * from (
                select agent, method, valid_from, valid_to,
                       row_number() over (partition by agent order by valid_from) as version
                from intermediate.int_shared_agent_rules_versioned
            ) where valid_from < ? and (valid_to is null or valid_to > ?) order by agent, valid_from""", [nxt, m]),
        "splits": fetch(con, "select agent, team_id, percent, effective_from from staging.stg_org__shared_agent_splits "
                             "order by agent, effective_from, percent desc nulls last, team_id"),
        "subsidy": fetch(con, """
            select allocations.team_id as central_team_id,
                   coalesce(lower(trim(events.environment)), '(none)') as environment,
                   count(distinct allocations.event_key) as events,
                   count(distinct allocations.beneficiary_team_id) as beneficiaries,
                   coalesce(sum(allocations.allocated_cost_usd), 0) as cost_usd
            from marts.fct_cost_allocations as allocations
            inner join marts.fct_usage_events as events on allocations.event_key = events.event_key
            where allocations.month = ? and allocations.basis = 'subsidy'
            group by 1, 2 order by 1, 2""", [m]),
        "shared_logins": fetch(con, "select login_kind, login_id, reason, agent_teams, events from audit.shared_logins "
                                    "where month = ? order by login_id, login_kind", [m]),
        "unpriced": fetch(con, """
            select coalesce(unpriced.model_requested, '(no model)') as model,
                   coalesce(unpriced.provider, '(unknown)') as provider, unpriced.unpriced_reason,
                   count(distinct allocations.team_id || '|' || allocations.event_key) as events
            from audit.unpriced_events as unpriced
            inner join marts.fct_cost_allocations as allocations on unpriced.event_key = allocations.event_key
            where unpriced.month = ? group by all order by events desc, model""", [m]),
        "invoices": fetch(con, "select * from marts.fct_invoice_reconciliation where month = ? order by provider", [m]),
        "budgets": fetch(con, """
            select * from marts.fct_budget_status where month = ? and status <> 'ok'
            order by case status when 'critical' then 0 else 1 end, scope, scope_id""", [m]),
        "spikes": fetch(con, "select * from audit.spend_anomalies where anomaly_kind = 'daily_spike' and month = ? "
                             "order by day, team_id", [m]),
        "ownership": fetch(con, """
            select * from (
                select agent, team_id, is_shared, valid_from,
                       lag(team_id) over (partition by agent order by valid_from) as previous_team_id,
                       lag(valid_from) over (partition by agent order by valid_from) as previous_valid_from
                from marts.dim_agent_ownership
            ) where valid_from >= ? and valid_from < ? order by valid_from, agent""", [m, nxt]),
        "models": fetch(con, """
            select month, model_id, sum(cost_usd) as cost_usd
            from marts.rpt_chargeback_by_model_agent where month in (?, ?) group by all order by model_id""", [m, prev]),
        "restatements": read_restatements(con, m),
    }
    savings = read_savings(con, m) if relation_exists(con, "marts", "rpt_savings_opportunities") else None
    return MonthData(month, chargeback, by_model_agent, by_dimension, memo, savings)


def read_savings(con: duckdb.DuckDBPyConnection, month: date, team: str | None = None) -> list[Row]:
    """The month's savings opportunities (marts.rpt_savings_opportunities), teams in the chargeback's order,
    each team's largest first."""
    return fetch(con, f"""
        select savings.*, coalesce(teams.team_name, savings.team_id) as team_name
        from marts.rpt_savings_opportunities as savings
        left join marts.dim_teams as teams on savings.team_id = teams.team_id
        left join (select team_id, row_number() over (order by {TEAM_ORDER}) as team_rank
                   from marts.fct_team_monthly_spend where month = ?) as ranks on savings.team_id = ranks.team_id
        where savings.month = ? {"and savings.team_id = ?" if team else ""}
        order by ranks.team_rank nulls last, savings.team_id, savings.opportunity_rank""",
        [month, month, team] if team else [month, month])


def top_opportunities(savings: list[Row], limit: int = 5) -> list[Row]:
    """The month's largest opportunities over all teams: one row per (opportunity, key), cents summed over the
    teams (they tie to the opportunity's total), largest first."""
    merged: dict[tuple[str, str], Row] = {}
    for row in savings:
        key = (row["opportunity"], row["opportunity_key"])
        if key not in merged:
            merged[key] = {**row, "teams": []}
        else:
            merged[key]["saving_cents"] += row["saving_cents"]
            merged[key]["events"] += row["events"]
        merged[key]["teams"].append(row["team_id"])
    return sorted(merged.values(), key=lambda r: (-r["saving_cents"], r["opportunity"], r["opportunity_key"]))[:limit]


def billed_events(lines: Iterable[Row]) -> tuple[int, int]:
    """(events, unpriced events) of the month, the one definition every output uses: the usage events
    billed to the team lines (fct_team_monthly_spend.events), an event shared among several teams
    counted once on each of their lines, so the team lines add up to the figure."""
    rows = list(lines)
    return sum(int(r["events"] or 0) for r in rows), sum(int(r["unpriced_events"] or 0) for r in rows)


EVENTS_DEFINITION = ("usage events billed to the team lines; an event shared among several teams counts once on "
                     "each of their lines, so the lines add up to this figure")


def money_percent(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """part / whole x 100 truncated to 4 places from pico-dollars, as the marts' tl_money_percent."""
    if part is None or not whole:
        return None
    pico_part = int((Decimal(part) * 10**12).to_integral_value(rounding=ROUND_FLOOR))
    pico_whole = int((Decimal(whole) * 10**12).to_integral_value(rounding=ROUND_FLOOR))
    if pico_whole == 0:
        return None
    sign = -1 if (pico_part < 0) != (pico_whole < 0) and pico_part != 0 else 1
    return Decimal(sign * (abs(pico_part) * 100 * 10**4 // abs(pico_whole))) / 10**4


def apply_publication(con: duckdb.DuckDBPyConnection, data: MonthData) -> None:
    """A closed month exports what was published, never silently what the ledger computes now.

    When the month has published lines (marts.published_team_monthly_spend, latest version), the
    chargeback lines, the totals and the memo's figures are the published ones; data.memo['publication']
    says which version, and lists the restatement candidates (audit.restatement_candidates) with the
    difference. The model/agent and dimension breakdowns are recomputed figures: they are kept only
    when they still tie to the published lines, else withheld (the memo says so). Open months: unchanged.
    """
    if not relation_exists(con, "marts", "published_team_monthly_spend"):
        return
    m = data.month
    published = fetch(con, """
        select * from marts.published_team_monthly_spend
        where month = ? and publication_version = (
            select max(publication_version) from marts.published_team_monthly_spend where month = ?)
        order by team_id""", [m, m])
    if not published:
        return
    candidates = []
    if relation_exists(con, "audit", "restatement_candidates"):
        candidates = fetch(con, "select * from audit.restatement_candidates where month = ? order by team_id", [m])
    current = {row["team_id"]: row for row in data.chargeback}
    names = {row["team_id"]: row for row in fetch(con, "select team_id, team_name, cost_center, rollup_team_id "
                                                       "from marts.dim_teams")}
    moved = {row["team_id"] for row in published} != set(current) or any(
        current[row["team_id"]]["cost_cents"] != row["cost_cents"] for row in published)
    head = published[0]
    data.memo["publication"] = {
        "version": head["publication_version"], "kind": head["publication_kind"], "reason": head["reason"],
        "approved_by": head["approved_by"], "published_at": head["published_at"], "candidates": candidates,
        "recomputed_cents": sum(int(row["cost_cents"]) for row in data.chargeback), "moved": moved,
    }
    if not moved:
        return
    total_cost = sum((row["cost_usd"] for row in published), Decimal(0))
    lines = []
    for row in published:
        base = current.get(row["team_id"]) or {
            **{column.name: None for column in CHARGEBACK_COLUMNS}, **names.get(row["team_id"], {}),
            "team_id": row["team_id"], "previous_month_cents": None, "mom_change_cents": None,
            "billing_mode": data.chargeback[0]["billing_mode"],
        }
        line = {**base, "cost_usd": row["cost_usd"], "cost_cents": int(row["cost_cents"]),
                "list_cost_usd": row["list_cost_usd"], "list_cost_cents": published_list_cents(row), "events": row["events"], "unpriced_events": row["unpriced_events"],
                "high_confidence_pct": money_percent(row["cost_high_usd"], row["cost_usd"]),
                "medium_confidence_pct": money_percent(row["cost_medium_usd"], row["cost_usd"]),
                "low_confidence_pct": money_percent(row["cost_low_usd"], row["cost_usd"]),
                "share_of_month": (row["cost_usd"] / total_cost) if total_cost else Decimal(0)}
        previous = line.get("previous_month_cents")
        line["mom_change_cents"] = None if previous is None else line["cost_cents"] - previous
        line["mom_change_pct"] = (None if line.get("previous_month_cost_usd") is None
                                  else money_percent(row["cost_usd"] - line["previous_month_cost_usd"],
                                                     line["previous_month_cost_usd"]))
        lines.append(line)
    lines.sort(key=lambda r: (r["team_id"] == "unattributed", -r["cost_usd"], r["team_id"]))
    data.chargeback = lines
    data.by_model_agent, data.by_dimension = [], []
    data.memo["totals"] = {
        **data.memo["totals"], "cents": sum(r["cost_cents"] for r in lines), "cost_usd": total_cost,
        "list_cost_usd": sum((r["list_cost_usd"] for r in published), Decimal(0)),
        "high": sum((r["cost_high_usd"] for r in published), Decimal(0)),
        "medium": sum((r["cost_medium_usd"] for r in published), Decimal(0)),
        "low": sum((r["cost_low_usd"] for r in published), Decimal(0)),
        "unattributed": sum((r["cost_usd"] for r in published if r["team_id"] == "unattributed"), Decimal(0)),
        "lines": len(published),
    }
    data.memo["mix"] = mix_rows(con, data.month, "published")
    data.memo["events"] = {"events": sum(int(r["events"]) for r in published),
                           "unpriced": sum(int(r["unpriced_events"]) for r in published), "cost_usd": total_cost}


def published_list_cents(row: Row) -> int:
    """A published line's list cost in cents: as published, or for a version published before the marts
    carried list_cost_cents, the line's list cost rounded half-up (those totals may then differ from the
    list total rounded by a cent)."""
    if row.get("list_cost_cents") is not None:
        return int(row["list_cost_cents"])
    return round_cents(row["list_cost_usd"])


def publication_paragraph(data: MonthData) -> list[str]:
    """The memo's statement of what a closed month's figures are (empty for an open month)."""
    publication = data.memo.get("publication")
    if publication is None:
        return []
    kind = ("the close" if publication["kind"] == "close"
            else f"a restatement ({publication['reason']}; approved by {publication['approved_by']})")
    out = [f"**{data.month:%Y-%m} is closed: these are its published lines, version {publication['version']} "
           f"({kind}).**"]
    if publication["moved"]:
        recomputed = cents_to_dollars(publication["recomputed_cents"])
        published = cents_to_dollars(sum(row["cost_cents"] for row in data.chargeback))
        out.append(f"The ledger now computes {money(recomputed)} for the month, {money_signed(recomputed - published)} "
                   f"against the published {money(published)}: restatement candidates (audit.restatement_candidates), "
                   "not restated — approve a restatement (org/restatements.csv) to publish them.")
        for row in publication["candidates"]:
            out.append(f"- candidate: {md(row['team_id'])} {money(row['published_cost_usd'])} published, "
                       f"{money(row['current_cost_usd'])} now ({money_signed(row['delta_usd'])}, "
                       f"{row['late_events']} late events)")
        out.append("The breakdowns by model, agent, project, environment and customer are not exported: they "
                   "reflect the recomputed figures, not the published lines.")
    return out


def read_restatements(con: duckdb.DuckDBPyConnection, month: date) -> list[str] | None:
    """Month close for months before `month`: each published restatement (version, reason, approver,
    change in the month's total against the version before) and each closed month whose lines would
    change but is not restated (audit.restatement_candidates). None when month close is not built."""
    if not relation_exists(con, "marts", "published_team_monthly_spend"):
        return None
    lines: list[str] = []
    for row in fetch(con, """
            with totals as (
                select month, publication_version, publication_kind, reason, approved_by, sum(cost_cents) as cents
                from marts.published_team_monthly_spend
                where month < ?
                group by all
            )
            select restated.*, restated.cents - before.cents as delta_cents
            from totals as restated
            inner join totals as before
                on restated.month = before.month and before.publication_version = restated.publication_version - 1
            where restated.publication_kind = 'restatement'
            order by restated.month, restated.publication_version""", [month]):
        lines.append(f"{row['month']:%Y-%m} restated as version {row['publication_version']} "
                     f"({row['reason']}; approved by {row['approved_by']}): month total "
                     f"{money(cents_to_dollars(row['cents']))}, {money_signed(cents_to_dollars(row['delta_cents']))}")
    if relation_exists(con, "audit", "restatement_candidates"):
        for row in fetch(con, """
                select month, count(*) as teams, sum(delta_cents) as delta_cents, max(late_events) as late_events
                from audit.restatement_candidates where month < ? group by month order by month""", [month]):
            lines.append(f"{row['month']:%Y-%m} is closed but would change by "
                         f"{money_signed(cents_to_dollars(row['delta_cents']))} across {row['teams']} team(s) "
                         f"({row['late_events']} late events) — not restated: the published figures stand")
    return lines


# --------------------------------------------------------------------------------------------------
# Tie-out: every totals line equals the month total to the cent, or nothing is written
# --------------------------------------------------------------------------------------------------


def month_total_cents(data: MonthData) -> int:
    """The month total in cents, checked against every source that must agree with it."""
    exact = sum((row["cost_usd"] for row in data.chargeback), Decimal(0))
    cents = round_cents(exact)
    withheld = bool((data.memo.get("publication") or {}).get("moved"))  # breakdowns withheld when the lines moved
    breakdowns = () if withheld else (("by_model_agent", data.by_model_agent), ("by_dimension", data.by_dimension))
    checks = {
        "rpt_chargeback_monthly cents": sum(row["cost_cents"] for row in data.chargeback),
        **{f"rpt_chargeback_{name} cents": sum(row["cost_cents"] for row in rows) for name, rows in breakdowns},
        "fct_team_monthly_spend cents": int(data.memo["totals"]["cents"]),
        "fct_usage_events cost rounded half-up": round_cents(data.memo["events"]["cost_usd"]),
    }
    for name, value in checks.items():
        if value != cents:
            raise ExportError(
                f"refusing to export {data.month:%Y-%m}: {name} = {value}, but the month total "
                f"(round-half-up of the chargeback's exact cost {exact}) is {cents} cents")
    for name, breakdown in breakdowns:
        for line in data.chargeback:
            part = sum(row["cost_cents"] for row in breakdown if row["team_id"] == line["team_id"])
            if part != line["cost_cents"]:
                raise ExportError(f"refusing to export {data.month:%Y-%m}: rpt_chargeback_{name} has {part} cents for "
                                  f"{line['team_id']}, its chargeback line {line['cost_cents']}")
    return cents


# --------------------------------------------------------------------------------------------------
# The tables (one definition, two writers)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text | money (Decimal dollars, 2 places) | int | pct (Decimal, percent units)


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    total: list[Any]


def cols(spec: str) -> list[Column]:
    """'name:kind name ...' (kind defaults to text)."""
    return [Column(*item.split(":")) for item in spec.split()]


CHARGEBACK_COLUMNS = cols(
    "row_type month team_id team_name cost_center rollup_team_id cost_usd:money cost_cents:int list_cost_usd:money "
    "events:int unpriced_events:int previous_month_cost_usd:money mom_change_usd:money mom_change_pct:pct "
    "budget_usd:money budget_utilisation_pct:pct budget_status high_confidence_pct:pct medium_confidence_pct:pct "
    "low_confidence_pct:pct top_driver_1 top_driver_2 top_driver_3 billing_mode")
MODEL_AGENT_COLUMNS = cols(
    "row_type month team_id team_name provider model_id agent driver_rank:int cost_usd:money cost_cents:int "
    "list_cost_usd:money events:int unpriced_events:int")
SAVINGS_COLUMNS = cols(
    "row_type month team_id team_name opportunity_rank:int opportunity opportunity_key saving_usd:money saving_cents:int "
    "saving_list_usd:money baseline_cost_usd:money events:int requests:int cost_basis rule_description assumption "
    "example_event_id")
SAVINGS_NOTE = "Rules overlap (one event can be batch-eligible and have a substitute): savings do not add up across rules."
DIMENSION_COLUMNS = cols(
    "row_type month team_id team_name project environment customer cost_usd:money cost_cents:int "
    "list_cost_usd:money events:int unpriced_events:int")


def dollars(cents: int | None) -> Decimal | None:
    return None if cents is None else cents_to_dollars(cents)


def build_table(title: str, columns: list[Column], rows: list[Row], month: date, total_cents: int,
                row_type: str, extra: dict[str, Any] | None = None) -> Table:
    """Rows of `columns` from mart rows: cost and list cost from the marts' integer cents (cost_cents,
    list_cost_cents: largest remainder, distributed in SQL)."""
    list_cents = [int(row["list_cost_cents"]) for row in rows]
    body = []
    for row, list_cost in zip(rows, list_cents):
        values = {**row, "row_type": row_type, "month": f"{month:%Y-%m}", "cost_usd": dollars(row["cost_cents"]),
                  "list_cost_usd": dollars(list_cost)}
        if extra is not None:
            values.update({key: compute(row) for key, compute in extra.items()})
        body.append([values.get(column.name) for column in columns])
    total = {"row_type": "total", "month": f"{month:%Y-%m}", "team_name": "Total", "cost_usd": dollars(total_cents),
             "cost_cents": total_cents, "list_cost_usd": dollars(sum(list_cents))}
    return Table(title, columns, body, [total.get(column.name) for column in columns])


def savings_table(data: MonthData) -> Table:
    """The savings sheet: each team's opportunities, saving_usd from the published cents, the other amounts rounded
    half-up to the cent; the last row is a note, not a total (the rules overlap)."""
    body = []
    for row in data.savings or []:
        values = {**row, "row_type": "opportunity", "month": f"{data.month:%Y-%m}",
                  "saving_usd": dollars(row["saving_cents"]), "saving_list_usd": cents_to_dollars(round_cents(row["saving_list_usd"])),
                  "baseline_cost_usd": cents_to_dollars(round_cents(row["baseline_cost_usd"]))}
        body.append([values.get(column.name) for column in SAVINGS_COLUMNS])
    note = {"row_type": "note", "month": f"{data.month:%Y-%m}", "team_name": SAVINGS_NOTE}
    return Table("Savings", SAVINGS_COLUMNS, body, [note.get(column.name) for column in SAVINGS_COLUMNS])


def build_tables(data: MonthData, total_cents: int) -> list[Table]:
    chargeback_extra = {
        "previous_month_cost_usd": lambda row: dollars(row["previous_month_cents"]),
        "mom_change_usd": lambda row: dollars(row["mom_change_cents"]),
        "budget_usd": lambda row: None if row["budget_usd"] is None
        else row["budget_usd"].quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
    }
    return [
        build_table("Chargeback", CHARGEBACK_COLUMNS, data.chargeback, data.month, total_cents, "team", chargeback_extra),
        build_table("By model and agent", MODEL_AGENT_COLUMNS, data.by_model_agent, data.month, total_cents, "detail"),
        build_table("By project, env, customer", DIMENSION_COLUMNS, data.by_dimension, data.month, total_cents, "detail"),
    ]


# --------------------------------------------------------------------------------------------------
# Writers (each writes to a temporary file and renames it into place)
# --------------------------------------------------------------------------------------------------


def csv_value(value: Any, column: Column) -> str:
    if value is None:
        return ""
    if column.kind == "money":
        return f"{value:.2f}"
    if column.kind in ("int", "pct"):
        return str(value)
    return neutralise(str(value))


def write_csv(path: Path, table: Table, banner: str | None) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", newline="", encoding="utf-8") as handle:
        if banner:
            handle.write(CSV_BANNER + "\r\n")
        writer = csv.writer(handle)
        writer.writerow([column.name for column in table.columns])
        for row in [*table.rows, table.total]:
            writer.writerow([csv_value(value, column) for value, column in zip(row, table.columns)])
    os.replace(temporary, path)


def xlsx_display(value: Any, column: Column) -> str:
    """Roughly what the cell shows, for the column width."""
    if value is None:
        return ""
    if column.kind == "money":
        return f"${value:,.2f}"
    if column.kind == "pct":
        return f"{value:.2f}%"
    return str(value)


def write_sheet(sheet: Worksheet, table: Table, banner: str | None) -> None:
    bold = Font(bold=True)
    header_row = 2 if banner else 1
    if banner:
        sheet.cell(row=1, column=1, value=banner).font = Font(bold=True, color="9C0006", size=12)
        sheet.cell(row=1, column=1).fill = PatternFill("solid", fgColor="FFC7CE")
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(table.columns))
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=header_row, column=index, value=column.name)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(horizontal="center")
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)  # the header (and banner) stay in view
    rows = [*table.rows, table.total]
    for offset, values in enumerate(rows, start=1):
        for index, (value, column) in enumerate(zip(values, table.columns), start=1):
            cell = sheet.cell(row=header_row + offset, column=index)
            if value is None:
                continue
            if column.kind == "text":
                cell.value = neutralise(str(value))
                cell.data_type = "s"  # always a string, never a formula
            elif column.kind == "pct":
                cell.value = value / 100  # exact Decimal; shown as a percentage
                cell.number_format = PERCENT_FORMAT
            else:
                cell.value = value
                cell.number_format = MONEY_FORMAT if column.kind == "money" else INTEGER_FORMAT
    total_row = header_row + len(rows)
    for index in range(1, len(table.columns) + 1):
        cell = sheet.cell(row=total_row, column=index)
        cell.font = bold
        cell.border = Border(top=Side(style="thin"), bottom=Side(style="double"))
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(table.columns))}{total_row - 1}"
    for index, column in enumerate(table.columns, start=1):
        width = max(len(column.name), *(len(xlsx_display(row[index - 1], column)) for row in rows))
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)


def write_xlsx(path: Path, tables: Iterable[Table], banner: str | None) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        write_sheet(workbook.create_sheet(table.title), table, banner)
    temporary = path.with_name(path.name + ".tmp")
    workbook.save(temporary)
    os.replace(temporary, path)


# --------------------------------------------------------------------------------------------------
# The memo
# --------------------------------------------------------------------------------------------------

SPINE = (
    "Each event's effective cost (list price less negotiated discounts) is charged by the first rule that "
    "matches, as of the event's UTC date: (1) the request's team tag (Jobs `labels.team`, gateway `x-team`) "
    "when it names a known team — HIGH confidence; (2) the owner of the event's agent in the agent directory "
    "as of the event date — HIGH; (3) the team named by a team API key — HIGH; (4) the person's team (the "
    "owner of a personal key, else the event's user) — MEDIUM; (5) the agent's shared-agent rule, splitting "
    "the cost among its participants — LOW; (6) otherwise the event stays unattributed, visible as its own line."
)
SAVINGS_METHOD = (
    "What could be saved is priced by the same pricing as the ledger, on each event's date and with the negotiated "
    "discounts on both sides: batch-eligible work (org/batch_eligible.csv) at the model's batch price; agreed substitutes "
    "(org/model_substitutes.csv) on the substitute's price; the cache-read share raised to the target of "
    "org/cache_targets.csv for teams below it (usage alone cannot show repeated prefixes, so the target is an "
    "assumption and cache writes are not counted); requests over a tier threshold at the rates just under it; "
    "output above the agent's percentile of the month (project var savings_output_percentile, 95 by default); and the whole cost of billed failures and retries. "
    "Each figure is an estimate under its stated assumption, not a forecast."
)
METHODS = {"even": "equal shares", "headcount": "by team headcount", "usage": "by each participant's own usage",
           "fixed": "fixed percentages"}
LOGIN_REASONS = {"used_by_agents_of_several_teams": "used by agents of {agent_teams} teams",
                 "personal_key_owner_without_team": "its owner has no team"}


def md(text: Any) -> str:
    """A value inside a Markdown table or line: pipes escaped, on one line."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def pct(part: Decimal, whole: Decimal, places: str = "0.1") -> str:
    return "n/a" if not whole else f"{(part / whole * 100).quantize(Decimal(places), rounding=ROUND_HALF_UP)}%"


def signed_pct(value: Decimal | None, places: str = "0.1") -> str:
    if value is None:
        return "n/a"
    rounded = value.quantize(Decimal(places), rounding=ROUND_HALF_UP)
    return f"{'+' if rounded > 0 else ''}{rounded}%"


def or_none(items: list[str]) -> str:
    return "; ".join(items) + "." if items else "none."


def method_paragraph(data: MonthData) -> str:
    memo, m = data.memo, data.month
    parts = [SPINE]
    rules = memo["rules"]
    if rules:
        described = []
        for agent in sorted({rule["agent"] for rule in rules}):
            versions = ", ".join(
                f"v{rule['version']} `{rule['method']}` ({METHODS.get(rule['method'], rule['method'])}) from "
                f"{rule['valid_from']}" for rule in rules if rule["agent"] == agent)
            sets: dict[date, list[Row]] = {}
            for split in memo["splits"]:
                if split["agent"] == agent:
                    sets.setdefault(split["effective_from"], []).append(split)
            starts = sorted(sets)
            in_force = [start for i, start in enumerate(starts)
                        if start < next_month(m) and (i + 1 == len(starts) or starts[i + 1] > m)]
            participants = "; ".join(
                "participants from " + str(start) + ": " + ", ".join(
                    md(split["team_id"]) + (f" {split['percent'].normalize():f}%" if split["percent"] is not None else "")
                    for split in sets[start]) for start in in_force) or "participants: every active team"
            described.append(f"{md(agent)} — {versions}; {participants}")
        parts.append(f"Shared-agent rules in force in {m:%Y-%m}: " + "; ".join(described) + ".")
    else:
        parts.append(f"No shared-agent rule was in force in {m:%Y-%m}.")
    subsidy = memo["subsidy"]
    if subsidy:
        central = ", ".join(sorted({md(row["central_team_id"]) for row in subsidy}))
        environments = ", ".join(sorted({md(row["environment"]) for row in subsidy}))
        cost = sum((row["cost_usd"] for row in subsidy), Decimal(0))
        parts.append(f"Subsidy: events in the {environments} environment(s) are paid by the central team {central} "
                     f"(basis `subsidy`, {money(cost)} this month), the team that would have paid kept as beneficiary.")
    else:
        parts.append("No subsidy applied this month: every team pays for all its environments.")
    parts.append("Costs are exact decimals (24 places) throughout; they are rounded to cents only at the edge, by "
                 "largest remainder, so the team lines sum exactly to the month total rounded half-up.")
    return " ".join(parts)


def caveats(data: MonthData) -> list[str]:
    memo = data.memo
    logins = [f"{md(row['login_id'])} ({row['login_kind'].replace('_', ' ')}: "
              f"{LOGIN_REASONS.get(row['reason'], row['reason']).format(**row)}, {row['events']} events)"
              for row in memo["shared_logins"]]
    _, unpriced_total = billed_events(data.chargeback)
    unpriced = [f"{md(row['model'])} ({md(row['provider'])}, {row['unpriced_reason']}) × {row['events']}"
                for row in memo["unpriced"]]
    invoices: list[str] = []
    over: list[str] = []
    for row in memo["invoices"]:
        line = f"{md(row['provider'])} computed {money(row['cost_usd'])}"
        if row["invoiced_usd"] is None:
            line += ", no invoice recorded"
        else:
            line += (f" vs invoiced {money(row['invoiced_usd'])} ({money_signed(row['variance_usd'])}, "
                     f"{signed_pct(row['variance_pct'])}, {row['reconciliation_status'].replace('_', ' ')})")
            if row["reconciliation_status"] == "over_tolerance":
                over.append(f"**{md(row['provider'])} is over the {row['tolerance_pct'].normalize():f}% tolerance**")
        invoices.append(line)
    team_cents = {row["team_id"]: row["cost_cents"] for row in data.chargeback}

    def spend(row: Row) -> str:  # as published: the cents of the team's chargeback line, else the mart's cents
        if row["scope"] == "team" and row["scope_id"] in team_cents:
            return money(cents_to_dollars(team_cents[row["scope_id"]]))
        return money(cents_to_dollars(row["spend_to_date_cents"]))

    budgets = [f"{row['scope']} {md(row['scope_id'])} {row['status'].upper()} — {spend(row)} of "
               f"{money(row['monthly_budget_usd'])} ({percent(row['utilisation_pct'], floor=True)})"
               for row in memo["budgets"]]
    spikes = [f"{md(row['team_id'])} on {row['day']}: {money(row['spend_usd'])} vs a daily median of "
              f"{money(row['baseline_median_usd'])}" for row in memo["spikes"]]
    return [
        "Shared logins (audit.shared_logins; one login behind several teams' agents can double-count): " + or_none(logins),
        f"Unpriced events: {unpriced_total}"
        + (f" — {'; '.join(unpriced)}. Their cost is missing from every figure here, not zero." if unpriced else "."),
        "Invoice variance (marts.fct_invoice_reconciliation): " + or_none(invoices)
        + "".join(f" {flag}." for flag in over),
        "Budgets over threshold (marts.fct_budget_status): " + or_none(budgets),
        "Spend anomalies (daily spikes, audit.spend_anomalies): " + or_none(spikes),
    ]


def model_migrations(data: MonthData, has_previous: bool) -> str:
    if not has_previous:
        return f"no data for {previous_month(data.month):%Y-%m}, nothing to compare."
    shares: dict[str, dict[date, Decimal]] = {}
    for row in data.memo["models"]:
        shares.setdefault(row["model_id"], {})[row["month"]] = row["cost_usd"]
    totals = {month: sum((costs.get(month, Decimal(0)) for costs in shares.values()), Decimal(0))
              for month in (data.month, previous_month(data.month))}

    def share(costs: dict[date, Decimal], month: date) -> Decimal:
        return costs[month] / totals[month] * 100 if totals[month] else Decimal(0)

    moves = []
    for model, costs in sorted(shares.items()):
        now, before = data.month in costs, previous_month(data.month) in costs
        if now and not before:
            moves.append(f"{md(model)} appeared ({share(costs, data.month):.1f}% of the month)")
        elif before and not now:
            moves.append(f"{md(model)} disappeared (was {share(costs, previous_month(data.month)):.1f}%)")
        else:
            delta = share(costs, data.month) - share(costs, previous_month(data.month))
            if abs(delta) >= MIGRATION_PP:
                moves.append(f"{md(model)} {share(costs, previous_month(data.month)):.1f}% → "
                             f"{share(costs, data.month):.1f}% of the month ({delta:+.1f} pp)")
    return or_none(moves)


def what_changed(data: MonthData, has_previous: bool) -> list[str]:
    memo, m = data.memo, data.month
    new_shared = [f"{md(row['agent'])} from {row['valid_from']}" for row in memo["ownership"] if row["is_shared"]]
    changes = []
    for row in memo["ownership"]:
        after = "shared" if row["is_shared"] else md(row["team_id"])
        if row["previous_valid_from"] is None:
            changes.append(f"{md(row['agent'])} added to the directory ({after}) from {row['valid_from']}")
        else:
            before = "shared" if row["previous_team_id"] is None else md(row["previous_team_id"])
            changes.append(f"{md(row['agent'])} {before} → {after} from {row['valid_from']}")
    restatements = memo["restatements"]
    if restatements is None:
        restated = "No restatements recorded (month close is not set up)."
    else:
        restated = or_none([md(line) for line in restatements]) if restatements else "No restatements recorded."
    lines = [] if has_previous else [f"No data for {previous_month(m):%Y-%m}: no month-over-month comparison."]
    return [*lines, "New shared agents: " + or_none(new_shared), "Ownership changes (agent directory): " + or_none(changes), f"Model migrations (share of cost moved ≥ {MIGRATION_PP} pp, appeared or disappeared): " + model_migrations(data, has_previous), "Restatements of earlier months: " + restated]


def render_memo(data: MonthData, total_cents: int) -> str:
    memo, m = data.memo, data.month
    totals, previous = memo["totals"], memo["previous_totals"]
    events, unpriced = billed_events(data.chargeback)
    unattributed_events = sum(int(row["events"] or 0) for row in data.chargeback if row["team_id"] == "unattributed")
    total = cents_to_dollars(total_cents)
    exact, list_cost = totals["cost_usd"], totals["list_cost_usd"]
    has_previous = previous["lines"] > 0
    showback = {row["billing_mode"] for row in data.chargeback} == {"showback"}
    out = [f"# AI spend allocation memo — {m:%B %Y}", ""]
    out += [f"**{SHOWBACK_BANNER}.**" if showback else "Chargeback: the team lines below are billed to their cost centers.",
            ""]
    publication = publication_paragraph(data)
    if publication:
        out += [*publication, ""]
    out += ["## Headline", ""]
    out.append(f"- **Total effective cost: {money(total)}** ({m:%Y-%m}; the team lines below sum to it to the cent).")
    saving = cents_to_dollars(round_cents(list_cost) - total_cents)  # the difference of the two figures shown
    out.append(f"- List cost {money(list_cost)}; negotiated discounts saved {money(saving)} "
               f"({pct(list_cost - exact, list_cost)} of list).")
    out.append(f"- Events: {events:,} ({unpriced} unpriced: cost missing, not zero) — {EVENTS_DEFINITION}.")
    if has_previous:
        before = cents_to_dollars(int(previous["cents"]))
        change = (exact - previous["cost_usd"]) / previous["cost_usd"] * 100 if previous["cost_usd"] else None
        out.append(f"- Previous month ({previous_month(m):%Y-%m}): {money(before)}; "
                   f"change {money_signed(total - before)} ({signed_pct(change)}).")
    else:
        out.append(f"- Previous month ({previous_month(m):%Y-%m}): no data.")
    out += ["", "## Method", "", method_paragraph(data), "", "## Spend by team", ""]
    out += ["| Team | Cost center | Cost | Share | MoM |", "|---|---|---:|---:|---:|"]
    for row in data.chargeback:
        share = row["share_of_month"] * 100
        out.append(f"| {md(row['team_name'])} ({md(row['team_id'])}) | {md(row['cost_center'] or '')} | "
                   f"{money(cents_to_dollars(row['cost_cents']))} | {share.quantize(Decimal('0.1'), ROUND_HALF_UP)}% | "
                   f"{signed_pct(row['mom_change_pct'])} |")
    out.append(f"| **Total** | | **{money(total)}** | 100.0% | |")
    mix = data.memo["mix"]  # marts.rpt_confidence_mix_monthly: HIGH, MEDIUM, LOW, UNATTRIBUTED; cents sum to the cent
    out += ["", "## Confidence mix", ""]
    out.append(" · ".join(f"{row['confidence']} {money(cents_to_dollars(row['cost_cents']))} ({pct(row['cost_usd'], exact)})"
                          for row in mix) + ".")
    out.append(f"Unattributed: {money(cents_to_dollars(mix[3]['cost_cents']))}, {pct(totals['unattributed'], exact)} of the month "
               f"({unattributed_events} events; audit.unattributed_events).")
    if data.savings is not None:
        out += ["", "## Savings opportunities", "", SAVINGS_METHOD, ""]
        top = top_opportunities(data.savings)
        if top:
            for row in top:
                out.append(f"- **{md(row['opportunity'].replace('_', ' '))}** — {md(row['opportunity_key'])}: could save "
                           f"**{money(cents_to_dollars(row['saving_cents']))}** over {row['events']:,} events "
                           f"({md(', '.join(row['teams']))}). Assumption: {md(row['assumption'])}")
            out.append("")
            out.append(f"{SAVINGS_NOTE} Every team's list: the Savings sheet and savings-{m:%Y-%m}.csv.")
        else:
            out.append("No opportunity found this month with the organisation's savings rules.")
    out += ["", "## Caveats", ""] + [f"- {line}" for line in caveats(data)]
    out += ["", "## What changed since last month", ""] + [f"- {line}" for line in what_changed(data, has_previous)]
    out += ["", f"_Figures read from the warehouse marts (fct_team_monthly_spend, rpt_chargeback_monthly, rpt_confidence_mix_monthly and the audit "
                f"views); cents by largest remainder. Files: chargeback-{m:%Y-%m}.csv / .xlsx._", ""]
    return "\n".join(out)


def write_text(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# --------------------------------------------------------------------------------------------------


def write_focus(con: duckdb.DuckDBPyConnection, month: date, out: Path) -> list[Path]:
    """The month's rows of marts.focus_cost_and_usage as CSV and Parquet (columns and types as in the mart).

    In the CSV every text (VARCHAR) column goes through common.neutralise (registered as a DuckDB function),
    as in the chargeback CSV / XLSX: a team name such as `=HYPERLINK(...)` reaches SubAccountName,
    SubAccountId and x_team_id. Numbers and timestamps are written as DuckDB writes them; the Parquet file
    (data, not a spreadsheet) keeps every value as in the mart.
    """
    if not relation_exists(con, "marts", "focus_cost_and_usage"):
        raise ExportError("the warehouse has no marts.focus_cost_and_usage (run `make build` first)")
    rows = f"from marts.focus_cost_and_usage where \"BillingPeriodStart\" = timestamp '{month.isoformat()}'"
    kinds = con.execute(f"select * {rows} limit 0").description
    with contextlib.suppress(duckdb.Error):  # already registered on this connection
        con.create_function("tl_neutralise", neutralise, ["VARCHAR"], "VARCHAR")
    quoted = ['"' + name.replace('"', '""') + '"' for name, *_ in kinds]
    safe = ", ".join(
        f"tl_neutralise({column}) as {column}" if str(kind) == "VARCHAR" else column
        for column, (_, kind, *_) in zip(quoted, kinds, strict=True)
    )
    queries = (f"select {safe} {rows} order by x_charge_key", f"select * {rows} order by x_charge_key")
    paths = [out / f"focus-cost-and-usage-{month:%Y-%m}.csv", out / f"focus-cost-and-usage-{month:%Y-%m}.parquet"]
    for path, query, options in zip(paths, queries, ("format csv, header true", "format parquet"), strict=True):
        tmp = path.with_name(path.name + ".tmp")
        con.execute(f"copy ({query}) to '{str(tmp).replace(chr(39), chr(39) * 2)}' ({options})")
        tmp.replace(path)  # never a half-written export under the final name
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tokenledger export", description=__doc__.splitlines()[0])
    parser.add_argument("--month", type=month_arg, required=True, help="YYYY-MM")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "exports", help="output directory (default exports/)")
    add_target_argument(parser)
    parser.add_argument("--db", type=Path, default=None,
                        help="the DuckDB warehouse file (default: $TOKENLEDGER_DB, else warehouse/tokenledger.duckdb)")
    parser.add_argument("--focus", action="store_true",
                        help="also write the month's FOCUS 1.2 cost and usage rows (marts.focus_cost_and_usage) as CSV and Parquet")
    args = parser.parse_args(argv)
    resolve_target(parser, args)
    if args.target == "duckdb" and not args.db.is_file():
        raise ExportError(f"no warehouse at {args.db} (run `make run` first)")
    where = label(args.target, args.db)
    with contextlib.ExitStack() as stack:
        try:
            con = stack.enter_context(open_marts(args.target, RELATIONS + (FOCUS_RELATIONS if args.focus else ()), args.db))
        except WarehouseError as exc:
            raise ExportError(str(exc)) from None
        except duckdb.Error as exc:
            raise ExportError(f"cannot open the warehouse {where} ({str(exc).splitlines()[0]})") from None
        try:
            if not relation_exists(con, "marts", "rpt_chargeback_monthly"):
                raise ExportError(f"the warehouse {where} has no marts.rpt_chargeback_monthly (run `make build` first)")
            stale = last_build_problem(con)
            if stale is not None:
                raise ExportError(stale)
            data = read_month(con, args.month)
            apply_publication(con, data)
            if args.focus:
                args.out.mkdir(parents=True, exist_ok=True)
                for path in write_focus(con, args.month, args.out):
                    print(f"tokenledger: wrote {path}")
        except duckdb.Error as exc:
            first_line = str(exc).splitlines()[0]
            raise ExportError(f"cannot read the marts of {where} ({first_line}); rebuild: make build") from None
        except OSError as exc:  # the output directory cannot be created or written
            raise ExportError(f"cannot write to {args.out}: {exc.strerror or exc} ({exc.filename or args.out})") from None
    total_cents = month_total_cents(data)
    tables = build_tables(data, total_cents)
    banner = SHOWBACK_BANNER if {row["billing_mode"] for row in data.chargeback} == {"showback"} else None
    memo = render_memo(data, total_cents)
    stem = f"{args.month:%Y-%m}"
    paths = [args.out / f"chargeback-{stem}.csv", args.out / f"chargeback-{stem}.xlsx",
             args.out / f"allocation-memo-{stem}.md"]
    publication = data.memo.get("publication")
    sheets = tables[:1] if publication and publication["moved"] else tables
    savings = savings_table(data) if data.savings is not None else None
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        write_csv(paths[0], tables[0], banner)
        write_xlsx(paths[1], sheets + ([savings] if savings else []), banner)
        write_text(paths[2], memo)
        if savings:
            paths.append(args.out / f"savings-{stem}.csv")
            write_csv(paths[3], savings, banner)
    except OSError as exc:  # the output directory cannot be created or written
        raise ExportError(f"cannot write to {args.out}: {exc.strerror or exc} ({exc.filename or args.out})") from None
    for path in paths:
        print(f"tokenledger: wrote {path}")
    if publication and publication["moved"]:
        print(f"tokenledger: {args.month:%Y-%m} is closed: exported its published lines (version "
              f"{publication['version']}); the ledger now differs — see audit.restatement_candidates", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
