"""Where a stored resource came from: ``meta.source`` and the source event time.

Every resource the pipeline writes names its message in ``meta.source``
(``urn:hl7v2:{MSH-3}|{MSH-4}#{MSH-10}``, percent-encoded: a valid URI) and carries the
message's event time (EVN-2, else MSH-7) in a ``meta.extension``. The event time is how
an older message that arrives late is kept from overwriting a newer one; the source
is how the ledger entry with the raw message is found from a resource.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from server.fhir.clock import fhir_instant, parse_instant

EVENT_TIME_URL = "https://fhirport.dev/fhir/StructureDefinition/source-event-time"
SOURCE_SCHEME = "urn:hl7v2:"

# The meta elements the pipeline (or the store) owns; the rest of meta (security labels
# from privacy flags, tags) is content, compared like any other element.
_OWNED_META = ("versionId", "lastUpdated", "source", "extension")


def source_uri(sender: str, control_id: str) -> str:
    """Return the ``meta.source`` URI naming a message."""
    return f"{SOURCE_SCHEME}{quote(sender, safe='|')}#{quote(control_id, safe='')}"


def mark_source(resource: dict[str, Any], source: str, event_time: int | None) -> None:
    """Set ``meta.source`` and the event-time extension (in place)."""
    meta = resource.get("meta")
    meta = dict(meta) if isinstance(meta, dict) else {}
    meta["source"] = source
    others = [e for e in meta.get("extension", ()) if e.get("url") != EVENT_TIME_URL]
    if event_time is not None:
        others.append({"url": EVENT_TIME_URL, "valueInstant": fhir_instant(event_time)})
    if others:
        meta["extension"] = others
    else:
        meta.pop("extension", None)
    resource["meta"] = meta


def event_time_of(resource: dict[str, Any]) -> int | None:
    """Return the source event time recorded on a stored resource, if any."""
    meta = resource.get("meta")
    if not isinstance(meta, dict):
        return None
    for extension in meta.get("extension", ()):
        if extension.get("url") == EVENT_TIME_URL and "valueInstant" in extension:
            try:
                return parse_instant(str(extension["valueInstant"]))
            except ValueError:
                return None
    return None


def content_of(resource: dict[str, Any]) -> dict[str, Any]:
    """Return the resource without the meta elements that change with every write."""
    content = dict(resource)
    meta = content.pop("meta", None)
    if isinstance(meta, dict):
        kept = {k: v for k, v in meta.items() if k not in _OWNED_META}
        if kept:
            content["meta"] = kept
    return content
