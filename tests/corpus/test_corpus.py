"""The detection corpus (node/corpus) on one shared anvil, without guardians: every class's
driver runs, its harmful transaction lands, and it has the on-chain effect its label claims
(exploits take what their users had, benign events leave the protocol whole). Also the
registration the bench makes: limits from history and the claims entry that older guardians
must never see break."""

from __future__ import annotations

import pytest
from web3 import Web3

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.corpus import registry, session
from node.corpus.base import BENIGN, CLAIM_OF, EXPLOIT
from node.corpus.chain import CorpusChain
from node.corpus.register import (
    MIN_DROP_BPS,
    MIN_OUTFLOW_BPS,
    limits_from_history,
    registration_for,
    worst_drops,
)
from protocol.detection import invariant_holds

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    with Anvil(log_path=tmp_path_factory.mktemp("corpus") / "anvil.log") as anvil:
        c = CorpusChain(anvil.rpc_url, DEV_PRIVATE_KEYS[0], seed="corpus-test")
        c.oracle = c.gov.account.address  # no oracle here: Guardable only needs an address
        c.manual_mining()
        c.tokens = session.deploy_tokens(c)
        yield c


def _played(chain, cls):
    scenario = cls(chain, chain.tokens, seed=1)
    scenario.setup()
    first, last = session.history(chain, [scenario], blocks=3)
    scenario.history = (first, last)
    scenario.act()
    return scenario


def test_the_registry_has_at_least_8_exploit_and_8_benign_classes_each_naming_its_harm():
    verdicts = [c.verdict for c in registry.CLASSES]
    assert verdicts.count(EXPLOIT) >= 8 and verdicts.count(BENIGN) >= 8
    assert len(registry.BY_NAME) == len(registry.CLASSES)  # unique names
    assert all(c.harmful and c.family for c in registry.CLASSES)
    assert registry.select("bank_run,reentrancy") == [registry.BY_NAME["bank_run"],
                                                      registry.BY_NAME["reentrancy"]]
    with pytest.raises(ValueError, match="unknown corpus class 'nope'"):
        registry.select("bank_run,nope")


@pytest.mark.parametrize("cls", [c for c in registry.CLASSES if c.verdict == EXPLOIT],
                         ids=lambda c: c.name)
def test_exploit_drains_what_its_users_had(chain, cls):
    scenario = _played(chain, cls)
    harmful = scenario.harmful_txs()
    assert harmful and all(tx.ok for tx in harmful), [t.to_dict() for t in scenario.sent]
    effect = scenario.effect()
    assert effect.at_risk > 0
    assert effect.lost >= effect.at_risk * 9 // 10, effect.to_dict()  # unimpeded: ~all of it


@pytest.mark.parametrize("cls", [c for c in registry.CLASSES if c.verdict == BENIGN],
                         ids=lambda c: c.name)
def test_benign_event_lands_and_leaves_the_protocol_whole(chain, cls):
    scenario = _played(chain, cls)
    assert scenario.harmful_txs() and all(tx.ok for tx in scenario.sent), \
        [t.to_dict() for t in scenario.sent]
    effect = scenario.effect()
    assert effect.healthy and effect.lost == 0, effect.to_dict()


def test_claims_entry_reverts_before_and_after_so_old_guardians_never_see_it_break(chain):
    scenario = _played(chain, registry.BY_NAME["access_control"])  # breaks its own invariant
    target = scenario.watch().target
    first, _ = scenario.history
    for block in (first, "latest"):
        with pytest.raises(Exception):  # noqa: B017 - web3 raises its own revert types
            chain.w3.eth.call({"to": target, "data": "0x" + CLAIM_OF.hex()}, block)
    assert not invariant_holds(None) and not invariant_holds(b"")
    reg = registration_for(chain, scenario, limits_from_history(chain, scenario, *scenario.history))
    entries = [(Web3.to_checksum_address(t), d) for t, d in reg.invariants]
    assert (Web3.to_checksum_address(target), CLAIM_OF) in entries  # exactly the 4 bytes
    assert len([d for _, d in entries if d == CLAIM_OF]) == 1


def test_claim_of_is_what_the_account_may_take_out(chain):
    scenario = _played(chain, registry.BY_NAME["whale_exit"])
    usd = chain.tokens["usd"].address
    bank = scenario.bank
    someone = scenario.accounts[0].address
    assert bank.functions.claimOf(someone, usd).call() == bank.functions.deposits(someone).call()
    assert bank.functions.claimOf(scenario.whale.address, usd).call() == 0  # it left
    assert bank.functions.claimOf(someone, chain.tokens["weth"].address).call() == 0


def test_limits_are_twice_the_worst_history_with_the_advised_floors(chain):
    assert worst_drops([100, 100, 90, 95, 80], 2) == (1111, 1578)
    assert worst_drops([100, 110, 120], 1) == (0, 0)
    assert worst_drops([0, 0, 0], 1) == (0, 0)
    scenario = _played(chain, registry.BY_NAME["large_trades"])
    limits = limits_from_history(chain, scenario, *scenario.history)
    assert limits.outflow_bps == max(MIN_OUTFLOW_BPS, 2 * limits.worst_window_bps)
    assert limits.drop_bps == max(MIN_DROP_BPS, 2 * limits.worst_block_bps)


def test_a_liquidation_takes_no_more_collateral_than_the_liquidators_claim(chain):
    """A crash's liquidations are not an extraction: the lending market's claims view counts what
    anyone may seize from the positions unhealthy at the block before (the bench measured a false
    PAUSE on `market_crash` before claimOf counted it)."""
    scenario = _played(chain, registry.BY_NAME["market_crash"])
    weth = chain.tokens["weth"].address
    market, w3 = scenario.market, chain.w3
    liquidations = [s for s in scenario.sent if "liquidation" in s.label]
    assert len(liquidations) == 3
    for sent in liquidations:
        receipt = w3.eth.get_transaction_receipt(sent.tx_hash)
        assert receipt.status == 1
        seized = market.events.Liquidated().process_receipt(receipt)[0]["args"]["seized"]
        before = receipt.blockNumber - 1
        claim = market.functions.claimOf(scenario.liquidator.address, weth).call(
            block_identifier=before)
        assert 0 < seized <= claim, (seized, claim)
