"""The bank family (contracts/corpus/CorpusBank.sol): one-token deposits. Benign: a whale's exit,
a bank run, flash deposits, the team's governance operations and its migration to a new version.
Exploits: reentrancy drain, the missing access check on `sweep`, and a slow reentrancy drain that
stays under the outflow limit."""

from __future__ import annotations

from node.corpus.base import BENIGN, EXPLOIT, Effect, Scenario, Watch, selector
from node.corpus.chain import E18, Sent

IS_BACKED = selector("isBacked()")
DEPOSIT = 60_000 * E18  # each background user's opening deposit


class BankScenario(Scenario):
    family = "bank"
    reentrant = False
    open_sweep = False

    def setup(self) -> None:
        usd = self.tokens["usd"]
        gov = self.chain.gov.account.address
        self.bank = self.chain.deploy("CorpusBank", usd.address, self.reentrant, self.open_sweep,
                                      self.chain.oracle, gov)
        self.accounts = [self.user(i) for i in range(self.users)]
        self.fund(self.accounts, usd, 4 * DEPOSIT, self.bank.address)
        self.chain.settle([self.chain.send(u, self.bank.functions.deposit(DEPOSIT),
                                           label=self.label("deposit")) for u in self.accounts])
        self.extra_setup()

    def extra_setup(self) -> None:
        pass

    def watch(self) -> Watch:
        return Watch(self.bank.address, [self.bank.address], [self.tokens["usd"].address],
                     [IS_BACKED])

    def balance(self) -> int:
        return self.chain.token_balance(self.tokens["usd"], self.bank.address)

    def traffic(self) -> list[Sent]:
        out = []
        total = self.balance()
        for u in self.rng.sample(self.accounts, 2):
            amount = int(total * self.rng.uniform(0.002, 0.012))
            own = self.bank.functions.deposits(u.address).call()
            if self.rng.random() < 0.5 and own >= amount:
                out.append(self.chain.send(u, self.bank.functions.withdraw(amount),
                                           label=self.label("traffic withdraw")))
            else:
                out.append(self.chain.send(u, self.bank.functions.deposit(amount),
                                           label=self.label("traffic deposit")))
        return out

    def healthy(self) -> bool:
        return bool(self.bank.functions.isBacked().call())

    def effect(self) -> Effect:
        return Effect(healthy=self.healthy())


class WhaleExit(BankScenario):
    name = "whale_exit"
    verdict = BENIGN
    harmful = "the whale's withdrawal of its own 35% of the bank"

    def extra_setup(self) -> None:
        self.whale = self.user("whale")
        amount = self.balance() * 35 // 65
        self.fund([self.whale], self.tokens["usd"], amount, self.bank.address)
        self.chain.settle([self.chain.send(self.whale, self.bank.functions.deposit(amount))])

    def act(self) -> None:
        own = self.bank.functions.deposits(self.whale.address).call()
        self.emit(self.chain.send(self.whale, self.bank.functions.withdraw(own),
                                  label=self.label("whale exit"), harmful=True))


class BankRun(BankScenario):
    name = "bank_run"
    verdict = BENIGN
    harmful = "the first of 15 lenders' withdrawals taking back 60% over 10 blocks"
    users = 15

    def extra_setup(self) -> None:
        self.anchor = self.user("anchor")  # the rest of the bank: 40%
        amount = self.balance() * 40 // 60
        self.fund([self.anchor], self.tokens["usd"], amount, self.bank.address)
        self.chain.settle([self.chain.send(self.anchor, self.bank.functions.deposit(amount))])

    def traffic(self) -> list[Sent]:
        return []  # the 15 lenders are the run: they hold their 4% each until it starts

    def act(self) -> None:
        order = list(self.accounts)
        self.rng.shuffle(order)
        per_block = [2, 2, 2, 2, 2, 1, 1, 1, 1, 1]
        for k, count in enumerate(per_block):
            batch = []
            for u in order[:count]:
                own = self.bank.functions.deposits(u.address).call()
                batch.append(self.chain.send(u, self.bank.functions.withdraw(own),
                                             label=self.label("run withdrawal"),
                                             harmful=not self.sent and not batch))
            order = order[count:]
            self.emit(batch)
            if k + 1 < len(per_block):
                self.chain.next_block()


class FlashDeposit(BankScenario):
    name = "flash_deposit"
    verdict = BENIGN
    harmful = "the whale's withdrawal of its 2x-cash deposit two blocks later, then the same in " \
              "one transaction"

    def extra_setup(self) -> None:
        self.whale = self.user("whale")
        self.zap = self.chain.deploy("CorpusFlashDepositor", self.bank.address, by=self.whale)
        self.fund([self.whale], self.tokens["usd"], 3 * self.balance(), self.bank.address)
        self.chain.settle([self.chain.send(self.whale, self.tokens["usd"].functions.approve(
            self.zap.address, 2**256 - 1))])

    def act(self) -> None:
        amount = 2 * self.balance()
        self.emit(self.chain.send(self.whale, self.bank.functions.deposit(amount),
                                  label=self.label("flash deposit")))
        self.chain.next_block(2)
        self.emit(self.chain.send(self.whale, self.bank.functions.withdraw(amount),
                                  label=self.label("flash withdrawal"), harmful=True))
        self.chain.next_block(2)
        self.emit(self.chain.send(self.whale, self.zap.functions.depositAndWithdraw(
            2 * self.balance()), label=self.label("deposit+withdraw in one tx"), harmful=True))


class GovernanceOps(BankScenario):
    name = "governance_ops"
    verdict = BENIGN
    harmful = "the admin's role grants (privileged-change events) and fee change"

    def act(self) -> None:
        gov = self.chain.gov.account
        role = bytes(32)
        self.emit([self.chain.send(gov, self.bank.functions.grantRole(role, self.user("ops").address),
                                   label=self.label("grant role"), harmful=True),
                   self.chain.send(gov, self.bank.functions.setFeeBps(30),
                                   label=self.label("set fee"))])
        self.chain.next_block()
        self.emit(self.chain.send(gov, self.bank.functions.grantRole(b"\x01" * 32,
                                                                     self.user("keeper").address),
                                  label=self.label("grant role")))


class Migration(BankScenario):
    name = "migration"
    verdict = BENIGN
    harmful = "the team's migrate(v2): every token moves to the new version in one transaction"

    def act(self) -> None:
        gov = self.chain.gov.account
        self.v2 = self.chain.deploy("CorpusBank", self.tokens["usd"].address, False, False,
                                    self.chain.oracle, gov.address)
        self.moved = self.balance()
        self.emit(self.chain.send(gov, self.bank.functions.migrate(self.v2.address),
                                  label=self.label("migrate"), harmful=True))

    def effect(self) -> Effect:
        arrived = self.chain.token_balance(self.tokens["usd"], self.v2.address)
        return Effect(healthy=self.healthy() and arrived >= self.moved)


class _BankExploit(BankScenario):
    verdict = EXPLOIT

    def extra_setup(self) -> None:
        self.attacker = self.chain.account(self.label("attacker"))
        self.capital = 0

    def gain(self) -> int:
        now = self.chain.token_balance(self.tokens["usd"], self.attacker.address)
        return max(0, now - self.capital)

    def effect(self) -> Effect:
        return Effect(at_risk=self.at_risk, lost=self.gain(), healthy=self.healthy())


class ReentrancyDrain(_BankExploit):
    name = "reentrancy"
    reentrant = True
    harmful = "the attack transaction: deposit, then withdraw it again from the payout hook"

    def extra_setup(self) -> None:
        super().extra_setup()
        self.capital = self.balance() // 20
        self.fund([self.attacker], self.tokens["usd"], self.capital, self.bank.address)
        self.evil = self.chain.deploy("CorpusReentrancyAttacker", self.bank.address,
                                      by=self.attacker)
        self.chain.settle([self.chain.send(self.attacker, self.tokens["usd"].functions.approve(
            self.evil.address, 2**256 - 1))])

    def act(self) -> None:
        self.at_risk = self.balance()
        rounds = self.at_risk // self.capital
        self.emit(self.chain.send(self.attacker, self.evil.functions.attack(self.capital, rounds),
                                  gas=6_000_000, label=self.label("reentrancy attack"),
                                  harmful=True))


class MissingAccessControl(_BankExploit):
    name = "access_control"
    open_sweep = True
    harmful = "the stranger's sweep(attacker, balance) through the unguarded rescue function"

    def act(self) -> None:
        self.at_risk = self.balance()
        self.emit(self.chain.send(self.attacker, self.bank.functions.sweep(
            self.attacker.address, self.at_risk), label=self.label("sweep"), harmful=True))


class SlowDrain(ReentrancyDrain):
    name = "slow_drain"
    harmful = "the first of 14 small reentrancy withdrawals, one a block, each 1.5% of the bank " \
              "(under the outflow and one-block limits)"
    steps = 14

    def act(self) -> None:
        slice_ = self.balance() // 200  # 0.5% in, re-entered 3 times: 1.5% out per transaction
        self.at_risk = 3 * slice_ * self.steps  # what the whole drain takes when nothing stops it
        for k in range(self.steps):
            self.emit(self.chain.send(self.attacker, self.evil.functions.attack(slice_, 3),
                                      gas=2_000_000, label=self.label(f"drain {k + 1}"),
                                      harmful=k == 0))
            if k + 1 < self.steps:
                self.chain.next_block()
