"""MongoDB's limit on one stored document, checked before a write is sent.

A server refuses a document past ``maxBsonObjectSize`` (16 MiB); mongomock does not,
so the check is made here, the same on both, and answers with the port's
DocumentTooLarge rather than a driver error. A version's body is stored twice, in
its resource document (with its index entries) and in its history document: each
must fit on its own.
"""

from __future__ import annotations

from typing import Any

import bson

from server.storage.port import DocumentTooLarge

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024

# Below this, the body, its index entries and the fixed fields cannot reach the limit,
# and the document is not encoded twice just to be measured. Index entries repeat the
# body's values (a string folded and exact, under each parameter that reads it), so the
# margin allows for many copies.
_SURELY_FITS = MAX_DOCUMENT_BYTES // 32


def check_document(document: dict[str, Any], what: str, payload: int) -> None:
    """Raise DocumentTooLarge if ``document`` would not fit; ``payload`` its largest field."""
    if payload < _SURELY_FITS:
        return
    size = len(bson.encode(document))
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(what, size, MAX_DOCUMENT_BYTES)
