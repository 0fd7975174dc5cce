"""One anvil with the oracle and chosen corpus classes, registered exactly as `scripts/bench
detection` registers them: the set-up the corpus chain tests share (each module keeps its world
for all its tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.bench.detection_net import ROTATION_DELAY
from node.corpus import registry, session
from node.corpus.chain import CorpusChain
from node.corpus.register import register_all
from node.devnet.inprocess import deal
from protocol.bls import get_backend

B = get_backend()


@contextmanager
def corpus_world(tmp: Path, seed: str, names, *, history_blocks: int = 5,
                 settle_blocks: int = 1) -> Iterator[SimpleNamespace]:
    """`names`: corpus classes; `settle_blocks` mined after the registration."""
    with Anvil(log_path=tmp / "anvil.log", extra_args=("--gas-limit", "100000000")) as anvil:
        chain = CorpusChain(anvil.rpc_url, DEV_PRIVATE_KEYS[0], seed=seed)
        chain.manual_mining()
        dealing, gset = deal(4, 3, B, seed=24)
        oracle = chain.deploy("GuardianOracle", chain.gov.account.address,
                              B.g1_to_eip2537(gset.group_public_key), gset.threshold, gset.n,
                              ROTATION_DELAY, 10**16)
        chain.oracle = oracle.address
        scenarios = session.set_up(chain, [registry.BY_NAME[n] for n in names], 1,
                                   progress=lambda _: None)
        first, last = session.history(chain, scenarios, blocks=history_blocks)
        register_all(chain, oracle, scenarios, first, last)
        chain.next_block(settle_blocks)
        yield SimpleNamespace(anvil=anvil, chain=chain, dealing=dealing, scenarios=scenarios,
                              oracle=bytes.fromhex(oracle.address[2:]), history=(first, last))
