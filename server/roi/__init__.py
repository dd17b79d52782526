"""Release of information: ROI Task requests, ``$release``, ``$extend`` and ``$disclosures``.

An ROI request is a Task of a fixed shape (``request``) whose client writes follow the
rules in ``task_rules`` (status machine, 30-day clock); ``release`` decides it with the
consent engine and writes the release Bundle, the disclosure AuditEvent (``audit``) and a
Provenance in one store write; ``extension`` grants the one 30-day extension;
``accounting`` answers the accounting of disclosures. ``docs/roi.md`` describes the workflow.
"""

from server.interactions import WriteRule
from server.roi.task_rules import roi_task_rule

WRITE_RULES: dict[str, WriteRule] = {"Task": roi_task_rule}

__all__ = ["WRITE_RULES"]
