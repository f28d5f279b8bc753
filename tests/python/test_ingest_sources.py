"""tokenledger ingest: the formats landed in raw.source_documents (OTLP, LiteLLM, OpenAI / Anthropic reports).

Every input is written inline to tmp_path; the warehouse is a throwaway file (the `db` / `run`
fixtures and helpers of test_ingest.py).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_ingest import Run, db, gw, one, q, run, write  # noqa: F401 - db and run are fixtures

from tokenledger import ingest

Doc = tuple[str, int, int, str]  # (format, document_number, line_number, raw_document)


def docs(db: Path, path: Path) -> list[Doc]:
    return [tuple(r) for r in q(db, "select format, document_number, line_number, raw_document from raw.source_documents "
                                    "where file_path = ? order by document_number", [str(path.absolute())])]  # type: ignore[misc]  # fmt: skip


def manifest(db: Path, path: Path) -> tuple[Any, ...]:
    return one(db, "select format, rows, status, message from raw.load_manifest where file_name = ? order by load_id "
                   "limit 1", [path.name])  # fmt: skip


def dumps(value: object, pretty: bool = False) -> str:
    return json.dumps(value, indent=2 if pretty else None)


# ---------------------------------------------------------------------------------------------
# Inputs shaped like the real exports


def otlp(trace: str) -> dict[str, Any]:
    span = {"traceId": trace, "spanId": "b7ad6b7169203331", "name": "chat gpt-4o", "kind": 3,
            "startTimeUnixNano": "1754006400000000000", "endTimeUnixNano": "1754006401000000000",
            "attributes": [{"key": "gen_ai.usage.input_tokens", "value": {"intValue": "120"}},
                           {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o, \"mini\""}}]}  # fmt: skip
    return {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "agent"}}]},
                               "scopeSpans": [{"scope": {"name": "openllmetry"}, "spans": [span]}]}]}  # fmt: skip


def spend_log(request_id: str) -> dict[str, Any]:
    return {"request_id": request_id, "call_type": "acompletion", "api_key": "88dc28d0", "spend": 0.00123,
            "total_tokens": 150, "prompt_tokens": 100, "completion_tokens": 50, "startTime": "2025-08-01T10:00:00Z",
            "endTime": "2025-08-01T10:00:02Z", "model": "gpt-4o", "metadata": {"user_api_key_team_id": "t1"}}  # fmt: skip


def openai_page(results: list[dict[str, Any]], start: int = 1754006400) -> dict[str, Any]:
    return {"object": "page", "data": [
        {"object": "bucket", "start_time": start - 86400, "end_time": start, "results": []},
        {"object": "bucket", "start_time": start, "end_time": start + 86400, "results": results},
    ], "has_more": False, "next_page": None}  # fmt: skip


OPENAI_USAGE = {"object": "organization.usage.completions.result", "input_tokens": 1000, "output_tokens": 200,
                "input_cached_tokens": 100, "input_audio_tokens": 0, "output_audio_tokens": 0, "num_model_requests": 3,
                "project_id": "proj_1", "user_id": None, "api_key_id": "key_1", "model": "gpt-4o-2024-08-06",
                "batch": False, "service_tier": "default"}  # fmt: skip
OPENAI_COSTS = {"object": "organization.costs.result", "amount": {"value": 0.06, "currency": "usd"},
                "line_item": "gpt-4o, input", "project_id": "proj_1"}  # fmt: skip
ANTHROPIC_USAGE = {"uncached_input_tokens": 1500, "cache_creation": {"ephemeral_5m_input_tokens": 10,
                   "ephemeral_1h_input_tokens": 0}, "cache_read_input_tokens": 200, "output_tokens": 500,
                   "server_tool_use": {"web_search_requests": 0}, "api_key_id": "apikey_01", "workspace_id": None,
                   "model": "claude-sonnet-4-20250514", "service_tier": "standard", "context_window": "0-200k"}  # fmt: skip
ANTHROPIC_COSTS = {"currency": "USD", "amount": "123.45", "workspace_id": None, "description": "Claude Sonnet 4 Usage",
                   "cost_type": "tokens", "context_window": "0-200k", "model": "claude-sonnet-4-20250514",
                   "service_tier": "standard", "token_type": "uncached_input_tokens"}  # fmt: skip


def anthropic_page(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": [
        {"starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z", "results": []},
        {"starting_at": "2025-08-02T00:00:00Z", "ending_at": "2025-08-03T00:00:00Z", "results": results},
    ], "has_more": False, "next_page": None}  # fmt: skip


PAGES = {
    "openai_usage": openai_page([OPENAI_USAGE]),
    "openai_costs": openai_page([OPENAI_COSTS]),
    "anthropic_usage": anthropic_page([ANTHROPIC_USAGE]),
    "anthropic_costs": anthropic_page([ANTHROPIC_COSTS]),
}

LITELLM_HEADER = ("request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,"
                  "model,model_group,custom_llm_provider,api_base,user,metadata,cache_hit,request_tags,team_id,"
                  "end_user,status")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Contract: the table


def test_source_documents_has_the_contract_columns(db: Path) -> None:
    con = ingest.connect(db)
    ingest.ensure_raw_tables(con)
    con.close()
    assert q(db, "select column_name, data_type from information_schema.columns where table_schema = 'raw' "
                 "and table_name = 'source_documents' order by ordinal_position") == [
        ("load_id", "BIGINT"), ("file_path", "VARCHAR"), ("file_sha256", "VARCHAR"), ("format", "VARCHAR"),
        ("document_number", "BIGINT"), ("line_number", "BIGINT"), ("raw_document", "VARCHAR"),
        ("loaded_at", "TIMESTAMP"),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# OTLP


def test_otlp_json_whole_file_is_one_verbatim_document_with_lineage(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    text = dumps(otlp("t1"), pretty=True) + "\n"
    path = write(tmp_path / "traces.json", text)
    result = run(path)
    assert result.code == 0, result
    assert result.out.splitlines() == [f"loaded {path}: 1 rows as load 1 (1 document landed (the whole file))"]
    assert docs(db, path) == [("otlp_json", 1, 1, text)]
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest(db, path) == ("otlp_json", 1, "loaded", "1 document landed (the whole file)")
    assert q(db, "select d.load_id, d.file_sha256, d.loaded_at = m.loaded_at from raw.source_documents d "
                 "join raw.load_manifest m using (load_id)") == [(1, sha, True)]  # fmt: skip


def test_otlp_json_array_of_exports_is_one_document(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    text = "  \n[\n" + dumps(otlp("t1")) + ",\n" + dumps(otlp("t2")) + "\n]"  # leading blank line, no final newline
    path = write(tmp_path / "traces.txt", text)
    assert run(path).code == 0
    assert docs(db, path) == [("otlp_json", 1, 1, text)]


def test_otlp_jsonl_one_document_per_line_bad_lines_verbatim(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    lines = [dumps(otlp("t1")), "", '{"resourceSpans": [ truncated', "  \t", dumps(otlp("t3")), "[1, 2]"]
    path = write(tmp_path / "otel-collector.out", "\r\n".join(lines) + "\r\n")
    result = run(path)
    assert result.code == 0, result
    assert manifest(db, path) == ("otlp_jsonl", 4, "loaded", "4 lines landed, 2 blank lines skipped")
    assert docs(db, path) == [
        ("otlp_jsonl", 1, 1, lines[0]), ("otlp_jsonl", 2, 3, lines[2]),
        ("otlp_jsonl", 3, 5, lines[4]), ("otlp_jsonl", 4, 6, lines[5]),
    ]  # fmt: skip


def test_jsonl_with_a_control_byte_takes_the_fallback_reader_and_is_still_numbered(
    tmp_path: Path, db: Path, run: Callable[..., Run]
) -> None:
    lines = [dumps(otlp("t1")), "", "bad \x1f byte", dumps(otlp("t4"))]
    path = write(tmp_path / "o.jsonl", "\n".join(lines) + "\n")
    assert run(path).code == 0
    assert manifest(db, path)[3] == "3 lines landed, 1 blank lines skipped, split by the fallback reader"
    assert docs(db, path) == [("otlp_jsonl", 1, 1, lines[0]), ("otlp_jsonl", 2, 3, lines[2]), ("otlp_jsonl", 3, 4, lines[3])]


# ---------------------------------------------------------------------------------------------
# LiteLLM


def test_litellm_json_array_and_paginated_object(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    array = dumps([spend_log("r1"), spend_log("r2")])  # on one line: not an object, so not JSON Lines
    page = {"data": [spend_log("r3")], "total": 1, "page": 1, "page_size": 50, "total_pages": 1}
    a = write(tmp_path / "spend.json", array)
    b = write(tmp_path / "spend_page.json", "\n" + dumps(page, pretty=True))
    c = write(tmp_path / "spend_page_compact.json", "\n" + dumps(page))  # first non-blank line is an object: JSONL
    d = write(tmp_path / "one_log.json", dumps(spend_log("r4"), pretty=True))  # a single spend log, pretty-printed
    assert run(a, b, c, d).code == 0
    assert docs(db, d) == [("litellm_json", 1, 1, dumps(spend_log("r4"), pretty=True))]
    assert docs(db, a) == [("litellm_json", 1, 1, array)]
    assert docs(db, b) == [("litellm_json", 1, 1, "\n" + dumps(page, pretty=True))]
    assert docs(db, c) == [("litellm_jsonl", 1, 2, dumps(page))]


def test_litellm_jsonl_one_spend_log_per_line(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    lines = [dumps(spend_log("r1")), dumps(spend_log("r2")), "", "{oops"]
    path = write(tmp_path / "spend.jsonl", "\n".join(lines))
    assert run(path).code == 0
    assert docs(db, path) == [("litellm_jsonl", 1, 1, lines[0]), ("litellm_jsonl", 2, 2, lines[1]),
                              ("litellm_jsonl", 3, 4, lines[3])]  # fmt: skip


def logging_payload(call_id: str) -> dict[str, Any]:
    """LiteLLM's StandardLoggingPayload, as its custom, S3 and GCS loggers write it (litellm/types/utils.py)."""
    return {"id": call_id, "trace_id": "t-1", "call_type": "acompletion", "response_cost": 0.00123, "status": "success",
            "total_tokens": 150, "prompt_tokens": 100, "completion_tokens": 50, "startTime": 1754042400.5,
            "endTime": 1754042402.0, "model": "gpt-4o", "model_id": "dep-1", "model_group": "gpt-4o",
            "custom_llm_provider": "openai", "api_base": "https://api.openai.com/v1",
            "metadata": {"user_api_key_hash": "88dc28d0", "user_api_key_team_id": "t1", "usage_object": None},
            "cache_hit": False, "request_tags": ["project:x"], "end_user": None, "response": None,
            "hidden_params": {"model_id": "dep-1", "response_cost": "0.00123"}}  # fmt: skip


def test_litellm_standard_logging_payload_is_recognised(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    """A StandardLoggingPayload line has id, call_type and response_cost (no request_id, no spend): not a gateway log."""
    lines = [dumps(logging_payload("c1")), dumps(logging_payload("c2"))]
    jsonl = write(tmp_path / "s3.jsonl", "\n".join(lines) + "\n")
    whole = write(tmp_path / "payloads.json", dumps([logging_payload("c3")], pretty=True))
    assert run(jsonl, whole).code == 0
    assert docs(db, jsonl) == [("litellm_payload_jsonl", 1, 1, lines[0]), ("litellm_payload_jsonl", 2, 2, lines[1])]
    assert docs(db, whole) == [("litellm_payload_json", 1, 1, dumps([logging_payload("c3")], pretty=True))]
    assert one(db, "select count(*) from raw.gateway_requests") == 0


def litellm_row(request_id: str, **values: str) -> dict[str, str]:
    row = dict.fromkeys(LITELLM_HEADER.split(","), "")
    row |= {"request_id": request_id, "call_type": "acompletion", "api_key": "88dc28d0", "spend": "0.00123",
            "total_tokens": "150", "startTime": "2025-08-01 10:00:00.123", "model": "gpt-4o", "status": "success"}  # fmt: skip
    return row | values


def csv_line(row: dict[str, str]) -> str:
    def field(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value

    return ",".join(field(v) for v in row.values())


def test_litellm_csv_records_become_json_objects_that_round_trip(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    metadata = json.dumps({"user_api_key_alias": "team, \"alpha\"", "tags": ["a", "b"], "note": "line one\nline two"})
    rows = [
        litellm_row("r1", metadata=metadata, request_tags='["prod",\n "eu"]'),  # a quoted field over 2 lines
        litellm_row("r2", spend="0.0", cache_hit="False", user=" padded "),
        litellm_row("r3", metadata="{}"),
    ]
    lines = [LITELLM_HEADER, csv_line(rows[0]), "", csv_line(rows[1]), csv_line(rows[2])]
    path = write(tmp_path / "LiteLLM_SpendLogs.csv", "\ufeff" + "\n".join(lines) + "\n")
    result = run(path)
    assert result.code == 0, result
    got = docs(db, path)
    assert [d[:3] for d in got] == [("litellm_csv", 1, 2), ("litellm_csv", 2, 5), ("litellm_csv", 3, 6)]
    for (_, _, _, raw), row in zip(got, rows, strict=True):
        document = json.loads(raw)
        assert document == row  # every value a string, empty fields "", names as written (startTime)
        assert list(document) == LITELLM_HEADER.split(",")
    assert json.loads(json.loads(got[0][3])["metadata"]) == json.loads(metadata)
    assert manifest(db, path)[:3] == ("litellm_csv", 3, "loaded")


def test_litellm_csv_bad_records_land_unparsed_in_file_order(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    header = "Request_ID , spend,call_type,metadata"  # recognised trimmed and case-insensitively; keys as written
    lines = [header, 'a,1,c,"{""k"": ""x,y""}"', "b,2,c,x,EXTRA", 'c,3,c,"multi\nline"', 'd,4,c,"never closed']
    path = write(tmp_path / "spend.csv", "\r\n".join(lines) + "\r\n")
    result = run(path)
    assert result.code == 0, result
    got = docs(db, path)
    assert [d[:3] for d in got] == [("litellm_csv", 1, 2), ("litellm_csv", 2, 3), ("litellm_csv", 3, 4),
                                    ("litellm_csv", 4, 6)]  # fmt: skip
    assert json.loads(got[0][3]) == {"Request_ID ": "a", " spend": "1", "call_type": "c", "metadata": '{"k": "x,y"}'}
    assert json.loads(got[1][3]) == {"_unparsed": "b,2,c,x,EXTRA",
                                     "_error": "TOO MANY COLUMNS: Expected Number of Columns: 4 Found: 5"}  # fmt: skip
    assert json.loads(got[2][3])["metadata"] == "multi\nline"
    assert json.loads(got[3][3])["_unparsed"].startswith('d,4,c,"never closed')
    assert manifest(db, path)[3] == (
        '4 records landed, 2 rejected by the CSV parser (kept as {"_unparsed": <record>, "_error": <reason>} documents)'
    )


def test_litellm_csv_without_the_line_pass_lands_with_line_number_unknown(
    tmp_path: Path, db: Path, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise duckdb.IOException("simulated failure of the physical-line pass")

    monkeypatch.setattr(ingest, "_csv_row_starts", broken)
    path = write(tmp_path / "s.csv", "request_id,spend,call_type\nr1,1,c\nr2,2,c\n")
    assert run(path).code == 0
    assert [d[:3] for d in docs(db, path)] == [("litellm_csv", 1, None), ("litellm_csv", 2, None)]
    assert manifest(db, path)[3].endswith(", line_number unknown (physical-line pass failed)")


def test_litellm_csv_repeated_and_empty_header_names_keep_every_field(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "s.csv", "request_id,spend,call_type,,spend\nr1,1,c,x,2\n")
    assert run(path).code == 0
    assert json.loads(docs(db, path)[0][3]) == {"request_id": "r1", "spend": "1", "call_type": "c", "column_4": "x",
                                                "spend_5": "2"}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# OpenAI / Anthropic usage and cost reports


@pytest.mark.parametrize("kind", list(PAGES))
def test_report_page_whole_file_array_of_pages_and_jsonl(
    tmp_path: Path, db: Path, run: Callable[..., Run], kind: str
) -> None:
    page = PAGES[kind]
    one_page = write(tmp_path / "page.json", dumps(page, pretty=True))
    pages = write(tmp_path / "pages.json", dumps([page, page | {"has_more": True}], pretty=True) + "\n")
    lines = [dumps(page), "", dumps(page | {"next_page": "page_2"})]
    jsonl = write(tmp_path / "pages.jsonl", "\n".join(lines) + "\n")
    result = run(one_page, pages, jsonl)
    assert result.code == 0, result
    assert docs(db, one_page) == [(kind, 1, 1, one_page.read_text())]
    assert docs(db, pages) == [(kind, 1, 1, pages.read_text())]
    assert docs(db, jsonl) == [(kind, 1, 1, lines[0]), (kind, 2, 3, lines[2])]
    assert q(db, "select format from raw.load_manifest order by load_id") == [(kind,)] * 3


def test_openai_kind_from_the_object_strings_when_start_time_is_missing(
    tmp_path: Path, db: Path, run: Callable[..., Run]
) -> None:
    page = {"object": "page", "data": [{"object": "bucket", "results": [OPENAI_COSTS]}], "has_more": False}
    path = write(tmp_path / "p.json", dumps(page, pretty=True))
    assert run(path).code == 0
    assert manifest(db, path)[0] == "openai_costs"


@pytest.mark.parametrize("layout", ["whole", "jsonl"])
def test_a_report_page_with_no_results_is_refused(tmp_path: Path, db: Path, run: Callable[..., Run], layout: str) -> None:
    empty = anthropic_page([])
    text = dumps(empty, pretty=True) if layout == "whole" else dumps(empty) + "\n" + dumps(PAGES["anthropic_usage"]) + "\n"
    path = write(tmp_path / "empty.json", text)
    result = run(path)
    assert result.code == 1
    assert result.err_lines == [f"refused {path}: report page with no results: kind cannot be recognised"]
    assert manifest(db, path) == (None, 0, "refused", "report page with no results: kind cannot be recognised")
    assert one(db, "select count(*) from raw.source_documents") == 0


# ---------------------------------------------------------------------------------------------
# gzip, BOM, idempotency, recognition, refusals


def test_gzip_and_bom_variants(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    whole = dumps(PAGES["openai_usage"], pretty=True) + "\n"
    lines = [dumps(spend_log("r1")), dumps(spend_log("r2"))]
    csv_text = "request_id,spend,call_type\nr1,0.5,acompletion\n"
    gz_whole = write(tmp_path / "usage.bin", gzip.compress(("\ufeff" + whole).encode()))
    gz_lines = write(tmp_path / "spend.jsonl.gz", gzip.compress(("\n".join(lines) + "\n").encode()))
    gz_csv = write(tmp_path / "spend.csv.gz", gzip.compress(csv_text.encode()))
    bom_whole = write(tmp_path / "traces.json", "\ufeff" + dumps(otlp("t"), pretty=True))
    bom_lines = write(tmp_path / "traces.jsonl", "\ufeff" + dumps(otlp("t")) + "\n")
    result = run(gz_whole, gz_lines, gz_csv, bom_whole, bom_lines)
    assert result.code == 0, result
    assert docs(db, gz_whole) == [("openai_usage", 1, 1, whole)]  # decompressed, BOM dropped
    assert docs(db, gz_lines) == [("litellm_jsonl", 1, 1, lines[0]), ("litellm_jsonl", 2, 2, lines[1])]
    assert docs(db, gz_csv) == [("litellm_csv", 1, 2, '{"request_id":"r1","spend":"0.5","call_type":"acompletion"}')]
    assert docs(db, bom_whole) == [("otlp_json", 1, 1, dumps(otlp("t"), pretty=True))]
    assert docs(db, bom_lines) == [("otlp_jsonl", 1, 1, dumps(otlp("t")))]
    assert one(db, "select file_sha256 from raw.load_manifest where file_name = 'usage.bin'") == hashlib.sha256(
        gz_whole.read_bytes()
    ).hexdigest()


def test_reingest_is_skipped(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    whole = write(tmp_path / "a.json", dumps(PAGES["anthropic_costs"], pretty=True))
    csv_file = write(tmp_path / "b.csv", "request_id,spend,call_type\nr1,1,c\n")
    jsonl = write(tmp_path / "c.jsonl", dumps(otlp("t")) + "\n")
    assert run(whole, csv_file, jsonl).code == 0
    again = run(whole, csv_file, jsonl)
    assert again.code == 0
    assert again.out.splitlines() == [f"skipped {whole}: already loaded as load 1",
                                      f"skipped {csv_file}: already loaded as load 2",
                                      f"skipped {jsonl}: already loaded as load 3"]  # fmt: skip
    assert one(db, "select count(*) from raw.source_documents") == 3
    assert q(db, "select format, status from raw.load_manifest where load_id > 3 order by load_id") == [
        ("anthropic_costs", "skipped"), ("litellm_csv", "skipped"), ("otlp_jsonl", "skipped")
    ]  # fmt: skip


def test_gateway_jsonl_detection_is_unchanged(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    """Gateway lines carry request_id but no spend; other JSON objects (even with a `data` list) stay gateway."""
    lines = [gw("r1"), dumps(spend_log("looks like litellm but is line 2")), '{"data": [{"foo": 1}]}']
    path = write(tmp_path / "gateway.jsonl", "\n".join(lines) + "\n")
    odd = write(tmp_path / "odd.jsonl", '{"data": [{"foo": 1}], "has_more": false}\n' + gw("r2") + "\n")
    assert run(path, odd).code == 0
    assert q(db, "select file_name, format, rows from raw.load_manifest order by load_id") == [
        ("gateway.jsonl", "gateway_jsonl", 3), ("odd.jsonl", "gateway_jsonl", 2)
    ]  # fmt: skip
    assert one(db, "select count(*) from raw.gateway_requests") == 5
    assert one(db, "select count(*) from raw.source_documents") == 0


def test_jobs_csv_wins_over_litellm_csv(tmp_path: Path, db: Path, run: Callable[..., Run]) -> None:
    path = write(tmp_path / "j.csv", "job_id,created_at,model,input_tokens,output_tokens,request_id,spend,call_type\n"
                                     "j1,2026-10-01,m,1,2,r,0.1,c\n")  # fmt: skip
    assert run(path).code == 0
    assert manifest(db, path)[:2] == ("jobs_csv", 1)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{\n  "hello": "world"\n}\n', ingest.UNRECOGNISED_JSON),
        ("[\n  1, 2\n]\n", ingest.UNRECOGNISED_JSON),
        ('{\n  "data": [{"results": [{"x": 1}]}]\n}\n', ingest.UNRECOGNISED_JSON),  # a bucket of no known vendor
        ('{\n  "resourceSpans": [\n', f"{ingest.UNRECOGNISED}: not one valid JSON document either"),
        (dumps(otlp("a"), pretty=True) + "\n" + dumps(otlp("b"), pretty=True), f"{ingest.UNRECOGNISED}: not one valid JSON document either"),
        ("request_id,spend\nr1,1\n", ingest.UNRECOGNISED),  # no call_type: not a LiteLLM CSV
    ],
)  # fmt: skip
def test_unrecognised_json_and_csv_are_refused(
    tmp_path: Path, db: Path, run: Callable[..., Run], content: str, problem: str
) -> None:
    path = write(tmp_path / "x.json", content)
    result = run(path)
    assert result.code == 1
    assert result.err_lines == [f"refused {path}: {problem}"]
    assert one(db, "select count(*) from raw.source_documents") == 0


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_a_whole_file_document_over_the_limit_is_refused(
    tmp_path: Path, db: Path, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, compress: bool
) -> None:
    monkeypatch.setattr(ingest, "DOCUMENT_LIMIT", 1000)
    text = dumps([spend_log(f"r{i}") for i in range(20)], pretty=True).encode()
    path = write(tmp_path / "big.json", gzip.compress(text) if compress else text)
    result = run(path)
    assert result.code == 1
    message = "JSON document too large: over 1000 bytes decompressed (export it as JSON Lines instead)"
    assert result.err_lines == [f"refused {path}: {message}"]
    assert manifest(db, path) == (None, 0, "refused", message)


def test_source_documents_text_is_zstd_even_if_created_without_the_hint(
    tmp_path: Path, db: Path, run: Callable[..., Run]
) -> None:
    db.parent.mkdir(parents=True)
    con = duckdb.connect(str(db))
    con.execute("create schema raw")
    con.execute("create table raw.source_documents (load_id bigint, file_path varchar, file_sha256 varchar, "
                "format varchar, document_number bigint, line_number bigint, raw_document varchar, loaded_at timestamp)")  # fmt: skip
    con.close()
    # Enough rows to be written during the insert (small inserts are only compressed at the checkpoint).
    n = 150_000
    path = write(tmp_path / "o.jsonl", "".join(f'{{"resourceSpans": [], "i": {i}}}\n' for i in range(n)))
    assert run(path).code == 0
    assert one(db, "select count(*), min(document_number), max(document_number), count(*) filter "
                   "(document_number = line_number) from raw.source_documents") == (n, 1, n, n)  # fmt: skip
    assert q(db, "select distinct compression from pragma_storage_info('raw.source_documents') "
                 "where column_name = 'raw_document' and segment_type = 'VARCHAR'") == [("ZSTD",)]  # fmt: skip


def declare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *entries: dict[str, str]) -> None:
    """A staging folder under tmp_path whose model yml declares `entries` as its ingest formats."""
    import yaml

    folder = tmp_path / "models" / "staging" / "acme"
    folder.mkdir(parents=True)
    model = {"name": "base_acme__records_parsed", "config": {"meta": {"ingest_formats": list(entries)}}}
    (folder / "_acme__models.yml").write_text(yaml.safe_dump({"version": 2, "models": [model]}), encoding="utf-8")
    monkeypatch.setattr(ingest, "STAGING_MODELS", tmp_path / "models" / "staging")
    monkeypatch.setattr(ingest, "PROJECT_ROOT", tmp_path)
    ingest.declared_formats.cache_clear()


ACME = {"kind": "acme", "lines_format": "acme_jsonl", "document_format": "acme_json",
        "recognise": "p->>'$.schema' = 'AcmeLog'"}


def test_a_staging_folder_declares_the_formats_it_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    declare(tmp_path, monkeypatch, ACME)
    try:
        con = duckdb.connect()
        kind = ingest.json_kind(con, "select ?::varchar as content", ['{"schema": "AcmeLog", "id": 1}'])
        assert kind == ("OBJECT", "acme")
        assert ingest.json_kind(con, "select ?::varchar as content", ['[{"schema": "AcmeLog"}]']) == ("ARRAY", "acme")
        # a declared format is tried before the built-in kinds, and only where its expression holds
        assert ingest.json_kind(con, "select ?::varchar as content", ['{"resourceSpans": []}']) == ("OBJECT", "otlp")
        assert ingest.kind_formats()["acme"] == ("acme_jsonl", "acme_json")
    finally:
        ingest.declared_formats.cache_clear()


@pytest.mark.parametrize("entry", [
    {**ACME, "kind": "otlp"},  # a built-in kind
    {**ACME, "lines_format": "litellm_jsonl"},  # a built-in format
    {**ACME, "document_format": "Acme-JSON"},  # not a lower-case name
    {**ACME, "recognise": " "},  # no expression
])
def test_a_declared_format_that_clashes_or_is_incomplete_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: dict[str, str]
) -> None:
    declare(tmp_path, monkeypatch, entry)
    try:
        with pytest.raises(ValueError, match=r"_acme__models\.yml: ingest_formats entry"):
            ingest.declared_formats()
    finally:
        ingest.declared_formats.cache_clear()
