"""Project conventions that must not rot: lint, documentation, primary keys, catalog freshness.

Lint blocks CI. Every model and column is documented and every model has a primary-key test
(unique + not_null on one column, or tl_unique_combination). The price seeds equal an export of
the pinned genai-prices, and the regex translations behave like the look-ahead originals.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import duckdb
import pytest
from harness import BIN, PROJECT_ROOT, Warehouse


def test_sqlfluff_lint_is_clean(tmp_path) -> None:
    result = subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "models", "tests", "--disable-progress-bar"],
        cwd=PROJECT_ROOT, capture_output=True, text=True,
        env={"PATH": str(BIN) + ":/usr/bin:/bin", "TOKENLEDGER_DB": str(tmp_path / "lint.duckdb"), "HOME": str(tmp_path)},
    )
    violations = [line for line in result.stdout.splitlines() if line.startswith(("L:", "== "))]
    assert result.returncode == 0, "\n".join(violations[:80]) or result.stderr[-3000:]


@pytest.fixture(scope="module")
def manifest(sample_warehouse: Warehouse) -> dict:
    return json.loads((sample_warehouse.root / "target" / "manifest.json").read_text(encoding="utf-8"))


def project_nodes(manifest: dict, resource_type: str) -> list[dict]:
    return [n for n in manifest["nodes"].values() if n["resource_type"] == resource_type and n["package_name"] == "tokenledger"]


def test_every_model_and_column_is_documented(manifest: dict, sample_warehouse: Warehouse) -> None:
    missing: list[str] = []
    for node in project_nodes(manifest, "model"):
        if not node["description"].strip():
            missing.append(f"model {node['name']}")
        relation = node.get("alias") or node["name"]
        actual = [r[0] for r in sample_warehouse.query(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [node["schema"], relation])]
        assert actual, f"{node['name']} not built"
        for column in actual:
            doc = node["columns"].get(column, {}).get("description", "")
            if not doc.strip():
                missing.append(f"{node['name']}.{column}")
        for column in node["columns"]:
            if column not in actual:
                missing.append(f"{node['name']}.{column} documented but not in the relation")
    assert not missing, "\n".join(missing)


def test_every_model_has_a_primary_key_test(manifest: dict) -> None:
    tests_by_model: dict[str, set[str]] = {}
    for test in project_nodes(manifest, "test"):
        meta = test.get("test_metadata") or {}
        name = meta.get("name")
        if name is None:  # singular tests prove other things
            continue
        column = test.get("column_name")
        for parent in test["depends_on"]["nodes"]:
            tag = f"{name}:{column}" if name in ("unique", "not_null") else name
            tests_by_model.setdefault(parent, set()).add(tag)
    lacking = []
    for node in project_nodes(manifest, "model") + project_nodes(manifest, "seed"):
        tags = tests_by_model.get(node["unique_id"], set())
        unique_cols = {t.split(":", 1)[1] for t in tags if t.startswith("unique:")}
        not_null_cols = {t.split(":", 1)[1] for t in tags if t.startswith("not_null:")}
        if not (unique_cols & not_null_cols) and "tl_unique_combination" not in tags:
            lacking.append(node["name"])
    assert not lacking, f"models without a primary-key test: {lacking}"


def test_price_seeds_equal_the_pinned_catalog() -> None:
    result = subprocess.run([sys.executable, "-m", "tokenledger", "prices", "refresh", "--check"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_lookahead_translations_behave_like_the_originals() -> None:
    from genai_prices.data import providers

    from tokenledger.prices import LOOKAHEAD_TRANSLATIONS

    subjects = {m.id.lower() for p in providers for m in p.models} | {
        "gpt-4o-mini-tts", "gpt-4o-tts-2025", "tts-1", "gemini-2.5-flash-preview-tts", "mistral-large-latest",
        "mistralai/mistral-large", "labs-devstral-small", "open-mixtral-8x7b", "codestral-2501", "x/ministral", "voxtral-mini",
    }
    con = duckdb.connect()
    for original, atoms in LOOKAHEAD_TRANSLATIONS.items():
        for subject in sorted(subjects):
            expected = re.search(original, subject) is not None
            got = all(
                con.execute("select regexp_matches(?, ?)", [subject, value]).fetchone()[0] == (kind == "regex")
                for kind, value in atoms
            )
            assert got == expected, (original, subject)


def test_raw_tables_from_ingest_and_dbt_agree(sample_warehouse: Warehouse, tmp_path) -> None:
    """tokenledger ingest and the dbt on-run-start hook create the same raw tables."""
    from harness import new_warehouse

    fresh = new_warehouse(tmp_path)
    fresh.dbt("run-operation", "ensure_raw_tables")
    sql = ("select table_name, column_name, data_type, ordinal_position from information_schema.columns "
           "where table_schema = 'raw' order by 1, 4")
    assert fresh.query(sql) == sample_warehouse.query(sql)


LAYER_PREFIXES = {  # models/<layer>/... -> allowed name prefixes (contract names included: published_, focus_)
    "staging": ("stg_", "base_"),
    "intermediate": ("int_",),
    "marts": ("fct_", "dim_", "rpt_", "published_", "focus_"),
    "audit": ("audit_",),
    "history": ("hist_",),
}


def layer_of(node: dict) -> str:
    return node["original_file_path"].split("/")[1]


def test_model_names_follow_their_layer(manifest: dict) -> None:
    wrong = [f"{n['original_file_path']}: {n['name']}" for n in project_nodes(manifest, "model")
             if not n["name"].startswith(LAYER_PREFIXES[layer_of(n)])]
    assert not wrong, "\n".join(wrong)


def test_staging_reads_only_sources_and_marts_never_do(manifest: dict) -> None:
    """Staging reads sources, seeds, snapshots and other staging models; no model outside staging reads a source."""
    models = {n["unique_id"]: n for n in project_nodes(manifest, "model")}
    problems = []
    for node in models.values():
        layer = layer_of(node)
        for parent in node["depends_on"]["nodes"]:
            kind = parent.split(".", 1)[0]
            if layer == "staging" and kind == "model" and layer_of(models[parent]) != "staging":
                problems.append(f"staging model {node['name']} reads {parent}")
            if layer != "staging" and kind == "source":
                problems.append(f"{layer} model {node['name']} reads the source {parent}")
    assert not problems, "\n".join(problems)


LAYER_ORDER = {"staging": 0, "intermediate": 1, "history": 1, "marts": 2, "audit": 3}  # history: the seeds' change logs
# Evaluator-style limits (the dbt project evaluator's "too many joins" and "model fan-out" rules), set at
# what the project needs and no higher: the widest model, int_usage_events_attributed, joins events to
# teams, agents, API keys, people and shared-agent rules plus the three inputs of the incremental month
# filter (closed months, load months, unloads): 9 parents. Fan-out: at most 10 readers per model (the
# published event, fct_usage_events, has 8: the marts built on it; audits read int_usage_events). The
# incremental machinery is exempt: every base parser and incremental model reads the load lineage
# (tl_unseen_loads, tl_reprocess_months_filter), so its readers grow with the sources by design.
MAX_PARENTS = 9
MAX_CHILDREN = 10
FANOUT_EXEMPT = {"model.tokenledger.stg_ingest__load_unloads", "model.tokenledger.stg_ingest__load_manifest"}
# What tl_reprocess_months_filter reads to choose the months an incremental fact rebuilds (its depends_on hints):
# bookkeeping, not inputs the model joins, so not counted against MAX_PARENTS.
REPROCESS_BOOKKEEPING = {f"model.tokenledger.{name}" for name in (
    "int_load_months", "stg_ingest__load_unloads", "stg_org__closed_months", "int_config_fingerprints")}
# The configuration fingerprint digests every seed the incremental facts read, by design.
WIDE_EXEMPT = {"model.tokenledger.int_config_fingerprints"}


def model_parents(node: dict) -> set[str]:
    return {p for p in node["depends_on"]["nodes"] if p.split(".", 1)[0] in ("model", "seed", "source", "snapshot")}


def test_the_dag_flows_one_way(manifest: dict) -> None:
    """staging -> intermediate -> marts -> audit: no model reads a model of a layer above its own."""
    models = {n["unique_id"]: n for n in project_nodes(manifest, "model")}
    upward = [
        f"{layer_of(node)} model {node['name']} reads {layer_of(models[parent])} model {models[parent]['name']}"
        for node in models.values() for parent in model_parents(node)
        if parent in models and LAYER_ORDER[layer_of(models[parent])] > LAYER_ORDER[layer_of(node)]
    ]
    assert not upward, "\n".join(upward)


def test_no_model_joins_too_many_inputs_or_fans_out_too_far(manifest: dict) -> None:
    models = {n["unique_id"]: n for n in project_nodes(manifest, "model")}
    children: dict[str, int] = {}
    for node in models.values():
        for parent in model_parents(node):
            children[parent] = children.get(parent, 0) + 1
    joined = {uid: model_parents(n) - REPROCESS_BOOKKEEPING if n["config"].get("materialized") == "incremental"
              else model_parents(n) for uid, n in models.items()}
    wide = [f"{models[uid]['name']} reads {len(parents)} inputs (limit {MAX_PARENTS})"
            for uid, parents in joined.items() if len(parents) > MAX_PARENTS and uid not in WIDE_EXEMPT]
    fanned = [f"{parent} is read by {count} models (limit {MAX_CHILDREN})"
              for parent, count in children.items() if count > MAX_CHILDREN and parent not in FANOUT_EXEMPT]
    assert not wide + fanned, "\n".join(wide + fanned)


def test_every_seed_source_and_macro_is_documented(manifest: dict) -> None:
    missing = []
    for node in project_nodes(manifest, "seed"):
        if not node["description"].strip():
            missing.append(f"seed {node['name']}")
        missing += [f"seed {node['name']}.{c}" for c, col in node["columns"].items() if not col["description"].strip()]
    for source in manifest["sources"].values():
        if source["package_name"] != "tokenledger":
            continue
        if not (source["description"].strip() and source["source_description"].strip()):
            missing.append(f"source {source['source_name']}.{source['name']}")
        missing += [f"source {source['source_name']}.{source['name']}.{c}" for c, col in source["columns"].items()
                    if not col["description"].strip()]
    for macro in manifest["macros"].values():
        if macro["package_name"] == "tokenledger" and not macro["description"].strip():
            missing.append(f"macro {macro['name']}")
    assert not missing, "\n".join(missing)


def test_dbt_docs_generate_works(sample_warehouse: Warehouse, tmp_path) -> None:
    """`dbt docs generate` builds the catalog of every relation, with the exposures in the manifest.

    Its own target path: the shared sample warehouse's run_results.json (the build's) must stay as it is.
    """
    docs = Warehouse(tmp_path, {"TOKENLEDGER_DB": str(sample_warehouse.db)})
    docs.dbt("docs", "generate")
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text(encoding="utf-8"))
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text(encoding="utf-8"))
    models = {n["unique_id"] for n in project_nodes(manifest, "model")}
    assert models <= set(catalog["nodes"]), sorted(models - set(catalog["nodes"]))
    assert {e["name"] for e in manifest["exposures"].values()} >= {"chargeback_exports", "spend_alerts", "chargeback_report"}


def test_project_text_speaks_of_the_product_only() -> None:
    """No tracker numbers or remarks about where the project was written in tracked project text."""
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    pattern = re.compile(r"\b" + "issue" + r"s? #?\d+\b|package hub is" + " unreachable", re.IGNORECASE)
    offenders = []
    for name in tracked.splitlines():
        path = PROJECT_ROOT / name
        if name.startswith(("data/sample/", "seeds/prices/")) or not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [f"{name}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1) if pattern.search(line)]
    assert not offenders, "\n".join(offenders[:20])


def macro_body(text: str, name: str) -> str:
    body = text[text.index(f"macro {name}"):]
    return body[:body.index("endmacro")]


def registered_sources() -> tuple[list[str], list[str]]:
    """The usage-source registry's names and the attempt contract, read from their one home."""
    text = (PROJECT_ROOT / "macros" / "staging" / "usage_sources.sql").read_text(encoding="utf-8")
    registry = macro_body(text, "tl_usage_sources")
    contract = macro_body(text, "tl_attempt_columns")
    return re.findall(r"'name': '(\w+)'", registry), re.findall(r"'(\w+)'", contract)


def copy_contract() -> list[str]:
    """The copy contract every stg_<source>__record_copies ends in, read from its one home."""
    text = (PROJECT_ROOT / "macros" / "staging" / "usage_sources.sql").read_text(encoding="utf-8")
    return re.findall(r"'(\w+)'", macro_body(text, "tl_record_copy_columns"))


def test_every_registered_source_is_sealed_and_read_through_the_registry(manifest: dict, sample_warehouse: Warehouse) -> None:
    """Each source's staging ends in stg_<source>__attempts with the contract columns first, in order; the
    union, the cross-source matching and the conservation test read every one of them (they loop over the
    registry), and nothing downstream of staging reads a usage source's other staging models. Its folder
    also holds stg_<source>__record_copies (its latest-copy rule: the parsed columns, then the copy contract,
    one copy_rank 1 per record) and stg_<source>__rejected_rows, which audit.duplicate_records and
    audit.rejected_rows read (they loop over the registry too)."""
    names, contract = registered_sources()
    assert {"gateway", "jobs", "otel", "litellm"} <= set(names)
    nodes = {n["unique_id"]: n for n in manifest["nodes"].values()}
    attempts = {f"model.tokenledger.stg_{name}__attempts" for name in names}
    assert attempts <= set(nodes), attempts - set(nodes)
    for name in names:
        got = [row[0] for row in sample_warehouse.query(
            "select column_name from information_schema.columns where table_schema = 'staging' and table_name = ? "
            "order by ordinal_position", [f"stg_{name}__attempts"])]
        assert got[:len(contract)] == contract, name
        assert sample_warehouse.scalar(f"select count(distinct source) from staging.stg_{name}__attempts") <= 1
    for consumer in ("model.tokenledger.int_usage_attempts_unioned", "model.tokenledger.int_usage_attempts_matched"):
        assert attempts <= set(nodes[consumer]["depends_on"]["nodes"]), consumer
    conserved = next(n for n in nodes.values() if n["name"] == "assert_raw_rows_conserved")
    source_prefixes = tuple(f"model.tokenledger.{p}_{name}__" for name in names for p in ("stg", "base"))
    for name in names:
        assert any(dep.startswith((f"source.tokenledger.{name}.", f"model.tokenledger.base_{name}__"))
                   for dep in conserved["depends_on"]["nodes"]), name
    leaks = [f"{n['name']} reads {dep}" for n in project_nodes(manifest, "model") if layer_of(n) == "intermediate"
             for dep in n["depends_on"]["nodes"] if dep.startswith(source_prefixes) and dep not in attempts]
    assert not leaks, "\n".join(leaks)
    # The latest-copy rule and the rejects live in the source's folder too.
    copy_columns = copy_contract()
    assert copy_columns[:2] == ["copy_source", "copy_record_id"] and "copy_rank" in copy_columns
    readers = {n["name"]: set(n["depends_on"]["nodes"]) for n in nodes.values()
               if n["name"] in ("audit_duplicate_records", "audit_rejected_rows")}
    for name in names:
        for model, reader in ((f"stg_{name}__record_copies", "audit_duplicate_records"),
                              (f"stg_{name}__rejected_rows", "audit_rejected_rows")):
            node = nodes.get(f"model.tokenledger.{model}")
            assert node is not None, f"{name} has no {model}"
            assert node["original_file_path"].startswith(f"models/staging/{name}/"), node["original_file_path"]
            assert node["unique_id"] in readers[reader], f"{reader} does not read {model}"
        got = [row[0] for row in sample_warehouse.query(
            "select column_name from information_schema.columns where table_schema = 'staging' and table_name = ? "
            "order by ordinal_position", [f"stg_{name}__record_copies"])]
        assert got[-len(copy_columns):] == copy_columns, name
        assert {"load_id", "file_path", "record_hash"} <= set(got), name
        assert sample_warehouse.scalar(
            f"select count(*) from (select copy_record_id from staging.stg_{name}__record_copies "
            "group by copy_record_id having sum(case when copy_rank = 1 then 1 else 0 end) <> 1) as wrong") == 0, name


def test_unit_test_names_fit_postgres_relation_names(manifest: dict) -> None:
    """A unit test's name becomes a relation name on Postgres, which stops at 63 characters."""
    long = [u["name"] for u in manifest.get("unit_tests", {}).values() if len(u["name"]) > 63]
    assert not long, long


def test_the_configuration_fingerprint_covers_every_seed_the_facts_read(manifest: dict) -> None:
    """Every seed upstream of the incremental facts, the savings facts included (not through
    int_config_fingerprints itself), is in
    tl_fingerprinted_seeds, so editing it reprocesses the open months it can affect; closed_months is
    the one exception: closing a month is what stops it being reprocessed."""
    listed = set(re.findall(r"'seed': '([a-z_0-9]+)'",
                            (PROJECT_ROOT / "macros" / "incremental" / "config_fingerprint.sql").read_text(encoding="utf-8")))
    facts = [f"model.tokenledger.{name}" for name in ("int_usage_attempts_priced", "int_usage_events",
                                                      "int_usage_events_attributed", "fct_usage_events", "fct_cost_allocations",
                                                      "int_savings_scenarios", "fct_savings_events")]
    skip = "model.tokenledger.int_config_fingerprints"
    seen: set[str] = set()
    stack = list(facts)
    while stack:
        node = manifest["nodes"].get(stack.pop())
        if node is None:
            continue
        for parent in node.get("depends_on", {}).get("nodes", []):
            if parent != skip and parent not in seen:
                seen.add(parent)
                stack.append(parent)
    upstream = {uid.split(".")[-1] for uid in seen if uid.startswith("seed.tokenledger.")}
    assert upstream - {"closed_months"} == listed
