"""The outbound HL7v2 feed for a parallel run (``--hl7-outbound FILE``).

    config    the destinations file: where to send, over what TLS, which message types
    events    which message a stored write means, for which destination (pure)
    messages  the message of an outbox entry, built from the stored versions
    delivery  the background sender: MLLP, in order, retries with backoff, dead letters
    listing   ``GET /fhir/$hl7v2-outbox``: the entries and their state
    feed      the parts on one store, for the composition root

A write of a Patient, Coverage or Appointment (REST, a transaction, HL7v2 ingest, a
merge) adds its outbox entries to the store's ``write`` batch, so they commit with the
versions they announce (server.storage.port); the sender delivers them at least once.
See docs/hl7v2_outbound.md.
"""
