"""Transaction and batch Bundles (http.html#transaction): ``apply_bundle`` applies one.

Modules: ``parse`` (the Bundle's request entries), ``references`` (fullUrl and
conditional references between entries), ``plan`` (one attempt: entries to Writes),
``engine`` (storing a plan atomically, retries, batches, reads), ``response`` (the
response Bundle), ``errors`` (errors placed in their entry).
"""

from server.transactions.engine import BundleResult, apply_bundle

__all__ = ["BundleResult", "apply_bundle"]
