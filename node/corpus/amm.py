"""The AMM family (contracts/corpus/CorpusAMM.sol, the demo AMM with a claims view). Benign: large
legitimate trades that move the price 30% and take a large part of one reserve."""

from __future__ import annotations

from node.corpus.base import BENIGN, Effect, Scenario, Watch
from node.corpus.chain import E18, Sent

AMM_WETH, AMM_USD = 1_000 * E18, 2_000_000 * E18


class LargeTrades(Scenario):
    name = "large_trades"
    family = "amm"
    verdict = BENIGN
    harmful = "a trader's buy of 15% of the WETHd reserve (price +35%), then a sale back"

    def setup(self) -> None:
        usd, weth = self.tokens["usd"], self.tokens["weth"]
        gov = self.chain.gov.account
        self.amm = self.chain.deploy("CorpusAMM", weth.address, usd.address, self.chain.oracle,
                                     gov.address)
        self.accounts = [self.user(i) for i in range(self.users)]
        lps = self.accounts[:4]
        self.fund(lps, usd, AMM_USD // 4, self.amm.address)
        self.fund(lps, weth, AMM_WETH // 4, self.amm.address)
        for lp in lps:  # one at a time: each adds at the current ratio
            self.chain.settle([self.chain.send(lp, self.amm.functions.addLiquidity(
                AMM_WETH // 4, AMM_USD // 4), label=self.label("add liquidity"))])
        traders = self.accounts[4:]
        self.fund(traders, usd, 100_000 * E18, self.amm.address)
        self.fund(traders, weth, 50 * E18, self.amm.address)
        self.trader = self.user("whale trader")
        self.fund([self.trader], usd, 1_000_000 * E18, self.amm.address)
        self.fund([self.trader], weth, 10 * E18, self.amm.address)

    def watch(self) -> Watch:
        return Watch(self.amm.address, [self.amm.address],
                     [self.tokens["usd"].address, self.tokens["weth"].address], claims=False)

    def traffic(self) -> list[Sent]:
        out = []
        for u in self.rng.sample(self.accounts[4:], 2):
            if self.rng.random() < 0.5:
                amount = int(self.amm.functions.reserve1().call() * self.rng.uniform(0.001, 0.006))
                token = self.tokens["usd"]
            else:
                amount = int(self.amm.functions.reserve0().call() * self.rng.uniform(0.001, 0.006))
                token = self.tokens["weth"]
            out.append(self.chain.send(u, self.amm.functions.swapExactIn(token.address, amount, 0),
                                       label=self.label("traffic swap")))
        return out

    def act(self) -> None:
        usd, weth = self.tokens["usd"], self.tokens["weth"]
        reserve_usd = self.amm.functions.reserve1().call()
        self.emit(self.chain.send(self.trader, self.amm.functions.swapExactIn(
            usd.address, reserve_usd * 18 // 100, 0), label=self.label("large buy"), harmful=True))
        self.chain.next_block(3)
        got = weth.functions.balanceOf(self.trader.address).call()
        self.emit(self.chain.send(self.trader, self.amm.functions.swapExactIn(
            weth.address, got // 2, 0), label=self.label("large sale")))

    def effect(self) -> Effect:
        r0, r1 = self.amm.functions.reserve0().call(), self.amm.functions.reserve1().call()
        held0 = self.chain.token_balance(self.tokens["weth"], self.amm.address)
        held1 = self.chain.token_balance(self.tokens["usd"], self.amm.address)
        return Effect(healthy=held0 >= r0 and held1 >= r1 and r0 * r1 >= AMM_WETH * AMM_USD)
