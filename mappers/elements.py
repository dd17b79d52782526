"""Put values into FHIR JSON: FHIR forbids empty elements, so empty values are left out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def put(target: dict[str, Any], element: str, value: Any) -> None:
    """Set ``target[element]`` unless ``value`` is None or empty."""
    if value is not None and value != "" and value != [] and value != {}:
        target[element] = value


@dataclass(frozen=True, slots=True)
class PrimitiveExtensions:
    """What a datatype map returns for a primitive it has no value for but must not lose:
    the primitive's ``_element`` (its extensions), put beside the element's name."""

    element: dict[str, Any]
