"""Claim scrubbing: the edits a payer would deny a Claim for, found before it is sent.

``edits`` is the rule table (one row per edit: its stable code in ``CODE_SYSTEM``, its
severity, the check); ``facts`` gathers what the checks read (the patient, the
coverages, the billing provider, probable duplicates); ``code_sets`` checks ICD-10-CM
against the CMS release a maintained package ships, CPT and HCPCS Level II by form;
``scrubber`` runs the table and builds the OperationOutcome; ``on_write`` runs it when
a client creates or updates a Claim (``--scrub-on-create``).
"""

from server.scrub.edits import CODE_SYSTEM
from server.scrub.scrubber import Scrubber

__all__ = ["CODE_SYSTEM", "Scrubber"]
