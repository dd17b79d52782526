"""One access as an AuditEvent (IHE BALP RESTful patterns, FHIR R4), and its index entries.

Built directly, not through validation and the generic index extractor: every request
makes one, so the event is a small dict of fixed shape and its search index entries
are written out here, the same entries ``server.search.extract`` would compute
(``tests/audit/test_events.py`` holds the two together).

Codes: type ``rest`` (audit-event-type) with the restful-interaction subtype, or for
the token endpoint DICOM 110114 User Authentication / 110122 Login, for an HL7v2
message the message event (v2 table 0076/0003 as ``ADT^A01``), for a refused HL7v2
sender DICOM 110113 Security Alert. Agents: the client (Source Role ID, its client id
as ``who.identifier``, and the network address), the user from ``fhirUser`` (the
requestor when present), and this server (Destination Role ID). Entities: each
resource read or written (System Object / Domain Resource), a search's query (Query,
base64 of the query string), and one Person / Patient entity per patient whose data
it was.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import orjson

from server.audit.patients import patients_of_versions
from server.fhir.clock import fhir_instant
from server.search.index_entries import (
    DateEntry,
    IndexEntries,
    ReferenceEntry,
    StringEntry,
    TokenEntry,
)
from server.search.references import split_reference
from server.search.text_fold import fold
from server.storage.audit_rows import AuditEntries, Link, links_of
from server.storage.port import Method, StoredVersion, Write

EVENT_TYPE: Final = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL: Final = "http://hl7.org/fhir/restful-interaction"
DICOM: Final = "http://dicom.nema.org/resources/ontology/DCM"
HL7V2_EVENT: Final = "http://terminology.hl7.org/CodeSystem/v2-0003"
PARTICIPATION: Final = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ENTITY_TYPE: Final = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE: Final = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE: Final = "http://terminology.hl7.org/CodeSystem/security-source-type"
URI: Final = "urn:ietf:rfc:3986"

Code = tuple[str, str, str]  # system, code, display

REST: Final[Code] = (EVENT_TYPE, "rest", "RESTful Operation")
AUTHENTICATION: Final[Code] = (DICOM, "110114", "User Authentication")
LOGIN: Final[Code] = (DICOM, "110122", "Login")
SECURITY_ALERT: Final[Code] = (DICOM, "110113", "Security Alert")
LOGOUT: Final[Code] = (DICOM, "110123", "Logout")
# IHE IUA's transactions, as BALP's IUA profiles name them in subtype.
IHE_TRANSACTION: Final = "urn:ihe:event-type-code"
INTROSPECT: Final[Code] = (IHE_TRANSACTION, "ITI-102", "Introspect Token")
_SOURCE_ROLE: Final[Code] = (DICOM, "110153", "Source Role ID")
_USER_ROLE: Final[Code] = (PARTICIPATION, "IRCP", "information recipient")
_PERSON: Final[Code] = (ENTITY_TYPE, "1", "Person")
_OBJECT: Final[Code] = (ENTITY_TYPE, "2", "System Object")
_PATIENT_ROLE: Final[Code] = (OBJECT_ROLE, "1", "Patient")
_RESOURCE_ROLE: Final[Code] = (OBJECT_ROLE, "4", "Domain Resource")
_QUERY_ROLE: Final[Code] = (OBJECT_ROLE, "24", "Query")
# IHE BALP's transaction entity: the id a caller quotes (X-Request-Id) ties the event to
# the answer and the log lines of the same request.
_REQUEST_ID: Final[Code] = (
    "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType",
    "XrequestId",
    "X-Request-Id",
)

# What each interaction does to data (AuditEvent.action: C, R, U, D, E).
ACTIONS: Final[dict[str, str]] = {
    "create": "C",
    "read": "R",
    "vread": "R",
    "update": "U",
    "patch": "U",
    "delete": "D",
    "search-type": "R",
    "search-system": "R",
    "search-compartment": "R",
    "history-instance": "R",
    "history-type": "R",
    "history-system": "R",
    "capabilities": "R",
}


@dataclass(slots=True)
class Access:
    """The facts of one access: what the middleware or the write hook queues, cheap to make.

    ``recorded`` in microseconds since the epoch; ``outcome`` an R4 AuditEvent.outcome
    code (0, 4, 8, 12); ``entities`` references (``Type/id``); ``patients`` Patient ids.
    Not frozen: made once per request, and settled in place by the builder that takes it.
    """

    recorded: int
    type: Code
    subtypes: tuple[Code, ...]
    action: str
    outcome: str
    client: str | None = None
    issuer: str | None = None
    user: str | None = None
    address: str | None = None
    entities: tuple[str, ...] = ()
    patients: tuple[str, ...] = ()
    query: str | None = None
    description: str | None = None  # outcomeDesc, for a failure
    # What the answer carried: whose data it was is found when the event is built.
    returned: tuple[StoredVersion, ...] = ()
    request_id: str | None = None  # the X-Request-Id the caller saw


def outcome_of(status: int) -> str:
    """The AuditEvent outcome of an HTTP status: success, or a minor or serious failure."""
    if status < 400:
        return "0"
    return "4" if status < 500 else "8"


def interaction_code(code: str) -> Code:
    """The restful-interaction coding of an interaction code."""
    return (RESTFUL, code, code)


def message_code(message_type: str) -> Code:
    """The subtype of an HL7v2 message: its event (MSH-9.2) under v2 table 0003."""
    parts = message_type.split("^")
    event = parts[1] if len(parts) > 1 and parts[1] else message_type
    return (HL7V2_EVENT, event, message_type)


class EventBuilder:
    """Builds the AuditEvent Writes of one server (its base URL is the observer)."""

    def __init__(self, server: str, base_urls: tuple[str, ...]) -> None:
        self.server = server
        self.base_urls = base_urls
        self._observer = {"identifier": {"system": URI, "value": server}, "display": "fhirport"}
        self._source = {
            "observer": self._observer,
            "type": [_coding((SOURCE_TYPE, "4", "Application Server"))],
        }
        self._source_token = TokenEntry("source:identifier", URI, server, None)
        self._kinds: dict[tuple[Any, ...], _Shared] = {}

    def write(self, access: Access, event_id: str) -> Write:
        """The Write storing ``access`` as AuditEvent ``event_id``, version 1.

        Its bytes are those of ``event`` serialized, put together from the part events
        of the same kind share (serialized once, ``_shared``) and its own.
        """
        self._settle(access)
        shared = self._shared(access)
        recorded = access.recorded
        instant = orjson.dumps(fhir_instant(recorded))
        parts = [
            b'{"resourceType":"AuditEvent","id":',
            orjson.dumps(event_id),
            b',"meta":{"versionId":"1","lastUpdated":',
            instant,
            b"},",
            shared.before_recorded,
            b'"recorded":',
            instant,
            b",",
            shared.after_recorded,
        ]
        entities = _entity_bytes(access)
        if entities:
            parts += [b',"entity":[', b",".join(entities), b"]"]
        parts.append(b"}")
        version = StoredVersion("AuditEvent", event_id, 1, recorded, Method.POST, b"".join(parts))
        own = self._own_references(access)
        own_links = [(r.param, r.target_type, r.target_id, r.url) for r in own]
        entries = AuditEntries(
            tokens=[*shared.tokens, TokenEntry("_id", None, event_id, None)],
            references=[*shared.references, *own],
            strings=list(shared.strings),
            links=tuple(dict.fromkeys((*shared.head_links, *own_links, *shared.tail_links))),
            date=(recorded, recorded + 1),
        )
        _times(entries, recorded)
        return Write(version, 0, entries)

    def _shared(self, access: Access) -> _Shared:
        key = (
            access.type,
            access.subtypes,
            access.action,
            access.outcome,
            access.description,
            access.client,
            access.issuer,
            access.user,
            access.address,
        )
        found = self._kinds.get(key)
        if found is None:
            if len(self._kinds) >= _KINDS:
                self._kinds.clear()
            found = self._kinds[key] = self._share(access)
        return found

    def _share(self, access: Access) -> _Shared:
        kind = Access(
            access.recorded,
            access.type,
            access.subtypes,
            access.action,
            access.outcome,
            access.client,
            access.issuer,
            access.user,
            access.address,
            description=access.description,
        )
        event = self.event(kind, "")
        index = self.index(kind, "")
        before = {k: event[k] for k in ("type", "subtype", "action")}
        after = {k: event[k] for k in ("outcome", "outcomeDesc", "agent", "source") if k in event}
        tokens = tuple(t for t in index.tokens if t.param != "_id")
        return _Shared(
            orjson.dumps(before)[1:-1] + b",",
            orjson.dumps(after)[1:-1],
            tokens,
            tuple(index.references),
            tuple(index.strings),
            tuple(links_of(IndexEntries(tokens=list(tokens), references=index.references))),
            tuple(links_of(IndexEntries(strings=index.strings))),
        )

    def _settle(self, access: Access) -> None:
        """Find the patients of what was returned; name a Patient once, as the patient."""
        if access.returned:
            found = patients_of_versions(access.returned, self.base_urls)
            access.patients = tuple(dict.fromkeys((*access.patients, *sorted(found))))
            access.returned = ()
        if access.patients and access.entities:
            named = {f"Patient/{p}" for p in access.patients}
            access.entities = tuple(e for e in dict.fromkeys(access.entities) if e not in named)

    def event(self, access: Access, event_id: str) -> dict[str, Any]:
        """The AuditEvent resource of ``access``."""
        instant = fhir_instant(access.recorded)
        event: dict[str, Any] = {
            "resourceType": "AuditEvent",
            "id": event_id,
            "meta": {"versionId": "1", "lastUpdated": instant},
            "type": _coding(access.type),
            "subtype": [_coding(s) for s in access.subtypes],
            "action": access.action,
            "recorded": instant,
            "outcome": access.outcome,
        }
        if access.description:
            event["outcomeDesc"] = access.description
        event["agent"] = self._agents(access)
        event["source"] = self._source
        entities = self._entities(access)
        if entities:
            event["entity"] = entities
        return event

    def _entities(self, access: Access) -> list[dict[str, Any]]:
        entities = [_entity({"reference": ref}, _OBJECT, _RESOURCE_ROLE) for ref in access.entities]
        if access.query is not None:
            query = _entity(None, _OBJECT, _QUERY_ROLE)
            query["query"] = base64.b64encode(access.query.encode()).decode("ascii")
            entities.append(query)
        entities += [
            _entity({"reference": f"Patient/{p}"}, _PERSON, _PATIENT_ROLE) for p in access.patients
        ]
        if access.request_id is not None:
            entities.append(
                {"type": _coding(_REQUEST_ID), "what": {"identifier": {"value": access.request_id}}}
            )
        return entities

    def _agents(self, access: Access) -> list[dict[str, Any]]:
        client: dict[str, Any] = {"type": _concept(_SOURCE_ROLE), "requestor": access.user is None}
        if access.client is not None:
            identifier = {"value": access.client}
            if access.issuer:
                identifier = {"system": access.issuer, "value": access.client}
            client["who"] = {"identifier": identifier}
        if access.address:
            client["network"] = {"address": access.address, "type": "2"}
        agents = [client]
        if access.user is not None:
            user = {
                "type": _concept(_USER_ROLE),
                "who": {"reference": access.user},
                "requestor": True,
            }
            agents.append(user)
        return agents

    def index(self, access: Access, event_id: str) -> IndexEntries:
        """The search index entries of the event ``event`` builds (as the extractor's).

        AuditEvent's index is narrow (server.search.definitions.ONLY_ON): the audit
        trail's parameters only, and sort keys for the time only.
        """
        entries = IndexEntries()
        tokens = entries.tokens
        tokens.append(_token("type", access.type))
        for subtype in dict.fromkeys(access.subtypes):
            tokens.append(_token("subtype", subtype))
        tokens.append(_code("action", access.action))
        tokens.append(_code("outcome", access.outcome))
        tokens.append(TokenEntry("_id", None, event_id, None))
        if access.client is not None:
            tokens.append(
                TokenEntry("agent:identifier", access.issuer or None, access.client, None)
            )
        tokens.append(self._source_token)
        references = entries.references
        if access.user is not None:
            target_type, target_id, url = split_reference(access.user, self.base_urls)
            if target_id is not None or url is not None:
                references.append(ReferenceEntry("agent", target_type, target_id, url))
            if _points_at_patient(access.user):
                references.append(ReferenceEntry("patient", target_type, target_id, url))
        references += self._own_references(access)
        if access.address:
            entries.strings.append(_address(access.address))
        _times(entries, access.recorded)
        return entries

    def _own_references(self, access: Access) -> list[ReferenceEntry]:
        """The entity and patient entries of what the access was about."""
        references: list[ReferenceEntry] = []
        for ref in dict.fromkeys(access.entities):
            target_type, target_id, url = split_reference(ref, self.base_urls)
            references.append(ReferenceEntry("entity", target_type, target_id, url))
            if target_type == "Patient":
                references.append(ReferenceEntry("patient", target_type, target_id, None))
        for patient in dict.fromkeys(access.patients):
            references.append(ReferenceEntry("entity", "Patient", patient, None))
            references.append(ReferenceEntry("patient", "Patient", patient, None))
        return references


def _times(entries: IndexEntries, recorded: int) -> None:
    """The event's time as both ``date`` and ``_lastUpdated`` (and their sort keys)."""
    entries.dates.append(DateEntry("date", recorded, recorded + 1))
    entries.dates.append(DateEntry("_lastUpdated", recorded, recorded + 1))
    entries.present = {"date", "_lastUpdated"}
    entries.sort_keys = {"date": recorded, "_lastUpdated": recorded}


@dataclass(frozen=True, slots=True)
class _Shared:
    """What events of one kind (type, outcome, agents, source) share, made once.

    The JSON members before and after ``recorded`` (without their braces), and the
    index entries of those members.
    """

    before_recorded: bytes
    after_recorded: bytes
    tokens: tuple[TokenEntry, ...]
    references: tuple[ReferenceEntry, ...]
    strings: tuple[StringEntry, ...]
    # The same entries as the audit stores' links: those listed before the event's own
    # references (tokens, references) and after them (strings).
    head_links: tuple[Link, ...]
    tail_links: tuple[Link, ...]


# Kinds of events a builder remembers (clients x interactions x outcomes).
_KINDS: Final = 4096


# The index entries that recur (the few codes, the clients' addresses) are made once.
@lru_cache(maxsize=1024)
def _token(param: str, code: Code) -> TokenEntry:
    return TokenEntry(param, code[0], code[1], fold(code[2]))


@lru_cache(maxsize=64)
def _code(param: str, code: str) -> TokenEntry:
    return TokenEntry(param, None, code, None)


@lru_cache(maxsize=4096)
def _address(address: str) -> StringEntry:
    return StringEntry("address", fold(address), address)


def _points_at_patient(reference: str) -> bool:
    # As the extractor's ``resolve() is Patient``: the type segment before the id.
    parts = reference.split("/_history/")[0].rstrip("/").split("/")
    return len(parts) >= 2 and parts[-2] == "Patient"


def _coding(code: Code) -> dict[str, str]:
    return {"system": code[0], "code": code[1], "display": code[2]}


def _concept(code: Code) -> dict[str, Any]:
    return {"coding": [_coding(code)]}


def _entity(what: dict[str, str] | None, kind: Code, role: Code) -> dict[str, Any]:
    entity: dict[str, Any] = {"type": _coding(kind), "role": _coding(role)}
    if what is not None:
        entity["what"] = what
    return entity


# The serialized entities of ``EventBuilder._entities``, put together around their one
# varying value (written in the same member order, so the bytes are the same).
def _head(kind: Code, role: Code, member: str) -> bytes:
    return orjson.dumps(_entity(None, kind, role))[:-1] + f',"{member}":'.encode()


_RESOURCE_HEAD: Final = _head(_OBJECT, _RESOURCE_ROLE, "what") + b'{"reference":'
_QUERY_HEAD: Final = _head(_OBJECT, _QUERY_ROLE, "query")
_PATIENT_HEAD: Final = _head(_PERSON, _PATIENT_ROLE, "what") + b'{"reference":'
_REQUEST_HEAD: Final = (
    b'{"type":' + orjson.dumps(_coding(_REQUEST_ID)) + b',"what":{"identifier":{"value":'
)


def _entity_bytes(access: Access) -> list[bytes]:
    """Each entity of ``access`` serialized, as ``EventBuilder._entities`` lists them."""
    entities = [_RESOURCE_HEAD + orjson.dumps(ref) + b"}}" for ref in access.entities]
    if access.query is not None:
        query = base64.b64encode(access.query.encode()).decode("ascii")
        entities.append(_QUERY_HEAD + orjson.dumps(query) + b"}")
    entities += [_PATIENT_HEAD + orjson.dumps(f"Patient/{p}") + b"}}" for p in access.patients]
    if access.request_id is not None:
        entities.append(_REQUEST_HEAD + orjson.dumps(access.request_id) + b"}}}")
    return entities
