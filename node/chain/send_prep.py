"""What sending a containment needs besides the proof, made ready before the proof is.

Racing a pending exploit, the send is on the critical path, and it cost a loaded guardian 80 to
250 ms after its proof was ready (issue 23: 7 guardian processes and anvil on 2 cores):
- the calldata: web3's `encode_abi` looked the function up and validated every argument on each
  call, 5 ms of CPU; `authorize_calldata` encodes the same bytes with eth_abi (0.05 ms);
- the submitter's next nonce and the fee parameters: two reads (7 ms of CPU through web3 and its
  threads, and two round trips to a busy node). `SendPrep.prepare` reads them while the shares
  gather (the guardian calls it when it sees a pending incident); the next send takes them if they
  are at most `FRESH_SECONDS` old, once.

A prepared nonce is never used twice or after another send: every send, used or not, moves the
generation on, and a preparation that started before a send is discarded when it ends.
"""

from __future__ import annotations

import time

from eth_abi import decode, encode
from eth_utils import function_abi_to_4byte_selector

from node.artifacts import load_artifact

FRESH_SECONDS = 4.0  # two base-fee rises of headroom cover two 2 s blocks


def _authorize_abi() -> dict:
    for item in load_artifact("GuardianOracle")["abi"]:
        if item.get("type") == "function" and item.get("name") == "authorize":
            return item
    raise RuntimeError("the GuardianOracle artifact has no authorize")


_AUTHORIZE = _authorize_abi()
AUTHORIZE_SELECTOR = function_abi_to_4byte_selector(_AUTHORIZE)
AUTHORIZE_TYPES = tuple(arg["type"] for arg in _AUTHORIZE["inputs"])


def authorize_calldata(target: bytes, action: int, nonce: int, deadline: int,
                       evidence_from_block: int, evidence_hash: bytes, signature: bytes) -> str:
    """`authorize(target, action, nonce, deadline, evidenceFromBlock, evidenceHash, signature)`
    as hex calldata (the oracle's ABI from the shipped artifact)."""
    args = ("0x" + target.hex(), action, nonce, deadline, evidence_from_block, evidence_hash,
            signature)
    return "0x" + (AUTHORIZE_SELECTOR + encode(AUTHORIZE_TYPES, args)).hex()


def parse_authorize(data: bytes) -> tuple | None:
    """The arguments of an `authorize` call's calldata, as `authorize_calldata` takes them
    (target, action, nonce, deadline, evidence_from_block, evidence_hash, signature), or None
    when `data` is not one (another function, or arguments that do not decode)."""
    if data[:4] != AUTHORIZE_SELECTOR:
        return None
    try:
        target, *rest = decode(AUTHORIZE_TYPES, data[4:])
    except Exception:  # noqa: BLE001 - anyone's calldata: not an authorize we can read
        return None
    return (bytes.fromhex(target[2:]), *rest)


class SendPrep:
    """The submitter's nonce and fees, read ahead. `read()` reads both now: (nonce, (max fee,
    tip)); `rpc` is the sending client's (`transaction_count`, `fee_params`)."""

    def __init__(self, read, clock=time.monotonic) -> None:
        self._read = read
        self._clock = clock
        self._generation = 0
        self._ready: tuple[float, int, tuple[int, tuple[int, int]]] | None = None
        self.used = 0  # sends that took prepared values (for tests and the bench)

    async def prepare(self) -> None:
        """Read ahead for the next send (errors are left to the send, which reads again)."""
        generation = self._generation
        try:
            values = await self._read()
        except Exception:  # noqa: BLE001 - a failed read ahead costs nothing but the read
            return
        if generation == self._generation:  # no send happened meanwhile
            self._ready = (self._clock(), generation, values)

    async def take(self) -> tuple[int, tuple[int, int]]:
        """Values for a send starting now: the prepared ones if fresh, else read now. Either
        way the next send needs new ones."""
        ready, self._ready = self._ready, None
        self._generation += 1
        if (ready is not None and ready[1] == self._generation - 1
                and self._clock() - ready[0] <= FRESH_SECONDS):
            self.used += 1
            return ready[2]
        return await self._read()
