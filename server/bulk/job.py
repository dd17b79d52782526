"""What an export job records: what was asked, by whom, how far it got, what it wrote.

Kept as JSON in the store's job records (server.storage.bulk_port), so a job outlives
the process that started it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import orjson

from server.auth.claims import Claims
from server.bulk.request import ExportRequest, Level
from server.storage.bulk_port import JobRecord


class State(StrEnum):
    ACCEPTED = "accepted"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    FAILED = "failed"


ACTIVE = (State.ACCEPTED, State.IN_PROGRESS)


@dataclass(slots=True)
class OutputFile:
    """One written file: its type, its name in the job's folder, how many resources."""

    type: str
    file: str
    count: int


@dataclass(slots=True)
class ExportJob:
    """One export job."""

    id: str
    state: State
    request: str  # the kick-off URL, as the client sent it
    level: Level
    group: str | None
    types: list[str]
    since: int | None
    output_format: str
    transaction_time: int  # microseconds: the snapshot
    created: int
    requires_token: bool
    owner: dict[str, Any] | None = None  # the kick-off token's claims (None without auth)
    done: int = 0  # resources written so far
    current_type: str | None = None
    output: list[OutputFile] = field(default_factory=list)
    errors: list[OutputFile] = field(default_factory=list)
    completed: int | None = None
    expires: int | None = None
    failure: str | None = None

    @classmethod
    def new(
        cls,
        job_id: str,
        asked: ExportRequest,
        request_url: str,
        now: int,
        claims: Claims | None,
    ) -> ExportJob:
        return cls(
            id=job_id,
            state=State.ACCEPTED,
            request=request_url,
            level=asked.level,
            group=asked.group,
            types=list(asked.types),
            since=asked.since,
            output_format=asked.output_format,
            transaction_time=now,
            created=now,
            requires_token=claims is not None,
            owner=asdict(claims) if claims is not None else None,
        )

    @property
    def claims(self) -> Claims | None:
        return Claims(**self.owner) if self.owner is not None else None

    def record(self) -> JobRecord:
        return JobRecord(self.id, self.state, self.created, orjson.dumps(asdict(self)))

    @classmethod
    def from_record(cls, record: JobRecord) -> ExportJob:
        data = orjson.loads(record.document)
        data["state"] = State(record.state)
        data["level"] = Level(data["level"])
        data["output"] = [OutputFile(**f) for f in data["output"]]
        data["errors"] = [OutputFile(**f) for f in data["errors"]]
        return cls(**data)
