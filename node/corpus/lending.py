"""The lending family (contracts/corpus/CorpusLending.sol over the demo AMM). Exploit: the
one-transaction price-oracle manipulation funded by a flash loan. Benign: a market crash with
liquidations."""

from __future__ import annotations

from node.corpus.base import BENIGN, EXPLOIT, Effect, Scenario, Watch, selector
from node.corpus.chain import E18, Sent

IS_SOLVENT = selector("isSolvent()")
AMM_WETH, AMM_USD = 1_000 * E18, 2_000_000 * E18
LENDING = 1_000_000 * E18


class LendingScenario(Scenario):
    family = "lending"

    def setup(self) -> None:
        usd, weth = self.tokens["usd"], self.tokens["weth"]
        gov = self.chain.gov.account
        self.amm = self.chain.deploy("DemoAMM", weth.address, usd.address, self.chain.oracle,
                                     gov.address)
        self.fund([gov], usd, AMM_USD, self.amm.address)
        self.fund([gov], weth, AMM_WETH, self.amm.address)
        self.chain.settle([self.chain.send(gov, self.amm.functions.addLiquidity(AMM_WETH, AMM_USD),
                                           label=self.label("seed amm"))])
        # the market reads its first reference price from the seeded AMM
        self.market = self.chain.deploy("CorpusLending", weth.address, usd.address,
                                        self.amm.address, self.chain.oracle, gov.address)
        self.accounts = [self.user(i) for i in range(self.users)]
        self.fund(self.accounts, usd, 4 * LENDING // self.users, self.market.address)
        self.chain.settle([self.chain.send(u, self.market.functions.deposit(LENDING // self.users),
                                           label=self.label("lend")) for u in self.accounts])
        self.extra_setup()

    def extra_setup(self) -> None:
        pass

    def watch(self) -> Watch:
        return Watch(self.market.address, [self.market.address],
                     [self.tokens["usd"].address, self.tokens["weth"].address], [IS_SOLVENT],
                     actions="pause,circuit-breaker,collateral-lock")

    def balance(self) -> int:
        return self.chain.token_balance(self.tokens["usd"], self.market.address)

    def traffic(self) -> list[Sent]:
        out = []
        total = self.balance()
        for u in self.rng.sample(self.accounts, 2):
            amount = int(total * self.rng.uniform(0.002, 0.012))
            own = self.market.functions.deposits(u.address).call()
            if self.rng.random() < 0.5 and own >= amount:
                out.append(self.chain.send(u, self.market.functions.withdraw(amount),
                                           label=self.label("traffic withdraw")))
            else:
                out.append(self.chain.send(u, self.market.functions.deposit(amount),
                                           label=self.label("traffic deposit")))
        return out

    def healthy(self) -> bool:
        return bool(self.market.functions.isSolvent().call())


class OracleFlashLoan(LendingScenario):
    name = "oracle_flash"
    verdict = EXPLOIT
    harmful = "the attack transaction: flash-borrow USDd, pump the AMM, borrow all the cash " \
              "against inflated collateral, dump, repay"

    def extra_setup(self) -> None:
        gov = self.chain.gov.account
        self.lender = self.chain.deploy("CorpusFlashLender")
        self.chain.settle([self.chain.send(gov, self.tokens["usd"].functions.mint(
            self.lender.address, 5 * AMM_USD), label=self.label("lender liquidity"))])
        self.attacker = self.chain.account(self.label("attacker"))

    def act(self) -> None:
        # the attack contract is created one block before it strikes (a fresh contract)
        self.evil = self.chain.deploy("CorpusOracleAttacker", self.market.address,
                                      self.lender.address, by=self.attacker)
        self.chain.next_block()
        self.at_risk = self.unimpeded_bad_debt(AMM_USD)
        self.emit(self.chain.send(self.attacker, self.evil.functions.attack(AMM_USD),
                                  gas=3_000_000, label=self.label("oracle attack"), harmful=True))

    def unimpeded_bad_debt(self, pump: int) -> int:
        """The bad debt the attack leaves when nothing stops it: all the cash borrowed against
        collateral bought at the pumped price, valued at the reference price."""
        usd = self.tokens["usd"].address
        r0, r1 = self.amm.functions.reserve0().call(), self.amm.functions.reserve1().call()
        bought = self.amm.functions.quote(usd, pump).call()
        pumped = (r1 + pump) * E18 // (r0 - bought)
        take = self.balance()
        needed = take * E18 * 10_000 // (pumped * 7_500) + 1
        return take - needed * self.market.functions.referencePrice().call() // E18

    def effect(self) -> Effect:
        """Lost: the bad debt the attack left (its debt minus its collateral at the reference
        price)."""
        debt = self.market.functions.debt(self.evil.address).call()
        collateral = self.market.functions.collateral(self.evil.address).call()
        value = collateral * self.market.functions.referencePrice().call() // E18
        return Effect(at_risk=self.at_risk, lost=max(0, debt - value), healthy=self.healthy())


class MarketCrash(LendingScenario):
    name = "market_crash"
    verdict = BENIGN
    harmful = "the liquidations after a 30% WETHd crash (collateral leaves the market), with " \
              "some lenders withdrawing"

    def extra_setup(self) -> None:
        weth = self.tokens["weth"]
        self.borrowers = [self.user(f"borrower{i}") for i in range(8)]
        self.fund(self.borrowers, weth, 100 * E18, self.market.address)
        price = self.amm.functions.spotPrice().call()
        self.chain.settle([self.chain.send(b, self.market.functions.postCollateral(100 * E18))
                           for b in self.borrowers])
        sent = []
        for i, b in enumerate(self.borrowers):
            ltv = 7000 if i < 3 else 3000  # three risky borrowers at 70%, five safe at 30%
            sent.append(self.chain.send(b, self.market.functions.borrow(
                100 * price * ltv // 10_000)))
        self.chain.settle(sent)
        self.seller = self.user("seller")
        self.liquidator = self.user("liquidator")
        self.fund([self.seller], weth, 400 * E18, self.amm.address)
        self.fund([self.liquidator], self.tokens["usd"], 1_000_000 * E18, self.market.address)

    def act(self) -> None:
        gov = self.chain.gov.account
        self.emit(self.chain.send(self.seller, self.amm.functions.swapExactIn(
            self.tokens["weth"].address, 185 * E18, 0), label=self.label("crash sale")))
        self.chain.next_block()
        self.emit(self.chain.send(gov, self.market.functions.setReferencePrice(
            self.amm.functions.spotPrice().call()), label=self.label("keeper price")))
        self.chain.next_block()
        panic = [self.chain.send(u, self.market.functions.withdraw(
            self.market.functions.deposits(u.address).call() // 3),
            label=self.label("panic withdrawal")) for u in self.accounts[:4]]
        self.emit(panic)
        for k, b in enumerate(self.borrowers[:3]):
            self.emit(self.chain.send(self.liquidator, self.market.functions.liquidate(b.address),
                                      label=self.label("liquidation"), harmful=k == 0))
            self.chain.next_block()

    def effect(self) -> Effect:
        liquidated = sum(1 for b in self.borrowers[:3]
                         if self.market.functions.debt(b.address).call() == 0)
        return Effect(healthy=self.healthy() and liquidated == 3,
                      note=f"{liquidated} of 3 risky borrowers liquidated")
