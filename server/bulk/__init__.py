"""Bulk Data export (HL7 FHIR Bulk Data Access IG v2, export.md): jobs run in the server.

``request`` reads a kick-off's parameters, ``job`` is what a job records (kept durable
through server.storage.bulk_port), ``selection`` decides which resources a job writes,
``ndjson`` writes them into files split past a size, ``runner`` runs jobs in the
background (resumed after a restart, expired after the retention), ``manifest`` is the
completion answer. The HTTP side is server.api.routes_bulk.
"""
