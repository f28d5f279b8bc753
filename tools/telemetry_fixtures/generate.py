"""Telemetry fixtures from real, unmodified client libraries, offline.

Run with a producer's own dev venv (see README.md):

    /tmp/tl-devvenvs/<venv>/bin/python tools/telemetry_fixtures/generate.py <producer> tests/fixtures/telemetry/<producer>

One process holds a mock provider (OpenAI Chat Completions and Responses, Anthropic Messages) and an
OTLP/HTTP receiver, both on 127.0.0.1. The real SDKs call the mock, the producer's instrumentation
exports the spans with the OTel SDK's OTLP HTTP exporter (protobuf), and the receiver writes each
export as one OTLP/JSON line (hex trace and span ids, enums as integers). `expected.json` lists every
call: provider, model, the usage body served, the ownership the caller set, and the library versions.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(proxy, None)

PRODUCER = sys.argv[1]
# A code per producer in the response ids, so fixtures of different producers never share one.
CODE = {"otel-openai-v2": "V2D", "otel-openai-v2-latest": "V2L", "openllmetry": "OLM", "openlit": "OLT",
        "litellm": "LLM"}.get(PRODUCER, "XXX")
OUT = Path(sys.argv[2])

# The calls, in order: (api, requested model, served model, usage body, team, project, customer).
CALLS: list[dict[str, Any]] = [
    {"api": "chat", "model": "gpt-4o", "served": "gpt-4o-2024-08-06",
     "usage": {"prompt_tokens": 2400, "completion_tokens": 310, "total_tokens": 2710,
               "prompt_tokens_details": {"cached_tokens": 1536, "audio_tokens": 0},
               "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                             "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
     "team": "search", "project": "ranker", "customer": "acme"},
    {"api": "chat", "model": "gpt-4o-mini", "served": "gpt-4o-mini-2024-07-18",
     "usage": {"prompt_tokens": 900, "completion_tokens": 150, "total_tokens": 1050,
               "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
               "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                             "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
     "team": "support", "project": "triage", "customer": "globex"},
    {"api": "chat", "model": "o3-mini", "served": "o3-mini-2025-01-31",
     "usage": {"prompt_tokens": 1800, "completion_tokens": 2200, "total_tokens": 4000,
               "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
               "completion_tokens_details": {"reasoning_tokens": 1664, "audio_tokens": 0,
                                             "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
     "team": "platform", "project": "planner", "customer": "initech"},
    {"api": "responses", "model": "gpt-4o", "served": "gpt-4o-2024-08-06",
     "usage": {"input_tokens": 3100, "input_tokens_details": {"cached_tokens": 2048},
               "output_tokens": 420, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 3520},
     "team": "search", "project": "summaries", "customer": "globex"},
    {"api": "responses", "model": "o3-mini", "served": "o3-mini-2025-01-31",
     "usage": {"input_tokens": 1200, "input_tokens_details": {"cached_tokens": 0},
               "output_tokens": 900, "output_tokens_details": {"reasoning_tokens": 640}, "total_tokens": 2100},
     "team": "platform", "project": "planner", "customer": "acme"},
    {"api": "messages", "model": "claude-sonnet-4-5", "served": "claude-sonnet-4-5-20250929",
     "usage": {"input_tokens": 500, "cache_creation_input_tokens": 1200, "cache_read_input_tokens": 3000,
               "cache_creation": {"ephemeral_5m_input_tokens": 800, "ephemeral_1h_input_tokens": 400},
               "output_tokens": 450, "service_tier": "standard"},
     "team": "search", "project": "ranker", "customer": "initech"},
    {"api": "messages", "model": "claude-sonnet-4-20250514", "served": "claude-sonnet-4-20250514",
     "usage": {"input_tokens": 1500, "cache_creation_input_tokens": 2048, "cache_read_input_tokens": 0,
               "cache_creation": {"ephemeral_5m_input_tokens": 2048, "ephemeral_1h_input_tokens": 0},
               "output_tokens": 300, "service_tier": "standard"},
     "team": "support", "project": "triage", "customer": "acme"},
    {"api": "messages", "model": "claude-3-5-sonnet-20241022", "served": "claude-3-5-sonnet-20241022",
     "usage": {"input_tokens": 700, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 2500,
               "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
               "output_tokens": 220, "service_tier": "standard"},
     "team": "platform", "project": "planner", "customer": "globex"},
]
CURRENT: dict[str, int] = {"call": 0}
EXPORTS: list[dict[str, Any]] = []
ASSOCIATION: dict[str, str] = {}


def response_body(index: int, path: str) -> dict[str, Any]:
    call = CALLS[index]
    created = 1791195300 + index * 60
    if path.endswith("/chat/completions"):
        rid = f"chatcmpl-TL{index:02d}{CODE}x7Q"
        body = {"id": rid, "object": "chat.completion", "created": created, "model": call["served"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Done.", "refusal": None},
                             "logprobs": None, "finish_reason": "stop"}],
                "usage": call["usage"], "service_tier": "default", "system_fingerprint": "fp_7a3c9e1f20"}
    elif path.endswith("/responses"):
        rid = f"resp_TL{index:02d}{CODE}b9e4"
        body = {"id": rid, "object": "response", "created_at": created, "status": "completed", "error": None,
                "incomplete_details": None, "instructions": None, "max_output_tokens": None, "model": call["served"],
                "output": [{"type": "message", "id": f"msg_{rid[5:]}", "status": "completed", "role": "assistant",
                            "content": [{"type": "output_text", "text": "Done.", "annotations": []}]}],
                "parallel_tool_calls": True, "previous_response_id": None, "reasoning": {"effort": None, "summary": None},
                "store": True, "temperature": 1.0, "text": {"format": {"type": "text"}}, "tool_choice": "auto",
                "tools": [], "top_p": 1.0, "truncation": "disabled", "usage": call["usage"], "user": None,
                "metadata": {}}
    else:
        rid = f"msg_01TL{index:02d}{CODE}Vn2Lp"
        body = {"id": rid, "type": "message", "role": "assistant", "model": call["served"],
                "content": [{"type": "text", "text": "Done."}], "stop_reason": "end_turn", "stop_sequence": None,
                "usage": call["usage"]}
    call.setdefault("response_ids", []).append(rid)
    return body


def hexify(span_tree: Any) -> Any:
    """OTLP/JSON ids are hex; protobuf's JSON mapping gives base64."""
    if isinstance(span_tree, dict):
        out = {}
        for key, value in span_tree.items():
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                out[key] = base64.b64decode(value).hex()
            else:
                out[key] = hexify(value)
        return out
    if isinstance(span_tree, list):
        return [hexify(v) for v in span_tree]
    return span_tree


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path.endswith("/v1/traces"):
            from google.protobuf.json_format import MessageToDict
            from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

            request = ExportTraceServiceRequest()
            request.ParseFromString(raw)
            EXPORTS.append(hexify(MessageToDict(request, use_integers_for_enums=True)))
            self.reply(b"", "application/x-protobuf")
            return
        path = self.path.split("?")[0]
        if not path.endswith(("/chat/completions", "/responses", "/messages")):  # other OTLP signals (logs, metrics)
            self.reply(b"", "application/x-protobuf")
            return
        body = response_body(CURRENT["call"], path)
        self.reply(json.dumps(body).encode(), "application/json",
                   {"request-id": f"req_{CURRENT['call']:04d}", "x-request-id": f"req_{CURRENT['call']:04d}"})

    def reply(self, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


SERVER = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=SERVER.serve_forever, daemon=True).start()
BASE = f"http://127.0.0.1:{SERVER.server_address[1]}"
os.environ["OPENAI_API_KEY"] = "sk-fixture"
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["ANTHROPIC_API_KEY"] = "sk-ant-fixture"


def versions(*names: str) -> dict[str, str]:
    out = {}
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def call_sdk(index: int, openai_client: Any, anthropic_client: Any) -> None:
    CURRENT["call"] = index
    call = CALLS[index]
    messages = [{"role": "user", "content": "Summarise the ticket."}]
    if call["api"] == "chat":
        openai_client.chat.completions.create(model=call["model"], messages=messages)
    elif call["api"] == "responses":
        openai_client.responses.create(model=call["model"], input="Summarise the ticket.")
    else:
        anthropic_client.messages.create(model=call["model"], max_tokens=1024, messages=messages)


def run_otel(setup: Any, association: Any = None) -> None:
    """Agent span -> step span -> the SDK call, with the ownership the product reads on the agent span."""
    import anthropic
    import openai
    from opentelemetry import trace

    setup()
    tracer = trace.get_tracer("tokenledger.fixtures.agents", "1.0.0")
    openai_client = openai.OpenAI(base_url=f"{BASE}/v1", max_retries=0)
    anthropic_client = anthropic.Anthropic(base_url=BASE, max_retries=0)
    for index, call in enumerate(CALLS):
        agent = f"{call['team']}-agent"
        if association is not None:
            association(call)
        with tracer.start_as_current_span(f"invoke_agent {agent}", kind=trace.SpanKind.INTERNAL) as span:
            span.set_attribute("gen_ai.operation.name", "invoke_agent")
            span.set_attribute("gen_ai.agent.name", agent)
            span.set_attribute("team.name", call["team"])
            span.set_attribute("project.name", call["project"])
            span.set_attribute("client.name", call["customer"])
            with tracer.start_as_current_span("step 1"):
                call_sdk(index, openai_client, anthropic_client)
    trace.get_tracer_provider().force_flush()


def otel_provider() -> None:
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "fixture-agents",
                                                        "deployment.environment.name": "prod"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{BASE}/v1/traces")))
    trace.set_tracer_provider(provider)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    libs: tuple[str, ...]
    if PRODUCER.startswith("otel-openai-v2"):
        libs = ("openai", "anthropic", "opentelemetry-instrumentation-openai-v2", "opentelemetry-util-genai",
                "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http", "opentelemetry-instrumentation-anthropic")

        def setup() -> None:
            otel_provider()
            from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

            OpenAIInstrumentor().instrument()
        run_otel(setup)
    elif PRODUCER == "openllmetry":
        libs = ("openai", "anthropic", "traceloop-sdk", "opentelemetry-instrumentation-openai",
                "opentelemetry-instrumentation-anthropic", "opentelemetry-semantic-conventions-ai",
                "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http")

        def setup() -> None:
            # traceloop-sdk's span processor copies the context's association properties onto every span it
            # starts as traceloop.association.properties.<key>; the same here, without the SDK's init.
            from opentelemetry import trace
            from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
            from opentelemetry.instrumentation.openai import OpenAIInstrumentor
            from opentelemetry.sdk.trace import SpanProcessor

            class Association(SpanProcessor):
                def on_start(self, span: Any, parent_context: Any = None) -> None:
                    for key, value in ASSOCIATION.items():
                        span.set_attribute(f"traceloop.association.properties.{key}", value)

            otel_provider()
            trace.get_tracer_provider().add_span_processor(Association())
            OpenAIInstrumentor().instrument()
            AnthropicInstrumentor().instrument()

        def association(call: dict[str, Any]) -> None:
            ASSOCIATION.clear()
            ASSOCIATION.update({"team": call["team"], "project": call["project"], "customer": call["customer"]})
        run_otel(setup, association)
    elif PRODUCER == "openlit":
        libs = ("openai", "anthropic", "openlit", "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http")

        def setup() -> None:
            import openlit

            openlit.init(application_name="fixture-agents", environment="prod", otlp_endpoint=BASE,
                         disable_batch=True, disable_metrics=True, capture_message_content=False)
        run_otel(setup)
    elif PRODUCER == "litellm":
        libs = ("litellm", "openai")
        run_litellm()
    else:
        raise SystemExit(f"unknown producer {PRODUCER}")
    time.sleep(0.5)
    if EXPORTS:
        with open(OUT / "traces.jsonl", "w", encoding="utf-8") as f:
            for export in EXPORTS:
                f.write(json.dumps(export, separators=(",", ":")) + "\n")
    expected = {
        "producer": PRODUCER,
        "semconv_stability_opt_in": os.environ.get("OTEL_SEMCONV_STABILITY_OPT_IN"),
        "versions": versions(*libs),
        "calls": [{"provider": "anthropic" if c["api"] == "messages" else "openai", "api": c["api"],
                   "model": c["model"], "served_model": c["served"], "response_ids": c.get("response_ids", []),
                   "usage": c["usage"], "team": c["team"], "project": c["project"], "customer": c["customer"]}
                  for c in CALLS],
    }
    (OUT / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    print(f"{PRODUCER}: {len(EXPORTS)} exports, {sum(len(c.get('response_ids', [])) for c in CALLS)} calls -> {OUT}")


def run_litellm() -> None:
    """litellm.completion / litellm.responses against the mock; a custom logger keeps what LiteLLM hands it
    (kwargs['standard_logging_object']) and the proxy's spend-log row for the same call (get_logging_payload)."""
    import datetime as dt

    import litellm
    from litellm.integrations.custom_logger import CustomLogger
    from litellm.proxy.spend_tracking.spend_tracking_utils import get_logging_payload

    standard: list[dict[str, Any]] = []
    spend: list[dict[str, Any]] = []

    def jsonable(value: Any) -> Any:
        return json.loads(json.dumps(value, default=lambda o: o.isoformat() if isinstance(o, (dt.datetime, dt.date)) else str(o)))

    class Keep(CustomLogger):
        def log_success_event(self, kwargs: Any, response_obj: Any, start_time: Any, end_time: Any) -> None:
            standard.append(jsonable(kwargs["standard_logging_object"]))
            try:
                spend.append(jsonable(dict(get_logging_payload(kwargs, response_obj, start_time, end_time))))
            except BaseException as exc:
                print("get_logging_payload failed:", repr(exc), file=sys.stderr)
                raise

    litellm.callbacks = [Keep()]
    for index, call in enumerate(CALLS):
        CURRENT["call"] = index
        metadata = {"user_api_key_team_id": call["team"], "user_api_key_end_user_id": call["customer"],
                    "tags": [f"project:{call['project']}"], "project": call["project"]}
        if call["api"] == "messages":
            litellm.completion(model=f"anthropic/{call['model']}", api_base=BASE, max_tokens=1024,
                               messages=[{"role": "user", "content": "Summarise the ticket."}],
                               user=call["customer"], metadata=metadata)
        elif call["api"] == "chat":
            litellm.completion(model=f"openai/{call['model']}", api_base=f"{BASE}/v1",
                               messages=[{"role": "user", "content": "Summarise the ticket."}],
                               user=call["customer"], metadata=metadata)
        else:
            litellm.responses(model=f"openai/{call['model']}", api_base=f"{BASE}/v1", input="Summarise the ticket.",
                              user=call["customer"], metadata=metadata)
    deadline = time.time() + 120
    while len(spend) < len(CALLS) and time.time() < deadline:
        time.sleep(0.1)
    with open(OUT / "standard_logging_payload.jsonl", "w", encoding="utf-8") as f:
        for row in standard:
            f.write(json.dumps(row, separators=(",", ":")) + "\n")
    (OUT / "spend_logs.json").write_text(json.dumps(spend, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
