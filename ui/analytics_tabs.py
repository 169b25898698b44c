"""The chat page's figures tabs: compare the skills roles ask for across every indexed
posting, and check which role a pasted job description reads like.

The figures are the ones /api/stats and /api/classify return (`stats_json`,
`check_posting`), so the page, the API and the CLI never disagree.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import altair as alt
import gradio as gr
import pandas as pd
from gradio.components.plot import AltairPlotData

from assistant.analytics import MIN_ROLE_POSTINGS, ROLE_LABELS, Profile, StatsError, resolve_roles
from assistant.answer import Source
from assistant.corpus_answerer import PostingCheck
from assistant.errors import AssistantError
from assistant.figures import stats_json
from assistant.mismatch import MIN_CANDIDATE_POSTINGS, UNCLEAR, Mismatch, readings
from assistant.roles import ROLE_FAMILIES
from assistant.skills import CATEGORIES
from ui.render import KIND_LABELS, passage_html, role_label, sources_html
from ui.served import ServedIndex

View = Literal["skills", "categories"]
DEFAULT_ROLES = ["ml_engineer", "data_scientist"]
TOP_SKILLS = 15
MIN_WORDS = 8  # fewer words than this is not a job description worth classifying
# One colour per role whatever else is chosen, so a role keeps its colour between comparisons.
# Each is a mark, never text, and stands out 3:1 (WCAG AA for graphics) on the chart's block
# in light mode (white) and dark (#27272a) and on the page behind it (#0f0f11): their relative
# luminance is about 0.22, as tests/test_analytics_tabs.py checks against the page's theme.
ROLE_COLORS = {
    "ML engineer": "#5984B4", "Data scientist": "#C96709", "Data engineer": "#4B9043", "Data analyst": "#E24D4C",
    "MLOps / AI engineer": "#488C88", "Research scientist": "#AB6E9A", "Business analyst": "#A17860",
    "Other": "#828282",
}
HEAT = 0.7  # the heat map's strongest shade
BARS = ("name", "role", "share", "count", "n", "bar")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


@dataclass(frozen=True)
class Comparison:
    bars: pd.DataFrame  # one row per (skill or category, role): the chart's data
    table: pd.DataFrame  # one row per skill or category, share % and count for each role
    csv: Path  # the table as CSV
    notes: str  # Markdown: the postings counted, and with two roles what separates them
    order: list[str]  # the chart's bars, left to right


@dataclass(frozen=True)
class CheckView:
    html: str
    fits: pd.DataFrame  # one row per role: the chance the posting is of that role


def compare_roles(served: ServedIndex, roles: Sequence[str], skills: Sequence[str] = (),
                  view: View = "skills") -> Comparison:
    """The share of each role's postings that mention each skill (or any skill of a
    category). No skills chosen: the TOP_SKILLS with the highest share in any chosen role."""
    corpus = served.corpus()
    chosen_roles = resolve_roles(roles)
    if not chosen_roles:
        raise StatsError("choose at least one role to compare")
    chosen_skills = corpus.taxonomy.resolve(skills) if skills else None
    stats = stats_json(corpus, chosen_roles, chosen_skills)
    figures = stats["roles"]
    if view == "categories":
        # The share is of postings that mention any skill of the category, as /api/stats gives it.
        rows = [(CATEGORIES[c], {r: (figures[r]["categories"][c], corpus.figures(r).category_counts.get(c, 0))
                                 for r in chosen_roles}) for c in CATEGORIES]
        rows.sort(key=lambda row: -max(share for share, _ in row[1].values()))
    else:
        ids = chosen_skills or sorted(
            corpus.taxonomy.skills, key=lambda s: -max(figures[r]["skills"][s] for r in chosen_roles))[:TOP_SKILLS]
        rows = [(corpus.taxonomy.skills[s].name, {r: (figures[r]["skills"][s], figures[r]["skill_counts"][s])
                                                  for r in chosen_roles}) for s in ids]
    # One row per bar: the skill, its role (as people write it) and that role's share.
    bars = pd.DataFrame(
        [(name, role_label(r), _percent(share), count, figures[r]["n"], f"{name} · {role_label(r)}")
         for name, by_role in rows for r, (share, count) in by_role.items()],
        columns=list(BARS),
    )
    first = "skill" if view == "skills" else "category"
    table = pd.DataFrame(
        [[name, *(v for r in chosen_roles for v in (_percent(by_role[r][0]), by_role[r][1], figures[r]["n"]))]
         for name, by_role in rows],
        columns=[first, *(f"{role_label(r)} {c}" for r in chosen_roles for c in ("%", "count", "n"))],
    )
    postings = {p.doc_id: p for p in corpus.profiles}
    return Comparison(bars, table, write_csv(table, f"{view}-{'-vs-'.join(chosen_roles)}.csv"),
                      comparison_markdown(stats, chosen_roles, explicit=bool(chosen_skills), postings=postings),
                      list(dict.fromkeys(bars["name"])))


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table as the tab shows it: one column per role headed with its n, each cell
    "13% (1)", the same way everywhere (the CSV keeps the numbers apart)."""
    first, *rest = table.columns
    roles = [c.removesuffix(" %") for c in rest if c.endswith(" %")]
    shown = pd.DataFrame({first.capitalize(): table[first]})
    for role in roles:
        n = int(table[f"{role} n"].iloc[0]) if len(table) else 0
        shown[f"{role} (n={n})"] = [f"{share:.0f}% ({count})" for share, count in
                                    zip(table[f"{role} %"], table[f"{role} count"], strict=True)]
    return shown


def column_widths(shown: pd.DataFrame) -> list[str | int]:
    """Shares of the table's width for up to three roles. Left to size itself, the skill column
    takes two thirds of a phone's width and pushes the other roles out of sight; at these a
    360 px phone fits "scientist", "100% (10)" and skill words of thirteen letters unbroken
    (in the page's font, as its CSS sets it for the table). Four roles or more size themselves
    and scroll sideways inside the table on a phone, the skill column pinned."""
    roles = len(shown.columns) - 1
    if not 0 < roles <= 3:
        return []
    skill = 38 if roles <= 2 else 31
    return [f"{skill}%", *[f"{(100 - skill) // roles}%"] * roles]


def skills_chart(bars: pd.DataFrame, order: Sequence[str]) -> alt.Chart:
    """Grouped horizontal bars: one row per skill (in `order`), one bar per role in its own
    colour. Horizontal, so long skill names stay readable on a phone."""
    roles = list(dict.fromkeys(bars["role"]))
    colours = alt.Scale(domain=roles, range=[ROLE_COLORS.get(r, ROLE_COLORS["Other"]) for r in roles])
    # The legend starts where the bars do, so on a phone a row of roles runs off the right
    # edge: one role a line. Three ticks, as the labels of five run together there. Opaque
    # bars and legend symbols (the page's theme fades them) and no white backdrop, so both
    # stand out in dark mode. The roles' colours go in `fill`, not `color`: for a bar chart the
    # page replaces a `color` scale's colours with its own palette, in the order the roles come.
    return alt.Chart(bars).mark_bar(cornerRadiusEnd=2, opacity=1).encode(
        y=alt.Y("name:N", sort=list(order), title=None, axis=alt.Axis(labelLimit=150)),
        yOffset=alt.YOffset("role:N", sort=roles),
        x=alt.X("share:Q", title="Share of postings (%)", scale=alt.Scale(domain=[0, 100]),
                axis=alt.Axis(values=[0, 50, 100])),
        fill=alt.Fill("role:N", scale=colours, title=None,
                      legend=alt.Legend(orient="top", direction="vertical", symbolOpacity=1)),
        tooltip=[alt.Tooltip("name:N", title="Skill"), alt.Tooltip("role:N", title="Role"),
                 alt.Tooltip("share:Q", title="Share (%)"), alt.Tooltip("count:Q", title="Postings"),
                 alt.Tooltip("n:Q", title="of")],
    ).properties(width=720, height=max(160, 16 * len(bars) + 40), background="transparent",
                 # Drawn as SVG: its text is text, for a screen reader and for the browser tests.
                 usermeta={"embedOptions": {"renderer": "svg"}})


def chart_value(chart: alt.Chart) -> AltairPlotData:
    """The chart as gr.Plot's data for a Gradio-made bar chart: the page then fits its width
    to the column (at most the chart's own), on a phone too, and themes it."""
    return AltairPlotData(plot=chart.to_json(), chart="bar")


def mismatch_cells(result: Mismatch) -> pd.DataFrame:
    """One row per (title role, content role): the share of the title's postings whose skills
    read like that role, and how many, with zeros kept so the grid has no holes."""
    columns = [*result.candidates, UNCLEAR]
    rows = []
    for title, row in result.by_title().items():
        for column in columns:
            count = row["counts"].get(column, 0)
            rows.append({"title": f"{role_label(title)} (n={row['n']})", "reads_like": _content_label(column),
                         "share": round(100 * count / row["n"]), "count": count})
    return pd.DataFrame(rows, columns=["title", "reads_like", "share", "count"])


def _content_label(role: str) -> str:
    return "Too few skills" if role == UNCLEAR else role_label(role)


def mismatch_html(cells: pd.DataFrame) -> str:
    """The matrix as a heat map drawn in HTML: rows are what titles say, columns what the
    skills read like, each cell shaded by its share of the row (a row adds up to 100%).
    A table rather than a chart, so it reads on a phone (it scrolls sideways inside its box)
    and to a screen reader, with each count beside its share. The shade goes up to 70% blue,
    so the page's own text colour keeps 4.5:1 on every cell in light and dark mode."""
    titles = list(dict.fromkeys(cells["title"]))
    columns = list(dict.fromkeys(cells["reads_like"]))
    by_cell = {(row.title, row.reads_like): (row.share, row.count) for row in cells.itertuples()}
    head = "".join(f"<th scope='col'>{html.escape(c)}</th>" for c in columns)
    rows = []
    for title in titles:
        tds = []
        for column in columns:
            share, count = by_cell[(title, column)]
            tds.append(f"<td style='background: rgba(37, 99, 235, {HEAT * share / 100:.2f})' "
                       f"title='{html.escape(title)}, reads like {html.escape(column)}: {count}'>"
                       f"{share}% <small>({count})</small></td>")
        rows.append(f"<tr><th scope='row'>{html.escape(title)}</th>{''.join(tds)}</tr>")
    return ("<div class='heat-map'><table><caption>Titled (rows) against what the skills read like (columns), "
            f"share of the row</caption><thead><tr><th>Titled</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def posting_heading(posting: Profile) -> str:
    return f"{posting.title} · {posting.company}" if posting.company else posting.title


def posting_html(posting: Profile, note: str, anchor: str = "") -> str:
    """A posting folded as the chat folds a source: its title and company, a click away
    from its text. One HTML block, so the Markdown around it leaves it as it is."""
    return passage_html(posting_heading(posting), note, posting.text, anchor=anchor, titled=False)


def mismatch_markdown(result: Mismatch, served: ServedIndex, limit: int = 8) -> str:
    names = served.services.taxonomy.skills
    intro = ("Each posting's skills are compared with the postings of every role that has ten or more; "
             "the posting itself is left out of its own role's counts. The postings that most clearly read "
             "like another role than their title (click one to read it):")
    examples = "".join(
        posting_html(r.profile, f"titled {role_label(r.profile.role)}, reads like {role_label(r.reads_like)} "
                                f"({', '.join(names[s].name for s in r.evidence[:4])})")
        for r in result.examples(limit=limit))
    return f"{intro}\n\n<div class='sources'>{examples}</div>" if examples else intro


def mismatch_outputs(served: ServedIndex) -> tuple[str, str]:
    try:
        result = readings(served.corpus())
    except AssistantError as exc:
        return "", f"**The figures are not available:** {_md(str(exc))}"
    if not result.readings:
        return "", "The index holds no job postings yet."
    if len(result.candidates) < 2:
        counts = ", ".join(f"{role_label(r)} {served.corpus().figures(r).n}" for r in served.corpus().roles_present)
        return "", (f"Too few postings to tell what they read like: a role needs {MIN_CANDIDATE_POSTINGS} or more "
                      f"postings before its content can be compared with others. The index has {_md(counts)}.")
    return mismatch_html(mismatch_cells(result)), mismatch_markdown(result, served)


def comparison_markdown(stats: dict[str, Any], roles: Sequence[str], explicit: bool,
                        postings: Mapping[str, Profile] | None = None) -> str:
    """What was counted, and with two roles the skills that separate them both ways, each
    with example postings that open, below the tables, to their text."""
    lines = [f"**{stats['postings']} postings** in the index. A posting counts for a skill when its text mentions "
             "it; its role comes from its title. Role sizes: "
             + ", ".join(f"{_md(role_label(r))} n={stats['roles'][r]['n']}" for r in roles) + "."]
    if not stats["exact"]:
        lines.append("**Approximate:** this index predates the document table, so postings are rebuilt from their "
                     "chunks. Refresh the index for exact counts.")
    small = [r for r in roles if stats["roles"][r]["n"] < MIN_ROLE_POSTINGS]
    if small:
        lines.append("**Few postings** for " + ", ".join(_md(ROLE_LABELS[r]) for r in small)
                     + ": their shares can move a lot with one more posting.")
    comparison = stats.get("comparison")
    if comparison is None:
        lines.append("Choose exactly two roles to see the skills that separate them.")
        return "\n\n".join(lines)
    a, b = ROLE_LABELS[comparison["a"]], ROLE_LABELS[comparison["b"]]
    known = postings or {}
    opened: dict[str, str] = {}  # doc_id -> its anchor, each example posting listed once

    def example(doc_id: str) -> str:
        posting = known.get(doc_id)
        if posting is None:
            return _md(doc_id)
        # Numbered, not named by doc_id: ids stay out of the page.
        anchor = opened.setdefault(doc_id, f"compare-example-{len(opened) + 1}")
        return f'<a class="to-passage" href="#{anchor}">{_md(posting_heading(posting))}</a>'

    scope = "the chosen skills" if explicit else "every skill in the taxonomy"
    no_skill = "None of the chosen skills" if explicit else "No skill in the taxonomy"
    for more, less, contrasts in ((a, b, comparison["a_over_b"]), (b, a, comparison["b_over_a"])):
        lines.append(f"### Asked for more by {_md(more)} than {_md(less)} postings")
        if not contrasts:
            lines.append(f"{no_skill} has a 95% interval of the difference above zero.")
            continue
        rows = [f"| Skill | {_md(more[:1].upper() + more[1:])} | {_md(less[:1].upper() + less[1:])} "
                "| Difference, points (95% interval) | Examples |",
                "|---|---|---|---|---|"]
        for c in contrasts:
            low, high = c["ci95"]
            rows.append(
                f"| {_md(c['name'])} | {c['share_a']:.0%} ({c['count_a']}/{c['n_a']}) "
                f"| {c['share_b']:.0%} ({c['count_b']}/{c['n_b']}) "
                f"| {c['diff'] * 100:+.0f} ({low * 100:+.0f} to {high * 100:+.0f}) "
                f"| {'<br>'.join(example(e) for e in c['examples'])} |"
            )
        lines.append("\n".join(rows))
    lines.append(f"**Statistic:** {_md(comparison['statistic'])}. Only skills whose interval lies above zero are "
                 f"listed, surest first, out of {scope}.")
    if opened:
        lines.append("### The example postings")
        lines.append("<div class='sources'>" + "".join(
            posting_html(known[doc_id], f"{KIND_LABELS['posting']} · {role_label(known[doc_id].role)}", anchor)
            for doc_id, anchor in opened.items()) + "</div>")
    return "\n\n".join(lines)


def compare_outputs(served: ServedIndex, roles: Sequence[str] | None, skills: Sequence[str] | None,
                    view: View) -> tuple[AltairPlotData | None, gr.Dataframe | None, str | None, str, list[str]]:
    """What the Compare tab shows: chart, table, CSV, notes and the bars' order, or the
    reason there are none."""
    try:
        result = compare_roles(served, roles or [], skills or [], view)
    except AssistantError as exc:
        return None, None, None, f"**Cannot compare:** {_md(str(exc))}", []
    chart = chart_value(skills_chart(result.bars, result.order))
    shown = shown_table(result.table)
    return chart, gr.Dataframe(shown, column_widths=column_widths(shown)), str(result.csv), result.notes, result.order


def posting_check(served: ServedIndex, text: str) -> CheckView:
    """The role a pasted description reads like and why, shown as text (nothing from the
    posting is rendered as HTML)."""
    text = (text or "").strip()
    if len(text.split()) < MIN_WORDS:
        return CheckView("<p>Paste a job description (its responsibilities and requirements, a few lines at "
                         "least) and press <b>Check</b>.</p>", _empty_fits())
    try:
        check = served.posting_check(text)
    except AssistantError as exc:
        return CheckView(f"<p><b>Cannot check this posting:</b> {html.escape(str(exc))}</p>", _empty_fits())
    fits = pd.DataFrame([(role_label(f.role), _percent(f.probability), f.n) for f in check.result.fits],
                        columns=["role", "probability", "n"])
    return CheckView(check_html(check), fits)


def check_html(check: PostingCheck) -> str:
    result, corpus = check.result, check.corpus
    names = corpus.taxonomy.skills
    best = ROLE_LABELS[result.best.role]
    e = html.escape
    parts = [f"<h3>Reads most like: {e(best)}</h3>" if result.skills else "<h3>No known skills mentioned</h3>",
             f"<p>{e(result.why(corpus))}</p>"]
    if result.skills:
        parts.append("<h4>Content profile</h4><p>Share of its skill mentions in each category.</p><table>"
                     + "".join(f"<tr><td>{e(label)}</td><td style='text-align:right'>{result.profile[c]:.0%}</td></tr>"
                               for c, label in CATEGORIES.items() if result.profile.get(c))
                     + "</table>")
        parts.append("<h4>Skills it mentions</h4><p>" + e(", ".join(names[s].name for s in result.skills)) + "</p>")
    if result.distinctive:
        parts.append(f"<h4>Distinctive for {e(best)}</h4><ul>" + "".join(
            f"<li>{e(names[s].name)}: {a:.0%} of {e(best)} postings, {b:.0%} of the others</li>"
            for s, a, b in result.distinctive[:8]) + "</ul>")
    if result.skills and result.best.missing:
        figures = corpus.figures(result.best.role)
        parts.append(f"<h4>Typical of {e(best)} postings but not mentioned</h4><ul>" + "".join(
            f"<li>{e(names[s].name)}: {figures.share(s):.0%} of {e(best)} postings</li>"
            for s in result.best.missing[:8]) + "</ul>")
    parts.append("<h4>Closest postings</h4>" + postings_html(check.closest))
    if check.article:
        parts.append("<h4>What the article says</h4>" + postings_html(check.article))
    return "\n".join(parts)


def postings_html(sources: Sequence[Source]) -> str:
    """Each source by title and company with its text folded away, all escaped."""
    return sources_html(sources, numbered=False, empty="None found.")


def check_outputs(served: ServedIndex, text: str) -> tuple[str, Any]:
    view = posting_check(served, text)
    return view.html, (view.fits if len(view.fits) else None)


_csv_lock = threading.Lock()


def write_csv(table: pd.DataFrame, name: str) -> Path:
    """The table as a CSV file in the temp directory, where Gradio may serve files from. One
    folder per content, so asking again for the same figures reuses the file."""
    data = table.to_csv(index=False).encode("utf-8")
    path = Path(tempfile.gettempdir()) / "role-assistant" / hashlib.sha256(data).hexdigest()[:16] / name
    with _csv_lock:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside, then renamed: another process never downloads half a file.
            partial = path.with_name(f".{name}.{os.getpid()}")
            partial.write_bytes(data)
            partial.replace(path)
    return path


def _percent(share: float) -> float:
    return round(share * 100, 2)


def _empty_fits() -> pd.DataFrame:
    return pd.DataFrame({"role": pd.Series(dtype=str), "probability": pd.Series(dtype=float),
                         "n": pd.Series(dtype=int)})


def _md(text: str) -> str:
    """Text shown as written in Markdown (taxonomy names such as "C#" or "Presto / Trino")."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _code(text: str) -> str:
    """Inline code for ids that come from postings; a pipe would end a table cell."""
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


@dataclass(frozen=True)
class CompareTab:
    roles: gr.Dropdown
    outputs: list[Any]  # chart, table, download, notes


def opened_on(served: ServedIndex, asked: str) -> tuple[Any, ...] | None:
    """What the Compare tab shows when the page is opened with ?compare=ROLES (the link under
    a figures answer): the roles chosen and their comparison; None for no or unknown roles."""
    try:
        roles = resolve_roles(asked.split(",")) if asked.strip() else []
    except StatsError:
        return None
    if not roles:
        return None
    return (roles, *compare_outputs(served, roles, None, "skills")[:4])


def compare_tab(served: ServedIndex) -> CompareTab:
    taxonomy = served.services.taxonomy
    with gr.Tab("Compare", id="compare") as tab:
        gr.Markdown("Which skills the postings of each role ask for, counted over every indexed posting.")
        with gr.Row():
            # Wide enough for a chosen role on one line: on a phone the three stack.
            roles = gr.Dropdown([(role_label(r), r) for r in ROLE_FAMILIES], value=DEFAULT_ROLES, multiselect=True,
                                label="Roles", scale=2, min_width=240)
            skills = gr.Dropdown([(s.name, s.id) for s in taxonomy.skills.values()], value=[], multiselect=True,
                                 label=f"Skills (none: the {TOP_SKILLS} most asked for)", scale=3, min_width=240)
            view = gr.Radio([("Skills", "skills"), ("Categories", "categories")], value="skills", label="Show",
                            scale=1, min_width=160)
        with gr.Row():
            run = gr.Button("Compare", variant="primary")
            download = gr.DownloadButton("Download CSV", value=None, variant="secondary")
        chart = gr.Plot(show_label=False)
        table = gr.Dataframe(label="Share of each role's postings that mention it (and how many)", interactive=False,
                             wrap=True, pinned_columns=1, elem_classes="compare-table")
        notes = gr.Markdown(elem_classes="compare-notes")
        with gr.Accordion("Titles against content", open=False) as titles:
            gr.Markdown("What a posting's title says against what its skills read like, for every posting in "
                        "the index: each row adds up to 100%.")
            heat_map = gr.HTML()
            examples = gr.Markdown(elem_classes="compare-notes")

        def show(r: list[str] | None, s: list[str] | None, v: View) -> tuple[Any, ...]:
            return compare_outputs(served, r, s, v)[:4]

        # /api/stats serves scripts; these events only serve the tab.
        for trigger in (run.click, view.change, tab.select):
            trigger(show, inputs=[roles, skills, view], outputs=[chart, table, download, notes],
                    api_visibility="private")
        titles.expand(lambda: mismatch_outputs(served), outputs=[heat_map, examples], api_visibility="private")
    return CompareTab(roles, [chart, table, download, notes])


def check_tab(served: ServedIndex) -> None:
    with gr.Tab("Check posting"):
        gr.Markdown("Paste a job description: see which role its content reads like (whatever its title says), "
                    "why, the closest postings in the index and what the article says about that role.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                text = gr.Textbox(label="Job description", lines=16, max_lines=40,
                                  placeholder="Responsibilities… Requirements…")
                run = gr.Button("Check", variant="primary")
                fits = gr.BarPlot(x="role", y="probability", y_title="Probability (%)", y_lim=[0, 100], sort="-y",
                                  x_label_angle=-30, height=260, label="Role fit", show_label=True)
            with gr.Column(scale=1, min_width=300):
                report = gr.HTML("<p>The result appears here.</p>")

        def show(t: str) -> tuple[str, Any]:
            return check_outputs(served, t)

        # /api/classify serves scripts; this event only serves the tab.
        run.click(show, inputs=text, outputs=[report, fits], api_visibility="private")
