"""Appointment reminders: ``Appointment/$send-reminders``, its senders, its schedule."""

from __future__ import annotations

from server.reminders.schedule import ReminderSchedule
from server.reminders.senders import DeliveryFailed, Sender, sender_from_setting
from server.reminders.service import Reminders, Tally
from server.reminders.window import DEFAULT_WITHIN_S, within_parameter, within_text

__all__ = [
    "DEFAULT_WITHIN_S",
    "DeliveryFailed",
    "ReminderSchedule",
    "Reminders",
    "Sender",
    "Tally",
    "sender_from_setting",
    "within_parameter",
    "within_text",
]
