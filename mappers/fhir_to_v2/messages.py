"""Whole messages of the outbound feed from FHIR resources (HL7 v2.5.1 structures).

ADT^A04, ADT^A08  ADT_A01: MSH EVN PID PV1 {IN1}  (PV1-2 ``N``: no visit is meant)
ADT^A40           ADT_A39: MSH EVN PID MRG
SIU^S12..S17      SIU_S12: MSH SCH [PID] RGS
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hl7.encoding import DEFAULT, Encoding
from mappers.config import MappingConfig
from mappers.fhir_to_v2.header import Header, evn_segment, msh_segment
from mappers.fhir_to_v2.in1 import in1_segment
from mappers.fhir_to_v2.mrg import mrg_segment
from mappers.fhir_to_v2.pid import pid_segment
from mappers.fhir_to_v2.sch import sch_segment

SEGMENT_END = "\r"


def adt_message(
    header: Header,
    patient: dict[str, Any],
    config: MappingConfig,
    *,
    coverages: Sequence[dict[str, Any]] = (),
    retired: dict[str, Any] | None = None,
    encoding: Encoding = DEFAULT,
) -> str:
    """An ADT registration or update of ``patient`` (with IN1s), or with ``retired`` its
    merge (A40)."""
    segments = [
        msh_segment(header, encoding),
        evn_segment(header, encoding),
        pid_segment(patient, encoding, config),
    ]
    if retired is not None:
        segments.append(mrg_segment(retired, encoding, config))
    else:
        segments.append(encoding.field.join(["PV1", "1", "N"]))
        segments += [in1_segment(c, encoding, config, set_id=n) for n, c in enumerate(coverages, 1)]
    return SEGMENT_END.join(segments) + SEGMENT_END


def siu_message(
    header: Header,
    appointment: dict[str, Any],
    patient: dict[str, Any] | None,
    config: MappingConfig,
    *,
    encoding: Encoding = DEFAULT,
) -> str:
    """A scheduling notification of ``appointment`` (with its patient's PID when known)."""
    segments = [msh_segment(header, encoding), sch_segment(appointment, encoding, config)]
    if patient is not None:
        segments.append(pid_segment(patient, encoding, config))
    segments.append(encoding.field.join(["RGS", "1"]))
    return SEGMENT_END.join(segments) + SEGMENT_END
