"""The FOCUS 1.2 export (marts.focus_cost_and_usage and `tokenledger export --focus`) on the sample.

The mandatory column list is FOCUS 1.2's own (21 columns; from the FinOps Foundation's validator
rules model for 1.2), typed as FOCUS says: Decimal costs and quantities, DateTime periods, String
the rest, Tags a JSON object. BilledCost ties to the monthly facts exactly; the CSV and Parquet files
hold exactly the month's rows.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
from harness import Warehouse

MANDATORY = {
    "BilledCost": "DECIMAL", "BillingAccountId": "VARCHAR", "BillingAccountName": "VARCHAR", "BillingCurrency": "VARCHAR",
    "BillingPeriodEnd": "TIMESTAMP", "BillingPeriodStart": "TIMESTAMP", "ChargeCategory": "VARCHAR",
    "ChargeClass": "VARCHAR", "ChargeDescription": "VARCHAR", "ChargePeriodEnd": "TIMESTAMP",
    "ChargePeriodStart": "TIMESTAMP", "ContractedCost": "DECIMAL", "EffectiveCost": "DECIMAL",
    "InvoiceIssuerName": "VARCHAR", "ListCost": "DECIMAL", "PricingQuantity": "DECIMAL", "PricingUnit": "VARCHAR",
    "ProviderName": "VARCHAR", "PublisherName": "VARCHAR", "ServiceCategory": "VARCHAR", "ServiceName": "VARCHAR",
}
ALSO = {"ConsumedQuantity": "DECIMAL", "ConsumedUnit": "VARCHAR", "SkuId": "VARCHAR", "Tags": "VARCHAR",
        "ChargeFrequency": "VARCHAR", "ServiceSubcategory": "VARCHAR", "SubAccountId": "VARCHAR"}


def columns(wh: Warehouse) -> dict[str, str]:
    return dict(wh.query("select column_name, data_type from information_schema.columns "
                         "where table_schema = 'marts' and table_name = 'focus_cost_and_usage' order by ordinal_position"))


def test_mandatory_columns_and_types(sample_warehouse: Warehouse) -> None:
    got = columns(sample_warehouse)
    for name, kind in {**MANDATORY, **ALSO}.items():
        assert name in got, f"missing FOCUS column {name}"
        assert got[name].split("(")[0] == kind, f"{name} is {got[name]}, FOCUS wants {kind}"
    custom = [c for c in got if c not in MANDATORY and c not in ALSO and not c[0].isupper()]
    assert custom and all(c.startswith("x_") for c in custom), custom  # our columns are x_ prefixed
    names = list(got)
    assert max(names.index(c) for c in names if c[0].isupper()) < min(names.index(c) for c in custom)  # after FOCUS's


def test_values_follow_the_spec(sample_warehouse: Warehouse) -> None:
    rows = sample_warehouse.query(
        'select distinct "ChargeCategory", "ChargeClass", "ServiceCategory", "ServiceSubcategory", "BillingCurrency", '
        '"ChargeFrequency", "PricingUnit", "ConsumedUnit" from marts.focus_cost_and_usage')
    assert rows == [("Usage", None, "AI and Machine Learning", "Generative AI", "USD", "Usage-Based", "1M Tokens", "Tokens")]
    bad_periods = sample_warehouse.scalar(
        'select count(*) from marts.focus_cost_and_usage where not ("ChargePeriodStart" < "ChargePeriodEnd" '
        'and "BillingPeriodStart" <= "ChargePeriodStart" and "ChargePeriodEnd" <= "BillingPeriodEnd")')
    assert bad_periods == 0
    for (tags,) in sample_warehouse.query('select distinct "Tags" from marts.focus_cost_and_usage'):
        parsed = json.loads(tags)
        assert isinstance(parsed, dict) and set(parsed) <= {"team", "project", "environment", "customer", "agent"}
        assert all(isinstance(v, str) for v in parsed.values())


def test_billed_cost_ties_to_the_monthly_facts(sample_warehouse: Warehouse) -> None:
    focus = dict(((m.date(), t), c) for m, t, c in sample_warehouse.query(
        'select "BillingPeriodStart", "SubAccountId", sum("BilledCost") from marts.focus_cost_and_usage group by 1, 2'))
    monthly = dict(((m, t), c) for m, t, c in sample_warehouse.query(
        "select month, team_id, cost_usd from marts.fct_team_monthly_spend"))
    assert focus == monthly


def test_export_writes_csv_and_parquet(sample_warehouse: Warehouse, tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "tokenledger", "export", "--db", str(sample_warehouse.db),
                    "--month", "2026-10", "--out", str(tmp_path), "--focus"], check=True, capture_output=True)
    want_rows, want_cost = sample_warehouse.query(
        'select count(*), sum("BilledCost") from marts.focus_cost_and_usage '
        "where \"BillingPeriodStart\" = timestamp '2026-10-01'")[0]
    with open(tmp_path / "focus-cost-and-usage-2026-10.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == want_rows
    assert sum(Decimal(r["BilledCost"]) for r in rows if r["BilledCost"]) == want_cost
    with duckdb.connect() as con:
        parquet = con.execute(f"select count(*), sum(BilledCost) from '{tmp_path / 'focus-cost-and-usage-2026-10.parquet'}'").fetchone()
        kinds = dict(con.execute(f"select column_name, column_type from (describe select * from "
                                 f"'{tmp_path / 'focus-cost-and-usage-2026-10.parquet'}')").fetchall())
    assert parquet == (want_rows, want_cost)
    assert kinds["BilledCost"].startswith("DECIMAL") and kinds["ChargePeriodStart"].startswith("TIMESTAMP")
