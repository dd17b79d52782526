"""The composition root: the one place the server's parts are built, wired and closed.

``open_runtime`` opens the store named by the settings and builds on it the search
engine, the resource service (with the client write rules), the HL7v2 ingestor and the
record queries; the app's lifespan (server.app), the MLLP listener (server.hl7v2.listener)
and the HL7v2 importer (server.hl7v2.ingest.importer) all run on what it yields.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

from server.api.public_urls import HostPolicy
from server.audit import AuditMode, AuditTrail
from server.audit.events import EventBuilder
from server.auth.authority import open_authority
from server.auth.gate import AccessGate
from server.auth.token_endpoint import TokenService
from server.auth.tokens import TokenVerifier
from server.fhir.clock import now_us
from server.hl7v2.ingest.follow_merges import MergedPatients
from server.hl7v2.ingest.service import Ingestor
from server.hl7v2.outbound.feed import Outbound, outbound_feed
from server.hl7v2.query.config import QueryConfig
from server.hl7v2.query.service import RecordQueries
from server.hl7v2.vocabulary_file import mapping_config
from server.hold_rules import HoldRule
from server.integrity import ReferenceIntegrity
from server.interactions import ResourceService
from server.reminders import Reminders, ReminderSchedule, sender_from_setting
from server.roi import WRITE_RULES
from server.scheduling import BookingRule
from server.scheduling.office_day import schedule_rule
from server.scheduling.slot_link import SlotLink
from server.scrub import Scrubber
from server.scrub.on_write import ScrubOnWrite
from server.search.engine import SearchEngine
from server.search.extract import extract_index
from server.settings import Settings
from server.storage.factory import store_from_url
from server.storage.port import Store
from server.versions import Indexer

# The write rules (server.roi; a Schedule's time zone) are business rules for what
# clients write through the REST interactions. The server's own writes run none: HL7v2
# ingest and the record queries' AuditEvents build their versions with
# server.versions.next_version and store them directly, so they share the service's
# store and indexer but not its rules.
CLIENT_WRITE_RULES = {**WRITE_RULES, "Schedule": schedule_rule}


def client_hold_rules(
    store: Store,
    search: SearchEngine,
    settings: Settings,
    indexer: Indexer | None = None,
    scrubber: Scrubber | None = None,
) -> dict[str, HoldRule]:
    """The rules of client writes that read the store before they write: Appointments that
    may not double-book (with their exclusive holds) and make their Slots busy or free (with
    ``indexer``), Claims scrubbed as they are stored (by ``scrubber``, shared with
    ``$scrub``: scrubs at the same time share their reads)."""
    slots = SlotLink(store, indexer, now_us) if indexer is not None else None
    rules: dict[str, HoldRule] = {"Appointment": BookingRule(store, search, slots)}
    if settings.scrub_on_create != "off":
        rules["Claim"] = ScrubOnWrite(scrubber or Scrubber(store), settings.scrub_on_create)
    return rules


@dataclass(frozen=True, slots=True)
class Runtime:
    """The server's parts on one open store."""

    settings: Settings
    store: Store
    base_urls: tuple[str, ...]
    search: SearchEngine
    service: ResourceService
    ingestor: Ingestor
    queries: RecordQueries
    tokens: TokenVerifier
    token_service: TokenService
    access: AccessGate  # what a request's bearer token allows (all with --auth none)
    audit: AuditTrail
    outbound: Outbound | None = None  # the outbound HL7v2 feed (--hl7-outbound)
    reminders: Reminders | None = None  # appointment reminders (--reminder-sender)
    scrubber: Scrubber | None = None  # claim scrubbing, shared by $scrub and the Claim rule


def base_urls(settings: Settings) -> tuple[str, ...]:
    """Base URLs under which absolute references point into this server."""
    bases = [
        f"http://{settings.host}:{settings.port}/fhir",
        f"http://localhost:{settings.port}/fhir",
    ]
    if settings.base_url:
        bases.insert(0, settings.base_url.rstrip("/"))
    return tuple(bases)


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    query_config: QueryConfig | None = None,
    bulk_import: bool = False,
) -> AsyncIterator[Runtime]:
    """Open the store, build the parts on it, and close the store after the block.

    ``query_config``: who may query records over HL7v2 (default: nobody configured).
    ``bulk_import``: the run owns the store (``fhirport hl7 import``), so the ingestor
    remembers the create-only resources it has seen instead of reading them again.
    """
    store = store_from_url(settings.store)
    await store.open()
    try:
        urls = base_urls(settings)
        search = SearchEngine(store, urls)
        indexer = partial(extract_index, base_urls=urls)
        scrubber = Scrubber(store)
        authority = await open_authority(store, settings, urls, HostPolicy(settings))
        events = EventBuilder(settings.base_url or urls[0], urls)
        audit = AuditTrail(
            store,
            events,
            AuditMode(settings.audit),
            retention_days=settings.audit_retention_days,
        )
        mapping = mapping_config(settings)
        # A bulk import replays what the old systems sent: nothing to tell them.
        outbound = (
            outbound_feed(store, settings.hl7_outbound, mapping)
            if settings.hl7_outbound is not None and not bulk_import
            else None
        )
        service = ResourceService(
            store,
            indexer,
            search,
            rules=CLIENT_WRITE_RULES,
            holds=client_hold_rules(store, search, settings, indexer, scrubber),
            audit=audit.request_write,
            outbound=outbound.writer if outbound is not None else None,
            follow_merges=MergedPatients(store),
            integrity=ReferenceIntegrity(
                store, urls, strict=settings.referential_integrity == "strict"
            ),
        )
        await audit.start()
        if outbound is not None:
            await outbound.sender.start()
        reminders = (
            Reminders(store, indexer, search, sender_from_setting(settings.reminder_sender))
            if settings.reminder_sender is not None
            else None
        )
        # A bulk import replays the past: no one to remind of it.
        reminding = (
            ReminderSchedule(reminders, settings.reminders_every)
            if reminders is not None and settings.reminders_every and not bulk_import
            else None
        )
        if reminding is not None:
            reminding.start()
        try:
            yield Runtime(
                settings=settings,
                store=store,
                base_urls=urls,
                search=search,
                service=service,
                ingestor=Ingestor(
                    service,
                    mapping,
                    remember_create_only=bulk_import,
                    out_of_scope=settings.out_of_scope,
                ),
                queries=RecordQueries(service, search, query_config or QueryConfig()),
                tokens=authority.tokens,
                token_service=authority.token_service,
                access=AccessGate(authority.tokens if settings.auth == "smart" else None, urls),
                audit=audit,
                outbound=outbound,
                reminders=reminders,
                scrubber=scrubber,
            )
        finally:
            if reminding is not None:
                await reminding.close()
            if reminders is not None:
                await reminders.sender.aclose()
            if outbound is not None:
                await outbound.sender.close()
            await audit.close()
    finally:
        await store.close()
