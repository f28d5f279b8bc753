"""The sample generator is deterministic and the committed data/sample is exactly its output."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GENERATOR = PROJECT_ROOT / "tools" / "generate_sample.py"
SAMPLE = PROJECT_ROOT / "data" / "sample"
SEED = 42  # the seed data/sample was generated with (see data/sample/README.md)
GENERATED = (
    "README.md",
    "gateway-2026-09.jsonl",
    "gateway-2026-10.jsonl.gz",
    "jobs-export-2026-09.csv",
    "jobs-export-2026-10.csv",
)
# Lines that are deliberately not a JSON object (see data/sample/README.md): (truncated lines, array lines).
NOT_OBJECTS = {"gateway-2026-09.jsonl": (1, 0), "gateway-2026-10.jsonl.gz": (0, 1)}


def generate(out: Path, seed: int = SEED) -> dict[str, bytes]:
    subprocess.run([sys.executable, str(GENERATOR), "--seed", str(seed), "--out", str(out)], check=True,
                   capture_output=True, cwd=PROJECT_ROOT)
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return generate(tmp_path_factory.mktemp("fresh"))


def test_generator_writes_the_documented_files(fresh: dict[str, bytes]) -> None:
    assert tuple(sorted(fresh)) == GENERATED
    assert sum(len(data) for data in fresh.values()) < 2_000_000


def test_two_runs_are_byte_identical(fresh: dict[str, bytes], tmp_path: Path) -> None:
    again = generate(tmp_path / "again")
    assert sorted(again) == sorted(fresh)
    for name in fresh:
        assert again[name] == fresh[name], f"{name} differs between two runs with the same seed"


def test_another_seed_gives_other_data(fresh: dict[str, bytes], tmp_path: Path) -> None:
    other = generate(tmp_path / "other", seed=SEED + 1)
    assert other["gateway-2026-09.jsonl"] != fresh["gateway-2026-09.jsonl"]


def test_gzip_header_is_reproducible(fresh: dict[str, bytes]) -> None:
    data = fresh["gateway-2026-10.jsonl.gz"]
    assert data[:3] == b"\x1f\x8b\x08"
    assert data[3] & 0x08 == 0, "no file name in the gzip header"
    assert data[4:8] == b"\x00\x00\x00\x00", "gzip mtime must be 0"


@pytest.mark.parametrize("name", GENERATED)
def test_committed_sample_equals_a_fresh_generation(fresh: dict[str, bytes], name: str) -> None:
    committed_path = SAMPLE / name
    assert committed_path.exists(), f"data/sample/{name} is missing: run tools/generate_sample.py"
    committed = committed_path.read_bytes()
    hint = f"data/sample/{name} differs from the generator's output: never edit it by hand, regenerate it"
    if name.endswith(".gz"):
        # Compressed bytes may differ between zlib builds; the content and the header may not.
        assert committed[3:8] == fresh[name][3:8], hint
        assert gzip.decompress(committed) == gzip.decompress(fresh[name]), hint
    else:
        assert committed == fresh[name], hint


def gateway_lines(name: str) -> list[str]:
    data = (SAMPLE / name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    text = data.decode("utf-8")
    assert text.endswith("\n")
    return text[:-1].split("\n")


@pytest.mark.parametrize("name", sorted(NOT_OBJECTS))
def test_gateway_lines_are_json_objects_except_the_documented_ones(name: str) -> None:
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    truncated = arrays = 0
    for line in gateway_lines(name):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            assert line.startswith('{"request_id": "req_edge_truncated"')
            truncated += 1
            continue
        if not isinstance(obj, dict):
            assert line == "[1,2]"
            arrays += 1
            continue
        if obj["request_id"].startswith("req_edge"):
            assert f"`{obj['request_id']}`" in readme, "every edge-case record is documented"
    assert (truncated, arrays) == NOT_OBJECTS[name]


@pytest.mark.parametrize(("name", "id_column"), [("jobs-export-2026-09.csv", "job_id"),
                                                 ("jobs-export-2026-10.csv", "Job_Id")])
def test_jobs_csv_parses_and_only_the_ragged_row_is_ragged(name: str, id_column: str) -> None:
    text = (SAMPLE / name).read_bytes().decode("utf-8-sig")
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    header, body = rows[0], rows[1:]
    ragged = [row[header.index(id_column)] for row in body if len(row) != len(header)]
    assert ragged == (["job_edge_ragged"] if name == "jobs-export-2026-09.csv" else [])
    ids = [row[header.index(id_column)] for row in body]
    assert len(ids) == len(set(ids))
