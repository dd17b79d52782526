"""HL7 v2 for fhirport: the wire layer (ER7, batches, MLLP, ACKs) and the ingest pipeline.

Wire layer:
    er7          parse(): ER7 text or bytes -> Message of lazily decoded Segments
    encoding     the delimiters from MSH-1/MSH-2
    escapes      escape sequences, decoded and written
    charset      bytes -> text (MSH-18, else UTF-8, else Latin-1)
    structures   (message code, event) -> structure, from the V2-to-FHIR IG sheet
    conformance  segments a standard structure does not allow or lacks (hl7apy data)
    batch        a file or stream of many messages -> one chunk per message, positioned
    framing      MLLP frames (0x0B ... 0x1C 0x0D), incremental and size-limited
    ack          ACK messages: MSA AA/AE/AR and ERR segments by version
    mllp         the asyncio MLLP listener
    mllp_client  send messages over MLLP and collect the answers

Ingest (``ingest*``): parsed messages mapped to FHIR and stored, idempotently.
"""
