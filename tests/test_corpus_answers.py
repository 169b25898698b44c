"""Figures questions and posting checks through the assistant and the API (fakes)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from assistant.analytics import ROLE_LABELS, with_article
from assistant.container import Services
from assistant.corpus_answers import figures_request, looks_like_posting
from assistant.roles import roles_named
from tests.fakes import ScriptedChat
from ui.served import ServedIndex

ML_POSTING = """Senior Machine Learning Engineer (title says data scientist, content says otherwise)
About the role: you will deploy and monitor PyTorch models in production.
Responsibilities:
- Build model serving on Kubernetes and Docker, with CI/CD
- Own the MLOps tooling (MLflow) and the feature store
Requirements:
- 5+ years of experience with Python and software engineering
- AWS or GCP
Nice to have: Spark"""


def test_figures_questions_are_recognised_and_others_are_not(api_services: Services) -> None:
    corpus = ServedIndex(api_services).corpus()
    assert figures_request("Which skills separate ML engineers from data scientists?", corpus) == (
        ["ml_engineer", "data_scientist"], [])
    assert figures_request("What distinguishes data engineers from data analysts in terms of tools?", corpus) == (
        ["data_engineer", "data_analyst"], [])
    roles, skills = figures_request("How many data engineer postings ask for Spark?", corpus)
    assert (roles, skills) == (["data_engineer"], ["spark"])
    assert figures_request("what tools show up the most in data engineer job postings?", corpus) == (
        ["data_engineer"], [])
    assert figures_request("Which languages do ML engineer roles ask for most?", corpus) == (["ml_engineer"], [])
    roles, skills = figures_request("What share of postings mention SQL?", corpus)
    assert skills == ["sql"] and "data_scientist" in roles and "other" not in roles
    for ordinary in ("What's the difference between an ML engineer and a data scientist?",
                     "Do ML engineers need to know statistics?", "What does a data engineer do?",
                     "What does the author enjoy most about the role?",
                     "ML engineer vs data scientist: what actually separates the two?"):
        assert figures_request(ordinary, corpus) is None, ordinary
    assert looks_like_posting(ML_POSTING) and not looks_like_posting("What are the requirements for an ML engineer?")


def test_a_figures_question_cites_the_exact_counts(api_services: Services, chat: ScriptedChat) -> None:
    served = ServedIndex(api_services)
    corpus = served.corpus()
    n = corpus.figures("data_engineer").n
    spark = corpus.figures("data_engineer").counts.get("spark", 0)
    extractive = served.assistant("extractive").ask("How many data engineer postings ask for Spark?")
    assert extractive.sources[0].kind == "figures" and extractive.sources[0].id == "figures"
    assert f"Data engineer postings (n={n}): Spark {spark / n:.0%} ({spark})" in extractive.sources[0].text
    assert extractive.answer.startswith(f"Data engineer postings (n={n}): Spark") and "[1]" in extractive.answer
    assert any(s.kind == "article" for s in extractive.sources) and not extractive.declined

    separate = served.assistant("extractive").ask("Which skills separate ML engineers from data scientists?")
    ml, ds = corpus.figures("ml_engineer").n, corpus.figures("data_scientist").n
    assert separate.answer.startswith(f"Of the {len(corpus.profiles)} job postings in the index, ML engineer "
                                      f"postings (n={ml}) ask more often for ")
    assert f"; data scientist postings (n={ds}) ask " in separate.answer
    assert "95% interval" in separate.sources[0].text and [s.kind for s in separate.sources][:2] == ["figures", "article"]

    # With a chat model the figures are still stated by code; the model gives the article's view.
    chat.enqueue("Cloud services matter, such as Amazon Web Services (AWS) [{n:=Amazon Web Services}].")
    local = served.assistant().ask("How many data engineer postings ask for Spark?")
    lead = f"Data engineer postings (n={n}): Spark {spark / n:.0%} ({spark}). [1] Example postings: "
    example = next(s for s in local.sources if s.kind == "posting")
    assert f"{example.title} at {example.company} [{example.n}]" in local.answer
    assert "Spark" in example.text and example.role == "data_engineer"
    assert local.answer.startswith(lead)
    assert local.answer.endswith(".\n\n" + chat.sent[-1])
    prompt = chat.calls[-1][-1]["content"]
    assert "(n=" not in prompt and "[2] (article)" in prompt and "[1] (" not in prompt
    # A model that cites what it was not given is replaced by the article's own words.
    chat.enqueue(f"{spark + 3} of the {n} data engineer postings mention Spark [1].")
    misquoted = served.assistant().ask("How many data engineer postings ask for Spark?")
    assert misquoted.answer.startswith(lead) and f"{spark + 3} of the" not in misquoted.answer
    # The article's own words stand in only when they speak of the figures' role: here the
    # closest article sentence is about ML engineers, so the figures stand alone.
    assert misquoted.answer == f"{lead}{example.title} at {example.company} [{example.n}]."
    assert roles_named(local.answer.partition("\n\n")[2]) == []  # "Cloud services matter ..." names none
    # So is a sentence that its passage does not back.
    chat.enqueue("The article says data engineers build pipelines [2].")
    unbacked = served.assistant().ask("How many data engineer postings ask for Spark?")
    assert unbacked.answer == misquoted.answer
    assert any("build pipelines" in dropped and "role: says data_engineer" in dropped for dropped in unbacked.dropped)
    served.close()


def test_a_pasted_posting_gets_its_role_by_content(api_services: Services) -> None:
    served = ServedIndex(api_services)
    answer = served.assistant().ask(ML_POSTING)
    assert answer.answer.startswith(("It reads most like an ML engineer posting", "It reads most like an MLOps"))
    assert "PyTorch" in answer.answer and "Closest postings:" in answer.answer
    assert [s.kind for s in answer.sources].count("posting") == 3 and answer.sources[-1].kind == "article"
    served.close()


def test_stats_and_classify_endpoints(client: TestClient) -> None:
    stats = client.get("/api/stats", params={"roles": "ml_engineer,data_scientist", "skills": "Python,sql"}).json()
    ml = stats["roles"]["ml_engineer"]
    assert set(ml["skills"]) == {"python", "sql"} and 0 <= ml["skills"]["python"] <= 1 and ml["n"] > 0
    assert set(ml["categories"]) == {"ml", "software", "cloud", "stats", "data_eng", "analytics", "business"}
    assert "Newcombe" in stats["comparison"]["statistic"]
    everything = client.get("/api/stats").json()
    assert sum(r["n"] for r in everything["roles"].values()) == everything["postings"]
    bad = client.get("/api/stats", params={"roles": "astronaut"})
    assert bad.status_code == 400 and "unknown role 'astronaut'" in bad.json()["error"]
    assert client.get("/api/stats", params={"skills": "cobolx"}).status_code == 400

    # The other figures the CLI gives are there too, and agree with the plain figures.
    related = client.get("/api/stats", params={"related": "Python", "roles": "data engineer"}).json()
    assert related["skill"] == "python" and related["roles"] == ["data_engineer"]
    assert related["postings"] == everything["roles"]["data_engineer"]["n"]
    assert related["count"] == everything["roles"]["data_engineer"]["skill_counts"]["python"]
    regions = client.get("/api/stats", params={"by": "region", "roles": "ml_engineer"}).json()
    assert regions["by"] == "region"
    assert sum(g["ml_engineer"]["n"] for g in regions["groups"].values()) == everything["roles"]["ml_engineer"]["n"]
    assert client.get("/api/stats", params={"by": "planet"}).status_code == 400
    matrix = client.get("/api/mismatch").json()
    assert sum(row["n"] for row in matrix["by_title"].values()) == everything["postings"] == matrix["postings"]
    assert list(client.get("/api/mismatch", params={"title": "data engineer"}).json()["by_title"]) == ["data_engineer"]
    assert client.get("/api/mismatch", params={"title": "astronaut"}).status_code == 400

    checked = client.post("/api/classify", json={"text": ML_POSTING}).json()
    assert checked["role"] in ("ml_engineer", "mlops_ai_engineer")
    # The reason names the role it reads like and what in the text says so.
    assert f"reads most like {with_article(ROLE_LABELS[checked['role']])} posting (of " in checked["why"]
    assert "because it asks for" in checked["why"]
    assert {"pytorch", "kubernetes"} <= {s["skill"] for s in checked["skills"]}
    assert len(checked["closest"]) == 3 and checked["article"][0]["kind"] == "article"
    assert abs(sum(r["probability"] for r in checked["roles"]) - 1) < 0.01
    assert client.post("/api/classify", json={"text": "short"}).status_code == 422


def test_the_evaluation_sees_the_figures_a_user_sees(api_services: Services, chat: ScriptedChat) -> None:
    # The evaluation retrieves first (to judge retrieval) and passes what it found.
    assistant = ServedIndex(api_services).assistant()
    chat.enqueue("Spark matters [2].")
    chat.enqueue("Spark matters [2].")
    question = "How many data engineer postings ask for Spark?"
    plain = assistant.ask(question)
    given = assistant.ask(question, evidence=assistant.evidence(question))
    assert plain.figures is not None and given.answer == plain.answer and given.figures == plain.figures


def test_a_question_about_the_author_is_never_answered_with_postings_figures(api_services: Services,
                                                                            chat: ScriptedChat) -> None:
    assistant = ServedIndex(api_services).assistant()
    chat.enqueue("I can't answer that from the article and the job postings I have.")
    answer = assistant.ask("How many years has the author been working as an ML engineer?")
    assert answer.figures is None and "(n=" not in answer.answer
    # The same words about postings are a figures question.
    chat.enqueue("Spark matters [2].")
    assert assistant.ask("How many data engineer postings ask for Spark?").figures is not None


def test_the_model_s_words_beside_the_figures_are_shown_only_once_checked(api_services: Services,
                                                                        chat: ScriptedChat) -> None:
    assistant = ServedIndex(api_services).assistant()
    chat.enqueue("The article says data engineers build pipelines [2].")  # a role the passage does not back
    events = list(assistant.stream("How many data engineer postings ask for Spark?"))
    shown = "".join(e.text for e in events if e.kind == "token")
    done = next(e.answer for e in events if e.kind == "done")
    assert done is not None and shown.startswith("Data engineer postings (n=")
    assert "build pipelines" not in shown and "build pipelines" not in done.answer
