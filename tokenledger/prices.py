"""Show a model's effective prices, or export the pinned genai-prices catalog into dbt seeds (seeds/prices/*.csv).

    tokenledger prices show MODEL [--provider P] [--on DATE] [--org DIR] [--db PATH]
    tokenledger prices refresh [--out seeds/prices] [--check]

`show` prints the rates per canonical bucket that price MODEL on DATE (default today, UTC) in the built
warehouse: the organisation's custom price (custom_prices.csv, as loaded by the last build) when one is in
force, else the catalog's, and says which. It warns when the organisation folder's custom_prices.csv
differs from what the warehouse loaded (rebuild to apply it).

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
import contextlib
import csv
import io
import itertools
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import genai_prices
from genai_prices import types as gp
from genai_prices.data import providers as CATALOG
from genai_prices.data_units import unit_data

from tokenledger.common import PROJECT_ROOT, add_org_argument, connect, default_db_path, org_dir, warehouse_lock

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


def refresh(out: Path, check: bool) -> int:
    """Write the catalog seeds into `out`; with `check`, write nothing and return 1 when they are stale."""
    out.mkdir(parents=True, exist_ok=True)
    stale: list[str] = []
    for name, (header, rows) in build_tables().items():
        text = render(header, rows)
        path = out / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if check:
            stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({len(rows)} rows)")
    if stale:
        print(f"refresh_prices: stale seeds vs genai-prices {genai_prices.__version__}: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


# `show`: the canonical buckets, each with the price keys that price it, most specific first (as
# int_usage_attempts_priced prices them), and the custom_prices.csv column that prices it.
BUCKETS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("input", ("input_mtok",), "input_mtok"),
    ("cache read", ("cache_read_mtok", "input_mtok"), "cache_read_mtok"),
    ("cache write 5m", ("cache_write_5m_mtok", "cache_write_mtok", "input_mtok"), "cache_write_5m_mtok"),
    ("cache write 1h", ("cache_write_1h_mtok", "cache_write_mtok", "input_mtok"), "cache_write_1h_mtok"),
    ("output", ("output_mtok",), "output_mtok"),
    ("reasoning", ("output_reasoning_mtok", "output_mtok"), "output_mtok"),
    ("input audio", ("input_audio_mtok", "input_mtok"), "input_audio_mtok"),
    ("output audio", ("output_audio_mtok", "output_mtok"), "output_audio_mtok"),
)
CUSTOM_RATES = ("input_mtok", "cache_read_mtok", "cache_write_5m_mtok", "cache_write_1h_mtok", "output_mtok",
                "input_audio_mtok", "output_audio_mtok", "request_usd")


@dataclass(frozen=True)
class CustomPrice:
    provider: str
    model: str
    match: str
    effective_from: date
    rates: dict[str, Decimal]
    note: str | None


def rate_text(value: Decimal | None) -> str:
    if value is None:
        return "-"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def custom_price(con: duckdb.DuckDBPyConnection, model_ref: str, provider: str | None, on: date) -> CustomPrice | None:
    """The custom price in force for (provider, model) on `on`, with the pricing model's precedence: exact
    beats prefix, a longer prefix a shorter one, then the latest effective_from. Any provider when None."""
    columns = ", ".join(CUSTOM_RATES)
    rows = con.execute(
        f"select provider, model, match, effective_from, {columns}, note from staging.stg_org__custom_prices "
        "where effective_from <= ? and (? is null or provider = ?) "
        "and ((match = 'exact' and model = ?) or (match = 'prefix' and starts_with(?, model)))",
        [on, provider, provider, model_ref, model_ref]).fetchall()
    if not rows:
        return None
    best = min(rows, key=lambda r: (r[2] != "exact", -len(r[1]), -r[3].toordinal()))
    return CustomPrice(best[0], best[1], best[2], best[3], dict(zip(CUSTOM_RATES, best[4:-1], strict=True)), best[-1])


def catalog_model(con: duckdb.DuckDBPyConnection, model: str, provider: str | None) -> tuple[str, str, str] | None:
    """(provider, model's catalog provider, catalog model id) the reference resolves to: as the last build
    resolved it when the warehouse has seen it (intermediate.int_model_refs_resolved), else by the pinned
    catalog's own lookup (the seeds equal it: `prices refresh --check`)."""
    row = con.execute(
        "select provider_id, model_provider_id, model_id from intermediate.int_model_refs_resolved "
        "where provider_hint is not distinct from ? and model_ref = ? and model_id is not null limit 1",
        [provider, model.strip().lower()]).fetchone()
    if row is not None:
        return str(row[0]), str(row[1]), str(row[2])
    try:
        found_provider, found_model = genai_prices.data_snapshot.get_snapshot().find_provider_model(
            model.strip(), None, provider, None)
    except LookupError:
        return None
    model_provider = con.execute(
        "select provider_id from seeds.price_models where model_id = ? order by provider_id = ? desc limit 1",
        [found_model.id, found_provider.id]).fetchone()
    return found_provider.id, str(model_provider[0]) if model_provider else found_provider.id, found_model.id


def catalog_rates(con: duckdb.DuckDBPyConnection, provider: str, model_id: str, on: date) -> tuple[
        dict[str, Decimal], list[tuple[str, int, Decimal]], list[str], bool]:
    """The base rates of the price set in force on `on` (the last active one, else the first), its tiers,
    the variants of the model (batch, service tiers) and whether it has time-of-day prices."""
    sets = con.execute(
        "select price_set_id, set_order, start_date, start_time, when_processing, when_service_tier, set_kind "
        "from seeds.price_sets where provider_id = ? and model_id = ? order by set_order",
        [provider, model_id]).fetchall()
    base = [s for s in sets if s[6] == "base"]
    active = [s for s in base if s[2] is None or s[2] <= on]
    chosen = active[-1] if active else (base[0] if base else None)
    variants = sorted({str(v) for s in sets if s[6] == "variant" for v in (s[4], s[5]) if v})
    time_of_day = any(s[3] is not None for s in sets)
    if chosen is None:
        return {}, [], variants, time_of_day
    rates: dict[str, Decimal] = {}
    tiers: list[tuple[str, int, Decimal]] = []
    for key, tier_start, price in con.execute(
            "select price_key, tier_start, price_usd from seeds.price_rates "
            "where provider_id = ? and model_id = ? and price_set_id = ? order by price_key, tier_start nulls first",
            [provider, model_id, chosen[0]]).fetchall():
        if tier_start is None:
            rates[str(key)] = Decimal(price)
        else:
            tiers.append((str(key), int(tier_start), Decimal(price)))
    return rates, tiers, variants, time_of_day


def loaded_custom_prices_differ(con: duckdb.DuckDBPyConnection, org: Path) -> bool:
    """Does the organisation folder's custom_prices.csv hold other rows than the warehouse loaded?"""
    from tokenledger.orgfiles import read_org_file

    path = org / "custom_prices.csv"
    if not path.is_file():
        return False
    header, rows = read_org_file(path)
    loaded_columns = [str(r[0]) for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'seeds' "
        "and table_name = 'custom_prices' order by ordinal_position").fetchall()]
    if loaded_columns != header:
        return True
    quoted = ", ".join(f'"{c}"' for c in header)
    loaded = sorted(tuple("" if v is None else str(v) for v in r)
                    for r in con.execute(f"select {quoted} from seeds.custom_prices").fetchall())
    wanted = sorted(tuple(row.values.get(c, "") or "" for c in header) for row in rows)
    return loaded != wanted


def show(con: duckdb.DuckDBPyConnection, model: str, provider: str | None, on: date, org: Path) -> int:
    provider = provider.strip().lower() or None if provider else None
    model_ref = model.strip().lower()
    if loaded_custom_prices_differ(con, org):
        print(f"note: {org / 'custom_prices.csv'} differs from what the warehouse loaded; rebuild to apply it",
              file=sys.stderr)
    resolved = catalog_model(con, model, provider)
    custom = custom_price(con, model_ref, provider or (resolved[0] if resolved else None), on)
    if custom is None and provider is None and resolved is None:
        custom = custom_price(con, model_ref, None, on)
    lines: list[tuple[str, str]] = []
    if custom is not None:
        print(f"{model} on {on}: custom price (custom_prices.csv): provider {custom.provider}, "
              f"{custom.match} match `{custom.model}`, from {custom.effective_from}")
        if resolved is not None:
            print(f"  (replaces the catalog's {resolved[1]}/{resolved[2]} from that date on)")
        for bucket, _keys, column in BUCKETS:
            lines.append((bucket, rate_text(custom.rates[column])))
        lines.append(("per request (USD)", rate_text(custom.rates["request_usd"])))
        if custom.note:
            lines.append(("note", custom.note))
    elif resolved is not None:
        rates, tiers, variants, time_of_day = catalog_rates(con, resolved[1], resolved[2], on)
        version = con.execute("select max(version) from seeds.price_catalog_version").fetchone()
        print(f"{model} on {on}: catalog price (genai-prices {version[0] if version else '?'}): "
              f"provider {resolved[0]}, model {resolved[1]}/{resolved[2]}")
        for bucket, keys, _column in BUCKETS:
            lines.append((bucket, rate_text(next((rates[k] for k in keys if k in rates), None))))
        if "requests_kcount" in rates:
            lines.append(("per request (USD)", rate_text(rates["requests_kcount"] / 1000)))
        if "web_searches_kcount" in rates:
            lines.append(("per web search (USD)", rate_text(rates["web_searches_kcount"] / 1000)))
        for key, start, price in tiers:
            lines.append((f"{key} above {start:,} input tokens", rate_text(price)))
        if variants:
            lines.append(("variants (not shown)", ", ".join(variants)))
        if time_of_day:
            lines.append(("note", "time-of-day prices: the rates of the set in force at midnight UTC"))
    else:
        print(f"{model} on {on}: no price: neither custom_prices.csv nor the catalog knows it"
              f"{f' for provider {provider}' if provider else ''} (its events are unpriced)")
        return 1
    width = max(len(label) for label, _ in lines)
    print(f"  {'bucket'.ljust(width)}  USD per million tokens")
    for label, value in lines:
        print(f"  {label.ljust(width)}  {value}")
    return 0


def date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tokenledger prices", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="{show,refresh}")
    show_parser = commands.add_parser(
        "show", help="the rates per bucket that price a model on a date (custom price or catalog)",
        description="The rates per canonical bucket that price MODEL on a date in the built warehouse: the "
                    "organisation's custom price when one is in force, else the catalog's (says which).")
    show_parser.add_argument("model", metavar="MODEL", help="the model as the events name it (case-insensitive)")
    show_parser.add_argument("--provider", default=None, metavar="P",
                             help="the events' provider (default: inferred from the model, as the build does)")
    show_parser.add_argument("--on", type=date_arg, default=None, metavar="DATE",
                             help="the UTC date, YYYY-MM-DD (default: today)")
    add_org_argument(show_parser)
    show_parser.add_argument("--db", type=Path, default=default_db_path(), metavar="PATH",
                             help="warehouse file (default: $TOKENLEDGER_DB, else warehouse/tokenledger.duckdb)")
    refresh_parser = commands.add_parser(
        "refresh", help="re-export the pinned genai-prices catalog into seeds/prices",
        description="Export the pinned genai-prices catalog into dbt seeds; identical files for the same version.")
    refresh_parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "seeds" / "prices", metavar="DIR")
    refresh_parser.add_argument("--check", action="store_true", help="exit 1 if the seeds differ from the pinned catalog")
    args = parser.parse_args(argv)
    if args.command == "refresh":
        return refresh(args.out, args.check)
    if not args.db.is_file():
        print(f"prices: no warehouse at {args.db} (build first: tokenledger build)", file=sys.stderr)
        return 1
    on = args.on or datetime.now(UTC).date()
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(warehouse_lock(args.db))
            con = stack.enter_context(connect(args.db, read_only=True))
            return show(con, args.model, args.provider, on, org_dir(args.org))
        except SystemExit as exc:  # the writer lock was not had within TOKENLEDGER_LOCK_WAIT
            print(f"prices: {exc.code}", file=sys.stderr)
        except duckdb.Error as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            print(f"prices: cannot read the warehouse {args.db} ({reason}); build first: tokenledger build", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
