"""A two-month allocation scenario (2026-05 and 2026-06) run end to end in a copy of the project.

The copy gets its OWN organisation seeds (teams, agent directory, API keys, people, shared-agent
rules and splits, headcount) and a Jobs export whose costs are round numbers, so every team's
monthly spend can be worked out by hand. Prices (gpt-5.4, provider openai, below 272,000 input
tokens per request): input $2.50 / 1M, cached input $0.25 / 1M, output $15.00 / 1M. Handy costs:

    40,000 in = $0.10    80,000 in = $0.20    100,000 in = $0.25    160,000 in = $0.40
    200,000 in = $0.50   240,000 in = $0.60   20,000 out = $0.30    40,000 out = $0.60

Expected values below are hand calculations (Decimal literals, arithmetic in the comments); the SQL
is never re-implemented here.
"""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from harness import ORG, Warehouse, copy_project, new_warehouse

from tokenledger.orgfiles import ORG_FILES, header_line

pytestmark = pytest.mark.slow

D = Decimal

# --------------------------------------------------------------------------------------------------
# The organisation (seeds). Some ids are deliberately mixed-case: ids compare case-insensitively.
# --------------------------------------------------------------------------------------------------

TEAMS = """team_id,team_name,cost_center,merged_into,merged_on
search,Search,CC-100,,
support,Support,CC-200,,
platform,Platform,CC-300,,
data-science,Data Science,CC-400,,
growth-labs,Growth Labs,CC-600,search,2026-06-01
"""

# The same teams without the optional merge columns.
TEAMS_WITHOUT_MERGE_COLUMNS = """team_id,team_name,cost_center
search,Search,CC-100
support,Support,CC-200
platform,Platform,CC-300
data-science,Data Science,CC-400
growth-labs,Growth Labs,CC-600
"""

AGENT_DIRECTORY = """agent,team_id,effective_from
ranker,search,2026-01-01
infra-oncall,platform,2026-01-01
infra-oncall,search,2026-05-15
Helpdesk-Bot,Support,2026-01-01
labs-bot,growth-labs,2026-01-01
digest-bot,,2026-01-01
notebook-bot,,2026-01-01
usage-bot,,2026-01-01
default-bot,,2026-01-01
"""

API_KEYS = """api_key_id,key_kind,team_id,owner_email
team.platform.ci,team,platform,
pk.alice,personal,,alice@corp.example
pk.ghost,personal,,ghost@corp.example
PK.Dan,Personal,,Dan@Corp.Example
"""

PEOPLE = """email,team_id,effective_from
alice@corp.example,search,2026-01-01
bob@corp.example,support,2026-01-01
carol@corp.example,platform,2026-01-01
carol@corp.example,data-science,2026-06-15
dan@corp.example,data-science,2026-01-01
"""

SHARED_AGENT_RULES = """agent,method,effective_from
digest-bot,even,2026-05-01
digest-bot,fixed,2026-06-01
notebook-bot,headcount,2026-01-01
usage-bot,usage,2026-01-01
default-bot,even,2026-01-01
"""

# default-bot has no split rows: its participants are all teams not merged away on the event date.
SHARED_AGENT_SPLITS = """agent,team_id,percent,effective_from
digest-bot,support,,2026-01-01
digest-bot,data-science,,2026-01-01
digest-bot,support,50,2026-06-01
digest-bot,data-science,30,2026-06-01
digest-bot,platform,20,2026-06-01
notebook-bot,search,,2026-01-01
notebook-bot,data-science,,2026-01-01
usage-bot,search,,2026-01-01
usage-bot,support,,2026-01-01
usage-bot,platform,,2026-01-01
"""

# search has no June row: June uses its latest earlier month (May, 12).
TEAM_HEADCOUNT = """team_id,month,headcount
search,2026-05-01,12
data-science,2026-05-01,4
data-science,2026-06-01,12
support,2026-05-01,30
"""

ORG_SEEDS = {
    "teams.csv": TEAMS,
    "agent_directory.csv": AGENT_DIRECTORY,
    "api_keys.csv": API_KEYS,
    "people.csv": PEOPLE,
    "shared_agent_rules.csv": SHARED_AGENT_RULES,
    "shared_agent_splits.csv": SHARED_AGENT_SPLITS,
    "team_headcount.csv": TEAM_HEADCOUNT,
}

# --------------------------------------------------------------------------------------------------
# Usage: one Jobs row per event. (job_id, created_at, input, cached, output, agent, key, email, labels)
# --------------------------------------------------------------------------------------------------

HEADER = ["job_id", "created_at", "agent", "model", "provider", "input_tokens", "cached_input_tokens",
          "output_tokens", "status", "api_key_id", "user_email", "workflow", "labels", "attempt", "retry_of"]


def job(job_id: str, created_at: str, input_tokens: int, output_tokens: int = 0, *, cached: int = 0, agent: str = "",
        key: str = "", email: str = "", team: str | None = None, env: str | None = None,
        model: str = "gpt-5.4") -> list[str]:
    labels: dict[str, str] = {}
    if team is not None:
        labels["team"] = team
    if env is not None:
        labels["environment"] = env
    return [job_id, created_at, agent, model, "openai", str(input_tokens), str(cached), str(output_tokens),
            "succeeded", key, email, "", json.dumps(labels) if labels else "", "1", ""]


JOBS = [
    # ---- May 2026: steps 1-4 --------------------------------------------------------------------
    # 200,000 in $0.50 + 20,000 out $0.30 = $0.80 ; tag 'Search' -> search (tag, HIGH)
    job("m-tag-search", "2026-05-03T10:00:00Z", 200_000, 20_000, team="Search"),
    # 200,000 in = $0.50 ; tag search, environment dev (subsidised in the subsidy run)
    job("m-tag-dev", "2026-05-04T10:00:00Z", 200_000, team="search", env="dev"),
    # 200,000 in = $0.50 ; agent 'RANKER' -> search (agent_owner) ; personal key of alice
    job("m-ranker-alice", "2026-05-05T10:00:00Z", 200_000, agent="RANKER", key="pk.alice"),
    # 160,000 in = $0.40 ; helpdesk-bot -> support (agent_owner) ; the same personal key 'PK.Alice'
    job("m-helpdesk-alice", "2026-05-06T10:00:00Z", 160_000, agent="helpdesk-bot", key="PK.Alice"),
    # 80,000 in = $0.20 each ; infra-oncall changes owner platform -> search on 2026-05-15 (UTC date):
    #   01:30 +02:00 is 2026-05-14 23:30 UTC -> platform ; 20:30 -04:00 is 2026-05-15 00:30 UTC -> search
    job("m-oncall-before", "2026-05-15T01:30:00+02:00", 80_000, agent="infra-oncall"),
    job("m-oncall-after", "2026-05-14T20:30:00-04:00", 80_000, agent="infra-oncall"),
    # $0.80 ; team key of platform beats alice's team (team_key, HIGH)
    job("m-teamkey", "2026-05-07T10:00:00Z", 200_000, 20_000, key="team.platform.ci", email="alice@corp.example"),
    # 160,000 in = $0.40 ; the event's email 'Bob@Corp.Example' -> support (user_team, MEDIUM)
    job("m-user-bob", "2026-05-08T10:00:00Z", 160_000, email="Bob@Corp.Example"),
    # 40,000 in = $0.10 ; tag support beats ranker's owner search
    job("m-tag-over-agent", "2026-05-09T10:00:00Z", 40_000, agent="ranker", team="support"),
    # 100,000 in = $0.25 ; labs-bot is owned by growth-labs (merged into search on 2026-06-01)
    job("m-labs", "2026-05-20T10:00:00Z", 100_000, agent="labs-bot"),
    # 40,000 in = $0.10 ; key pk.unknown is not in api_keys: the event's email bob -> support (user_team)
    job("m-unknown-key", "2026-05-21T10:00:00Z", 40_000, key="pk.unknown", email="bob@corp.example"),
    # 200,000 in of which 100,000 cached, 10,000 out:
    #   100,000 x 2.50 / 1e6 = 0.25 ; 100,000 x 0.25 / 1e6 = 0.025 ; 10,000 x 15 / 1e6 = 0.15 -> $0.425 (tag data-science)
    job("m-cached-ds", "2026-05-22T10:00:00Z", 200_000, 10_000, cached=100_000, team="data-science"),
    # unknown model: unpriced (list_cost_usd NULL), tag search
    job("m-unpriced", "2026-05-23T10:00:00Z", 100_000, team="search", model="mystery-model"),
    # ---- May 2026: unattributed ($0.10 each) ----------------------------------------------------
    job("m-orphan", "2026-05-24T10:00:00Z", 40_000, agent="mystery-agent"),
    job("m-unknown-tag", "2026-05-24T11:00:00Z", 40_000, team="marketing"),
    # pk.ghost's owner has no team: NO fallback to the event's email (alice)
    job("m-ghost", "2026-05-24T12:00:00Z", 40_000, key="pk.ghost", email="alice@corp.example"),
    # ---- May 2026: shared agents ------------------------------------------------------------------
    # digest-bot, rule even (2026-05-01); 01:59:59 +02:00 = 2026-05-31 23:59:59 UTC (still May, still even)
    # 160,000 in = $0.40 ; environment dev
    job("m-digest-even", "2026-06-01T01:59:59+02:00", 160_000, agent="digest-bot", env="dev"),
    # notebook-bot, headcount: $0.80 (200,000 in + 20,000 out)
    job("m-notebook", "2026-05-12T10:00:00Z", 200_000, 20_000, agent="notebook-bot"),
    # usage-bot, usage: 160,000 in = $0.40
    job("m-usage", "2026-05-13T10:00:00Z", 160_000, agent="usage-bot"),
    # default-bot, even among default participants: 160,000 in $0.40 + 40,000 out $0.60 = $1.00
    job("m-default", "2026-05-14T10:00:00Z", 160_000, 40_000, agent="default-bot"),
    # ---- June 2026 ------------------------------------------------------------------------------
    # digest-bot, rule fixed from 2026-06-01: 20:00 -04:00 on 05-31 = 2026-06-01 00:00 UTC ; $1.00
    job("j-digest-fixed", "2026-05-31T20:00:00-04:00", 160_000, 40_000, agent="digest-bot"),
    # notebook-bot: $0.80
    job("j-notebook", "2026-06-02T10:00:00Z", 200_000, 20_000, agent="notebook-bot"),
    # default-bot: $1.00
    job("j-default", "2026-06-10T10:00:00Z", 160_000, 40_000, agent="default-bot"),
    # usage-bot: 200,000 in = $0.50
    job("j-usage", "2026-06-11T10:00:00Z", 200_000, agent="usage-bot"),
    # carol moves platform -> data-science on 2026-06-15: 80,000 in = $0.20 each (user_team, MEDIUM)
    job("j-carol-before", "2026-06-14T23:59:59Z", 80_000, email="carol@corp.example"),
    job("j-carol-after", "2026-06-15T00:00:00Z", 80_000, email="carol@corp.example"),
    # a tag naming the merged team still counts for growth-labs: 40,000 in = $0.10
    job("j-merged-tag", "2026-06-05T10:00:00Z", 40_000, team="growth-labs"),
    # labs-bot still owned by growth-labs: $0.10
    job("j-labs", "2026-06-06T10:00:00Z", 40_000, agent="labs-bot"),
    # personal key 'pk.dan' (seeded as 'PK.Dan', owner 'Dan@Corp.Example') -> data-science: 200,000 in = $0.50
    job("j-dan-pkey", "2026-06-07T10:00:00Z", 200_000, key="pk.dan"),
    # tag search: $0.80
    job("j-search-tag", "2026-06-03T10:00:00Z", 200_000, 20_000, team="search"),
    # helpdesk-bot -> support: 160,000 in = $0.40 ; environment 'DEV' (subsidised in the subsidy run)
    job("j-helpdesk-dev", "2026-06-04T10:00:00Z", 160_000, agent="helpdesk-bot", env="DEV"),
    # team key of platform: 240,000 in = $0.60
    job("j-platform-key", "2026-06-08T10:00:00Z", 240_000, key="team.platform.ci"),
]

MAY = "2026-05-01"
JUNE = "2026-06-01"

# Every event's attribution: (basis, team_id, confidence); shared-rule events have team NULL.
EXPECTED_ATTRIBUTION = {
    "m-tag-search": ("tag", "search", "HIGH"),
    "m-tag-dev": ("tag", "search", "HIGH"),
    "m-ranker-alice": ("agent_owner", "search", "HIGH"),
    "m-helpdesk-alice": ("agent_owner", "support", "HIGH"),
    "m-oncall-before": ("agent_owner", "platform", "HIGH"),
    "m-oncall-after": ("agent_owner", "search", "HIGH"),
    "m-teamkey": ("team_key", "platform", "HIGH"),
    "m-user-bob": ("user_team", "support", "MEDIUM"),
    "m-tag-over-agent": ("tag", "support", "HIGH"),
    "m-labs": ("agent_owner", "growth-labs", "HIGH"),
    "m-unknown-key": ("user_team", "support", "MEDIUM"),
    "m-cached-ds": ("tag", "data-science", "HIGH"),
    "m-unpriced": ("tag", "search", "HIGH"),
    "m-orphan": ("unattributed", "unattributed", "UNATTRIBUTED"),
    "m-unknown-tag": ("unattributed", "unattributed", "UNATTRIBUTED"),
    "m-ghost": ("unattributed", "unattributed", "UNATTRIBUTED"),
    "m-digest-even": ("shared_rule", None, "LOW"),
    "m-notebook": ("shared_rule", None, "LOW"),
    "m-usage": ("shared_rule", None, "LOW"),
    "m-default": ("shared_rule", None, "LOW"),
    "j-digest-fixed": ("shared_rule", None, "LOW"),
    "j-notebook": ("shared_rule", None, "LOW"),
    "j-default": ("shared_rule", None, "LOW"),
    "j-usage": ("shared_rule", None, "LOW"),
    "j-carol-before": ("user_team", "platform", "MEDIUM"),
    "j-carol-after": ("user_team", "data-science", "MEDIUM"),
    "j-merged-tag": ("tag", "growth-labs", "HIGH"),
    "j-labs": ("agent_owner", "growth-labs", "HIGH"),
    "j-dan-pkey": ("user_team", "data-science", "MEDIUM"),
    "j-search-tag": ("tag", "search", "HIGH"),
    "j-helpdesk-dev": ("agent_owner", "support", "HIGH"),
    "j-platform-key": ("team_key", "platform", "HIGH"),
}

# Each shared event's split: {team: allocated cost} (hand calculation in the comments).
EXPECTED_SPLITS = {
    # even between the 2026-01-01 set (support, data-science): $0.40 / 2 = 0.20 each
    "m-digest-even": {"support": D("0.20"), "data-science": D("0.20")},
    # headcount May: search 12, data-science 4 (total 16): 0.80 x 12/16 = 0.60 ; 0.80 x 4/16 = 0.20
    "m-notebook": {"search": D("0.60"), "data-science": D("0.20")},
    # usage May, steps 1-4 priced cost of the participants (before subsidy):
    #   search  = m-tag-search 0.80 + m-tag-dev 0.50 + m-ranker-alice 0.50 + m-oncall-after 0.20 = 2.00
    #   support = m-helpdesk-alice 0.40 + m-user-bob 0.40 + m-tag-over-agent 0.10 + m-unknown-key 0.10 = 1.00
    #   platform = m-oncall-before 0.20 + m-teamkey 0.80 = 1.00
    #   weights 2,000,000 : 1,000,000 : 1,000,000 -> 0.5 / 0.25 / 0.25 of $0.40 = 0.20 / 0.10 / 0.10
    "m-usage": {"search": D("0.20"), "support": D("0.10"), "platform": D("0.10")},
    # default participants on 2026-05-14: all 5 teams (growth-labs is merged only from 2026-06-01): $1.00 / 5 = 0.20
    "m-default": {"search": D("0.20"), "support": D("0.20"), "platform": D("0.20"),
                  "data-science": D("0.20"), "growth-labs": D("0.20")},
    # fixed from 2026-06-01, the 2026-06-01 set: support 50 %, data-science 30 %, platform 20 % of $1.00
    "j-digest-fixed": {"support": D("0.50"), "data-science": D("0.30"), "platform": D("0.20")},
    # headcount June: search 12 (no June row -> May), data-science 12 (June): $0.80 / 2 = 0.40 each
    "j-notebook": {"search": D("0.40"), "data-science": D("0.40")},
    # default participants on 2026-06-10: growth-labs merged away on 2026-06-01 -> 4 teams: $1.00 / 4 = 0.25
    "j-default": {"search": D("0.25"), "support": D("0.25"), "platform": D("0.25"), "data-science": D("0.25")},
    # usage June: search = j-search-tag 0.80 ; support = j-helpdesk-dev 0.40 (dev, but before subsidy) ;
    #   platform = j-carol-before 0.20 + j-platform-key 0.60 = 0.80 -> weights 2 : 1 : 2 -> 0.4 / 0.2 / 0.4 of $0.50
    "j-usage": {"search": D("0.20"), "support": D("0.10"), "platform": D("0.20")},
}

# month -> team -> (cost_usd, cost_cents, cost_high, cost_medium, cost_low, events, unpriced_events)
EXPECTED_MONTHLY = {
    MAY: {
        # direct (all HIGH): m-tag-search 0.80 + m-tag-dev 0.50 + m-ranker-alice 0.50 + m-oncall-after 0.20 = 2.00
        # shared (LOW): m-notebook 0.60 + m-usage 0.20 + m-default 0.20 = 1.00 ; total 3.00
        # events: 4 direct + m-unpriced + 3 shared = 8 ; unpriced 1
        "search": (D("3.00"), 300, D("2.00"), D("0"), D("1.00"), 8, 1),
        # HIGH m-helpdesk-alice 0.40 + m-tag-over-agent 0.10 = 0.50 ; MEDIUM m-user-bob 0.40 + m-unknown-key 0.10 = 0.50
        # LOW m-digest-even 0.20 + m-usage 0.10 + m-default 0.20 = 0.50 ; total 1.50 ; events 4 + 3 = 7
        "support": (D("1.50"), 150, D("0.50"), D("0.50"), D("0.50"), 7, 0),
        # HIGH m-oncall-before 0.20 + m-teamkey 0.80 = 1.00 ; LOW m-usage 0.10 + m-default 0.20 = 0.30 ; total 1.30
        "platform": (D("1.30"), 130, D("1.00"), D("0"), D("0.30"), 4, 0),
        # HIGH m-cached-ds 0.425 ; LOW m-digest-even 0.20 + m-notebook 0.20 + m-default 0.20 = 0.60 ; total 1.025
        # 102.5 cents -> 103 (see the cents comment below)
        "data-science": (D("1.025"), 103, D("0.425"), D("0"), D("0.60"), 4, 0),
        # HIGH m-labs 0.25 ; LOW m-default 0.20 ; total 0.45
        "growth-labs": (D("0.45"), 45, D("0.25"), D("0"), D("0.20"), 2, 0),
        # m-orphan + m-unknown-tag + m-ghost = 3 x 0.10 = 0.30 ; in none of high / medium / low
        "unattributed": (D("0.30"), 30, D("0"), D("0"), D("0"), 3, 0),
        # month total 3.00 + 1.50 + 1.30 + 1.025 + 0.45 + 0.30 = 7.575 -> 757.5 cents -> half-up 758
        # floors 300 + 150 + 130 + 102 + 45 + 30 = 757 -> the one cent goes to the only remainder (data-science .5)
    },
    JUNE: {
        # HIGH j-search-tag 0.80 ; LOW j-notebook 0.40 + j-default 0.25 + j-usage 0.20 = 0.85 ; total 1.65
        "search": (D("1.65"), 165, D("0.80"), D("0"), D("0.85"), 4, 0),
        # HIGH j-helpdesk-dev 0.40 ; LOW j-digest-fixed 0.50 + j-default 0.25 + j-usage 0.10 = 0.85 ; total 1.25
        "support": (D("1.25"), 125, D("0.40"), D("0"), D("0.85"), 4, 0),
        # HIGH j-platform-key 0.60 ; MEDIUM j-carol-before 0.20 ; LOW j-digest-fixed 0.20 + j-default 0.25 + j-usage 0.20 = 0.65
        # total 0.60 + 0.20 + 0.65 = 1.45 ; events 2 + 3 = 5
        "platform": (D("1.45"), 145, D("0.60"), D("0.20"), D("0.65"), 5, 0),
        # MEDIUM j-carol-after 0.20 + j-dan-pkey 0.50 = 0.70 ; LOW j-digest-fixed 0.30 + j-notebook 0.40 + j-default 0.25 = 0.95
        # total 1.65 ; events 2 + 3 = 5
        "data-science": (D("1.65"), 165, D("0"), D("0.70"), D("0.95"), 5, 0),
        # HIGH j-merged-tag 0.10 + j-labs 0.10 = 0.20 (not in j-default: merged away)
        "growth-labs": (D("0.20"), 20, D("0.20"), D("0"), D("0"), 2, 0),
        # no unattributed event in June: the row is there at 0
        "unattributed": (D("0"), 0, D("0"), D("0"), D("0"), 0, 0),
        # month total 1.65 + 1.25 + 1.45 + 1.65 + 0.20 = 6.20 -> 620 cents (all whole cents)
    },
}

# The subsidy run (subsidized_environments ['dev'], central_team_id platform): month -> team -> cost_usd.
# Subsidised: m-tag-dev (search 0.50), m-digest-even (support 0.20, data-science 0.20), j-helpdesk-dev (support 0.40).
EXPECTED_SUBSIDY_MONTHLY = {
    MAY: {
        "search": D("2.50"),         # 3.00 - 0.50
        "support": D("1.30"),        # 1.50 - 0.20
        "platform": D("2.20"),       # 1.30 + 0.50 + 0.20 + 0.20
        "data-science": D("0.825"),  # 1.025 - 0.20
        "growth-labs": D("0.45"),    # unchanged
        "unattributed": D("0.30"),   # unchanged ; total still 7.575
    },
    JUNE: {
        "search": D("1.65"),         # unchanged (usage weights are taken before the subsidy)
        "support": D("0.85"),        # 1.25 - 0.40
        "platform": D("1.85"),       # 1.45 + 0.40
        "data-science": D("1.65"),
        "growth-labs": D("0.20"),
        "unattributed": D("0"),      # total still 6.20
    },
}


def project_with_seeds(tmp: Path, seeds: dict[str, str]) -> Path:
    """A copy of the project whose organisation is the scenario's own: its files as given, every other org
    file empty (header only, as `tokenledger init` writes it), so nothing of the sample's organisation
    (budgets, discounts, invoices, aliases, closed months) takes part."""
    project = copy_project(tmp / "project")
    for path in (project / ORG).glob("*.csv"):
        path.write_text(header_line(ORG_FILES[path.stem]), encoding="utf-8")
    for name, text in seeds.items():
        (project / ORG / name).write_text(text, encoding="utf-8")
    return project


def write_jobs(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(JOBS)
    return path


def clone_warehouse(source: Warehouse, root: Path) -> Warehouse:
    """A second warehouse on the same project copy, starting from a copy of the built database."""
    clone = new_warehouse(root, project_dir=source.project_dir, **source.env_overrides)
    shutil.copy2(source.db, clone.db)
    wal = source.db.with_name(source.db.name + ".wal")
    if wal.exists():
        shutil.copy2(wal, clone.db.with_name(clone.db.name + ".wal"))
    return clone


SUBSIDY_VARS = "{subsidized_environments: ['dev'], central_team_id: 'platform'}"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    tmp = tmp_path_factory.mktemp("allocation_scenario")
    wh = new_warehouse(tmp / "base", project_dir=project_with_seeds(tmp, ORG_SEEDS))
    wh.ingest(write_jobs(tmp / "jobs-2026-05-06.csv"))
    wh.dbt("build", "--exclude", "test_type:unit")
    return wh


@pytest.fixture(scope="module")
def subsidy(scenario: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    wh = clone_warehouse(scenario, tmp_path_factory.mktemp("allocation_subsidy"))
    wh.dbt("build", "--select", "fct_cost_allocations+", "--exclude", "test_type:unit", "--vars", SUBSIDY_VARS)
    return wh


def monthly(wh: Warehouse) -> dict[str, dict[str, tuple]]:
    rows = wh.query(
        "select cast(month as varchar), team_id, cost_usd, cost_cents, cost_high_usd, cost_medium_usd, cost_low_usd,"
        " events, unpriced_events from marts.fct_team_monthly_spend")
    result: dict[str, dict[str, tuple]] = {}
    for month, team, *values in rows:
        result.setdefault(month, {})[team] = tuple(values)
    return result


# --------------------------------------------------------------------------------------------------
# The base run
# --------------------------------------------------------------------------------------------------

def test_every_event_is_attributed_by_the_expected_step(scenario: Warehouse) -> None:
    rows = scenario.query(
        "select event_id, basis, team_id, confidence from intermediate.int_usage_events_attributed")
    got = {event_id: (basis, team, confidence) for event_id, basis, team, confidence in rows}
    assert got == EXPECTED_ATTRIBUTION


def test_rule_method_follows_the_rule_in_force(scenario: Warehouse) -> None:
    rows = scenario.query(
        "select event_id, rule_method, cast(rule_effective_from as varchar) from intermediate.int_usage_events_attributed"
        " where basis = 'shared_rule'")
    assert dict((e, (m, f)) for e, m, f in rows) == {
        # digest-bot: even from 2026-05-01 until 2026-05-31 (UTC), fixed from 2026-06-01
        "m-digest-even": ("even", "2026-05-01"),
        "j-digest-fixed": ("fixed", "2026-06-01"),
        "m-notebook": ("headcount", "2026-01-01"),
        "j-notebook": ("headcount", "2026-01-01"),
        "m-usage": ("usage", "2026-01-01"),
        "j-usage": ("usage", "2026-01-01"),
        "m-default": ("even", "2026-01-01"),
        "j-default": ("even", "2026-01-01"),
    }


def test_shared_events_split_as_worked_out_by_hand(scenario: Warehouse) -> None:
    rows = scenario.query(
        "select event_id, team_id, allocated_cost_usd, basis, confidence, beneficiary_team_id"
        " from marts.fct_cost_allocations where attribution_basis = 'shared_rule'")
    got: dict[str, dict[str, Decimal]] = {}
    for event_id, team, cost, basis, confidence, beneficiary in rows:
        assert (basis, confidence, beneficiary) == ("shared_rule", "LOW", None), event_id
        got.setdefault(event_id, {})[team] = cost
    assert got == EXPECTED_SPLITS


def test_allocations_sum_exactly_to_each_event(scenario: Warehouse) -> None:
    bad = scenario.query(
        "select a.event_id, sum(a.share), sum(a.allocated_cost_usd), max(e.list_cost_usd)"
        " from marts.fct_cost_allocations a join marts.fct_usage_events e on a.event_key = e.event_key"
        " group by a.event_id having sum(a.share) <> 1"
        " or coalesce(sum(a.allocated_cost_usd), -1) <> coalesce(max(e.list_cost_usd), -1)")
    assert bad == []
    # the unpriced event keeps its share (1) and a NULL cost
    assert scenario.query(
        "select team_id, share, allocated_cost_usd from marts.fct_cost_allocations where event_id = 'm-unpriced'"
    ) == [("search", Decimal("1"), None)]


def test_monthly_spend_matches_the_hand_totals(scenario: Warehouse) -> None:
    assert monthly(scenario) == EXPECTED_MONTHLY


def test_monthly_cents_tie_to_the_rounded_month_totals(scenario: Warehouse) -> None:
    rows = scenario.query(
        "select cast(month as varchar), sum(cost_usd), sum(cost_cents) from marts.fct_team_monthly_spend group by 1")
    # May 7.575 -> 758 cents (half-up) ; June 6.20 -> 620 cents
    assert sorted(rows) == [(MAY, D("7.575"), 758), (JUNE, D("6.20"), 620)]


def test_merged_team_rolls_up_to_the_surviving_team(scenario: Warehouse) -> None:
    rows = scenario.query("select distinct team_id, rollup_team_id from marts.fct_team_monthly_spend")
    assert sorted(rows) == sorted([
        ("search", "search"), ("support", "support"), ("platform", "platform"),
        ("data-science", "data-science"), ("growth-labs", "search"), ("unattributed", "unattributed"),
    ])
    # as-now rollup: search + growth-labs. May 3.00 + 0.45 = 3.45 ; June 1.65 + 0.20 = 1.85
    rollup = scenario.query(
        "select cast(month as varchar), sum(cost_usd) from marts.fct_team_monthly_spend"
        " where rollup_team_id = 'search' group by 1")
    assert sorted(rollup) == [(MAY, D("3.45")), (JUNE, D("1.85"))]


def test_tokens_are_allocated_by_share(scenario: Warehouse) -> None:
    row = scenario.query(
        "select input_tokens, output_tokens from marts.fct_team_monthly_spend"
        " where month = '2026-05-01' and team_id = 'data-science'")
    # input: m-cached-ds 200,000 (100,000 uncached + 100,000 cache read) + m-digest-even 160,000 x 0.5 = 80,000
    #        + m-notebook 200,000 x 0.25 = 50,000 + m-default 160,000 x 0.2 = 32,000 -> 362,000
    # output: m-cached-ds 10,000 + m-notebook 20,000 x 0.25 = 5,000 + m-default 40,000 x 0.2 = 8,000 -> 23,000
    assert row == [(D("362000"), D("23000"))]


def test_audit_shared_logins(scenario: Warehouse) -> None:
    rows = scenario.query(
        "select cast(month as varchar), login_kind, login_id, reason, events from audit.shared_logins")
    assert sorted(rows) == sorted([
        # pk.alice drove ranker (search) and helpdesk-bot (support) in May: the key and the person
        (MAY, "personal_key", "pk.alice", "used_by_agents_of_several_teams", 2),
        # person alice: m-ranker-alice, m-helpdesk-alice (via her key), m-teamkey (her email on a team key)
        (MAY, "person", "alice@corp.example", "used_by_agents_of_several_teams", 3),
        # pk.ghost's owner has no team
        (MAY, "personal_key", "pk.ghost", "personal_key_owner_without_team", 1),
    ])


def test_audit_unknown_team_tags(scenario: Warehouse) -> None:
    rows = scenario.query("select tag_team_id, cast(month as varchar), events, list_cost_usd from audit.unknown_team_tags")
    assert rows == [("marketing", MAY, 1, D("0.10"))]


def test_audit_orphan_agents(scenario: Warehouse) -> None:
    rows = scenario.query("select agent, events, list_cost_usd from audit.orphan_agents")
    assert rows == [("mystery-agent", 1, D("0.10"))]


def test_audit_unknown_api_keys(scenario: Warehouse) -> None:
    rows = scenario.query("select api_key_id, events, list_cost_usd from audit.unknown_api_keys")
    assert rows == [("pk.unknown", 1, D("0.10"))]


def test_audit_unattributed_events(scenario: Warehouse) -> None:
    rows = scenario.query("select event_id, list_cost_usd from audit.unattributed_events")
    assert sorted(rows) == [("m-ghost", D("0.10")), ("m-orphan", D("0.10")), ("m-unknown-tag", D("0.10"))]


# --------------------------------------------------------------------------------------------------
# The subsidy run and the configuration error
# --------------------------------------------------------------------------------------------------

def test_subsidy_moves_dev_spend_to_the_central_team(subsidy: Warehouse) -> None:
    got = {month: {team: values[0] for team, values in teams.items()} for month, teams in monthly(subsidy).items()}
    assert got == EXPECTED_SUBSIDY_MONTHLY


def test_subsidy_keeps_the_would_be_payer_as_beneficiary(subsidy: Warehouse) -> None:
    rows = subsidy.query(
        "select event_id, team_id, beneficiary_team_id, allocated_cost_usd, attribution_basis"
        " from marts.fct_cost_allocations where basis = 'subsidy'")
    assert sorted(rows) == sorted([
        ("m-tag-dev", "platform", "search", D("0.50"), "tag"),
        ("m-digest-even", "platform", "support", D("0.20"), "shared_rule"),
        ("m-digest-even", "platform", "data-science", D("0.20"), "shared_rule"),
        ("j-helpdesk-dev", "platform", "support", D("0.40"), "agent_owner"),
    ])
    # Nothing else changed hands: every other allocation has no beneficiary.
    assert subsidy.scalar(
        "select count(*) from marts.fct_cost_allocations where basis <> 'subsidy' and beneficiary_team_id is not null") == 0


def test_subsidy_without_central_team_fails_the_build(scenario: Warehouse,
                                                      tmp_path_factory: pytest.TempPathFactory) -> None:
    wh = clone_warehouse(scenario, tmp_path_factory.mktemp("allocation_misconfigured"))
    result = wh.dbt("build", "--select", "fct_cost_allocations", "--exclude", "test_type:unit",
                    "--vars", "{subsidized_environments: ['dev']}", check=False)
    assert result.returncode != 0
    assert "central_team_id" in result.stdout + result.stderr


# --------------------------------------------------------------------------------------------------
# Optional seed columns
# --------------------------------------------------------------------------------------------------

def test_teams_csv_without_merge_columns_still_builds(tmp_path: Path) -> None:
    project = project_with_seeds(tmp_path, {**ORG_SEEDS, "teams.csv": TEAMS_WITHOUT_MERGE_COLUMNS})
    wh = new_warehouse(tmp_path / "wh", project_dir=project)
    wh.ingest(write_jobs(tmp_path / "jobs-2026-05-06.csv"))
    wh.dbt("build", "--exclude", "test_type:unit")
    assert wh.query("select team_id, merged_into, merged_on, rollup_team_id from marts.dim_teams where team_id = 'growth-labs'") == [
        ("growth-labs", None, None, "growth-labs")]
    # Nothing is merged now, so growth-labs joins j-default in June: $1.00 / 5 = 0.20 ;
    # June growth-labs = j-merged-tag 0.10 + j-labs 0.10 + 0.20 = 0.40
    assert wh.scalar(
        "select cost_usd from marts.fct_team_monthly_spend where month = '2026-06-01' and team_id = 'growth-labs'") == D("0.40")
