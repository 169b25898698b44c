"""An answer's sentences, each with the citations that follow it, joined back into the text
exactly (issue 18, mutation testing). The expected pieces are read off the text by hand."""

from __future__ import annotations

import pytest

from assistant.sentences import answer_sentences


@pytest.mark.parametrize(("text", "sentences"), [
    # Every citation after the full stop goes with the sentence before, not only the last one.
    ("Python is needed. [1] [2] So is Java [3].", ["Python is needed. [1] [2] ", "So is Java [3]."]),
    ("Python is needed.[1][2] So is Java.", ["Python is needed.[1][2] ", "So is Java."]),
    # A citation with its own full stop, split off alone by the splitter, leaves no empty piece.
    ("Python is needed. [1]. So is Java [3].", ["Python is needed. [1]. ", "So is Java [3]."]),
    ("Python is needed. [1]\n\nSo is Java [2].", ["Python is needed. [1]\n\n", "So is Java [2]."]),
    # A citation that opens the answer has no sentence before it to go with.
    ("[1] Python is needed. So is Java.", ["[1] Python is needed. ", "So is Java."]),
    # Pieces in lower case, or opening with a bracket that is no citation, go on with the sentence before.
    ("Use it. see www.x.example for more. Then stop.", ["Use it. see www.x.example for more. ", "Then stop."]),
    ("First. (Second) third. Fourth.", ["First. (Second) third. ", "Fourth."]),
    ("Read it! [x](y) Then go.", ["Read it! [x](y) Then go."]),
    # What goes on in lower case after a citation goes on with the sentence before it.
    ("SQL matters! [1], and so does Python. [2] Then go.", ["SQL matters! [1], and so does Python. [2] ", "Then go."]),
    ("", []),
])
def test_answer_sentences_carry_their_citations_and_join_back(text: str, sentences: list[str]) -> None:
    assert answer_sentences(text) == sentences
    assert "".join(sentences) == text
