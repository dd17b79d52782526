"""What the outermost middleware has seen of a request's answer so far.

``server.api.envelope`` sees every answer's start on its way out; the layers inside it
read its record from the scope instead of wrapping ``send`` again to watch for it.
"""

from __future__ import annotations

from typing import Final

from starlette.types import Scope

_KEY: Final = "fhirport.answer"


class Answer:
    """The status of a request's answer, once its start has been sent."""

    __slots__ = ("started", "status")

    def __init__(self) -> None:
        self.started = False
        self.status = 500  # what the client sees when nothing below answers

    def start(self, status: int) -> None:
        self.started = True
        self.status = status


def new_answer(scope: Scope) -> Answer:
    """A fresh record for ``scope``'s answer, kept in the scope."""
    answer = scope[_KEY] = Answer()
    return answer


def answer_of(scope: Scope) -> Answer:
    """The record ``new_answer`` left in ``scope`` (KeyError outside the envelope)."""
    answer: Answer = scope[_KEY]
    return answer
