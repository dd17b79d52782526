"""Referential integrity: references into this server must point at current resources.

``walk`` finds every Reference in a resource with the element path naming it;
``checker`` decides which of them point into this server and whether their targets
exist, and finds the current resources that point at a resource about to be deleted.
"""

from server.integrity.checker import Dangling, ReferenceIntegrity, Referrers

__all__ = ["Dangling", "ReferenceIntegrity", "Referrers"]
