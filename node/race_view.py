"""What a guardian knows of the race to contain a pending exploit, and whether its own first
attempt is sent at once (`protocol.submission`: RACERS).

Two sources name the containment transactions already on their way: the Proofs peers announce
after sending (gossip), and the `authorize` calls our node's pending watch sees in the mempool
(node.chain.pending diverts them here instead of judging them as possible exploits). Under load
the mempool was the faster of the two, and the read that stood for it (the oracle's nonce in the
node's pending state) took 115-290 ms after the rank's wait (issue 23); the watch's sightings cost
nothing at decision time.

A sighting counts only when its arguments are exactly ours (`Submitter._authorize_args`): a
threshold signature is unique, so every honest guardian's authorize for one proof carries the same
bytes, and anyone's call that merely names the incident (an attacker's, to stop the race; it would
revert) counts for nothing.

The rule: not once RACERS transactions are known; the first RACERS ranks otherwise at once; a
later rank only while none is known. Our own transactions do not count.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from protocol.submission import RACERS

MEMPOOL_KEPT = 256  # authorize argument sets the pending watch reported


class RaceView:
    def __init__(self, sees_mempool: Callable[[], bool] | None = None) -> None:
        self.sees_mempool = sees_mempool or (lambda: False)  # the pending watch is subscribed
        self._announced: dict[bytes, set[bytes]] = {}  # digest -> peers' tx hashes
        # authorize's arguments (protocol id first) -> tx hashes that carry them
        self._in_mempool: OrderedDict[tuple, set[bytes]] = OrderedDict()

    def announced(self, digest: bytes, tx_hash: bytes) -> None:
        self._announced.setdefault(digest, set()).add(tx_hash)

    def seen_in_mempool(self, args: tuple, tx_hash: bytes) -> None:
        """The pending watch saw an authorize with these arguments (the protocol id in place of
        the target: `Submitter._authorize_args`)."""
        self._in_mempool.setdefault(args, set()).add(tx_hash)
        self._in_mempool.move_to_end(args)
        while len(self._in_mempool) > MEMPOOL_KEPT:
            self._in_mempool.popitem(last=False)

    def known(self, digest: bytes, args: tuple, own: set[bytes]) -> set[bytes]:
        """Containment transactions of others known to be on their way for this proof."""
        return (self._announced.get(digest, set()) | self._in_mempool.get(args, set())) - own

    def races(self, digest: bytes, args: tuple, rank: int, own: set[bytes]) -> bool | None:
        """Whether our first attempt is sent at once; None when only a read of the chain's
        pending state can tell (no subscribed pending watch, a later rank, nothing announced)."""
        known = self.known(digest, args, own)
        if len(known) >= RACERS:
            return False
        if rank < RACERS:
            return True
        if self.sees_mempool():
            return not known
        return None

    def forget(self, digest: bytes) -> None:
        self._announced.pop(digest, None)

    def digests(self) -> set[bytes]:
        return set(self._announced)
