"""The coach: LlamaIndex over the materialized assets, deterministic without an LLM.

``ask(question, ctx, history=(), llm=None) -> Answer`` (:mod:`coach.workflow`). It is imported on first
use: the console's pages import :mod:`coach.core` for its types, and should not pay for LlamaIndex,
the router and the optimization library until a question is asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coach.workflow import ask

__all__ = ["ask"]


def __getattr__(name: str) -> Any:
    if name == "ask":
        from coach.workflow import ask

        return ask
    raise AttributeError(f"module 'coach' has no attribute {name!r}")
