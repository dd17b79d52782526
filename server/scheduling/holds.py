"""The store keys a booking holds (server.storage.port.Holds).

A regular booking holds each of its participants' minutes, so two bookings that overlap
by even a minute want one key and the store lets only one of them have it. An overbook
holds none of those (it is on top of the regular booking), but one of the ``capacity``
numbered overbook keys of each participant's day, when its Schedule sets a capacity.
"""

from __future__ import annotations

from server.scheduling.appointment import Booking, Participant

MINUTE_US = 60_000_000
# Minutes held per participant at most: an Appointment longer than a day holds its first
# day's minutes (the search for overlaps still sees all of it).
MAX_MINUTES = 24 * 60


def minute_keys(booking: Booking) -> dict[str, Participant]:
    """Each minute key of each participant of a regular booking, with its participant."""
    first = booking.start // MINUTE_US
    last = min(-(-booking.end // MINUTE_US), first + MAX_MINUTES)
    return {
        f"{participant.reference}@{minute}": participant
        for participant in booking.participants
        for minute in range(first, last)
    }


def overbook_key(participant: Participant, day: str, number: int) -> str:
    """The key of the ``number``-th overbook of ``participant`` on ``day`` (from 1)."""
    return f"overbook|{participant.reference}|{day}#{number}"


def minute_of(key: str) -> int | None:
    """The minute a minute key holds (None for an overbook key)."""
    if key.startswith("overbook|"):
        return None
    return int(key.rsplit("@", 1)[1])
