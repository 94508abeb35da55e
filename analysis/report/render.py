"""Rendering a report's structured sections to Markdown and to one self-contained HTML file.

A report is a list of :class:`Section` objects, each a title and a list of blocks:

- ``("p", text)``: a paragraph; ``**bold**``, ``*italic*`` and ```code``` are understood;
- ``("list", [text, ...])``: a bullet list;
- ``("table", header, rows)``: a table of strings (``rows`` a list of lists);
- ``("figure", path, caption)``: an image (a file path); HTML embeds it as base64 PNG;
- ``("code", text)``: preformatted text.

Both renderers read the same sections, so the Markdown and the HTML say the same thing.
"""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Section", "render_markdown", "render_html", "inline_html"]

_VERDICT_CLASS = {"[Re]": "re", "partial": "partial", "[¬Re]": "notre", "[?Re]": "unknown"}
_LABEL_CLASS = {"PCL": "pcl", "NCL": "ncl", "NeCL": "necl", "inconclusive": "unknown"}

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1080px;margin:2em auto;
padding:0 1.2em;color:#1b1f24;line-height:1.5}
h1{border-bottom:2px solid #1d3557;padding-bottom:.3em}
h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:2em;color:#1d3557}
h3{margin-top:1.5em}
table{border-collapse:collapse;margin:1em 0;font-size:.88em;display:block;overflow-x:auto}
th,td{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f0f3f6}
tr:nth-child(even) td{background:#fafbfc}
code{background:#f0f3f6;padding:.1em .3em;border-radius:3px;font-size:.9em}
pre{background:#f6f8fa;padding:.8em;overflow-x:auto;font-size:.85em}
figure{margin:1.2em 0}
figure img{max-width:100%;border:1px solid #e1e4e8}
figcaption{font-size:.88em;color:#57606a;margin-top:.3em}
.badge{display:inline-block;padding:.05em .5em;border-radius:.8em;font-weight:600;white-space:nowrap}
.re{background:#dafbe1;color:#116329}.partial{background:#fff8c5;color:#7d4e00}
.notre{background:#ffebe9;color:#a40e26}.unknown{background:#eaeef2;color:#57606a}
.pcl{color:#1a7f37;font-weight:600}.ncl{color:#c62828;font-weight:600}
.necl{color:#1f5fbf;font-weight:600}
nav{font-size:.9em;background:#f6f8fa;padding:.6em 1em;border-radius:6px}
"""


@dataclass
class Section:
    """One report section: a title, a heading level (2 or 3) and its blocks."""

    title: str
    blocks: list = field(default_factory=list)
    level: int = 2

    @property
    def anchor(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, sections: list[Section], base: Path | None = None) -> str:
    """The report as Markdown; figure paths are written relative to ``base`` when given."""
    out = [f"# {title}", ""]
    for sec in sections:
        out += ["#" * sec.level + " " + sec.title, ""]
        for block in sec.blocks:
            kind = block[0]
            if kind == "p":
                out += [block[1], ""]
            elif kind == "list":
                out += [f"- {item}" for item in block[1]] + [""]
            elif kind == "table":
                header, rows = block[1], block[2]
                out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
                out.append("|" + "---|" * len(header))
                out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
                out.append("")
            elif kind == "figure":
                path = Path(block[1])
                shown = path.relative_to(base) if base and path.is_relative_to(base) else path
                out += [f"![{block[2]}]({shown.as_posix()})", "", f"*{block[2]}*", ""]
            elif kind == "code":
                out += ["```", block[1].rstrip("\n"), "```", ""]
    return "\n".join(out).rstrip() + "\n"


def inline_html(text: str) -> str:
    """Escape ``text`` and turn ``**b**``, ``*i*``, ```c``` into HTML; colour verdicts and labels.

    Examples
    --------
    >>> inline_html("**a** < `b`")
    '<strong>a</strong> &lt; <code>b</code>'
    """
    s = html.escape(str(text), quote=False)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
    s = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", s)
    s = re.sub(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])", r"<em>\1</em>", s)
    return s


def _cell_html(text: str) -> str:
    plain = str(text).strip()
    if plain in _VERDICT_CLASS:
        return f'<span class="badge {_VERDICT_CLASS[plain]}">{html.escape(plain)}</span>'
    first = plain.split(" ")[0]
    if first in _LABEL_CLASS:
        return f'<span class="{_LABEL_CLASS[first]}">{inline_html(plain)}</span>'
    return inline_html(plain)


def _image_data(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f"data:image/png;base64,{data}"


def render_html(title: str, sections: list[Section]) -> str:
    """The report as one self-contained HTML page (CSS inline, figures embedded as base64 PNG)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{inline_html(title)}</h1>",
        "<nav><strong>Contents:</strong> "
        + " · ".join(
            f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections if s.level == 2
        )
        + "</nav>",
    ]
    for sec in sections:
        parts.append(f'<h{sec.level} id="{sec.anchor}">{inline_html(sec.title)}</h{sec.level}>')
        for block in sec.blocks:
            kind = block[0]
            if kind == "p":
                parts.append(f"<p>{inline_html(block[1])}</p>")
            elif kind == "list":
                items = "".join(f"<li>{inline_html(i)}</li>" for i in block[1])
                parts.append(f"<ul>{items}</ul>")
            elif kind == "table":
                head = "".join(f"<th>{inline_html(h)}</th>" for h in block[1])
                body = "".join(
                    "<tr>" + "".join(f"<td>{_cell_html(c)}</td>" for c in r) + "</tr>"
                    for r in block[2]
                )
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            elif kind == "figure":
                parts.append(
                    f'<figure><img src="{_image_data(block[1])}" alt="{html.escape(block[2])}">'
                    f"<figcaption>{inline_html(block[2])}</figcaption></figure>"
                )
            elif kind == "code":
                parts.append(f"<pre>{html.escape(block[1])}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
