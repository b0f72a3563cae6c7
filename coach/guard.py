"""The offline coach's minimal refusal check: SQL, other tenants, other businesses' figures, injected orders.

The full safety module (``coach/safety.py``) is written separately; this is the one check the offline
workflow runs before routing. It matches words and short phrases with rapidfuzz (so "competitor's",
"competitors" and small typos count), not patterns over the raw text.
"""

from __future__ import annotations

import calendar

from rapidfuzz import fuzz, utils

from coach.core import CoachContext

#: Words that ask for the warehouse itself rather than an answer.
SQL_WORDS = (
    "sql",
    "select",
    "drop",
    "delete",
    "insert",
    "update",
    "schema",
    "database",
    "query",
    "password",
    "table",
)
SQL_PHRASES = (
    "sql query",
    "select star",
    "select from",
    "drop table",
    "delete from",
    "show tables",
    "database password",
)
#: Phrases that ask about someone else's business.
OTHER_PHRASES = (
    "other tenant",
    "another tenant",
    "every tenant",
    "all tenants",
    "other business",
    "another business",
    "other businesses",
    "other companies",
    "another company",
    "my competitors",
    "competitor",
    "competitors",
    "down the street",
    "someone else",
    "other shops",
    "other customers of keel",
)
INJECTION_PHRASES = (
    "ignore previous instructions",
    "ignore all previous",
    "disregard your instructions",
    "system prompt",
)
#: Asking how the business ranks among anonymous peers is fine: that is what benchmarks are for.
PEER_WORDS = (
    "peer",
    "peers",
    "benchmark",
    "similar businesses",
    "businesses like mine",
    "industry",
    "median",
)

SQL_REFUSAL = (
    "I can't write or run database queries. I answer from Keel's finished reports on your business; "
    'ask me about a figure, for example "What was my revenue last month?"'
)
OTHER_REFUSAL = (
    "I can only talk about your own business. Other businesses' figures are private to them; I can compare "
    'you with an anonymous group of similar businesses instead: ask "How do I compare with similar '
    'businesses?"'
)
INJECTION_REFUSAL = "I can't do that. I only answer questions about your business from Keel's reports."


def _contains(text: str, phrases: tuple[str, ...], cutoff: float = 90) -> bool:
    return any(
        fuzz.partial_ratio(phrase, text, score_cutoff=cutoff) for phrase in phrases if len(phrase) > 4
    ) or any(phrase in text.split() for phrase in phrases if len(phrase) <= 4)


def refusal_for(question: str, ctx: CoachContext, business_names: tuple[str, ...] = ()) -> str | None:
    """The refusal to give instead of an answer, or None when the question may be answered.

    ``business_names`` are other businesses' names the caller knows of (the demo's, say): a question
    naming one of them (and not the asker's own) is refused.
    """
    text = utils.default_process(question)
    words = set(text.split())
    if _contains(text, INJECTION_PHRASES, 88):
        return INJECTION_REFUSAL
    if "sql" in words or _contains(text, SQL_PHRASES, 92) or len(words & set(SQL_WORDS)) >= 2:
        return SQL_REFUSAL
    if _contains(text, OTHER_PHRASES, 90) and not _contains(text, PEER_WORDS, 95):
        return OTHER_REFUSAL
    if _names_another_business(question):
        return OTHER_REFUSAL
    for name in business_names:
        processed = utils.default_process(name)
        if processed and fuzz.partial_ratio(processed, text, score_cutoff=90):
            return OTHER_REFUSAL
    return None


_NOT_BUSINESSES = {name.lower() for name in (*calendar.day_name, *calendar.month_name) if name} | {
    "today",
    "yesterday",
    "keel",
    "my",
    "our",
    "last",
    "this",
    "next",
    "what",
    "that",
    "it",
    "here",
    "there",
    "who",
    "how",
    "where",
    "let",
}


def _names_another_business(question: str) -> bool:
    """A capitalised name with a possessive ("Formwise's revenue") that is not a day, a month or the owner."""
    words = question.replace("\u2019", "'").split()
    for index, word in enumerate(words):
        if index == 0 or not word.endswith(("'s", "s'")):
            continue  # the first word is capitalised anyway ("What's", "Formwise's" alone is too little)
        name = word.rstrip("'s").rstrip("'")
        if name[:1].isupper() and name.lower() not in _NOT_BUSINESSES:
            return True
    return False
