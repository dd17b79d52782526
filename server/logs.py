"""Log lines as text or JSON, each naming the request it was written in.

The request id lives in a context variable that the request-id middleware
(``server.api.request_ids``) sets for the request's task, so every log record written
while serving it, in any module, carries it without being passed along. Records written
outside a request (start-up, background work) have none.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Final, Literal, TextIO

import orjson

REQUEST_ID: ContextVar[str | None] = ContextVar("fhirport_request_id", default=None)
REQUEST_ID_EXTENSION: Final = "https://fhirport.dev/fhir/StructureDefinition/request-id"

LogFormat = Literal["text", "json"]

# LogRecord attributes that are not the caller's ``extra`` fields.
_STANDARD: Final = frozenset(vars(logging.makeLogRecord({}))) | {"message", "request_id"}


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            line["request_id"] = request_id
        line.update((k, v) for k, v in vars(record).items() if k not in _STANDARD)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


class _TextFormatter(logging.Formatter):
    """Time, level, logger, ``[request id]`` (``-`` outside a request) and message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)


def configure_logging(level: str, fmt: LogFormat, *, stream: TextIO | None = None) -> None:
    """Send every logger's records to ``stream`` (stderr) in ``fmt``, from ``level`` up."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else _TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
