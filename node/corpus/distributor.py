"""The airdrop family (contracts/corpus/CorpusDistributor.sol). Exploit: a signed claim replayed
until the distributor is empty. Benign: a claim rush of 20 accounts over 3 blocks."""

from __future__ import annotations

from eth_account.messages import encode_defunct
from web3 import Web3

from node.corpus.base import BENIGN, EXPLOIT, Effect, Scenario, Watch, selector
from node.corpus.chain import E18, Sent

IS_FUNDED = selector("isFunded()")
ALLOCATION = 20_000 * E18


class DistributorScenario(Scenario):
    family = "airdrop"
    replay_bug = False
    claimers = 40

    def setup(self) -> None:
        usd = self.tokens["usd"]
        gov = self.chain.gov.account
        self.dist = self.chain.deploy("CorpusDistributor", usd.address, self.replay_bug,
                                      self.chain.oracle, gov.address)
        self.accounts = [self.user(i) for i in range(self.claimers)]
        total = ALLOCATION * self.claimers
        self.chain.settle([
            self.chain.send(gov, usd.functions.mint(self.dist.address, total)),
            self.chain.send(gov, self.dist.functions.setAllocations(
                [a.address for a in self.accounts], [ALLOCATION] * self.claimers),
                gas=3_000_000)])
        self.pending = list(self.accounts[20:])  # background claimers trickle in

    def watch(self) -> Watch:
        return Watch(self.dist.address, [self.dist.address], [self.tokens["usd"].address],
                     [IS_FUNDED])

    def traffic(self) -> list[Sent]:
        if not self.pending or self.rng.random() < 0.6:
            return []
        u = self.pending.pop()
        return [self.chain.send(u, self.dist.functions.claim(), label=self.label("claim"))]

    def balance(self) -> int:
        return self.chain.token_balance(self.tokens["usd"], self.dist.address)


class ClaimRush(DistributorScenario):
    name = "airdrop_rush"
    verdict = BENIGN
    harmful = "the first of 20 claims in 3 blocks taking ~70% of the distributor"

    def act(self) -> None:
        rush = self.accounts[:20]
        for k, group in enumerate((rush[:8], rush[8:15], rush[15:])):
            self.emit([self.chain.send(u, self.dist.functions.claim(), label=self.label("claim"),
                                       harmful=k == 0 and i == 0) for i, u in enumerate(group)])
            if k < 2:
                self.chain.next_block()

    def effect(self) -> Effect:
        return Effect(healthy=bool(self.dist.functions.isFunded().call()))


class SignatureReplay(DistributorScenario):
    name = "sig_replay"
    verdict = EXPLOIT
    replay_bug = True
    harmful = "the first of 3 transactions replaying one signed claim (a third of the pot each)"

    def setup(self) -> None:
        super().setup()
        self.attacker = self.accounts[0]  # an honest allocation, a dishonest claimer
        self.evil = self.chain.deploy("CorpusReplayAttacker", self.dist.address, by=self.attacker)
        digest = Web3.keccak(Web3.to_bytes(hexstr=self._encode()))
        sig = self.attacker.sign_message(encode_defunct(primitive=digest))
        self.sig = (sig.v, sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big"))

    def _encode(self) -> str:
        from eth_abi import encode

        return "0x" + encode(["address", "address", "address", "uint256", "uint256"],
                             [self.dist.address, self.attacker.address, self.evil.address,
                              ALLOCATION, 0]).hex()

    def act(self) -> None:
        # what the unimpeded replays take beyond its own allocation
        self.at_risk = (self.balance() // ALLOCATION - 1) * ALLOCATION
        per_tx = -(-(self.balance() // ALLOCATION) // 3)
        for k in range(3):
            times = min(per_tx, self.balance() // ALLOCATION)
            self.emit(self.chain.send(self.attacker, self.evil.functions.replay(
                self.attacker.address, ALLOCATION, 0, *self.sig, times), gas=3_000_000,
                label=self.label(f"replay {k + 1}"), harmful=k == 0))
            if k < 2:
                self.chain.next_block()

    def effect(self) -> Effect:
        gained = self.chain.token_balance(self.tokens["usd"], self.attacker.address)
        return Effect(at_risk=self.at_risk, lost=max(0, gained - ALLOCATION))
