"""Patient identity after merges: follow ``replaced-by`` links and rewrite references.

A merge (ADT^A40/A34, MRG) leaves the retired Patient inactive with a ``link`` of type
``replaced-by`` to the survivor, and the survivor a ``replaces`` link back
(patient.html#links). A later message for the retired identifier maps to the retired
id (ids come from business keys), so the pipeline follows the links to the survivor
and rewrites every ``Patient/{retired}`` reference in the message's other resources.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

REPLACED_BY = "replaced-by"
REPLACES = "replaces"
SEE_ALSO = "seealso"
_MAX_HOPS = 16  # a chain of merges longer than this is a loop in the data

ReadBody = Callable[[str, str], Awaitable[dict[str, Any] | None]]


def replaced_by(patient: dict[str, Any]) -> str | None:
    """Return the id of the Patient that replaced this one, if it was merged away."""
    for link in patient.get("link", ()):
        if link.get("type") == REPLACED_BY:
            reference = str(link.get("other", {}).get("reference", ""))
            if reference.startswith("Patient/"):
                return reference.removeprefix("Patient/")
    return None


async def survivor_of(patient_id: str, read: ReadBody) -> str:
    """Follow ``replaced-by`` links from a Patient id to the one that is current."""
    seen = {patient_id}
    current = patient_id
    for _ in range(_MAX_HOPS):
        body = await read("Patient", current)
        following = replaced_by(body) if body else None
        if following is None or following in seen:
            return current
        seen.add(following)
        current = following
    return current


def rewrite_patient_references(node: Any, moved: dict[str, str]) -> None:
    """Point every ``Patient/{old}`` reference at ``Patient/{moved[old]}`` (in place)."""
    if isinstance(node, dict):
        reference = node.get("reference")
        if isinstance(reference, str) and reference.startswith("Patient/"):
            target = moved.get(reference.removeprefix("Patient/"))
            if target is not None:
                node["reference"] = f"Patient/{target}"
        for value in node.values():
            if isinstance(value, dict | list):
                rewrite_patient_references(value, moved)
    elif isinstance(node, list):
        for item in node:
            rewrite_patient_references(item, moved)


def _identifier_key(identifier: dict[str, Any]) -> tuple[str, str]:
    return (str(identifier.get("system", "")), str(identifier.get("value", "")))


def union_identifiers(
    first: list[dict[str, Any]], then: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Return ``first`` followed by the identifiers of ``then`` it does not already hold."""
    held = {_identifier_key(i) for i in first}
    return [*first, *(i for i in then if _identifier_key(i) not in held)]


def add_link(patient: dict[str, Any], link_type: str, other_id: str) -> None:
    """Add a ``link`` to another Patient unless the same link is there (in place)."""
    links = [dict(link) for link in patient.get("link", ())]
    reference = f"Patient/{other_id}"
    if not any(
        link.get("type") == link_type and link.get("other", {}).get("reference") == reference
        for link in links
    ):
        links.append({"other": {"reference": reference}, "type": link_type})
    patient["link"] = links


def keep_merge_state(mapped: dict[str, Any], stored: dict[str, Any], redirected: bool) -> None:
    """Carry what merges put on a stored Patient into its newly mapped content (in place).

    A mapper knows nothing of earlier merges: its Patient has no ``link`` and only
    the identifiers of this message. Links are kept; identifiers the merge added
    (``use: old``) are kept; a message redirected from a retired id adds its
    identifiers to the survivor's instead of replacing them.
    """
    stored_links: list[dict[str, Any]] = stored.get("link", [])
    if stored_links:
        fresh = [link for link in mapped.get("link", []) if link not in stored_links]
        mapped["link"] = [*stored_links, *fresh]
    stored_ids: list[dict[str, Any]] = stored.get("identifier", [])
    mapped_ids: list[dict[str, Any]] = mapped.get("identifier", [])
    if redirected:
        combined = union_identifiers(stored_ids, mapped_ids)
    else:
        combined = union_identifiers(mapped_ids, [i for i in stored_ids if i.get("use") == "old"])
    if combined:
        mapped["identifier"] = combined


def remove_link(patient: dict[str, Any], link_type: str, other_id: str) -> None:
    """Remove the ``link`` of a type to another Patient (in place)."""
    reference = f"Patient/{other_id}"
    links = [
        link
        for link in patient.get("link", ())
        if not (
            link.get("type") == link_type and link.get("other", {}).get("reference") == reference
        )
    ]
    if links:
        patient["link"] = links
    else:
        patient.pop("link", None)
