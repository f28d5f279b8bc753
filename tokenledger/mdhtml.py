"""The allocation memo's Markdown as HTML: a small, safe renderer for the subset the memo writes.

Blocks: ATX headings (`#` to `######`), paragraphs (consecutive lines joined), bullet lists (`- `),
and pipe tables (a header row, a `|---|---:|` separator with its alignments, body rows). Inline:
`**bold**`, `_emphasis_` (not inside a word, so snake_case names stay as they are), `` `code` `` and
backslash escapes (`\\|`, `\\\\`, ...: as export.md writes values into table cells). Every piece of
text is HTML-escaped, so a team name such as `<script>` is shown, never run; nothing else of Markdown
(links, images, raw HTML) is interpreted.
"""

from __future__ import annotations

import html
import re

INLINE = re.compile(r"\\([\\`*_|#\-])|`([^`]+)`|\*\*(.+?)\*\*|(?<![\w\\])_(.+?)_(?!\w)")
HEADING = re.compile(r"(#{1,6}) (.*)")
SEPARATOR = re.compile(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?")


def inline(text: str) -> str:
    """One line of Markdown text as escaped HTML with its bold, emphasis, code and escapes."""
    out, pos = [], 0
    for match in INLINE.finditer(text):
        out.append(html.escape(text[pos:match.start()]))
        escaped, code, bold, emphasis = match.groups()
        if escaped is not None:
            out.append(html.escape(escaped))
        elif code is not None:
            out.append(f"<code>{html.escape(code)}</code>")
        elif bold is not None:
            out.append(f"<strong>{inline(bold)}</strong>")
        else:
            out.append(f"<em>{inline(emphasis)}</em>")
        pos = match.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def cells(row: str) -> list[str]:
    """A table row's cells: split on the pipes that are not backslash-escaped (escapes kept for inline())."""
    row = row.strip()
    row = row.removeprefix("|")
    found, cell, i = [], "", 0
    while i < len(row):
        char = row[i]
        if char == "\\" and i + 1 < len(row):
            cell += row[i:i + 2]
            i += 2
            continue
        if char == "|":
            found.append(cell.strip())
            cell = ""
        else:
            cell += char
        i += 1
    if cell.strip():
        found.append(cell.strip())
    return found


def alignments(separator: str) -> list[str | None]:
    def one(cell: str) -> str | None:
        if cell.startswith(":") and cell.endswith(":"):
            return "center"
        if cell.endswith(":"):
            return "right"
        return "left" if cell.startswith(":") else None

    return [one(cell) for cell in cells(separator)]


def table(rows: list[str]) -> str:
    align = alignments(rows[1])

    def row_html(row: str, tag: str) -> str:
        parts = []
        for index, cell in enumerate(cells(row)):
            side = align[index] if index < len(align) else None
            style = f' style="text-align: {side}"' if side else ""
            parts.append(f"<{tag}{style}>{inline(cell)}</{tag}>")
        return "<tr>" + "".join(parts) + "</tr>"

    body = "".join(row_html(row, "td") for row in rows[2:])
    return f"<table><thead>{row_html(rows[0], 'th')}</thead><tbody>{body}</tbody></table>"


def to_html(markdown: str, heading_offset: int = 0) -> str:
    """The Markdown as HTML blocks; headings move down `heading_offset` levels (at most h6)."""
    lines = markdown.splitlines()
    blocks: list[str] = []
    paragraph: list[str] = []
    i = 0

    def flush() -> None:
        if paragraph:
            blocks.append("<p>" + " ".join(inline(line.strip()) for line in paragraph) + "</p>")
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        heading = HEADING.fullmatch(line.strip())
        if not line.strip():
            flush()
        elif heading:
            flush()
            level = min(len(heading.group(1)) + heading_offset, 6)
            blocks.append(f"<h{level}>{inline(heading.group(2).strip())}</h{level}>")
        elif line.lstrip().startswith("- "):
            flush()
            items = []
            while i < len(lines) and lines[i].lstrip().startswith("- "):
                items.append(f"<li>{inline(lines[i].lstrip()[2:].strip())}</li>")
                i += 1
            blocks.append("<ul>" + "".join(items) + "</ul>")
            continue
        elif line.lstrip().startswith("|") and i + 1 < len(lines) and SEPARATOR.fullmatch(lines[i + 1].strip()):
            flush()
            rows = [line, lines[i + 1]]
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(lines[i])
                i += 1
            blocks.append(table(rows))
            continue
        else:
            paragraph.append(line)
        i += 1
    flush()
    return "\n".join(blocks)
