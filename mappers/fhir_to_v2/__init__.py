"""FHIR R4 to HL7 v2 segments, for answers the server sends (QRY^A19, QBP^Q22).

The inverse of the inbound mappers, for the fields an answer needs: pure functions,
a FHIR resource dict and the answer's delimiters in, one ER7 segment out, every value
escaped (``hl7.escapes``) so a ``^`` or ``&`` in a name cannot shift a component.

    pid         Patient -> PID
    in1         Coverage -> IN1
    identifiers Identifier -> CX (assigning authority from the site's MappingConfig)
    er7_text    escaped components, repetitions and segments; FHIR dates as DTM
"""

from mappers.fhir_to_v2.in1 import in1_segment
from mappers.fhir_to_v2.pid import pid_segment

__all__ = ["in1_segment", "pid_segment"]
