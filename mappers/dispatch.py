"""The mappers' entry point: choose a message mapper by MSH-9 from a table.

Routes are keyed by (message code, trigger event): the event says what happened, and
the structure variants (ADT_A39's several PID/MRG pairs, SIU's resource groups) are
read by each family's mapper, so MSH-9.3 is not needed to choose. Out of scope (UnsupportedMessage,
answered AR), with the reason sent back to the sender:
- ADT events that track a patient (A09, A10, A14, A15 ...) or manage allergies and
  accounts: they map to resources fhirport does not hold (AllergyIntolerance, Account).
- BAR (P01 add, P02 purge, P12 update accounts): billing-account management. It maps
  to Account, which fhirport does not hold; its demographics and insurance are the
  registration system's (ADT A04/A08, which we map), and letting a billing system
  overwrite them would make two masters for the same Patient. Charges arrive as DFT.
- MDM without a CON segment: documents (DocumentReference) are not held.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hl7.er7 import Message
from mappers.config import MappingConfig
from mappers.context import MapContext
from mappers.datetimes import epoch_microseconds
from mappers.messages import adt, dft, mdm, siu
from mappers.result import MappingResult, UnsupportedMessage

MessageMapper = Callable[[Message, MapContext], None]

ROUTES: dict[tuple[str, str], MessageMapper] = {
    **{("ADT", event): adt.map_registration for event in adt.PATIENT_EVENTS},
    **{("ADT", event): adt.map_merge for event in adt.MERGE_EVENTS},
    **{("ADT", event): adt.map_link for event in adt.LINK_EVENTS},
    **{("SIU", event): siu.map_schedule for event in siu.EVENTS},
    **{("DFT", event): dft.map_charges for event in dft.EVENTS},
    **{("MDM", event): mdm.map_consents for event in mdm.EVENTS},
}
# Why a whole message family is out of scope (the default reason names the type).
FAMILY_REASONS: dict[str, str] = {
    "ADT": "ADT^{event} is not mapped: it is a tracking, allergy or account event "
    "(AllergyIntolerance and Account are not held); fhirport maps ADT A01-A08, A11-A13, "
    "A16, A17, A21, A22, A25-A27, A38 (visits), A28, A31 (patients), A24, A37 (links) "
    "and A34, A39, A40, A47 (merges)",
    "BAR": "BAR^{event} manages billing accounts (Account is not held); demographics and "
    "insurance come from ADT, charges from DFT^P03",
    "SIU": "SIU^{event} is not an appointment event fhirport maps (S12-S17, S26)",
    "DFT": "DFT^{event} is not mapped; fhirport maps DFT^P03 and DFT^P11 charges",
    "MDM": "MDM^{event} is not mapped; fhirport maps consents (CON) in MDM T01-T11",
}
_EVN_HANDLED = frozenset({1, 2})


def map_message(
    message: Message, config: MappingConfig, *, write_order: Mapping[str, int]
) -> MappingResult:
    """Map a parsed message to FHIR resources; raise UnsupportedMessage when out of scope.

    The resources come ordered by ``write_order`` (resource type -> rank, lowest first).
    """
    code, event = message.message_code.upper(), message.trigger_event.upper()
    mapper = ROUTES.get((code, event))
    if mapper is None and code == "ADT" and message.segment("PID") is not None:
        # Every ADT event applies its patient part (tracking, allergies: the rest is
        # listed as unmapped).
        mapper = adt.map_registration
    if mapper is None:
        template = FAMILY_REASONS.get(code, "{code}^{event} messages are not mapped by fhirport")
        raise UnsupportedMessage(template.format(code=code, event=event))
    sender = (message.sending_application, message.sending_facility)
    ctx = MapContext(config, write_order, sender=sender)
    _event_time(message, ctx)
    mapper(message, ctx)
    return ctx.finish(message.segments)


def _event_time(message: Message, ctx: MapContext) -> None:
    """Record when the event happened (EVN-2, else MSH-7), for out-of-order protection."""
    evn = message.segment("EVN")
    candidates = [(message.timestamp, "MSH-7")]
    if evn is not None:
        ctx.fields_unmapped(evn, _EVN_HANDLED)
        candidates.insert(0, (evn.get(2), "EVN-2"))
    for when, where in candidates:
        moment = ctx.datetime(when, where)
        if moment is not None:
            ctx.result.event_time = moment
            ctx.result.event_epoch_us = epoch_microseconds(when, ctx.config.timezone)
            return
