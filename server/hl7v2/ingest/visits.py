"""What an Encounter keeps from its stored version when a visit event updates it.

Field-by-field updates (server.hl7v2.ingest.ownership) replace what the message's
fields carry. A visit also has a history no single field holds: the places it went
through (a transfer's PV1-3 names the new bed, not the old one) and when it started (a
cancelled discharge, A13, removes the end, not the start). Those are carried over here.
"""

from __future__ import annotations

from typing import Any

_DONE = "completed"


def carry_visit_history(encounter: dict[str, Any], stored: dict[str, Any]) -> None:
    """Keep the stored locations the update no longer lists (as left), and the start."""
    locations = encounter.get("location", [])
    listed = {_place(entry) for entry in locations}
    earlier = [
        {**entry, "status": _DONE}
        for entry in stored.get("location", ())
        if _place(entry) not in listed
    ]
    if earlier:
        encounter["location"] = [*earlier, *locations]
    start = stored.get("period", {}).get("start")
    if start is not None and "start" not in encounter.get("period", {}):
        encounter["period"] = {"start": start, **encounter.get("period", {})}


def _place(entry: dict[str, Any]) -> str:
    return str(entry.get("location", {}).get("reference", ""))
