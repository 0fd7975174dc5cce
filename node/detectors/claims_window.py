"""The reads behind `protocol.claims_window`: the transactions of a balance window and their
EXTRACTION facts, so a window whose outflow stayed within its takers' own claims is not reported
(OUTFLOW, BALANCE_DROP), and a co-signer refuses a peer's report of one.

The window's transactions are those with a `Transfer` of the token out of the holder in blocks
`block_from + 1 .. block_to` (for native value: any log of a monitored contract; native value that
left without one is the "unseen" part of the drop and is never excused). Their flows and facts are
the extraction detector's (`node.detectors.extraction.cached_facts`), cached per chain view and
transaction, so a window of 20 blocks does not re-trace on every head, and the
extraction detector's own scan of a head fills the cache for the balance detectors.

Nothing is excused (`None`: the window is judged as before) when the protocol registered no
claims view, when the view cannot read flows, when a transaction's flows cannot be read (no trace:
`ChainError`), or when the window has more than `MAX_WINDOW_TXS` such transactions.
"""

from __future__ import annotations

import logging

from node.chain.decode import ChainError
from node.detectors.extraction import cached_facts, remember
from protocol import claims_window, intent
from protocol.detection import ETHER, DetectionParams
from protocol.evidence import Evidence

log = logging.getLogger(__name__)

MAX_WINDOW_TXS = 64  # transactions judged per window; more: the window is judged as before


def _reads_flows(view) -> bool:
    return all(hasattr(view, name) for name in ("tx_flows", "block_logs", "code_size"))


async def _block_txs(view, params: DetectionParams, holder: bytes, token: bytes,
                     block: int) -> tuple[bytes, ...]:
    """Transactions of `block` that may have moved `token` out of `holder`, in log order."""
    async def read() -> tuple[bytes, ...]:
        if token == ETHER:
            entries = await view.block_logs(params.monitored, (), block)
        else:
            entries = [e for e in await view.block_logs((token,), (intent.TRANSFER_TOPIC,), block,
                                                        (holder,))
                       if len(e.topics) == 3 and e.topics[1][12:] == holder]
        return tuple(dict.fromkeys(e.tx_hash for e in entries))
    return await remember(view, ("block", block, holder, token, params.monitored), read)


class _NotJudged(Exception):
    """This node cannot judge a transaction of the window (not cached: it may answer later)."""


async def _window_tx(view, params: DetectionParams, holder: bytes, token: bytes, tx_hash: bytes,
                     block: int) -> claims_window.WindowTx:
    """One transaction of `block` as the claims rule sees it."""
    flows = await view.tx_flows(tx_hash)
    if flows is None or flows.block != block:
        raise _NotJudged(f"transaction 0x{tx_hash.hex()[:12]} is not in block {block} here")
    if not flows.ok:  # a reverted transaction moved nothing
        return claims_window.WindowTx(0, 0, 0, 0, 0)
    extracted = intent.net_outflow(flows.transfers, params.monitored, token)
    claims = (await cached_facts(view, params, flows, token)).claims if extracted else 0
    return claims_window.window_tx(flows.transfers, params.monitored, holder, token, extracted,
                                   claims, params.admin != ETHER and flows.sender == params.admin)


async def window_txs(view, params: DetectionParams, holder: bytes, token: bytes, start: int,
                     end: int) -> list[claims_window.WindowTx] | None:
    """Every transaction of blocks `start + 1 .. end` that moved `token` out of `holder`, as the
    claims rule sees it; None if any of them cannot be judged (the window is judged as before)."""
    if params.claims is None or not _reads_flows(view):
        return None
    out: list[claims_window.WindowTx] = []
    try:
        found = [(block, h) for block in range(start + 1, end + 1)
                 for h in await _block_txs(view, params, holder, token, block)]
        if len(found) > MAX_WINDOW_TXS:
            return None
        for block, tx_hash in found:
            tx = await remember(view, ("window tx", tx_hash, block, holder, token, params),
                                lambda b=block, h=tx_hash: _window_tx(view, params, holder,
                                                                      token, h, b))
            if tx.holder_out or tx.internal_out:
                out.append(tx)
    except (ChainError, _NotJudged) as exc:
        log.info("balance window %d..%d not judged against claims: %s", start, end, exc)
        return None
    return out


async def judge(view, params: DetectionParams, evidence: Evidence,
                limit_bps: int) -> claims_window.WindowVerdict:
    """The claims rule over a balance evidence's window (`evidence.observed` = before, after)."""
    before, after = evidence.observed
    txs = await window_txs(view, params, evidence.detail, evidence.subject, evidence.block_from,
                           evidence.block_to)
    return claims_window.judge_window(before, after, limit_bps, txs)
