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
from protocol import messages
from protocol.bls import get_backend
from protocol.detection import EvidenceKind, choose_action, report_deadline
from protocol.digest import protocol_id

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


def one_class(w: SimpleNamespace) -> dict:
    """A one-class world as the tests that re-verify its reports read it."""
    scenario = w.scenarios[0]
    return {"url": w.anvil.rpc_url, "chain": w.chain, "scenario": scenario,
            "dealing": w.dealing, "oracle": w.oracle,
            "pid": protocol_id(bytes.fromhex(scenario.watch().target[2:]))}


def held_back(scenario) -> list:
    """Play the class's event with its transactions sent but not mined (the harmful one
    pending); the transactions it sent."""
    held: list = []

    def emit(sent, wait=True):
        batch = sent if isinstance(sent, list) else [sent]
        scenario.sent += batch
        held.extend(batch)
        return batch

    scenario.emit = emit
    scenario.act()
    return held


def peer_report(world: dict, ev, watched) -> messages.Report:
    """Guardian 2's signed report of `ev` about `world["pid"]` (what a peer re-verifies)."""
    return messages.sign_message(messages.Report(
        chain_id=31337, oracle=world["oracle"], key_epoch=1, protocol_id=world["pid"],
        action=int(choose_action(EvidenceKind(ev.kind), watched.allowed_actions)), nonce=0,
        deadline=report_deadline(ev.pending.sim_time if ev.pending is not None else
                                 world["chain"].w3.eth.get_block(ev.block_to)["timestamp"]),
        evidence=ev, observed_block=ev.block_to, guardian=2, signature=b""),
        world["dealing"].shares[1], B)
