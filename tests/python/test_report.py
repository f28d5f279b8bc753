"""The HTML chargeback report (tokenledger report), opened in headless Chromium, and its PDF as a reader sees it.

Chromium is Debian's `chromium` and the PDF is rasterised by poppler's `pdftoppm` (Debian's
`poppler-utils`), both installed here with apt-get when missing (the tests that need one skip, with
the reason, when it cannot be had). Chromium is driven through its own headless command line
(`--dump-dom` after the page's scripts ran, `--screenshot`), which needs no driver download. The tests
check that every chart rendered (a Plotly SVG with drawn marks per chart), that the key figures in the
page equal the marts and the memo's, that a team's page shows no other team, and that month axes
label months. The PDF (`tokenledger report --pdf`) is rendered page by page to PNG (kept in
test-artifacts/ for a person to look at) and, the same pixels, to PPM read with numpy: each chart's
frame (its 2 px #adb5bd border) is found on the pages and must lie whole inside one page, nothing but
white where a chart's toolbar would be, and the page text (pdftotext) shows the memo rendered, not its
Markdown. A screenshot of the page goes to test-artifacts/ too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from harness import PROJECT_ROOT, Warehouse

MONTH = "2026-10"
FIRST_MONTH = "2026-09"  # the sample's first month: a spend chart of a single month
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
DPI = 96  # one CSS px is one pixel
FRAME = np.array([0xAD, 0xB5, 0xBD])  # report.STYLE: .chart { border: 2px solid #adb5bd }


def debian_tool(command: str, package: str) -> str | None:
    """The command's path, installing its Debian package with apt-get when it is missing; None when it cannot."""
    found = shutil.which(command)
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-q", package], capture_output=True, text=True,
                   env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    return shutil.which(command)


def chromium() -> str:
    found = debian_tool("chromium", "chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("Chromium is absent and apt-get could not install it (Debian package chromium)")
    return found


def headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                           "--virtual-time-budget=15000", *args], capture_output=True, text=True, timeout=240)


def report(wh: Warehouse, out: Path, *extra: str) -> Path:
    month = [] if "--month" in extra else ["--month", MONTH]
    result = subprocess.run([sys.executable, "-m", "tokenledger", "report", "--db", str(wh.db),
                             *month, "--out", str(out), *extra], capture_output=True, text=True)
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
    first = report(sample_warehouse, tmp / "first", "--team", "search", "--month", FIRST_MONTH)
    return {"org": rendered(browser, org, tmp), "team": rendered(browser, team, tmp), "shot": shot,
            "first": rendered(browser, first, tmp), "browser": browser, "tmp": tmp, "wh": sample_warehouse}


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


def test_savings_sections_equal_the_mart(pages: dict[str, object]) -> None:
    wh: Warehouse = pages["wh"]  # type: ignore[assignment]
    pattern = r'<tr data-opportunity="([^"]+)" data-key="([^"]+)">.*?data-cents="(\d+)"'
    org = re.findall(pattern, pages["org"], flags=re.S)  # type: ignore[call-overload]
    totals = {(o, k): int(c) for o, k, c in wh.query(
        "select opportunity, opportunity_key, sum(saving_cents) from marts.rpt_savings_opportunities where month = ? "
        "group by all", [f"{MONTH}-01"])}
    assert org and len(org) == min(10, len(totals))
    assert [int(c) for *_, c in org] == sorted((int(c) for *_, c in org), reverse=True)
    assert all(totals[(o, k)] == int(c) for o, k, c in org)
    assert min(int(c) for *_, c in org) >= sorted(totals.values(), reverse=True)[len(org) - 1]  # the largest ones
    team = re.findall(pattern, pages["team"], flags=re.S)  # type: ignore[call-overload]
    rows = wh.query("select opportunity, opportunity_key, saving_cents from marts.rpt_savings_opportunities "
                    "where month = ? and team_id = 'search' order by opportunity_rank limit 10", [f"{MONTH}-01"])
    assert [(o, k, int(c)) for o, k, c in team] == [(o, k, int(c)) for o, k, c in rows]


def visible_text(dom: str) -> str:
    """The page's text as a reader sees it (scripts, styles and tags removed, entities left as they are)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_one_figure_for_events_and_the_memo_rendered(pages: dict[str, object]) -> None:
    wh: Warehouse = pages["wh"]  # type: ignore[assignment]
    dom: str = pages["org"]  # type: ignore[assignment]
    events = wh.scalar("select sum(events) from marts.fct_team_monthly_spend where month = ?", [f"{MONTH}-01"])
    text = visible_text(dom)
    assert re.search(r"Events: ([\d,]+) \(", text).group(1) == f"{events:,}"  # type: ignore[union-attr]  # the memo
    assert re.search(r'data-figure="events">([^<]+)<', dom).group(1) == f"{events:,}"  # type: ignore[union-attr]
    assert "counts once on each of their lines" in text  # the definition, said on the page
    memo = dom[dom.index("Allocation memo"):]
    assert "<h4>Headline</h4>" in memo and "<strong>Total effective cost:" in memo
    assert re.search(r"<table><thead><tr><th>Team</th>", memo) and "<li>" in memo
    assert "## " not in memo and "|---" not in memo and "**" not in memo
    # people read one decimal: no percentage with two or more
    assert not re.findall(r"\d\.\d{2,} ?%", text), re.findall(r"\d\.\d{2,} ?%", text)


def tick_labels(chart: str, axis: str) -> list[str]:
    return re.findall(rf'<g class="{axis}tick"><text[^>]*>([^<]*)</text>', chart)


def test_month_axes_label_months(pages: dict[str, object]) -> None:
    for key, expected in (("first", ["Sep 2026"]), ("team", ["Sep 2026", "Oct 2026"])):
        spend = charts(pages[key])[0]  # type: ignore[arg-type]
        assert tick_labels(spend, "x") == expected, (key, tick_labels(spend, "x"))
        assert marks(spend) > 0


# --------------------------------------------------------------------------------------------------
# The PDF, page by page, as pixels
# --------------------------------------------------------------------------------------------------


def read_ppm(path: Path) -> np.ndarray:
    """A binary PPM (P6, 8 bits) as an array of rows x columns x RGB."""
    data = path.read_bytes()
    fields = data.split(maxsplit=4)
    assert fields[0] == b"P6" and fields[3] == b"255", fields[:4]
    width, height = int(fields[1]), int(fields[2])
    return np.frombuffer(fields[4][: width * height * 3], dtype=np.uint8).reshape(height, width, 3)


def longest_run(line: np.ndarray) -> tuple[int, int]:
    """(start, length) of the longest run of True in a 1-D boolean array."""
    padded = np.concatenate(([False], line, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    starts, ends = edges[::2], edges[1::2]
    if not len(starts):
        return 0, 0
    best = int(np.argmax(ends - starts))
    return int(starts[best]), int(ends[best] - starts[best])


def chart_frames(page: np.ndarray) -> tuple[list[tuple[int, int, int, int]], list[str]]:
    """The chart frames drawn whole on a page, (top, left, bottom, right) in pixels, and what looks broken:
    a frame's top or bottom edge without the other on the same page (a chart split across pages)."""
    frame = np.abs(page.astype(np.int16) - FRAME).max(axis=2) <= 28
    rows = []  # (y, x0, x1) of each row holding a long horizontal run of the frame colour
    for y in range(page.shape[0]):
        x0, length = longest_run(frame[y])
        if length >= page.shape[1] * 0.6:
            rows.append((y, x0, x0 + length))
    edges: list[tuple[int, int, int]] = []  # one per edge: consecutive rows merged (the border is ~2 px)
    for y, x0, x1 in rows:
        if edges and y - edges[-1][0] <= 3:
            continue
        edges.append((y, x0, x1))
    boxes, problems = [], []
    i = 0
    while i < len(edges):
        top = edges[i]
        bottom = edges[i + 1] if i + 1 < len(edges) else None
        if bottom is None:
            problems.append(f"a frame's edge at y={top[0]} with no other edge below it on the page")
            break
        # a frame: its left border runs from the top edge to the bottom edge (rounded corners: a few px aside)
        inner = frame[top[0] + 6:bottom[0] - 6, max(top[1] - 10, 0):top[1] + 10]
        if inner.size == 0 or inner.mean(axis=0).max() < 0.95:
            problems.append(f"edges at y={top[0]} and y={bottom[0]} do not belong to one frame (a chart cut by the page)")
            i += 1
            continue
        boxes.append((top[0], top[1], bottom[0], top[2]))
        i += 2
    return boxes, problems


@pytest.fixture(scope="module")
def printed(pages: dict[str, object]) -> dict[str, object]:
    pdftoppm = debian_tool("pdftoppm", "poppler-utils")
    if not pdftoppm:
        pytest.skip("pdftoppm is absent and apt-get could not install it (Debian package poppler-utils)")
    tmp: Path = pages["tmp"] / "pdf"  # type: ignore[operator]
    wh: Warehouse = pages["wh"]  # type: ignore[assignment]
    report(wh, tmp, "--pdf")
    pdf = tmp / f"chargeback-report-{MONTH}.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
    ARTIFACTS.mkdir(exist_ok=True)
    for stale in ARTIFACTS.glob(f"chargeback-report-{MONTH}-page-*.png"):
        stale.unlink()
    stem = ARTIFACTS / f"chargeback-report-{MONTH}-page"
    subprocess.run([pdftoppm, "-r", str(DPI), "-png", str(pdf), str(stem)], check=True, capture_output=True)
    subprocess.run([pdftoppm, "-r", str(DPI), str(pdf), str(tmp / "page")], check=True, capture_output=True)
    number = lambda path: int(path.stem.rsplit("-", 1)[1])  # noqa: E731
    pngs = sorted(ARTIFACTS.glob(f"chargeback-report-{MONTH}-page-*.png"), key=number)
    raster = [read_ppm(path) for path in sorted(tmp.glob("page-*.ppm"), key=number)]
    text = subprocess.run([shutil.which("pdftotext") or "pdftotext", "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return {"pdf": pdf, "pngs": pngs, "pages": raster, "text": text}


def test_pdf_pages_are_a4_and_every_chart_lies_whole_on_one_page(printed: dict[str, object]) -> None:
    raster: list[np.ndarray] = printed["pages"]  # type: ignore[assignment]
    assert len(printed["pngs"]) == len(raster) >= 2  # type: ignore[arg-type]
    found, problems = [], []
    for number, page in enumerate(raster, start=1):
        # A4 at 96 dpi: 794 x 1123 px
        assert abs(page.shape[1] - 794) <= 2 and abs(page.shape[0] - 1123) <= 2, page.shape
        boxes, broken = chart_frames(page)
        problems += [f"page {number}: {line}" for line in broken]
        for top, left, bottom, right in boxes:
            assert 0 < top < bottom < page.shape[0] - 1 and 0 < left < right < page.shape[1] - 1
            assert bottom - top >= 380  # the whole chart (380 px high) inside its frame
            found.append((number, top, bottom))
    assert not problems, problems
    assert len(found) == 6, found  # spend, budget, confidence, drivers, unattributed trend, invoice variance


def test_pdf_prints_no_chart_toolbar(printed: dict[str, object]) -> None:
    raster: list[np.ndarray] = printed["pages"]  # type: ignore[assignment]
    checked = 0
    for page in raster:
        for top, _, _, right in chart_frames(page)[0]:
            # Plotly's toolbar (modebar) sits in the chart's top-right corner, above the plot and legend
            corner = page[top + 6:top + 44, right - 200:right - 8]
            assert corner.min() >= 235, f"something drawn where a toolbar would be (darkest {corner.min()})"
            checked += 1
    assert checked == 6


def test_pdf_text_reads_as_a_report(printed: dict[str, object]) -> None:
    text: str = printed["text"]  # type: ignore[assignment]
    assert "Allocation memo" in text and "Headline" in text and "Total effective cost:" in text
    assert "## " not in text and "|---" not in text and "**" not in text  # the memo rendered, not its Markdown
    assert "Oct 2026" in text and "00:00:00" not in text  # the month axis


@pytest.mark.parametrize("team", ["../../etc/passwd", "a/b", ".hidden", "x" * 300, "équipe", "", "team\x00id", "search"])
def test_a_team_id_becomes_a_safe_file_name(team: str) -> None:
    from tokenledger.common import file_name_part

    part = file_name_part(team)
    assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,89}", part), part
    assert part == team or part != file_name_part(team + "x")  # altered names carry a hash of the original
    if team == "search":
        assert part == "search"


def test_the_memo_markdown_becomes_safe_html() -> None:
    from tokenledger.mdhtml import to_html

    memo = ("# Memo <b>x</b>\n\n## Headline\n\n- **Total: $1.00** (see `a_b`); fct_team_monthly_spend\n"
            "line one\nline two\n\n| Team | Cost |\n|---|---:|\n| <script>alert(1)</script> (x\\|y) | **$1.00** |\n"
            "| =HYPERLINK(\"h\") | $0.00 |\n\n_Figures from the marts._\n")
    out = to_html(memo, heading_offset=2)
    assert out.startswith("<h3>Memo &lt;b&gt;x&lt;/b&gt;</h3>\n<h4>Headline</h4>")
    assert "<li><strong>Total: $1.00</strong> (see <code>a_b</code>); fct_team_monthly_spend</li>" in out
    assert "<p>line one line two</p>" in out
    assert "<script>" not in out
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt; (x|y)</td>" in out  # an escaped pipe stays in its cell
    assert '<th style="text-align: right">Cost</th>' in out and '<td style="text-align: right"><strong>$1.00</strong></td>' in out
    assert "<p><em>Figures from the marts.</em></p>" in out
    assert "**" not in out and "|---" not in out and "## " not in out
