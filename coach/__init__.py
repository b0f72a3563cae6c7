"""The coach: LlamaIndex over the materialized assets, deterministic without an LLM.

``ask(question, ctx, history=(), llm=None) -> Answer`` (:mod:`coach.workflow`).
"""

from coach.workflow import ask

__all__ = ["ask"]
