"""Which date parameters have at most one value per resource, never a Period.

Read from the resource models (fhir.resources), not listed: ``Patient.birthDate`` or
``Appointment.start`` qualify, ``Consent.provision.period`` does not. For these, AND-ed
date conditions may be checked on the same index row, and a value's range is known
to span at most a year, which bounds range scans (``DateCond.low_bounds``).
"""

from __future__ import annotations

from functools import cache

from server.registry import model_class
from server.search.definitions import search_params
from server.search.paths import fast_path


@cache
def point_valued(resource_type: str, code: str) -> bool:
    """True when ``code`` is a date parameter with one date/dateTime/instant at most."""
    param = search_params(resource_type).get(code)
    if param is None or param.type != "date" or not param.expression:
        return False
    path = fast_path(param.expression)
    if path is None or len(path.steps) != 1 or path.target or path.where:
        return False
    name = path.steps[0] + (path.cast[0].upper() + path.cast[1:] if path.cast else "")
    field = model_class(resource_type).model_fields.get(name)
    if field is None:
        return False
    annotation = str(field.annotation)
    return "List" not in annotation and "datetime.date" in annotation
