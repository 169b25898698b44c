"""Run a question set through the assistant and measure evidence retrieval, answer terms,
refusals and latency."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.answer import content_terms
from assistant.claims import check_answer
from assistant.errors import CorpusError
from assistant.pipeline import Assistant
from assistant.roles import roles_named
from assistant.sentences import answer_sentences
from assistant.types import Hit


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def load_questions(path: Path) -> list[dict[str, Any]]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}:{number}: invalid JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(record, dict) or not str(record.get("question", "")).strip():
            raise CorpusError(f"{path}:{number}: a question record needs a non-empty 'question'")
        record.setdefault("id", f"line-{number}")
        questions.append(record)
    if not questions:
        raise CorpusError(f"{path}: no questions")
    return questions


def evidence_rank(hits: list[Hit], phrases: list[str]) -> int | None:
    """1-based rank of the first passage containing any expected phrase."""
    wanted = [_norm(p) for p in phrases]
    for rank, hit in enumerate(hits, start=1):
        text = _norm(hit.text)
        if any(p in text for p in wanted):
            return rank
    return None


# A sentence rests on an expected evidence phrase when it has this share of its words.
ON_EVIDENCE = 0.5


def on_evidence(sentence: str, phrases: list[str]) -> bool:
    """Whether a sentence says what one of the expected evidence phrases says, word stems
    compared so a paraphrase counts ("definitions vary" for "These definitions really do
    vary quite a bit")."""
    said = {w[:5] for w in content_terms(sentence)}
    for phrase in phrases:
        wanted = {w[:5] for w in content_terms(phrase)}
        if wanted and len(wanted & said) / len(wanted) >= ON_EVIDENCE:
            return True
    return False


# "easier for someone with a strong data science background to obtain a software engineering
# skillset than vice versa" says something of both roles while naming one.
_BOTH_WAYS = re.compile(r"\b(vice versa|the other way (a)?round)\b", re.I)


def both_sides(answer: str, roles: list[str]) -> bool:
    """Whether an answer says something of every role a comparison asks about: it names
    each, or, asked about two, has a sentence that names one and says "vice versa"."""
    named = set(roles_named(answer))
    if set(roles) <= named:
        return True
    return len(roles) == 2 and any(_BOTH_WAYS.search(s) and set(roles) & set(roles_named(s))
                                   for s in answer_sentences(answer))


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 1)


def evaluate(assistant: Assistant, questions: list[dict[str, Any]], *, k: int) -> dict[str, Any]:
    rows = []
    for record in questions:
        started = time.perf_counter()
        history = record.get("history") or []
        # Retrieval is judged on what was retrieved, even when the answer then declined.
        evidence = assistant.evidence(record["question"], history, k=k)
        answer = assistant.ask(record["question"], history, k=k, evidence=evidence)
        total_ms = (time.perf_counter() - started) * 1000
        refuse = bool(record.get("refuse"))
        terms = [t.lower() for t in record.get("answer_terms") or []]
        rank = evidence_rank(evidence[2], record.get("evidence") or []) if record.get("evidence") else None
        text = answer.answer.lower()
        wrong = [p for p in record.get("must_not") or [] if re.search(p, answer.answer, re.I)]
        # The figures paragraphs are stated by code from the postings' counts; the claim
        # check judges the rest.
        figure_ns = {s.n for s in answer.sources if s.kind == "figures"}
        judged_text = "\n\n".join(p for p in answer.answer.split("\n\n")
                                  if not figure_ns & {int(n) for n in re.findall(r"\[(\d+)\]", p)})
        checked = check_answer(judged_text, answer.sources, record["question"]) \
            if not answer.declined and judged_text.strip() else None
        sentences = len(answer_sentences(judged_text)) if checked else 0
        roles = record.get("roles") or []
        # Padding a careful reader skips ("Cboe Global Markets is an Equal Opportunity
        # Employer" under a question about job titles): sentences that are none of the
        # expected evidence. The figures of a comparison are stated by code, not judged here.
        phrases = record.get("evidence") or []
        judged = [s.sentence for s in answer.supports if s.source not in figure_ns] if phrases else []
        on = [on_evidence(sentence, phrases) for sentence in judged]
        rows.append({
            "id": record["id"],
            "category": record.get("category", ""),
            "question": record["question"],
            "refuse": refuse,
            "declined": answer.declined,
            "has_evidence": bool(record.get("evidence")),
            "rank": rank,
            "terms": (sum(t in text for t in terms) / len(terms)) if terms and not answer.declined else
                     (0.0 if terms else None),
            "total_ms": round(total_ms, 1),
            "first_token_ms": answer.timings.get("first_token_ms", 0.0),
            # What a reader waits for: the first checked sentence (an answer stated by code
            # is shown whole at its first token).
            "first_shown_ms": answer.timings.get("first_shown_ms", answer.timings.get("first_token_ms", 0.0)),
            "answer": answer.answer,
            "wrong_claims": wrong,
            "sentences": sentences,
            "supported": len(checked.supports) if checked else 0,
            "model_dropped": answer.dropped,
            "roles": roles,
            "both_sides": (not answer.declined and both_sides(answer.answer, roles)) if roles else None,
            "query": answer.query,
            "evidence_in_answer": (any(on) and not answer.declined) if phrases and not refuse else None,
            "off_evidence": on.count(False),
            "judged_sentences": len(on),
        })
    return summarize(rows, k=k, backend=assistant.backend)


def summarize(rows: list[dict[str, Any]], *, k: int, backend: str) -> dict[str, Any]:
    with_evidence = [r for r in rows if r["has_evidence"]]
    with_terms = [r for r in rows if r["terms"] is not None]
    by_category: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in with_evidence:
        by_category[row["category"]].append(row)
    return {
        "backend": backend,
        "questions": len(rows),
        "k": k,
        f"recall_at_{k}": round(sum(r["rank"] is not None for r in with_evidence) / max(1, len(with_evidence)), 3),
        "mrr": round(sum(1 / r["rank"] for r in with_evidence if r["rank"]) / max(1, len(with_evidence)), 3),
        "answer_term_hit_rate": round(statistics.mean(r["terms"] for r in with_terms), 3) if with_terms else None,
        "refusal_accuracy": round(sum(r["declined"] == r["refuse"] for r in rows) / len(rows), 3),
        # What a careful reader would catch: claims the question says must not be made, and
        # answer sentences no cited source sentence backs (the claim check, rerun here).
        "wrong_claims": sum(len(r.get("wrong_claims") or []) for r in rows),
        "wrong_claim_ids": [r["id"] for r in rows if r.get("wrong_claims")],
        "supported_sentence_rate": round(sum(r.get("supported", 0) for r in rows)
                                         / max(1, sum(r.get("sentences", 0) for r in rows)), 3),
        "evidence_in_answer": _share([r["evidence_in_answer"] for r in rows if r.get("evidence_in_answer") is not None]),
        "sentences_off_evidence": round(sum(r.get("off_evidence", 0) for r in rows)
                                        / max(1, sum(r.get("judged_sentences", 0) for r in rows)), 3),
        "no_evidence_in_answer": [r["id"] for r in rows if r.get("evidence_in_answer") is False],
        "model_sentences_dropped": sum(len(r.get("model_dropped") or []) for r in rows),
        "unanswerable_declined": _share([r["declined"] for r in rows if r["refuse"]]),
        "answerable_declined": _share([r["declined"] for r in rows if not r["refuse"]]),
        "comparisons_both_sides": _share([r["both_sides"] for r in rows if r.get("both_sides") is not None]),
        "one_sided_comparisons": [r["id"] for r in rows if r.get("both_sides") is False],
        "false_refusals": [r["id"] for r in rows if r["declined"] and not r["refuse"]],
        "missed_refusals": [r["id"] for r in rows if r["refuse"] and not r["declined"]],
        "evidence_missed": [r["id"] for r in with_evidence if r["rank"] is None],
        "recall_by_category": {
            category: round(sum(r["rank"] is not None for r in group) / len(group), 3)
            for category, group in sorted(by_category.items())
        },
        "latency_ms": {
            "p50": _percentile([r["total_ms"] for r in rows], 0.5),
            "p95": _percentile([r["total_ms"] for r in rows], 0.95),
            "first_token_p50": _percentile([r["first_token_ms"] for r in rows], 0.5),
            "first_token_p95": _percentile([r["first_token_ms"] for r in rows], 0.95),
            "first_shown_p50": _percentile([r["first_shown_ms"] for r in rows], 0.5),
            "first_shown_p95": _percentile([r["first_shown_ms"] for r in rows], 0.95),
        },
        "rows": rows,
    }
