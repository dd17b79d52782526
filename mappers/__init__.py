"""HL7 v2 to FHIR R4 mappers: pure functions, table-driven from the V2-to-FHIR IG.

``map_message(message, config)`` is the entry point; it returns a MappingResult or
raises UnsupportedMessage (answer AR) / MappingError (answer AE).
"""

from mappers.config import MappingConfig
from mappers.dispatch import map_message
from mappers.result import Action, MappedResource, MappingError, MappingResult, UnsupportedMessage

__all__ = [
    "Action",
    "MappedResource",
    "MappingConfig",
    "MappingError",
    "MappingResult",
    "UnsupportedMessage",
    "map_message",
]
