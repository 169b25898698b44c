"""The corpus figures as JSON, as text tables, and as a passage the assistant can cite."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.analytics import ROLE_LABELS, Contrast, Corpus
from assistant.classify import Classification
from assistant.skills import CATEGORIES

STATISTIC = ("difference in the share of postings that mention the skill, with a 95% interval "
             "(Newcombe's hybrid score method); listed only when that interval is above zero and q <= 0.05, "
             "where q is Fisher's exact test corrected for testing every skill at once (Benjamini-Hochberg, "
             "false discovery rate 5%); also the log odds ratio (0.5 added to each cell)")


def stats_json(corpus: Corpus, roles: Sequence[str], skills: Sequence[str] | None = None) -> dict[str, Any]:
    chosen = list(skills or corpus.taxonomy.skills)
    result: dict[str, Any] = {
        "postings": len(corpus.profiles),
        "duplicates_folded": len(corpus.folded),
        "exact": corpus.exact,
        "taxonomy": corpus.taxonomy.version,
        "roles": {},
    }
    for role in roles:
        f = corpus.figures(role)
        result["roles"][role] = {
            "n": f.n,
            "skills": {s: round(f.share(s), 4) for s in chosen},
            "skill_counts": {s: f.counts.get(s, 0) for s in chosen},
            "categories": {c: round(f.category_counts.get(c, 0) / f.n, 4) if f.n else 0.0 for c in CATEGORIES},
            "profile": {c: round(v, 4) for c, v in f.profile.items()},
        }
    if len(roles) == 2:
        a, b = roles
        result["comparison"] = {
            "a": a, "b": b, "statistic": STATISTIC,
            "a_over_b": [_contrast_json(c, corpus) for c in corpus.contrast(a, b, skills)],
            "b_over_a": [_contrast_json(c, corpus) for c in corpus.contrast(b, a, skills)],
        }
    return result


def _contrast_json(c: Contrast, corpus: Corpus) -> dict[str, Any]:
    skill = corpus.taxonomy.skills[c.skill]
    return {
        "skill": c.skill, "name": skill.name, "category": skill.category,
        "share_a": round(c.count_a / c.n_a, 4), "count_a": c.count_a, "n_a": c.n_a,
        "share_b": round(c.count_b / c.n_b, 4), "count_b": c.count_b, "n_b": c.n_b,
        "diff": round(c.diff, 4), "ci95": [round(c.ci95[0], 4), round(c.ci95[1], 4)],
        "log_odds_ratio": round(c.log_odds_ratio, 3), "q": float(f"{c.q:.3g}"), "examples": list(c.examples),
    }


def stats_lines(corpus: Corpus, roles: Sequence[str], skills: Sequence[str] | None = None, top: int = 20) -> list[str]:
    names = corpus.taxonomy.skills
    figures = [corpus.figures(r) for r in roles]
    width = max(12, *(len(r) for r in roles)) + 2
    head = f"{'':<28}" + "".join(f"{r:>{width}}" for r in roles)
    approximate = "" if corpus.exact else " (approximate: index predates the document table; refresh it for exact counts)"
    lines = [f"{len(corpus.profiles)} {distinct(corpus)}postings{folded_note(corpus)}{approximate}",
             head, f"{'postings (n)':<28}" + "".join(f"{f.n:>{width}}" for f in figures), "", "categories"]
    for category, label in CATEGORIES.items():
        lines.append(f"  {label:<26}" + "".join(
            f"{(f.category_counts.get(category, 0) / f.n if f.n else 0):>{width}.0%}" for f in figures))
    chosen = list(skills) if skills else sorted(
        names, key=lambda s: -max((f.share(s) for f in figures), default=0))[:top]
    lines += ["", "skills" + ("" if skills else f" (top {top} by share)")]
    for skill in chosen:
        lines.append(f"  {names[skill].name:<26}" + "".join(
            f"{f'{f.share(skill):.0%} ({f.counts.get(skill, 0)})':>{width}}" for f in figures))
    if len(roles) == 2:
        for a, b in (roles, roles[::-1]):
            lines += ["", f"asked for more by {a} than {b} (difference in share, 95% interval; "
                      "false discovery rate 5% over all skills):"]
            contrasts = corpus.contrast(a, b, skills)
            lines += [f"  {names[c.skill].name:<26}{c.diff * 100:+6.1f} pts [{c.ci95[0] * 100:+.1f}, "
                      f"{c.ci95[1] * 100:+.1f}]  {c.count_a}/{c.n_a} vs {c.count_b}/{c.n_b}  q={c.q:.2g}  "
                      f"e.g. {', '.join(c.examples)}"
                      for c in contrasts] or ["  none clearly (interval above zero and q <= 0.05)"]
    return lines


def figures_sentences(corpus: Corpus, roles: Sequence[str], skills: Sequence[str]) -> list[str]:
    """The exact figures a question asks about: a scope sentence, one per role, and with
    two roles one per direction of the skills that separate them."""
    names = corpus.taxonomy.skills
    sentences = [f"Exact counts over all {len(corpus.profiles)} {distinct(corpus)}job postings in the index "
                 f"({folded_clause(corpus)}a posting counts when its text mentions the skill; its role "
                 f"comes from its title)."]
    for role in roles:
        f = corpus.figures(role)
        chosen = list(skills) or sorted(names, key=lambda s: -f.share(s))[:8]
        listed = ", ".join(f"{names[s].name} {f.share(s):.0%} ({f.counts.get(s, 0)})" for s in chosen)
        sentences.append(f"{capital(ROLE_LABELS[role])} postings (n={f.n}): {listed}.")
    if len(roles) == 2:
        for a, b in (roles, roles[::-1]):
            contrasts = corpus.contrast(a, b, skills or None, top=5)
            if contrasts:
                listed = "; ".join(f"{names[c.skill].name} {c.count_a / c.n_a:.0%} vs {c.count_b / c.n_b:.0%} "
                                   f"(+{c.diff * 100:.0f} points, 95% interval {c.ci95[0] * 100:.0f} to "
                                   f"{c.ci95[1] * 100:.0f})" for c in contrasts)
                sentences.append(f"Skills {ROLE_LABELS[a]} postings ask for more than {ROLE_LABELS[b]} postings "
                                 f"(n={contrasts[0].n_a} vs n={contrasts[0].n_b}): {listed}.")
    return sentences


def comparison_sentence(corpus: Corpus, a: str, b: str, top: int = 3) -> str | None:
    """One plain sentence of what the postings add to a comparison of two roles: the
    skills each asks for clearly more often than the other. None when either role has
    no postings or neither asks for anything clearly more."""
    names = corpus.taxonomy.skills
    fa, fb = corpus.figures(a), corpus.figures(b)
    sides = [(role, n, corpus.contrast(role, other, top=top))
             for role, other, n in ((a, b, fa.n), (b, a, fb.n))]
    if not fa.n or not fb.n or not any(contrasts for _, _, contrasts in sides):
        return None
    parts = []
    for role, n, contrasts in sides:
        listed = [f"{names[c.skill].name} ({c.count_a / c.n_a:.0%} vs {c.count_b / c.n_b:.0%})" for c in contrasts]
        parts.append(f"{ROLE_LABELS[role]} postings (n={n}) " + (f"ask more often for {series(listed)}" if listed
                                                                else "ask for no skill clearly more often"))
    return f"Of the {len(corpus.profiles)} {distinct(corpus)}job postings in the index, {parts[0]}; {parts[1]}."


def distinct(corpus: Corpus) -> str:
    """ "distinct " when near-duplicates were folded, so the count reads as what it is."""
    return "distinct " if corpus.folded else ""


def folded_note(corpus: Corpus) -> str:
    """ " (3 near-duplicates folded)" after a count of postings, or nothing when none were."""
    k = len(corpus.folded)
    return f" ({k} near-duplicate{'s' if k != 1 else ''} folded)" if k else ""


def folded_clause(corpus: Corpus) -> str:
    """The same said in a sentence, to open its parenthesis."""
    k = len(corpus.folded)
    if not k:
        return ""
    if k == 1:
        return "1 near-duplicate posting, the same job posted again, is counted once with the posting it repeats; "
    return f"{k} near-duplicate postings, the same job posted again, are counted once with the posting they repeat; "


def series(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def figures_passage(corpus: Corpus, roles: Sequence[str], skills: Sequence[str]) -> str:
    return " ".join(figures_sentences(corpus, roles, skills))


def capital(label: str) -> str:
    return label[:1].upper() + label[1:]


def classification_json(result: Classification, corpus: Corpus) -> dict[str, Any]:
    names = corpus.taxonomy.skills
    return {
        "role": result.best.role,
        "title": result.title, "title_role": result.title_role, "title_mismatch": result.title_mismatch,
        "why": result.why(corpus),
        "skills": [{"skill": s, "name": names[s].name, "category": names[s].category} for s in result.skills],
        "profile": {c: round(v, 4) for c, v in result.profile.items()},
        "distinctive": [{"skill": s, "name": names[s].name, "share_in_role": round(a, 4), "share_elsewhere": round(b, 4)}
                        for s, a, b in result.distinctive[:8]],
        "roles": [{"role": f.role, "n": f.n, "probability": round(f.probability, 4),
                   "log_likelihood": round(f.log_likelihood, 3), "matches": f.matches, "unusual": f.unusual,
                   "missing": f.missing[:8]} for f in result.fits],
    }
