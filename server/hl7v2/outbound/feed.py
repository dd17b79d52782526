"""The outbound feed's parts on one store, for the composition root (server.runtime)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mappers.config import MappingConfig
from server.hl7v2.outbound.config import OutboundFeed, load_outbound
from server.hl7v2.outbound.delivery import OutboundSender
from server.hl7v2.outbound.events import OutboxWriter
from server.hl7v2.outbound.messages import MessageBuilder
from server.storage.port import Store


class FeedWriter(OutboxWriter):
    """The resource service's hook, waking the sender after each commit with entries."""

    def __init__(self, feed: OutboundFeed, sender: OutboundSender) -> None:
        super().__init__(feed)
        self.sender = sender

    def committed(self) -> None:
        self.sender.notify()


@dataclass(frozen=True, slots=True)
class Outbound:
    """The feed: the hook that writes its entries, and the sender that delivers them."""

    feed: OutboundFeed
    writer: FeedWriter
    sender: OutboundSender


def outbound_feed(store: Store, path: Path, config: MappingConfig) -> Outbound:
    """The feed a ``--hl7-outbound`` file describes, on ``store`` (not started)."""
    feed = load_outbound(path)
    sender = OutboundSender(store, feed, MessageBuilder(store, feed, config))
    return Outbound(feed, FeedWriter(feed, sender), sender)
