"""Which named tools a question asks about: an answer that names none of them does not answer
it ("What does the author think about LLMs like ChatGPT?" answered with sentences on job
postings)."""

from __future__ import annotations

from assistant.container import Services


def test_named_tools_include_ml_frameworks_and_llms_but_not_concepts(services: Services) -> None:
    assert services.tools_in("Which does the author prefer, PyTorch or TensorFlow?") == {"pytorch", "tensorflow"}
    assert services.tools_in("what does the author think about LLMs like ChatGPT?") == {"llm"}
    assert services.tools_in("Does the author recommend Rust or Kubernetes?") == {"rust", "kubernetes"}
    # Concepts the article says in words of its own are no tools to look for.
    assert services.tools_in("Do ML engineers need statistics, deep learning and model deployment?") == set()
    # Role names are blanked before this is asked; "ML" alone is the concept, not a tool.
    assert services.tools_in("machine learning") == set()
