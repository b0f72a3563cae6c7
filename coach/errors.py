"""The coach's own error: a tool refused its input (a metric Keel does not track, a what-if out of range).

``what`` says what is wrong in the owner's words and ``todo`` what to ask instead; the workflow turns it
into a plain answer rather than a failure.
"""

from __future__ import annotations


class CoachInputError(ValueError):
    def __init__(self, what: str, todo: str | None = None) -> None:
        super().__init__(what if todo is None else f"{what} — {todo}")
        self.what = what
        self.todo = todo
