"""The vault family (contracts/corpus/CorpusVault.sol, ERC-4626 style). Exploits: the
first-depositor inflation (donation) attack, and a rounding drain over many small withdrawals."""

from __future__ import annotations

from node.corpus.base import EXPLOIT, Effect, Scenario, Watch
from node.corpus.chain import E18, Sent


class VaultScenario(Scenario):
    family = "vault"
    verdict = EXPLOIT
    rounding_bug = False

    def deploy_vault(self) -> None:
        self.vault = self.chain.deploy("CorpusVault", self.tokens["usd"].address,
                                       self.rounding_bug, self.chain.oracle,
                                       self.chain.gov.account.address)
        self.attacker = self.chain.account(self.label("attacker"))

    def watch(self) -> Watch:
        return Watch(self.vault.address, [self.vault.address], [self.tokens["usd"].address])

    def balance(self) -> int:
        return self.chain.token_balance(self.tokens["usd"], self.vault.address)

    def gain(self) -> int:
        now = self.chain.token_balance(self.tokens["usd"], self.attacker.address)
        return max(0, now - self.capital)

    def effect(self) -> Effect:
        return Effect(at_risk=self.at_risk, lost=min(self.gain(), self.at_risk))


class Inflation(VaultScenario):
    name = "inflation"
    harmful = "the attacker's redeem of its one share after the victim's deposit rounded to zero " \
              "shares (the setup: a 1-wei deposit and a donation)"

    def setup(self) -> None:
        self.deploy_vault()
        self.victim = self.user("victim")
        self.donation = 10_000 * E18
        self.capital = self.donation + 1
        self.fund([self.attacker, self.victim], self.tokens["usd"], self.capital,
                  self.vault.address)

    # no background traffic: the attack needs the vault empty (a fresh vault's first hours)

    def act(self) -> None:
        usd = self.tokens["usd"]
        self.emit([self.chain.send(self.attacker, self.vault.functions.deposit(1),
                                   label=self.label("deposit 1 wei")),
                   self.chain.send(self.attacker, usd.functions.transfer(self.vault.address,
                                                                         self.donation),
                                   label=self.label("donate"))])
        self.chain.next_block()
        self.at_risk = self.donation - 1
        self.emit(self.chain.send(self.victim, self.vault.functions.deposit(self.at_risk),
                                  label=self.label("victim deposit")))
        self.chain.next_block()
        self.emit(self.chain.send(self.attacker, self.vault.functions.redeem(1),
                                  label=self.label("redeem"), harmful=True))


class RoundingDrain(VaultScenario):
    name = "rounding"
    rounding_bug = True
    harmful = "the first of 6 transactions of 40 withdrawals each worth just under one share " \
              "(each burns zero shares)"
    calls, txs = 40, 6

    def setup(self) -> None:
        self.deploy_vault()
        self.capital = 0
        usd = self.tokens["usd"]
        gov = self.chain.gov.account
        # a vault whose share is worth ~1,000 USDd: 1,000 wei of shares, 1,000,000 USDd of yield
        self.fund([gov], usd, 1_000_000 * E18, self.vault.address)
        self.chain.settle([self.chain.send(gov, self.vault.functions.deposit(1000),
                                           label=self.label("seed")),
                           self.chain.send(gov, usd.functions.transfer(self.vault.address,
                                                                       1_000_000 * E18 - 1000),
                                           label=self.label("yield"))])
        self.accounts = [self.user(i) for i in range(self.users)]
        self.fund(self.accounts, usd, 200_000 * E18, self.vault.address)
        self.chain.settle([self.chain.send(u, self.vault.functions.deposit(50_000 * E18),
                                           label=self.label("deposit")) for u in self.accounts])
        self.evil = self.chain.deploy("CorpusRoundingAttacker", self.vault.address,
                                      by=self.attacker)

    def traffic(self) -> list[Sent]:
        out = []
        total = self.balance()
        for u in self.rng.sample(self.accounts, 2):
            amount = int(total * self.rng.uniform(0.002, 0.012))
            if self.rng.random() < 0.5 and self.vault.functions.claimOf(
                    u.address, self.tokens["usd"].address).call() > 2 * amount:
                out.append(self.chain.send(u, self.vault.functions.withdraw(amount),
                                           label=self.label("traffic withdraw")))
            else:
                out.append(self.chain.send(u, self.vault.functions.deposit(amount),
                                           label=self.label("traffic deposit")))
        return out

    def act(self) -> None:
        supply = self.vault.functions.totalSupply().call()
        self.at_risk = self.balance() // supply * self.calls * self.txs  # about, unimpeded
        for k in range(self.txs):
            self.emit(self.chain.send(self.attacker, self.evil.functions.drain(self.calls),
                                      gas=5_000_000, label=self.label(f"drain {k + 1}"),
                                      harmful=k == 0))
            if k + 1 < self.txs:
                self.chain.next_block()
