"""The skill matcher against a careful reader: precision, recall and F1 over the hand
labels in tests/data/skill_labels.jsonl, per skill (TP/FP/FN), and every disagreement
with the text around it, so a reader can see who is right.

    .venv/bin/python benchmarks/skill_labels.py [--postings ../shared/data/postings.jsonl] [--json]

The labels were written from the posting texts before the matcher was run on them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.settings import REPO_ROOT
from assistant.skill_agreement import agreement, read_labels
from assistant.skills import load_taxonomy
from assistant.sources import load_paths

LABELS = REPO_ROOT / "tests" / "data" / "skill_labels.jsonl"
POSTINGS = REPO_ROOT.parent / "shared" / "data" / "postings.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--postings", type=Path, default=POSTINGS)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    taxonomy = load_taxonomy()
    labels = read_labels(args.labels, taxonomy)
    texts = {d.doc_id: d.text for d in load_paths([args.postings], max_record_bytes=10_000_000).documents}
    result = agreement(labels, texts, taxonomy)
    skills = sorted(set(result.tp) | set(result.fp) | set(result.fn))
    summary = {
        "postings": len(labels), "labels": sum(len(label.skills) for label in labels),
        "tp": sum(result.tp.values()), "fp": sum(result.fp.values()), "fn": sum(result.fn.values()),
        "precision": round(result.precision, 4), "recall": round(result.recall, 4), "f1": round(result.f1, 4),
    }
    if args.json:
        summary["skills"] = {s: {"tp": result.tp[s], "fp": result.fp[s], "fn": result.fn[s]} for s in skills}
        summary["disagreements"] = [vars(d) for d in result.disagreements]
        print(json.dumps(summary, indent=2))
        return 0
    print(" ".join(f"{key}={value}" for key, value in summary.items()))
    print(f"\n{'skill':<24}{'TP':>4}{'FP':>4}{'FN':>4}")
    for skill in sorted(skills, key=lambda s: (-(result.fp[s] + result.fn[s]), s)):
        print(f"{skill:<24}{result.tp[skill]:>4}{result.fp[skill]:>4}{result.fn[skill]:>4}")
    print("\ndisagreements (extra: only the matcher found it; missed: only the reader did)")
    for d in result.disagreements:
        print(f"  {d.kind:<7}{d.doc_id:<22}{d.skill:<24}{d.context!r}" if d.context else
              f"  {d.kind:<7}{d.doc_id:<22}{d.skill}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
