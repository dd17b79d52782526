"""HL7 v2 to FHIR R4 mappers: pure functions, table-driven from the V2-to-FHIR IG.

``map_message(message, config, write_order=...)`` is the entry point; it returns a
MappingResult (its resources ordered by the caller's ranking of the types) or raises
UnsupportedMessage (answer AR) / MappingError (answer AE). The mappers import nothing
from ``server``: the server's registry supplies the order.
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
