"""The front office's scheduling: Appointments that never double-book a participant.

``appointment`` reads the facts of an Appointment that booking needs (busy or not, its
participants, its interval, whether it is an explicit overbook); ``holds`` turns them
into the store's exclusive keys; ``booking`` is the Appointment write rule that checks
and claims them, refusing a double-booking with 409.
"""

from server.scheduling.appointment import OVERBOOK_CAPACITY_URL, OVERBOOK_URL
from server.scheduling.booking import BookingRule

__all__ = ["OVERBOOK_CAPACITY_URL", "OVERBOOK_URL", "BookingRule"]
