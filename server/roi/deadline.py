"""The 30-day clock of a request for records (45 CFR 164.524(b)(2)) as calendar dates."""

from __future__ import annotations

from datetime import date, timedelta

from server.errors import BusinessRuleViolation

ANSWER_DAYS = 30  # 164.524(b)(2)(i): act no later than 30 days after receipt
EXTENSION_DAYS = 30  # 164.524(b)(2)(ii): one extension of no more than 30 days


def day_of(value: object, expression: str) -> date:
    """The calendar day of a FHIR date or dateTime (its local date); 422 if it has none."""
    text = value if isinstance(value, str) else ""
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise BusinessRuleViolation(
            f"{expression} must give a full date (YYYY-MM-DD...), not {value!r}",
            expression=expression,
        ) from None


def due_after(received: date) -> date:
    """The last day to answer a request received on ``received``."""
    return received + timedelta(days=ANSWER_DAYS)


def extended(due: date) -> date:
    """The due date after the single extension."""
    return due + timedelta(days=EXTENSION_DAYS)
