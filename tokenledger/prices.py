"""Export the pinned genai-prices catalog into dbt seeds (seeds/prices/*.csv).

    tokenledger prices refresh [--out seeds/prices] [--check]

The seeds are committed. Re-running with the same genai-prices version rewrites identical files
(stable ordering, no timestamps), so `git diff` is empty; `--check` exits 1 when the committed seeds
differ from what the installed version would write (CI uses it to catch a stale catalog).

What is exported, per provider and model:
- `price_providers.csv`   provider order, name, fallback providers (one step of fallback, as in genai-prices).
- `price_models.csv`      every model in catalog order (its position decides which rule matches first).
- `price_match_clauses.csv` the match rules in disjunctive normal form: a rule matches when every clause of
  one of its conjunctions matches the lower-cased reference. Regexes that use look-ahead (DuckDB's RE2 has
  none) are translated here into a `regex` plus a `not_regex` clause; an unknown look-ahead fails loudly.
- `price_sets.csv`        the conditional price sets (price history: start dates, time-of-day windows) and
  the price variants (`processing: batch`, `service_tier: flex|priority|...`) with their own start dates.
- `price_rates.csv`       one row per set, price key and tier: USD per `per_units` units; `tier_start` blank
  for the base price, else the cliff threshold on the request's total input tokens.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import re
import sys
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import genai_prices
from genai_prices import types as gp
from genai_prices.data import providers as CATALOG
from genai_prices.data_units import unit_data

from tokenledger.common import PROJECT_ROOT

MAX_PRICE_SCALE = 18  # seeds type prices as decimal(38, 18); the models derive exact per-unit rates from it

# Look-ahead regexes in the catalog, rewritten as a conjunction of RE2-compatible clauses.
# Each is tested against Python's `re` on the catalog's own model ids and on crafted references.
LOOKAHEAD_TRANSLATIONS: dict[str, list[tuple[str, str]]] = {
    r"^(?!.*-[tT][tT][sS](?:$|-))": [("not_regex", r"-[tT][tT][sS](?:$|-)")],
    r"^(?![^/]+/)(?:labs-)?(?:(?:mi|code|dev|magi|mini)stral|mixtral|pixtral|voxtral|open-(?:mistral|mixtral))": [
        ("not_regex", r"^[^/]+/"),
        ("regex", r"^(?:labs-)?(?:(?:mi|code|dev|magi|mini)stral|mixtral|pixtral|voxtral|open-(?:mistral|mixtral))"),
    ],
}
PER_UNITS = {str(unit.get("price_key", usage_key)): str(unit["per"]) for usage_key, unit in unit_data.items()}
LOOKAROUND = re.compile(r"\(\?(?:=|!|<=|<!)")

Atom = tuple[str, str]


def to_dnf(clause: object) -> list[list[Atom]]:
    """A genai-prices match clause as a list of conjunctions of atomic clauses."""
    if isinstance(clause, gp.ClauseOr):
        return [conj for sub in clause.or_ for conj in to_dnf(sub)]
    if isinstance(clause, gp.ClauseAnd):
        parts = [to_dnf(sub) for sub in clause.and_]
        return [[atom for conj in combo for atom in conj] for combo in itertools.product(*parts)]
    if isinstance(clause, gp.ClauseRegex):
        if clause.regex in LOOKAHEAD_TRANSLATIONS:
            return [list(LOOKAHEAD_TRANSLATIONS[clause.regex])]
        if LOOKAROUND.search(clause.regex):
            raise SystemExit(f"refresh_prices: untranslated look-around regex in the catalog: {clause.regex!r}")
        return [[("regex", clause.regex)]]
    for cls, kind, attr in (
        (gp.ClauseStartsWith, "starts_with", "starts_with"),
        (gp.ClauseEndsWith, "ends_with", "ends_with"),
        (gp.ClauseContains, "contains", "contains"),
        (gp.ClauseEquals, "equals", "equals"),
    ):
        if isinstance(clause, cls):
            return [[(kind, str(getattr(clause, attr)).lower())]]
    raise SystemExit(f"refresh_prices: unsupported match clause {clause!r}")


def price_text(value: Decimal) -> str:
    if not value.is_finite() or value < 0:
        raise SystemExit(f"refresh_prices: invalid price {value!r}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PRICE_SCALE:
        raise SystemExit(f"refresh_prices: price {value} has more than {MAX_PRICE_SCALE} decimals; widen the seed type")
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def rate_rows(provider: str, model: str, set_id: int, prices: gp.ModelPrice) -> Iterable[list[str]]:
    for key, value in sorted(prices.__dict__.items()):
        if key.startswith("_") or value is None:
            continue
        per = PER_UNITS.get(key, "")
        if isinstance(value, gp.TieredPrices):
            yield [provider, model, str(set_id), key, "", price_text(value.base), per]
            for tier in value.tiers:
                yield [provider, model, str(set_id), key, str(tier.start), price_text(tier.price), per]
        else:
            yield [provider, model, str(set_id), key, "", price_text(value), per]


def constraint_cells(constraint: object) -> list[str]:
    if constraint is None:
        return ["", "", ""]
    if isinstance(constraint, gp.StartDateConstraint):
        return [constraint.start_date.isoformat(), "", ""]
    if isinstance(constraint, gp.TimeOfDateConstraint):
        times = [gp._utc_timetz(t).replace(tzinfo=None).isoformat() for t in (constraint.start_time, constraint.end_time)]
        return ["", *times]
    raise SystemExit(f"refresh_prices: unsupported price constraint {constraint!r}")


def build_tables() -> dict[str, tuple[list[str], list[list[str]]]]:
    providers_rows: list[list[str]] = []
    model_rows: list[list[str]] = []
    clause_rows: list[list[str]] = []
    set_rows: list[list[str]] = []
    rate_rows_all: list[list[str]] = []

    def add_rule(scope: str, provider: str, model: str, order: int, clause: object) -> None:
        for conj_id, conj in enumerate(to_dnf(clause)):
            for clause_index, (kind, value) in enumerate(conj):
                clause_rows.append([scope, provider, model, str(order), str(conj_id), str(clause_index), kind, value])

    for p_order, provider in enumerate(CATALOG):
        providers_rows.append(
            [provider.id, provider.name, str(p_order), " ".join(provider.fallback_model_providers or []), provider.api_pattern]
        )
        if provider.model_match is not None:
            add_rule("provider_model", provider.id, "", p_order, provider.model_match)
        if provider.provider_match is not None:
            add_rule("provider_id", provider.id, "", p_order, provider.provider_match)
        for m_order, model in enumerate(provider.models):
            model_rows.append(
                [provider.id, model.id, str(m_order), model.name or "", str(model.context_window or ""),
                 "true" if model.deprecated else "false"]
            )
            add_rule("model", provider.id, model.id, m_order, model.match)
            conditional = (
                [gp.ConditionalPrice(prices=model.prices)] if isinstance(model.prices, gp.ModelPrice) else model.prices
            )
            set_id = 0
            for order, cond in enumerate(conditional):
                set_rows.append([provider.id, model.id, str(set_id), "base", str(order), *constraint_cells(cond.constraint), "", "", ""])
                rate_rows_all.extend(rate_rows(provider.id, model.id, set_id, cond.prices))
                set_id += 1
            for order, variant in enumerate(model.price_variants or []):
                when = dict(variant.when)
                other = {k: v for k, v in when.items() if k not in ("processing", "service_tier")}
                set_rows.append(
                    [provider.id, model.id, str(set_id), "variant", str(order), *constraint_cells(variant.constraint),
                     when.get("processing", ""), when.get("service_tier", ""),
                     json.dumps(other, sort_keys=True) if other else ""]
                )
                rate_rows_all.extend(rate_rows(provider.id, model.id, set_id, variant.prices))
                set_id += 1

    return {
        "price_catalog_version.csv": (["source", "version"], [["genai-prices", genai_prices.__version__]]),
        "price_providers.csv": (
            ["provider_id", "provider_name", "provider_order", "fallback_model_providers", "api_pattern"], providers_rows
        ),
        "price_models.csv": (
            ["provider_id", "model_id", "model_order", "model_name", "context_window", "is_deprecated"], model_rows
        ),
        "price_match_clauses.csv": (
            ["rule_scope", "provider_id", "model_id", "rule_order", "conjunction_id", "clause_index", "clause_type",
             "clause_value"],
            clause_rows,
        ),
        "price_sets.csv": (
            ["provider_id", "model_id", "price_set_id", "set_kind", "set_order", "start_date", "start_time",
             "end_time", "when_processing", "when_service_tier", "when_other"],
            set_rows,
        ),
        "price_rates.csv": (
            ["provider_id", "model_id", "price_set_id", "price_key", "tier_start", "price_usd", "per_units"],
            rate_rows_all,
        ),
    }


def render(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tokenledger prices", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "seeds" / "prices")
    parser.add_argument("--check", action="store_true", help="exit 1 if the seeds differ from the pinned catalog")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    stale: list[str] = []
    for name, (header, rows) in build_tables().items():
        text = render(header, rows)
        path = args.out / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(rows)} rows)")
    if stale:
        print(f"refresh_prices: stale seeds vs genai-prices {genai_prices.__version__}: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
