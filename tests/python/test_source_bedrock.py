"""AWS Bedrock model invocation logs (source = 'bedrock'), end to end on the platform-sources warehouse.

The fixtures (tests/fixtures/platform_sources/bedrock, every figure in its README) are two S3 deliveries
(JSON Lines, one gzip), a CloudWatch Logs export (`aws logs filter-log-events` JSON) and a CloudWatch
subscription's message (gzip JSON Lines, as Firehose delivers it): 12 records, of which 9 calls, 1 record
delivered to both S3 and CloudWatch, and 2 bad lines. Each call's price is checked three ways: the ledger's
list_cost_usd, the hand arithmetic from the catalog's rates (seeds/prices/price_rates.csv, written out
below), and genai-prices' calc_price for the model id as the ledger passes it to the catalog.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import genai_prices
import pytest
from harness import PROJECT_ROOT, Warehouse

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "platform_sources" / "bedrock"
S3_FILE = FIXTURES / "a_s3_delivery.jsonl.gz"
S3_PLAIN_FILE = FIXTURES / "b_s3_delivery.jsonl"
CLOUDWATCH_FILE = FIXTURES / "c_cloudwatch_filter_log_events.json"
SUBSCRIPTION_FILE = FIXTURES / "d_cloudwatch_subscription.jsonl.gz"
ACCOUNT = "123456789012"
M = Decimal(1_000_000)

# request id -> (model id as logged, model id the catalog matches, catalog model, uncached input, cache read,
# 5-minute cache write, 1-hour cache write, output, hand-computed list cost in USD from the catalog's $/MTok)
PRICED = {
    # plain foundation model id; InvokeModel with Anthropic's body: 3 / 0.30 / 3.75 / 15 $/MTok
    "0f6c1a52-3b8e-4d7a-9c21-5e4f8a6b7c01": (
        "anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "regional.anthropic.claude-3-5-sonnet-20240620-v1:0", 1200, 3000, 500, 0, 400,
        (1200 * Decimal(3) + 3000 * Decimal("0.3") + 500 * Decimal("3.75") + 400 * Decimal(15)) / M),
    # a US cross-region inference profile id; Converse: 3 / 15 $/MTok
    "1a2b3c4d-0000-4000-8000-000000000002": (
        "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
        "regional.anthropic.claude-3-5-sonnet-20241022-v2:0", 2000, 0, 0, 0, 300,
        (2000 * Decimal(3) + 300 * Decimal(15)) / M),
    # an inference-profile ARN of the global profile, with a 1-hour cache write: 3 / 3.75 / 6 / 15 $/MTok
    "2b3c4d5e-0000-4000-8000-000000000003": (
        f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        800, 0, 500, 1500, 250,
        (800 * Decimal(3) + 500 * Decimal("3.75") + 1500 * Decimal(6) + 250 * Decimal(15)) / M),
    # a foundation-model ARN, streamed: 0.25 / 1.25 $/MTok
    "3c4d5e6f-0000-4000-8000-000000000004": (
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        "anthropic.claude-3-haiku-20240307-v1:0", "regional.anthropic.claude-3-haiku-20240307-v1:0",
        5000, 0, 0, 0, 1000, (5000 * Decimal("0.25") + 1000 * Decimal("1.25")) / M),
    # an EU cross-region profile id (regional rates: 1.10 / 0.11 / 5.50 $/MTok), cache reads
    "4d5e6f70-0000-4000-8000-000000000005": (
        "eu.anthropic.claude-haiku-4-5-20251001-v1:0", "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
        "regional.anthropic.claude-haiku-4-5-20251001-v1:0", 1000, 4000, 0, 0, 200,
        (1000 * Decimal("1.1") + 4000 * Decimal("0.11") + 200 * Decimal("5.5")) / M),
    # an APAC cross-region profile id, ConverseStream, through a CloudWatch subscription: 3 / 15 $/MTok
    "92a3b4c5-0000-4000-8000-000000000011": (
        "apac.anthropic.claude-3-5-sonnet-20241022-v2:0", "apac.anthropic.claude-3-5-sonnet-20241022-v2:0",
        "regional.anthropic.claude-3-5-sonnet-20241022-v2:0", 300, 0, 0, 0, 100, (300 * Decimal(3) + 100 * Decimal(15)) / M),
}
FAILED = "5e6f7081-0000-4000-8000-000000000007"
APPLICATION_PROFILE = "6f708192-0000-4000-8000-000000000008"
UNKNOWN_MODEL = "708192a3-0000-4000-8000-000000000009"
MISSING_OUTPUT = "8192a3b4-0000-4000-8000-000000000010"
REDELIVERED = "0f6c1a52-3b8e-4d7a-9c21-5e4f8a6b7c01"

ROLE = f"arn:aws:iam::{ACCOUNT}:role/SearchRankerRole"
CI_BOT = f"arn:aws:iam::{ACCOUNT}:user/ci-bot"


def events(wh: Warehouse, columns: str) -> dict[str, tuple]:
    rows = wh.query(f"select event_id, {columns} from marts.fct_usage_events where source = 'bedrock'")
    return {row[0]: row[1:] for row in rows}


def test_s3_and_cloudwatch_files_land_as_bedrock_formats(platform_sources: Warehouse) -> None:
    manifest = dict((Path(path).name, (fmt, status, rows)) for path, fmt, status, rows in platform_sources.query(
        "select file_path, format, status, rows from raw.load_manifest where file_path like ?", [f"{FIXTURES}/%"]))
    assert manifest == {
        S3_FILE.name: ("bedrock_jsonl", "loaded", 4),
        S3_PLAIN_FILE.name: ("bedrock_jsonl", "loaded", 5),
        CLOUDWATCH_FILE.name: ("bedrock_json", "loaded", 1),  # one document: two events
        SUBSCRIPTION_FILE.name: ("bedrock_jsonl", "loaded", 1),  # one subscription message: one event
    }


def test_every_record_is_an_event_a_copy_or_a_reject(platform_sources: Warehouse) -> None:
    wh = platform_sources
    assert wh.scalar("select count(*) from staging.base_bedrock__invocations_parsed") == 12
    assert wh.scalar("select sum(attempts) from marts.fct_usage_events where source = 'bedrock'") == 9
    assert wh.scalar("select count(*) from audit.duplicate_records where source = 'bedrock'") == 1
    assert wh.scalar("select count(*) from audit.rejected_rows where source = 'bedrock'") == 2
    assert wh.scalar("select count(*) from audit.cross_source_duplicates where source = 'bedrock'") == 0
    # the README's total: 0.012375 + 0.0105 + 0.017025 + 0.0025 + 0.00264 + 0.0024
    assert wh.scalar("select sum(list_cost_usd) from marts.fct_usage_events where source = 'bedrock'") == Decimal("0.04744")


@pytest.mark.parametrize("request_id", sorted(PRICED))
def test_prices_equal_the_hand_arithmetic_and_calc_price(platform_sources: Warehouse, request_id: str) -> None:
    logged, model_ref, catalog_model, uncached, read, write_5m, write_1h, output, hand = PRICED[request_id]
    got = events(platform_sources, "model_requested, provider, model_id, uncached_input_tokens, cache_read_tokens, "
                                   "cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, list_cost_usd")[request_id]
    assert got[:8] == (model_ref, "aws", catalog_model, uncached, read, write_5m, write_1h, output)
    assert got[8] == hand
    oracle = genai_prices.calc_price(
        genai_prices.Usage(input_tokens=uncached + read + write_5m + write_1h, cache_read_tokens=read,
                           cache_write_tokens=write_5m + write_1h, cache_write_1h_tokens=write_1h, output_tokens=output),
        model_ref=model_ref, provider_id="aws")
    assert oracle.model.id == catalog_model
    assert oracle.total_price == hand
    assert platform_sources.scalar(
        "select model_id_logged from staging.stg_bedrock__invocations where request_id = ?", [request_id]) == logged


def test_an_application_inference_profile_and_an_unknown_model_are_unpriced(platform_sources: Warehouse) -> None:
    got = events(platform_sources, "model_requested, model_id, list_cost_usd, unpriced_reason")
    profile = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/a1b2c3d4e5f6"
    assert got[APPLICATION_PROFILE] == (profile, None, None, "unknown_model")
    assert got[UNKNOWN_MODEL] == ("acme.imaginary-model-v1:0", None, None, "unknown_model")
    for model_ref in (profile, "acme.imaginary-model-v1:0"):
        with pytest.raises(LookupError):
            genai_prices.calc_price(genai_prices.Usage(input_tokens=100, output_tokens=20), model_ref=model_ref,
                                    provider_id="aws")


def test_a_failed_call_is_an_event_that_costs_nothing(platform_sources: Warehouse) -> None:
    got = events(platform_sources, "attempts, failed_attempts, billed_attempts, input_tokens, output_tokens, list_cost_usd")
    assert got[FAILED] == (1, 1, 0, 0, 0, 0)
    assert platform_sources.query(
        "select error_code, api_operation from staging.stg_bedrock__invocations where request_id = ?", [FAILED]
    ) == [("ThrottlingException", "Converse")]


def test_an_assumed_role_session_is_its_role_and_keys_attribute_teams(platform_sources: Warehouse) -> None:
    got = events(platform_sources, "api_key_id, user_email, agent, tag_team")
    assert got[REDELIVERED] == (ROLE, None, None, None)
    assert got["3c4d5e6f-0000-4000-8000-000000000004"] == (ROLE, None, None, None)  # another session of the role
    assert got["1a2b3c4d-0000-4000-8000-000000000002"] == (CI_BOT, None, None, "Data-Science")
    # an IAM Identity Center session: the role is not a key, the session name is the person
    assert got["2b3c4d5e-0000-4000-8000-000000000003"] == (
        f"arn:aws:iam::{ACCOUNT}:role/AWSReservedSSO_Developer_0123456789abcdef", "alice@corp.example", None, None)
    assert got["4d5e6f70-0000-4000-8000-000000000005"] == (
        f"arn:aws:iam::{ACCOUNT}:role/SupportTriageRole", None, "support-triage", None)
    attributed = {row[0]: row[1:] for row in platform_sources.query(
        "select event_id, team_id, basis from intermediate.int_usage_events_attributed where source = 'bedrock'")}
    assert attributed == {
        REDELIVERED: ("search", "team_key"),
        "1a2b3c4d-0000-4000-8000-000000000002": ("data-science", "tag"),  # the team tag wins over ci-bot's key
        "2b3c4d5e-0000-4000-8000-000000000003": ("search", "user_team"),  # alice's team (people.csv)
        "3c4d5e6f-0000-4000-8000-000000000004": ("search", "team_key"),
        "4d5e6f70-0000-4000-8000-000000000005": ("support", "agent_owner"),
        "92a3b4c5-0000-4000-8000-000000000011": ("support", "tag"),
        FAILED: ("platform", "team_key"),
        APPLICATION_PROFILE: ("platform", "team_key"),
        UNKNOWN_MODEL: ("search", "team_key"),
    }


def test_request_metadata_tags_and_response_ids(platform_sources: Warehouse) -> None:
    got = events(platform_sources, "project, environment, customer, response_id")
    assert got[REDELIVERED] == ("relevance", "prod", None, "msg_bdrk_01RankA1b2C3d4E5f6G7h8J9")
    assert got["1a2b3c4d-0000-4000-8000-000000000002"] == ("evals", "staging", None, None)  # env; Converse has no id
    assert got["2b3c4d5e-0000-4000-8000-000000000003"] == (None, None, "globex", "msg_bdrk_01DocB2c3D4e5F6g7H8j9K0L")
    # a streamed body: the id of its message_start chunk
    assert got["3c4d5e6f-0000-4000-8000-000000000004"] == (None, "prod", None, "msg_bdrk_01StreamC3d4E5f6G7h8J9k0")
    assert platform_sources.scalar("select api_operation from staging.stg_bedrock__invocations where request_id = ?",
                                   ["3c4d5e6f-0000-4000-8000-000000000004"]) == "InvokeModelWithResponseStream"
    # a record from a CloudWatch subscription's log event (its message parsed)
    assert got["92a3b4c5-0000-4000-8000-000000000011"] == (None, None, "initech", None)


def test_a_record_delivered_twice_counts_once_and_the_latest_copy_wins(platform_sources: Warehouse) -> None:
    duplicates = platform_sources.query(
        "select record_id, file_path, source_row_number, kept_file_path, kept_source_row_number, is_conflict "
        "from audit.duplicate_records where source = 'bedrock'")
    # the same record from the S3 delivery and from CloudWatch Logs: identical content, the later load kept
    assert duplicates == [(REDELIVERED, str(S3_FILE), 1, str(CLOUDWATCH_FILE), 1, False)]
    assert platform_sources.scalar(
        "select file_path from staging.stg_bedrock__invocations where request_id = ?", [REDELIVERED]) == str(CLOUDWATCH_FILE)


def test_bad_lines_are_rejected_with_their_reason(platform_sources: Warehouse) -> None:
    rejected = platform_sources.query(
        "select file_path, source_row_number, record_id, reject_reason from audit.rejected_rows "
        "where source = 'bedrock' order by source_row_number")
    assert rejected == [
        (str(S3_PLAIN_FILE), 4, None, "invalid_json"),  # a truncated line
        (str(S3_PLAIN_FILE), 5, MISSING_OUTPUT, "missing_usage"),  # a success without outputTokenCount
    ]
