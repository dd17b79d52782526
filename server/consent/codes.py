"""The code systems and codes the consent engine reads and writes.

Purposes of use are v3 ActReason codes (PurposeOfUse value set); security labels
and the opt-in / opt-out policy rules are v3 ActCode codes; actor roles are the
caller's choice (typically v3 ParticipationType, e.g. IRCP for the recipient).
"""

from __future__ import annotations

from typing import Final

V3_ACT_REASON: Final = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
V3_ACT_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONSENT_SCOPE: Final = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_ACTION: Final = "http://terminology.hl7.org/CodeSystem/consentaction"
RESOURCE_TYPES: Final = "http://hl7.org/fhir/resource-types"

PATIENT_PRIVACY: Final = "patient-privacy"
DISCLOSE: Final = "disclose"

# Consent.policyRule (v3 ActCode): the base rule a Consent's provisions are exceptions to.
OPT_IN: Final = "OPTIN"  # deny unless a provision permits
OPT_OUT: Final = "OPTOUT"  # permit unless a provision denies

# Purposes of use (v3 ActReason).
TREAT: Final = "TREAT"
ETREAT: Final = "ETREAT"
HPAYMT: Final = "HPAYMT"
HOPERAT: Final = "HOPERAT"
PATRQT: Final = "PATRQT"
FAMRQT: Final = "FAMRQT"
PWATRNY: Final = "PWATRNY"
HLEGAL: Final = "HLEGAL"
PUBHLTH: Final = "PUBHLTH"
HRESCH: Final = "HRESCH"

# Security labels (v3 ActCode): sensitivity of substance-use (42 CFR Part 2) and
# psychotherapy-note information, and the handling caveat Part 2 data carries when released.
ETH: Final = "ETH"
PART2: Final = "42CFRPart2"
PSYTHPN: Final = "PSYTHPN"
NORDSCLCD: Final = "NORDSCLCD"

SUBSTANCE_USE_LABELS: Final = frozenset({ETH, PART2})
SENSITIVE_LABELS: Final = SUBSTANCE_USE_LABELS | {PSYTHPN}
