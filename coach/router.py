"""The offline router: which intent (and so which agent) a question is for, and what it names.

A logistic regression (scikit-learn) over two views of a question: its wordllama embedding (a 256-d static
embedding whose weights ship inside the ``wordllama`` wheel, so nothing is downloaded; about 0.1 ms a
question) and its word and word-pair TF-IDF (the lexical view, which keeps "what if" and "will I hit"
apart where the embedding blurs them). It is trained on ``coach/intents.yaml`` when first used (well
under a second). Entities come from :mod:`coach.entities`.

A follow-up ("and last year?", "what about Saturday?") names a period or a day but no subject; the router
then keeps the previous turn's intent and metric and takes the new period or day from the question.
"""

from __future__ import annotations

import datetime as dt
import functools
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import yaml
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from coach.core import Agent, Answer
from coach.entities import Entities, extract

INTENTS_FILE = pathlib.Path(__file__).with_name("intents.yaml")
AGENT_OF: dict[str, Agent] = {
    "metric_over_period": "general",
    "compare_periods": "general",
    "peers": "general",
    "health": "general",
    "freshness": "general",
    "forecast": "forecaster",
    "forecast_goal": "forecaster",
    "staffing": "forecaster",
    "evidence_effect": "evidence_analyzer",
    "evidence_drivers": "evidence_analyzer",
    "optimizer_plan": "optimizer",
    "optimizer_what_if": "optimizer",
    "goals": "goal_planner",
    "safety": "safety",
}
FUTURE_INTENTS = frozenset({"forecast", "forecast_goal", "goals"})
#: A question of at most this many words that names no subject of its own is a follow-up.
FOLLOW_UP_WORDS = 6
FOLLOW_UP_OPENERS = ("and", "what about", "how about", "same for", "and for", "what of")


@dataclass(frozen=True)
class Route:
    intent: str
    agent: Agent
    confidence: float
    entities: Entities
    follow_up: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


@functools.cache
def _embedder() -> Any:
    """wordllama loaded from its own package folder with downloads off (its plain ``load()`` looks for the
    tokenizer in the wrong folder and would try to fetch it)."""
    import wordllama

    return wordllama.WordLlama.load(cache_dir=pathlib.Path(wordllama.__file__).parent, disable_download=True)


def _examples() -> tuple[list[str], list[str]]:
    data = yaml.safe_load(INTENTS_FILE.read_text(encoding="utf-8"))
    texts, labels = [], []
    for intent, questions in data.items():
        if intent not in AGENT_OF:
            raise ValueError(f"{INTENTS_FILE.name}: unknown intent {intent!r}")
        for question in questions:
            texts.append(str(question))
            labels.append(intent)
    return texts, labels


class IntentClassifier:
    """Embedding + lexical features, one logistic regression."""

    def __init__(self, texts: Sequence[str], labels: Sequence[str]) -> None:
        self.lexical = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)
        # One BLAS thread: on a shared 2-core machine a threaded fit of this small problem took 8 s, not 0.2.
        with threadpool_limits(1):
            features = self._features(texts, fit=True)
            self.model = LogisticRegression(C=20.0, max_iter=2000)
            self.model.fit(features, list(labels))

    def _features(self, texts: Sequence[str], fit: bool = False) -> csr_matrix:
        embedded = np.asarray(_embedder().embed(list(texts), norm=True), dtype=float)
        words = self.lexical.fit_transform(texts) if fit else self.lexical.transform(texts)
        return hstack([csr_matrix(embedded), words]).tocsr()

    def predict(self, text: str) -> tuple[str, float]:
        with threadpool_limits(1):
            probabilities = self.model.predict_proba(self._features([text]))[0]
        best = int(np.argmax(probabilities))
        return str(self.model.classes_[best]), float(probabilities[best])


@functools.cache
def classifier() -> IntentClassifier:
    return IntentClassifier(*_examples())


def _looks_like_follow_up(question: str, entities: Entities) -> bool:
    text = question.strip().lower()
    short = len(text.split()) <= FOLLOW_UP_WORDS
    opener = text.startswith(FOLLOW_UP_OPENERS)
    names_something = bool(entities.periods or entities.weekday is not None or entities.amount is not None)
    return short and opener and names_something and entities.metric is None


def route(
    question: str,
    anchor: dt.date,
    *,
    history: Sequence[tuple[str, Answer]] = (),
    metrics: Sequence[str] | None = None,
    products: Sequence[str] = (),
) -> Route:
    """The intent, agent and entities of a question (given the earlier turns, for follow-ups)."""
    intent, confidence = classifier().predict(question)
    entities = extract(question, anchor, future=intent in FUTURE_INTENTS, metrics=metrics, products=products)
    if history and _looks_like_follow_up(question, entities):
        previous_question = history[-1][0]
        previous_route = route(
            previous_question, anchor, history=history[:-1], metrics=metrics, products=products
        )
        intent = previous_route.intent
        if (
            entities.weekday is not None
            and intent not in ("staffing",)
            and previous_route.intent == "staffing"
        ):
            intent = "staffing"
        if previous_route.intent in FUTURE_INTENTS:
            entities = extract(question, anchor, future=True, metrics=metrics, products=products)
        periods = entities.periods
        if entities.mentions_last_year and previous_route.entities.periods:
            periods = tuple(p.shifted_years(-1) for p in previous_route.entities.periods)
        merged = replace(
            previous_route.entities,
            periods=periods or previous_route.entities.periods,
            weekday=entities.weekday if entities.weekday is not None else previous_route.entities.weekday,
            amount=entities.amount if entities.amount is not None else previous_route.entities.amount,
            mentions_last_year=entities.mentions_last_year,
        )
        return Route(intent, AGENT_OF[intent], confidence, merged, follow_up=True)
    # Entities settle what the words leave open: a target needs an amount, a what-if a number.
    if intent == "forecast_goal" and entities.amount is None:
        intent = "forecast"
    if intent == "optimizer_what_if" and entities.amount is None:
        intent = "optimizer_plan"
    return Route(intent, AGENT_OF[intent], confidence, entities)
