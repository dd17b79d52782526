"""What the registry declares about each held type is consistent with the FHIR models."""

from __future__ import annotations

import pytest

from server.registry import HELD_TYPES, SYSTEM_OPERATIONS, ResourceType, hl7v2_write_order

TYPES = sorted(HELD_TYPES.values(), key=lambda t: t.name)


@pytest.mark.parametrize("held", TYPES, ids=[t.name for t in TYPES])
def test_a_clinical_date_names_elements_of_the_type(held: ResourceType) -> None:
    assert set(held.clinical_date) <= set(held.model.model_fields) | {
        field.alias for field in held.model.model_fields.values() if field.alias
    }


def test_hl7v2_write_ranks_are_distinct() -> None:
    ranks = list(hl7v2_write_order().values())
    assert len(ranks) == len(set(ranks))


# Bulk Data's $export is one operation at three levels (system, Patient, Group).
MULTI_LEVEL = frozenset({"export"})


def test_operation_names_are_unique_across_types_and_system() -> None:
    names = [op.name for op in SYSTEM_OPERATIONS]
    names += [op.name for held in TYPES for op in held.operations]
    single = [name for name in names if name not in MULTI_LEVEL]
    assert len(single) == len(set(single))
