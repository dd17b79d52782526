"""Audit of every access: one AuditEvent (IHE BALP, FHIR R4) per REST interaction,
operation, token request and HL7v2 message, authorized or refused.

How the rest of the server meets it:

- ``runtime.audit`` is an ``AuditTrail`` (``server.audit.trail``), built by the
  composition root from ``Settings.audit`` (``all`` | ``writes`` | ``off``) and
  ``Settings.audit_retention_days``. It runs a background task that group-commits the
  queued events at least every second (and on close) and purges events older than the
  retention period.

  - ``trail.record(event)``: queue one AuditEvent (a ``dict``, built by
    ``server.audit.events``) for the next group commit. Never blocks, never raises; a
    crash loses at most the last second of queued events.
  - ``trail.security_event(*, sender, message_type, reason, address=None,
    subject=None)``: a refused HL7v2 sender (unlisted, or a message type it may not
    send) or a refused connection: one security AuditEvent (type DICOM 110113
    "Security Alert", outcome 4), queued like ``record``. ``sender`` is MSH-3/MSH-4 as
    ``app|facility`` (empty when unknown), ``message_type`` MSH-9 (e.g. ``ADT^A01``) or
    None, ``address`` the peer's network address, ``subject`` the TLS client
    certificate's subject when there is one.
  - ``trail.message_event(...)``: an HL7v2 message received over MLLP (type ``rest``,
    subtype the message event), called by the MLLP wiring.

- Per HTTP request, ``server.api.request_audit.RequestAudit`` (opened by the outermost
  middleware, ``server.api.envelope``) puts an ``AuditDraft`` (``server.audit.draft``)
  on ``request.state.audit``; handlers fill it (interaction, entities, the patients
  whose data was returned, the query) and, after the response, it builds the event
  from the draft, the response status and
  ``request.state.access`` (SCOPES' ``Access``; absent when the request was refused
  before a token was accepted) and queues it.

- Writes: ``ResourceService`` (``server.interactions``) asks its ``audit`` hook for the
  AuditEvent ``Write`` of the request's draft and stores it in the same
  ``store.write`` batch as the resource, then marks the draft ``recorded`` so the
  middleware does not record it twice. A write that fails stores neither, and the
  middleware records the failure.
"""

from __future__ import annotations

from server.audit.draft import AuditDraft
from server.audit.trail import AuditMode, AuditTrail

__all__ = ["AuditDraft", "AuditMode", "AuditTrail"]
