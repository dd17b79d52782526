"""Path segment types of the route table: resource type names and ids.

Registered with Starlette when this module is imported, so every route module that
uses them imports it first. An id segment is typed even where any text matches it:
the route table then says which segments are ids (the Allow header reads it), and
the handler, not the router, answers a malformed one (a 400, not a 404).
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

from server.fhir.ids import ID_PATTERN


class _Verbatim(Convertor[str]):
    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class TypeName(_Verbatim):
    """A resource type name (``{resource_type:fhirtype}``)."""

    regex = "[A-Z][A-Za-z]{0,63}"


class IdSegment(_Verbatim):
    """A segment in an id position, well-formed or not (``{resource_id:id}``)."""

    regex = "[^/]+"


class FhirId(IdSegment):
    """A segment that has the id datatype's form (``{resource_id:fhirid}``)."""

    regex = ID_PATTERN


register_url_convertor("fhirtype", TypeName())
register_url_convertor("id", IdSegment())
register_url_convertor("fhirid", FhirId())
