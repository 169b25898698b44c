"""The seniority level a job title states: junior, mid, senior, lead or manager.

Read from the title's words alone, never from the description (whose "5+ years" or
"mentor juniors" say more about the team than the post). The highest level a title
names wins, so "Senior Manager" and "Associate Director" are managers, "Senior Staff"
is lead and "Senior Machine Learning Engineer I/II" is senior. A title that names no
level is mid.
"""

from __future__ import annotations

import re

LEVELS = ("junior", "mid", "senior", "lead", "manager")
LEVEL_LABELS = {
    "junior": "junior",
    "mid": "mid-level",
    "senior": "senior",
    "lead": "lead, staff or principal",
    "manager": "manager or director",
}

# Checked from the highest level down: the first that matches wins.
_WORDS: list[tuple[str, re.Pattern[str]]] = [
    ("manager", re.compile(r"\b(manager|head|director|vp|vice\s+president|chief)\b", re.I)),
    ("lead", re.compile(r"\b(lead|leader|staff|principal|distinguished|managing)\b", re.I)),
    ("senior", re.compile(r"\b(senior|sr)\b", re.I)),
    ("junior", re.compile(
        r"\b(intern|internship|junior|jr|associate|entry[\s-]+level|graduates?|grad|undergrad|trainee"
        r"|apprentice|fresher|co[\s-]?op|college(\s+hire)?|early\s+career)\b", re.I)),
]
# A grade after the job's noun: "Data Engineer II", "Data Analyst Level III", "Data Engineer 4".
# Ladders run I (entry), II (the working level), III and up (senior).
_GRADE = re.compile(
    r"\b(?:engineer|analyst|scientist|specialist|developer|consultant|architect)\s*[-–]?\s*(?:level\s+)?"
    r"(IV|V|I{1,3}|[1-5])\b", re.I)
_GRADE_LEVEL = {"I": "junior", "1": "junior", "II": "mid", "2": "mid"}


def seniority(title: str) -> str:
    """The level a title names (one of LEVELS), "mid" when it names none."""
    for level, pattern in _WORDS:
        if pattern.search(title):
            return level
    grade = _GRADE.search(title)
    if grade:
        return _GRADE_LEVEL.get(grade.group(1).upper(), "senior")
    return "mid"
