"""``fhirport hl7 verify``: prove that a store holds what an archive of HL7v2 messages sent.

For every message the ledger records as applied, and every field it carried, the
store must hold the message's value, unless a later message (by event time) or a
REST write changed it, which the report names. Modules: ``reading`` (the archive,
as the import reads it), ``expectations`` (what each message says, pure),
``tracking`` and ``values`` (which message's value each element must hold, compared
with the store), ``attribution`` (who changed a value: the version history),
``identities`` (patient identifiers through merges), ``report``, ``run``.
"""

from server.hl7v2.verify.report import VerifyReport
from server.hl7v2.verify.run import run_verify, verify_archive

__all__ = ["VerifyReport", "run_verify", "verify_archive"]
