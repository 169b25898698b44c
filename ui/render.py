"""The HTML every page shares: readable labels, passages with their supporting sentence
marked, and an answer whose citations are chips that open that answer's own sources.

Everything from the corpus or a model is escaped here, and what is built is one HTML block
without blank lines, so the chat's Markdown renderer passes it through as it is: a
posting's `![](url)` stays text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from assistant.analytics import ROLE_LABELS, Corpus
from assistant.answer import Source, Support

KIND_LABELS = {"article": "Article", "posting": "Job posting", "role": "Role definition", "figures": "Corpus figures"}
_CITATION = re.compile(r"\s?\[(\d+)\]")
_SOURCES_BLOCK = re.compile(r"<details class=\"msg-sources\".*?</details>\s*</div>\s*$", re.S)
_TAG = re.compile(r"<[^>]+>")
_TABLE = re.compile(r'<table class="figures">.*?</table>(<p class="to-compare">.*?</p>)?', re.S)

# Clicking a chip (or a link to a passage, as the Compare tab's example postings are) opens
# its passage (and the sources around it) and brings it into view.
CHIP_SCRIPT = """<script>
document.addEventListener("click", function (event) {
  var chip = event.target.closest && event.target.closest("a.chip, a.to-passage");
  if (!chip) return;
  var passage = document.getElementById(chip.getAttribute("href").slice(1));
  if (!passage) return;
  event.preventDefault();
  for (var node = passage; node; node = node.parentElement && node.parentElement.closest("details")) node.open = true;
  passage.scrollIntoView({block: "nearest"});
  var summary = passage.querySelector("summary");
  if (summary) summary.focus();
});
</script>"""
CSS = """
.answer p { margin: 0 0 0.6em 0; }
/* A half-written answer has nothing to copy or rate yet. Gradio shows a message's buttons
   while it streams and only disables its Retry then (Chatbot has no option to hide them),
   so that disabled button is the mark: hidden, not removed, so nothing moves when they come. */
.message-buttons:has(button:disabled) { visibility: hidden; }
a.chip { display: inline-block; min-width: 1.4em; padding: 0 0.35em; margin: 0 1px; border-radius: 0.7em;
  background: var(--color-accent-soft); color: var(--body-text-color); font-size: 0.8em; line-height: 1.5;
  text-align: center; text-decoration: none; vertical-align: 0.1em; border: 1px solid var(--border-color-accent); }
/* White on the accent itself is 2.8:1; on the accent shaded towards black it is 5.3:1. */
a.chip:hover, a.chip:focus-visible { background: color-mix(in srgb, var(--color-accent) 70%, black); color: white;
  outline: none; }
details.msg-sources { margin-top: 0.5em; font-size: 0.92em; }
details.msg-sources > summary, details.uncited > summary { cursor: pointer; }
/* The theme's subdued grey is about 1.8:1 on a light message; text faded towards its background
   this much keeps 4.5:1 (WCAG AA) on a light or a dark one and still reads as secondary. */
details.msg-sources > summary, details.uncited > summary, details.src .kind, table.figures caption {
  color: color-mix(in srgb, var(--body-text-color) 75%, transparent); }
details.src { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 3px 8px; margin: 4px 0; }
details.src.cited { border-left: 3px solid var(--color-accent); }
details.src summary { cursor: pointer; }
details.src .kind { font-size: 0.85em; }
details.src .text { white-space: pre-wrap; font-size: 0.9em; margin-top: 4px; overflow-wrap: anywhere; }
details.src mark { background: #fde68a; color: #111; padding: 0 1px; }
table.figures { border-collapse: collapse; margin: 0.4em 0 0.6em; font-size: 0.88em; width: 100%; }
table.figures caption { text-align: left; font-size: 0.95em; padding-bottom: 2px; }
table.figures th, table.figures td { padding: 2px 6px; border-bottom: 1px solid var(--border-color-primary);
  text-align: left; vertical-align: middle; }
table.figures td.share { min-width: 4.5em; }
/* A strip under the value rather than a faint block behind it: accent shaded towards the text
   colour stands out (3:1 or more) from a light or a dark message, and the value keeps its own
   contrast with the background. */
table.figures .bar { display: block; height: 4px; margin: 2px 0 3px; border-radius: 2px;
  background: color-mix(in srgb, var(--color-accent) 80%, var(--body-text-color)); }
/* A message's text may break anywhere; a table's words must not, or a phone shows "Mac hin e". */
table.figures th, table.figures td { overflow-wrap: normal; word-break: normal; }
/* On a phone a row is stacked: its skill, then the shares side by side, then the difference,
   so every column fits the message instead of hiding past its right edge. */
@media (max-width: 600px) {
  table.figures, table.figures thead, table.figures tbody, table.figures caption { display: block; }
  table.figures tr { display: flex; flex-wrap: wrap; }
  table.figures th, table.figures td { flex: 1 0 100%; }
  table.figures .share { flex: 1 1 0; }
  /* The chat boxes every cell of a message's table, borders that only merge in a table's own
     layout; stacked, they would nest box in box. A rule under each row instead. */
  table.figures, table.figures tr, table.figures th, table.figures td { border: 0 !important; }
  table.figures tr { border-bottom: 1px solid var(--border-color-primary) !important; } }
/* Gradio puts ".gradio-container .contain" before every selector inside @media and splits
   selectors at each comma (a comma inside :is() too): rules there name no ancestor of
   .contain and list selectors without :is(). */
/* Every tab fits a phone's width instead of hiding behind the overflow menu. */
@media (max-width: 480px) { .tab-container button { padding-left: 7px !important; padding-right: 7px !important; } }
/* The page's 32 px margins each side, down to 13 px on a 360 px phone: room for the tables. */
.gradio-container .main { padding-left: min(var(--size-8), 3.5vw) !important;
  padding-right: min(var(--size-8), 3.5vw) !important; }
/* The Compare table in the page's font, not monospace, its words whole (Gradio breaks them
   anywhere): on a phone three or four roles fit, more scroll sideways. */
.compare-table th, .compare-table .cell-wrap { font-family: var(--font); }
.compare-table .wrap, .compare-table .cell-wrap { word-break: normal !important; overflow-wrap: normal !important; }
@media (max-width: 480px) { .compare-table th, .compare-table .cell-wrap { font-size: 12px; } }
/* The Compare tab's tables scroll sideways on a phone instead of breaking words letter by letter. */
.compare-notes table { display: block; overflow-x: auto; max-width: 100%; }
.heat-map { overflow-x: auto; max-width: 100%; }
.heat-map table { border-collapse: collapse; font-size: 0.9em; }
.heat-map caption { text-align: left; padding-bottom: 0.4em; }
.heat-map th, .heat-map td { padding: 0.35em 0.6em; border: 1px solid var(--border-color-primary); white-space: nowrap; }
.heat-map td { text-align: right; font-variant-numeric: tabular-nums; }
.heat-map th[scope=row] { text-align: left; position: sticky; left: 0; background: var(--background-fill-primary); }
.compare-notes th, .compare-notes td { white-space: nowrap; }
.compare-notes td:last-child { white-space: normal; min-width: 16em; }
/* On a phone a row is stacked as the chat's figures are: the skill, the two roles' shares side
   by side, the difference, the examples. */
@media (max-width: 600px) {
  .compare-notes table, .compare-notes thead, .compare-notes tbody { display: block; overflow-x: visible; }
  .compare-notes tr { display: flex; flex-wrap: wrap; }
  .compare-notes th, .compare-notes td, .compare-notes td:last-child { flex: 1 0 100%; white-space: normal; min-width: 0; }
  .compare-notes th:nth-child(2), .compare-notes th:nth-child(3), .compare-notes td:nth-child(2),
  .compare-notes td:nth-child(3) { flex: 1 1 0; }
  /* Boxed cells, as in the chat, would nest box in box once stacked. */
  .compare-notes table, .compare-notes thead, .compare-notes tbody, .compare-notes tr, .compare-notes th,
  .compare-notes td { border: 0 !important; padding: 0.15em 0.4em 0.15em 0 !important; }
  .compare-notes tr { border-bottom: 1px solid var(--border-color-primary) !important; padding: 0.4em 0 !important; } }
/* One example posting a line, set apart: their titles have commas of their own. */
.compare-notes a.to-passage { display: inline-block; margin-bottom: 0.4em; }
.sources details { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 4px 8px; margin: 4px 0; }
.sources summary { cursor: pointer; }
.sources .text { white-space: pre-wrap; font-size: 0.9em; }
"""


def role_label(role: str) -> str:
    """"ML engineer", "Data scientist": as people write them."""
    label = ROLE_LABELS.get(role, role.replace("_", " "))
    return label[:1].upper() + label[1:]


def roles_label(roles: str) -> str:
    return " vs ".join(role_label(r) for r in roles.split(",") if r)


def model_label(name: str) -> str:
    """"all-MiniLM-L6-v2", not "packaged:all-MiniLM-L6-v2"."""
    return name.rpartition(":")[2].rpartition("/")[2]


def source_title(source: Source) -> str:
    """The article's section (its own title is said once, elsewhere), a posting's title and
    company, or the source's title."""
    if source.kind == "article":
        return source.title.rpartition(" — ")[2] or source.title
    if source.kind == "posting" and source.company:
        return f"{source.title} · {source.company}"
    return source.title


def source_note(source: Source) -> str:
    kind = KIND_LABELS.get(source.kind, source.kind)
    if source.kind == "figures":
        return kind
    return f"{kind} · {roles_label(source.role)}" if source.role and source.role != "other" else kind


def passage_html(heading: str, note: str, text: str, *, marks: Sequence[str] = (), anchor: str = "",
                 cited: bool = False, titled: bool = True) -> str:
    """One folded passage: heading and note in the summary, the text (without its title
    line, when it is `titled` as a chunk is) inside, with the `marks` (sentences that back
    an answer) highlighted."""
    body = (text.partition("\n")[2] or text) if titled else text
    classes = "src cited" if cited else "src"
    ident = f' id="{html.escape(anchor)}"' if anchor else ""
    return (f'<details class="{classes}"{ident}><summary>{html.escape(heading)} '
            f'<span class="kind">{html.escape(note)}</span></summary>'
            f'<div class="text">{_marked(body, marks)}</div></details>')


def _marked(text: str, marks: Sequence[str]) -> str:
    spans: list[tuple[int, int]] = []
    for mark in marks:
        for piece in (mark, *re.split(r"(?<=[.!?])\s+", mark)):
            start = text.find(piece.strip()) if piece.strip() else -1
            if start >= 0:
                spans.append((start, start + len(piece.strip())))
                break
    out, at = [], 0
    for start, end in sorted(spans):
        if start < at:
            continue
        out += [html.escape(text[at:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        at = end
    out.append(html.escape(text[at:]))
    # Line breaks as entities: a blank line would end the HTML block for the Markdown renderer.
    return "".join(out).replace("\n", "&#10;")


def sources_html(sources: Sequence[Source], *, numbered: bool = True, empty: str = "No sources.") -> str:
    """A list of passages on their own (the Check a posting tab)."""
    if not sources:
        return f"<div class='sources'><em>{html.escape(empty)}</em></div>"
    return "<div class='sources'>" + "".join(
        passage_html((f"[{s.n}] " if numbered else "") + source_title(s), source_note(s), s.text)
        for s in sources) + "</div>"


def figures_table_html(corpus: Corpus, roles: Sequence[str], skills: Sequence[str] = (), top: int = 5,
                       compare_href: str = "") -> str:
    """The figures of an answer as a table with a bar for each share: for two roles the
    skills that separate them (difference in share with its 95% interval), otherwise each
    role's share of the skills asked about (or its most common ones)."""
    names = corpus.taxonomy.skills
    figures = [corpus.figures(r) for r in roles if corpus.figures(r).n]
    if not figures:
        return ""
    head = "".join(f'<th class="share">{html.escape(role_label(f.role))} <small>n={f.n}</small></th>' for f in figures)
    rows: list[str] = []
    if len(figures) == 2 and not skills:
        a, b = figures
        head += "<th>Difference <small>(95% interval)</small></th>"
        for more, less in ((a, b), (b, a)):
            for c in corpus.contrast(more.role, less.role, top=top):
                rows.append(f"<tr><td>{html.escape(names[c.skill].name)}</td>{_share_cell(a.share(c.skill))}"
                            f"{_share_cell(b.share(c.skill))}<td>+{c.diff * 100:.0f} pts for "
                            f"{html.escape(role_label(more.role))} <small>({c.ci95[0] * 100:.0f} to "
                            f"{c.ci95[1] * 100:.0f})</small></td></tr>")
        caption = "Skills one role's postings ask for clearly more often than the other's"
    else:
        chosen = list(skills) or sorted(names, key=lambda s: -max(f.share(s) for f in figures))[:top * 2]
        rows = [f"<tr><td>{html.escape(names[s].name)}</td>" + "".join(_share_cell(f.share(s)) for f in figures)
                + "</tr>" for s in chosen]
        caption = "Share of postings that mention each skill"
    if not rows:
        return ""
    link = (f'<p class="to-compare"><a href="{html.escape(compare_href)}" target="_blank" rel="noopener">'
            f"Compare {html.escape(roles_label(','.join(roles)))} in full</a></p>" if compare_href else "")
    return (f'<table class="figures"><caption>{caption}</caption><thead><tr><th>Skill</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>{link}")


def _share_cell(share: float) -> str:
    return (f'<td class="share"><span class="value">{share:.0%}</span>'
            f'<span class="bar" style="width:{share * 100:.0f}%"></span></td>')


def cited_numbers(text: str, sources: Sequence[Source], supports: Sequence[Support]) -> list[int]:
    """The sources an answer cites, in the order it first does: its [n], then those that
    back a sentence without a marker."""
    known = {s.n for s in sources}
    cited = [n for n in dict.fromkeys(int(n) for n in _CITATION.findall(text)) if n in known]
    return cited + [n for n in dict.fromkeys(s.source for s in supports) if n in known and n not in cited]


def source_preview(source: Source) -> str:
    """The start of a passage's text, without its title line: what a chip's tooltip shows."""
    return (source.text.partition("\n")[2] or source.text)[:160].rsplit(" ", 1)[0] + "…"


def answer_html(text: str, sources: Sequence[Source], supports: Sequence[Support], turn: int,
                table: str = "") -> str:
    """An answer whose [n] are chips for its own sources, then those sources: the cited ones
    first, marked, with the sentences that back the answer highlighted; the others folded."""
    by_n = {s.n: s for s in sources}
    cited = cited_numbers(text, sources, supports)

    def chip(match: re.Match[str]) -> str:
        n = int(match.group(1))
        source = by_n.get(n)
        if source is None:
            return ""
        preview = source_preview(source)
        return (f' <a class="chip" href="#t{turn}-s{n}" title="{html.escape(source_title(source))}: '
                f'{html.escape(preview)}" aria-label="Source {n}: {html.escape(source_title(source))}">{n}</a>')

    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    # Escaping leaves "[n]" as it is, for the chips to replace.
    body = "".join(f"<p>{_CITATION.sub(chip, html.escape(p.strip()))}</p>" for p in paragraphs).replace("\n", " ")
    body += table
    if not sources:
        return f'<div class="answer">{body}</div>'
    marks: dict[int, list[str]] = {}
    for support in supports:
        marks.setdefault(support.source, []).append(support.evidence)

    def passage(source: Source) -> str:
        return passage_html(f"[{source.n}] {source_title(source)}", source_note(source), source.text,
                            marks=marks.get(source.n, ()), anchor=f"t{turn}-s{source.n}", cited=source.n in cited)

    first = [by_n[n] for n in cited]
    rest = [s for s in sources if s.n not in cited]
    listed = "".join(passage(s) for s in first)
    if rest:
        listed += (f'<details class="uncited"><summary>{len(rest)} more retrieved, not cited</summary>'
                   + "".join(passage(s) for s in rest) + "</details>")
    summary = f"Sources: {len(first)} cited" + (f", {len(rest)} more" if rest else "")
    return f'<div class="answer">{body}<details class="msg-sources"><summary>{summary}</summary>{listed}</details></div>'


def answer_text(content: str) -> str:
    """The plain answer an `answer_html` message says, with its [n]: what the conversation
    history sends back, and what feedback records."""
    if not content.startswith('<div class="answer">'):
        return content
    content = _TABLE.sub("", _SOURCES_BLOCK.sub("", content))
    content = re.sub(r' ?<a class="chip"[^>]*>(\d+)</a>', r" [\1]", content)
    content = content.replace("</p>", "\n\n")
    return html.unescape(_TAG.sub("", content)).strip()
