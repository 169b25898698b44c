"""The Compare roles and Check a posting tabs, through the functions behind them."""

from __future__ import annotations

import html
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from assistant.analytics import StatsError
from assistant.container import Services, build_services
from assistant.figures import stats_json
from assistant.mismatch import read_postings
from assistant.roles import ROLE_FAMILIES
from assistant.settings import Settings
from tests.conftest import build_index, posting
from tests.fakes import HashingEmbedder, ScriptedChat
from tests.test_mismatch import ML
from tests.test_mismatch import _corpus as hand_counted
from ui.analytics_tabs import (
    HEAT,
    ROLE_COLORS,
    TOP_SKILLS,
    check_outputs,
    column_widths,
    compare_outputs,
    compare_roles,
    mismatch_markdown,
    posting_check,
    posting_heading,
    shown_table,
    skills_chart,
)
from ui.api import make_app
from ui.render import CSS, role_label
from ui.served import ServedIndex

ML_POSTING = """Machine Learning Engineer
Responsibilities:
- Train deep learning models in PyTorch and take them through model deployment to production
- Package services with Docker and run them on Kubernetes, with CI/CD and MLflow for experiment tracking
Requirements:
- Strong Python and software engineering; experience serving models at scale"""


@pytest.fixture
def served(api_services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServedIndex]:
    # CSV downloads go to the temp directory; keep this test's inside its own folder.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    served = ServedIndex(api_services)
    yield served
    served.close()


def test_comparison_has_one_bar_per_skill_and_role_with_the_api_figures(served: ServedIndex) -> None:
    roles = ["ml_engineer", "data_scientist"]
    result = compare_roles(served, roles)
    corpus = served.corpus()
    stats = stats_json(corpus, roles)

    assert len(result.bars) == TOP_SKILLS * 2
    assert set(result.bars["role"]) == {"ML engineer", "Data scientist"}
    by_name = {s.name: s.id for s in corpus.taxonomy.skills.values()}
    for row in result.bars.itertuples():
        role = next(r for r in roles if role_label(r) == row.role)
        skill = by_name[row.name]
        assert row.share == pytest.approx(stats["roles"][role]["skills"][skill] * 100)
        assert row.count == stats["roles"][role]["skill_counts"][skill]
        assert row.n == stats["roles"][role]["n"]
    # The top skills by their highest share in either role, the bars of one skill side by side.
    highest = result.bars.groupby("name", sort=False)["share"].max().tolist()
    assert highest == sorted(highest, reverse=True)
    assert result.order == list(dict.fromkeys(result.bars["name"])) and len(result.order) == TOP_SKILLS
    # The chart: grouped horizontal bars, a row per skill in that order, a bar per role in its colour.
    spec = skills_chart(result.bars, result.order).to_dict()
    assert spec["mark"]["type"] == "bar" and spec["encoding"]["y"]["sort"] == result.order
    assert spec["encoding"]["yOffset"]["field"] == "role" and spec["encoding"]["x"]["field"] == "share"
    assert spec["encoding"]["fill"]["scale"]["range"][:2] == [ROLE_COLORS["ML engineer"], ROLE_COLORS["Data scientist"]]
    assert "color" not in spec["encoding"]  # the page would swap a color scale's colours for its own

    assert list(result.table.columns[:4]) == ["skill", "ML engineer %", "ML engineer count", "ML engineer n"]
    assert len(result.table) == TOP_SKILLS
    assert result.csv.suffix == ".csv" and result.csv.is_relative_to(tempfile.gettempdir())
    pd.testing.assert_frame_equal(pd.read_csv(result.csv), result.table, check_dtype=False)
    # The tab shows one column per role headed with its n, every cell a whole percentage and a count.
    shown = shown_table(result.table)
    n_ml, n_ds = stats["roles"]["ml_engineer"]["n"], stats["roles"]["data_scientist"]["n"]
    assert list(shown.columns) == ["Skill", f"ML engineer (n={n_ml})", f"Data scientist (n={n_ds})"]
    first = result.table.iloc[0]
    assert shown.iloc[0, 1] == f"{first['ML engineer %']:.0f}% ({first['ML engineer count']})"
    assert all(re.fullmatch(r"\d+% \(\d+\)", cell) for cell in shown.iloc[:, 1:].to_numpy().ravel())


@pytest.mark.parametrize("view", ["skills", "categories"])
def test_three_roles_or_more_get_a_bar_and_a_column_each(served: ServedIndex, view: str) -> None:
    roles = ["ml_engineer", "data_scientist", "data_engineer", "mlops_ai_engineer"]
    for chosen in (roles[:3], roles):
        result = compare_roles(served, chosen, view=view)
        figures = stats_json(served.corpus(), chosen)["roles"]
        labels = [role_label(r) for r in chosen]
        rows = len(result.order)
        # A bar for every role of every row, the roles in the order chosen.
        assert len(result.bars) == rows * len(chosen) and list(result.bars["role"][: len(chosen)]) == labels
        spec = skills_chart(result.bars, result.order).to_dict()
        assert spec["encoding"]["yOffset"]["sort"] == labels
        assert spec["encoding"]["fill"]["scale"] == {"domain": labels, "range": [ROLE_COLORS[r] for r in labels]}
        assert spec["height"] >= 16 * len(result.bars)  # a 16 px bar each, so labels cannot overlap
        # The table: the row names, then one column per role headed with its n; each cell the
        # share as a whole percentage (as the chat's figures table writes it) and its count.
        shown = shown_table(result.table)
        assert list(shown.columns) == [{"skills": "Skill", "categories": "Category"}[view],
                                       *(f"{role_label(r)} (n={figures[r]['n']})" for r in chosen)]
        by_bar = {(b.name, b.role): b for b in result.bars.itertuples()}
        for row in shown.itertuples(index=False):
            for label, cell in zip(labels, row[1:], strict=True):
                bar = by_bar[(row[0], label)]
                assert cell == f"{bar.count / bar.n:.0%} ({bar.count})" == f"{bar.share:.0f}% ({bar.count})", cell
        widths = column_widths(shown)
        # Up to three roles share the table's width, the first column wider; more size themselves.
        if len(chosen) == 3:
            assert widths == ["31%", "23%", "23%", "23%"]
        else:
            assert widths == []


def test_two_roles_get_the_skills_that_separate_them_with_the_statistic(served: ServedIndex) -> None:
    notes = compare_roles(served, ["ML engineer", "data scientist"]).notes
    stats = stats_json(served.corpus(), ["ml_engineer", "data_scientist"])
    first = stats["comparison"]["a_over_b"][0]
    assert f"**{stats['postings']} postings**" in notes and "n=8" in notes
    assert "Newcombe" in notes and "95% interval" in notes
    assert "### Asked for more by ML engineer than data scientist postings" in notes
    assert f"{first['diff'] * 100:+.0f} ({first['ci95'][0] * 100:+.0f} to {first['ci95'][1] * 100:+.0f})" in notes
    # Example postings by title and company, never by id.
    example = next(p for p in served.corpus().profiles if p.doc_id == first["examples"][0])
    assert f"{example.title} · {example.company}".replace("-", "\\-").replace(".", "\\.") in notes
    assert first["examples"][0] not in notes
    assert "Approximate" not in notes  # the sample index has its document table


def test_example_postings_open_to_their_whole_text_listed_once(served: ServedIndex) -> None:
    notes = compare_roles(served, ["ml_engineer", "data_scientist"]).notes
    anchors = re.findall(r'<a class="to-passage" href="#(compare-example-\d+)">', notes)
    assert anchors and all(notes.count(f'id="{a}"') == 1 for a in anchors)
    assert notes.count('<details class="src"') == len(set(anchors))  # a posting named twice is listed once
    first = next(p for p in served.corpus().profiles if posting_heading(p).replace("-", "\\-") in notes)
    # Its whole text, from its first line: a posting's text has no title line to leave out.
    assert html.escape(first.text.splitlines()[0]).replace("\n", "&#10;") in notes


def test_postings_that_read_like_another_role_open_to_their_text(served: ServedIndex) -> None:
    shown = mismatch_markdown(read_postings(hand_counted()), served)
    assert shown.count('<details class="src">') == 1 and "Data Scientist · Co d10" in shown
    assert "titled Data scientist, reads like ML engineer" in shown and ML in shown


def test_chosen_skills_and_categories(served: ServedIndex) -> None:
    chosen = compare_roles(served, ["data_engineer", "data_analyst", "ml_engineer"], ["sql", "PyTorch"])
    assert list(chosen.bars["name"]) == ["SQL"] * 3 + ["PyTorch"] * 3
    assert "Choose exactly two roles" in chosen.notes

    categories = compare_roles(served, ["data_engineer"], view="categories")
    assert list(categories.table.columns) == ["category", "Data engineer %", "Data engineer count", "Data engineer n"]
    assert len(categories.table) == 7 and categories.csv.name == "categories-data_engineer.csv"


def test_an_unknown_or_missing_role_gets_a_clear_message(served: ServedIndex) -> None:
    with pytest.raises(StatsError, match="unknown role 'astronaut'"):
        compare_roles(served, ["astronaut"])
    chart, table, csv, notes, order = compare_outputs(served, ["astronaut"], [], "skills")
    assert (chart, table, csv, order) == (None, None, None, []) and notes.startswith("**Cannot compare:** unknown role")
    assert "at least one role" in compare_outputs(served, [], None, "skills")[3]
    assert "unknown skill" in compare_outputs(served, ["ml_engineer"], ["juggling"], "skills")[3]


def test_an_ml_engineering_description_reads_like_ml_engineering(served: ServedIndex) -> None:
    view = posting_check(served, ML_POSTING)
    assert "Reads most like: ML engineer" in view.html or "Reads most like: MLOps / AI engineer" in view.html
    assert "PyTorch" in view.html and "Content profile" in view.html and "Closest postings" in view.html
    assert "What the article says" in view.html
    assert view.fits["probability"].sum() == pytest.approx(100, abs=0.1)
    assert set(view.fits["role"].head(2)) <= {"ML engineer", "MLOps / AI engineer", "research scientist"}


def test_posting_text_is_escaped(settings: Settings, tmp_path: Path) -> None:
    script, img = "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"
    services = build_services(settings.model_copy(update={"min_relevance": 0.2}), embedder=HashingEmbedder(),
                              chat=ScriptedChat())
    build_index(services, [posting(99, title=f"{img} Machine Learning Engineer", company="Evil <b>Corp</b>",
                                   description=f"{ML_POSTING}\n{script} {img}")], tmp_path)
    served = ServedIndex(services)
    rendered = posting_check(served, f"{ML_POSTING}\n{script} {img}").html
    served.close()
    # The planted posting is the closest one, shown by title and company, never by its id.
    assert "Machine Learning Engineer · Evil &lt;b&gt;Corp&lt;/b&gt;" in rendered and "p99" not in rendered
    assert "<script" not in rendered and "<img" not in rendered and "<b>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered and "&lt;img src=x onerror=alert(1)&gt;" in rendered
    assert "Evil &lt;b&gt;Corp&lt;/b&gt;" in rendered


def test_empty_or_tiny_input_gets_a_friendly_message(served: ServedIndex) -> None:
    for text in ("", "   ", "PyTorch please"):
        html, fits = check_outputs(served, text)
        assert "Paste a job description" in html and fits is None


def test_the_chat_page_builds_with_the_new_tabs(api_services: Services) -> None:
    with TestClient(make_app(api_services)) as client:
        assert client.get("/").status_code == 200
        config = client.get("/config").json()
    labels = {c["props"].get("label") for c in config["components"]}
    assert {"Chat", "Compare", "Check posting"} <= labels
    # The Admin tab is there only when uploads are turned on, and then asks for the token first.
    assert "Admin" not in labels and not api_services.settings.admin_token.get_secret_value()
    api_services.settings = type(api_services.settings)(**{**api_services.settings.model_dump(), "admin_token": "t0ken"})
    with TestClient(make_app(api_services)) as client:
        components = client.get("/config").json()["components"]
    by_label = {c["props"].get("label"): c for c in components}
    assert "Admin" in by_label and "Admin token" in by_label
    assert any(c["type"] == "column" and c["props"].get("visible") is False for c in components)  # the form, hidden
    # Only the chat's "ask" is offered to API clients; /api/stats and /api/classify serve scripts.
    public = {d.get("api_name") for d in config["dependencies"] if d.get("api_visibility", "public") == "public"}
    assert public == {"ask"}


def test_the_compare_tab_opens_on_the_roles_a_link_names(served: ServedIndex) -> None:
    from ui.analytics_tabs import opened_on

    opened = opened_on(served, "ml_engineer,data_scientist")
    assert opened is not None and opened[0] == ["ml_engineer", "data_scientist"] and len(opened) == 5
    assert "Asked for more by ML engineer than data scientist postings" in opened[4]
    assert opened_on(served, "") is None and opened_on(served, "astronaut") is None


def theme_colours(client: TestClient) -> dict[str, dict[str, str]]:
    """The theme's colour variables as the page loads them (/theme.css), resolved to #rrggbb,
    in light and dark mode (dark overrides some of light's)."""
    css = client.get("/theme.css").text
    blocks = {scheme: dict(re.findall(r"--([\w-]+):\s*([^;]+);", css[start:css.index("}", start)]))
              for scheme, start in (("light", css.index(":root {")), ("dark", css.index(":root.dark, :root .dark {")))}
    named = {"white": "#ffffff", "black": "#000000"}

    def resolve(value: str, scheme: str) -> str:
        value = value.strip()
        while alias := re.fullmatch(r"var\(--([\w-]+)\)", value):
            value = (blocks[scheme].get(alias[1]) or blocks["light"][alias[1]]).strip()
        return named.get(value, value)

    return {scheme: {name: resolve(value, scheme) for name, value in {**blocks["light"], **blocks[scheme]}.items()}
            for scheme in ("light", "dark")}


def _rgb(colour: str) -> tuple[float, ...]:
    digits = colour.lstrip("#")
    digits = "".join(c * 2 for c in digits) if len(digits) == 3 else digits
    return tuple(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _mix(top: str, under: str, alpha: float) -> str:
    """`top` at `alpha` painted over `under` (also what color-mix(in srgb) gives)."""
    return "#" + "".join(f"{round(255 * (a * alpha + b * (1 - alpha))):02x}" for a, b in zip(_rgb(top), _rgb(under),
                                                                                              strict=True))


def contrast_ratio(x: str, y: str) -> float:
    """WCAG 2's contrast ratio, from the relative luminance of each colour."""
    def luminance(colour: str) -> float:
        r, g, b = (v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in _rgb(colour))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(x), luminance(y)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_ratio_is_wcags() -> None:
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert _mix("#ffffff", "#000000", 0.5) == "#808080"


def test_every_colour_the_page_draws_passes_wcag_aa_in_light_and_dark_mode(client: TestClient) -> None:
    """Role colours are marks (bars, legend symbols): 3:1 against the chart's block and the page
    behind it. Text (chips, the heat map's cells) 4.5:1 against what it is drawn on."""
    theme = theme_colours(client)
    assert (theme["light"]["block-background-fill"], theme["dark"]["block-background-fill"]) == ("#ffffff", "#27272a")
    # Every role the tab offers has its own colour; none is text.
    assert {role_label(r) for r in ROLE_FAMILIES} == set(ROLE_COLORS) and len(set(ROLE_COLORS.values())) == 8
    for scheme, colours in theme.items():
        backgrounds = {colours["block-background-fill"], colours["body-background-fill"]}
        for role, colour in ROLE_COLORS.items():
            for background in backgrounds:
                assert contrast_ratio(colour, background) >= 3, (scheme, role, colour, background)
        # A chip: the text on its soft accent, and white on its shaded accent when hovered or focused.
        assert "a.chip:hover, a.chip:focus-visible { background: color-mix(in srgb, var(--color-accent) 70%, black); " \
               "color: white;" in CSS
        chip = colours["color-accent-soft"]
        assert contrast_ratio(colours["body-text-color"], chip) >= 4.5, (scheme, "chip")
        assert contrast_ratio("#ffffff", _mix(colours["color-accent"], "#000000", 0.7)) >= 4.5, (scheme, "chip, hovered")
        # The heat map's strongest cell, in the page's text colour.
        cell = _mix("#2563eb", colours["block-background-fill"], HEAT)
        assert contrast_ratio(colours["body-text-color"], cell) >= 4.5, (scheme, "heat map")
