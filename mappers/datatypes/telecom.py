"""XTN to FHIR ContactPoint (datatypes/XTN_ContactPoint_.csv)."""

from __future__ import annotations

from typing import Any

from mappers.codesystems import code_map
from mappers.components import Rep, comp
from mappers.context import MapContext
from mappers.elements import put
from mappers.numbers import positive_int
from mappers.rules import Convert, maps_components

TELECOM_USES = code_map("TelecommunicationUseCode")
EQUIPMENT = code_map("TelecommunicationEquipmentType")
_EMAIL_EQUIPMENT = frozenset({"INTERNET", "X.400"})
_USE_SYSTEM = "http://hl7.org/fhir/contact-point-use"
XTN_COMPONENTS = (1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 18)


@maps_components(*XTN_COMPONENTS)
def xtn_contact(rep: Rep, ctx: MapContext, default_use: str | None = None) -> dict[str, Any] | None:
    """Map XTN: value (XTN.1, XTN.4 for e-mail, XTN.12, or XTN.5-8), system, use, rank."""
    equipment = comp(rep, 3)
    is_email = equipment.upper() in _EMAIL_EQUIPMENT or (not equipment and bool(comp(rep, 4)))
    # Legacy senders often put the e-mail address in XTN.1 rather than XTN.4.
    value = (
        (comp(rep, 4) or comp(rep, 1))
        if is_email
        else (comp(rep, 1) or comp(rep, 12) or _composed(rep))
    )
    if not value:
        return None
    contact: dict[str, Any] = {"system": "email" if is_email else "phone", "value": value}
    concept = EQUIPMENT.get(equipment)
    use = TELECOM_USES.code(comp(rep, 2)) or default_use
    if concept and concept.system == _USE_SYSTEM:
        use = use or concept.code  # the IG maps CP (cellular phone) to use=mobile
    elif concept:
        contact["system"] = concept.code
    put(contact, "use", use)
    put(contact, "rank", positive_int(comp(rep, 18)))
    put(contact, "period", ctx.period(comp(rep, 13), comp(rep, 14), "XTN.13/14"))
    return contact


def _composed(rep: Rep) -> str:
    country, area, local, extension = comp(rep, 5), comp(rep, 6), comp(rep, 7), comp(rep, 8)
    if not local:
        return ""
    number = " ".join(p for p in (f"+{country}" if country else "", area, local) if p)
    return f"{number} X{extension}" if extension else number


def xtn_with_use(default_use: str) -> Convert:
    """Return an XTN map that uses ``default_use`` when XTN.2 is not valued."""

    def convert(rep: Rep, ctx: MapContext) -> dict[str, Any] | None:
        return xtn_contact(rep, ctx, default_use)

    return maps_components(*XTN_COMPONENTS)(convert)
