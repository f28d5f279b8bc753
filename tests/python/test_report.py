"""The HTML chargeback report (tokenledger report), opened in headless Chromium.

Chromium is Debian's `chromium` (installed here with apt-get when missing, as the issue asks); it
is driven through its own headless command line (`--dump-dom` after the page's scripts ran,
`--screenshot`, `--print-to-pdf`), which needs no driver download. The test checks that every chart
rendered (a Plotly SVG with drawn marks per chart), that the key figures in the page equal the
marts, that a team's page shows no other team, and saves a screenshot to test-artifacts/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from harness import PROJECT_ROOT, Warehouse

MONTH = "2026-10"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    install = subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], capture_output=True, text=True,
                             env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    found = shutil.which("chromium")
    assert found, f"Chromium is missing and apt-get could not install it:\n{install.stderr[-2000:]}"
    return found


def headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                           "--virtual-time-budget=15000", *args], capture_output=True, text=True, timeout=240)


def report(wh: Warehouse, out: Path, *extra: str) -> Path:
    result = subprocess.run([sys.executable, "-m", "tokenledger", "report", "--db", str(wh.db),
                             "--month", MONTH, "--out", str(out), *extra], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.splitlines()[0].removeprefix("tokenledger: wrote "))


def rendered(browser: str, page: Path, tmp: Path) -> str:
    result = headless(browser, tmp / "profile", "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def charts(dom: str) -> list[str]:
    """The rendered Plotly charts: the markup from each chart's `plot-container` to the next one's."""
    return dom.split('class="plot-container plotly"')[1:]


def marks(chart: str) -> int:
    """Drawn marks in a chart's SVG (bar points, lines); 0 when Plotly did not render it."""
    if 'class="main-svg"' not in chart:
        return 0
    return len(re.findall(r'class="point"|class="js-line"', chart))


@pytest.fixture(scope="module")
def pages(sample_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("report")
    browser = chromium()
    org = report(sample_warehouse, tmp)
    team = report(sample_warehouse, tmp, "--team", "search")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"chargeback-report-{MONTH}.png"
    headless(browser, tmp / "profile", "--window-size=1200,4200", f"--screenshot={shot}", org.as_uri())
    return {"org": rendered(browser, org, tmp), "team": rendered(browser, team, tmp), "shot": shot,
            "browser": browser, "tmp": tmp, "wh": sample_warehouse}


def test_every_chart_renders(pages: dict[str, object]) -> None:
    org = charts(pages["org"])  # type: ignore[arg-type]
    # spend by team, budget utilisation, confidence mix, top drivers, unattributed trend, invoice variance
    assert len(org) == 6
    assert all(marks(svg) > 0 for svg in org), [marks(svg) for svg in org]
    team = charts(pages["team"])  # type: ignore[arg-type]
    assert len(team) == 4 and all(marks(svg) > 0 for svg in team)  # spend, budget, confidence, drivers
    shot = pages["shot"]
    assert shot.is_file() and shot.stat().st_size > 50_000  # type: ignore[union-attr]


def test_key_figures_equal_the_marts(pages: dict[str, object]) -> None:
    wh: Warehouse = pages["wh"]  # type: ignore[assignment]
    lines = dict(wh.query("select team_id, cost_cents from marts.rpt_chargeback_monthly where month = ?", [f"{MONTH}-01"]))
    dom: str = pages["org"]  # type: ignore[assignment]
    shown = {t: int(c) for t, c in re.findall(r'<tr data-team="([^"]+)">.*?data-cents="(-?\d+)"', dom, flags=re.S)}
    assert shown == lines
    total = int(re.search(r'data-total-cents=["\x27](\d+)', dom).group(1))  # type: ignore[union-attr]
    assert total == sum(lines.values())
    assert f"${total / 100:,.2f}" in re.search(r'data-figure="total_cents">([^<]+)<', dom).group(1)  # type: ignore[union-attr]
    events = wh.scalar("select sum(events) from marts.rpt_chargeback_monthly where month = ?", [f"{MONTH}-01"])
    assert re.search(r'data-figure="events">([^<]+)<', dom).group(1) == f"{events:,}"  # type: ignore[union-attr]
    assert "Allocation memo" in dom and "AI spend allocation memo" in dom


def test_a_team_page_shows_only_that_team(pages: dict[str, object]) -> None:
    wh: Warehouse = pages["wh"]  # type: ignore[assignment]
    dom: str = pages["team"]  # type: ignore[assignment]
    assert set(re.findall(r'<tr data-team="([^"]+)"', dom)) == {"search"}
    others = [t for (t,) in wh.query("select distinct team_id from marts.fct_team_monthly_spend where team_id <> 'search'")]
    trace_names = set(re.findall(r'"name":"([^"]+)"', dom))
    assert not trace_names & set(others), trace_names & set(others)
    search = wh.scalar("select cost_cents from marts.rpt_chargeback_monthly where month = ? and team_id = 'search'",
                       [f"{MONTH}-01"])
    assert int(re.search(r'data-total-cents=["\x27](\d+)', dom).group(1)) == search  # type: ignore[union-attr]
    assert "Allocation memo" not in dom  # the memo names every team


def test_pdf(pages: dict[str, object]) -> None:
    out = pages["tmp"] / "pdf"  # type: ignore[operator]
    result = subprocess.run([sys.executable, "-m", "tokenledger", "report", "--db", str(pages["wh"].db),  # type: ignore[attr-defined]
                             "--month", MONTH, "--out", str(out), "--pdf"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    pdf = out / f"chargeback-report-{MONTH}.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000


@pytest.mark.parametrize("team", ["../../etc/passwd", "a/b", ".hidden", "x" * 300, "équipe", "", "team\x00id", "search"])
def test_a_team_id_becomes_a_safe_file_name(team: str) -> None:
    from tokenledger.common import file_name_part

    part = file_name_part(team)
    assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,89}", part), part
    assert part == team or part != file_name_part(team + "x")  # altered names carry a hash of the original
    if team == "search":
        assert part == "search"
