"""Defect 12 of node/p2p/guards.py: py-libp2p marks a message seen only after it validates, so a
REJECTed message is validated again when re-sent or fetched through IHAVE/IWANT."""

from __future__ import annotations

from collections import OrderedDict


class RejectionAwareSeenCache:
    """Stands in for pubsub's `seen_messages`: ids of REJECTed messages count as seen, so that
    neither a re-sent copy nor an IHAVE for them costs another validation. Bounded (LRU)."""

    def __init__(self, seen, capacity: int = 65536) -> None:
        self._seen = seen
        self._rejected: OrderedDict[bytes, None] = OrderedDict()
        self._capacity = capacity

    def reject(self, msg_id: bytes) -> None:
        self._rejected[msg_id] = None
        self._rejected.move_to_end(msg_id)
        while len(self._rejected) > self._capacity:
            self._rejected.popitem(last=False)

    def is_rejected(self, msg_id: bytes) -> bool:
        return msg_id in self._rejected

    def has(self, msg_id: bytes) -> bool:
        return msg_id in self._rejected or self._seen.has(msg_id)

    def forget_seen(self, msg_id: bytes) -> None:
        """Let a message we publish again through (the library keeps ids for seen_ttl)."""
        try:
            with self._seen.lock:
                self._seen.cache.pop(msg_id, None)
        except AttributeError:  # another cache implementation: nothing we can do
            pass

    def __len__(self) -> int:
        return len(self._rejected)

    def __getattr__(self, name):
        return getattr(self._seen, name)
