"""The P2P service's peer policy: who may connect, which messages are worth validating, and how
what a peer costs us (offences, py-libp2p log lines it causes, refused handshakes from its
address) is charged and logged within bounds. A mixin of `P2PService`, which owns the state it
uses: `peer_id`, `ledger` (`node.p2p.peers`), `handshakes` (`node.p2p.handshakes`), `stats` and
`_rejected` (`node.p2p.seen`)."""

from __future__ import annotations

import logging

from protocol.gossip_rules import message_id

log = logging.getLogger("guardian.p2p")
# py-libp2p warnings that name a peer but report our own state about it (messages queued for a
# peer whose stream is not open yet, as at every connection's start): logged within bounds, never
# charged to that peer. The fault suite blamed an honest guardian for one such line.
OUR_OWN_STATE = ("Cannot flush pending messages",)


class PeerPolicy:
    def _admit_connection(self, peer: str) -> tuple[bool, str]:
        if peer == self.peer_id:  # we never dial ourselves: another host holds our key
            return False, "our own peer id, from another host"
        return self.ledger.admit_connection(peer)

    def _admit_message(self, peer: str, msg) -> bool:
        return self._admit_bytes(peer, msg.data)

    def _admit_bytes(self, peer: str, data: bytes) -> bool:
        """Whether a message a peer sent us (gossip or a direct link) is worth validating."""
        if peer == self.peer_id:  # our own publishes
            return True
        if not self.ledger.admit_message(peer):
            return False
        if what := self.ledger.copies.offence(peer, message_id(data)):  # node.p2p.copies
            self._charge(peer, self.ledger.on_reject(peer, what), what)
        if self._rejected is not None and self._rejected.is_rejected(message_id(data)):
            self._charge(peer, self.ledger.on_reject(peer, "re-sent a rejected message"),
                         "re-sent a rejected message")
            return False
        return True

    def _refused_address(self, address: str) -> None:
        if self.handshakes.on_refused(address):
            write, skipped = self.ledger.should_log("?")
            if write:
                more = f" (+{skipped} more since the last line)" if skipped else ""
                log.warning("p2p: address %s banned: its handshakes keep being refused%s",
                            address, more)

    def _fault(self, peer: str, what: str) -> None:
        self.stats["faults"] += 1
        if peer in ("?", self.peer_id):
            log.debug("p2p: %s", what)
            return
        self._charge(peer, self.ledger.on_fault(peer, what), what)

    def _library_line(self, peer: str | None, levelno: int, text: str) -> None:
        """A py-libp2p log record (`node.p2p.library_log`): a warning or error about a peer is
        charged to it; every line goes out formatted, one line, within the ledger's log bounds."""
        self.stats["library_lines"] += 1
        if (peer is not None and peer != self.peer_id and levelno >= logging.WARNING
                and not text.startswith(OUR_OWN_STATE)):
            what = f"libp2p: {text}"
            self._charge(peer, self.ledger.on_library_line(peer, text), what)
            return
        write, skipped = self.ledger.should_log("?")  # about nobody, or about ourselves
        if write:
            more = f" (+{skipped} more since the last line)" if skipped else ""
            log.warning("p2p: libp2p: %s%s", text, more)

    def _charge(self, peer: str, banned: bool, what: str) -> None:
        write, skipped = self.ledger.should_log(peer)
        if write:
            more = f" (+{skipped} more since the last line)" if skipped else ""
            outcome = "; banned and disconnected" if banned else ""
            log.warning("p2p: peer %s (%s): %s%s%s", peer, self.ledger.role(peer), what, more,
                        outcome)
