"""One corpus run on one chain: the shared tokens, every scenario's protocol deployed, a history
of background traffic (one block per round, every scenario's users in it), then the events."""

from __future__ import annotations

from collections.abc import Callable

from node.corpus.base import Scenario
from node.corpus.chain import CorpusChain

HISTORY_BLOCKS = 30
# Empty blocks between the set-up and the history: a guardian starting later catches up on the
# 64 blocks before its first head, each judged over its outflow window; the set-up's own moves
# (seeding, borrowers taking their loans) must lie beyond that reach, as a protocol's launch lies
# far in the past of its registration.
QUIET_BLOCKS = 100


def deploy_tokens(chain: CorpusChain) -> dict:
    return {"usd": chain.deploy("DemoToken", "Demo USD", "USDd"),
            "weth": chain.deploy("DemoToken", "Demo WETH", "WETHd"),
            "votes": chain.deploy("DemoToken", "Demo Votes", "VOTEd")}


def set_up(chain: CorpusChain, classes: list[type[Scenario]], seed: int = 1,
           progress: Callable[[str], None] = lambda _: None) -> list[Scenario]:
    """Deploy the tokens and every scenario's protocol (manual mining: fast)."""
    chain.manual_mining()
    tokens = deploy_tokens(chain)
    scenarios = []
    for cls in classes:
        scenario = cls(chain, tokens, seed)
        scenario.setup()
        scenarios.append(scenario)
        progress(f"  set up {cls.name} ({cls.verdict})")
    chain.w3.provider.make_request("anvil_mine", [hex(QUIET_BLOCKS)])
    return scenarios


def history(chain: CorpusChain, scenarios: list[Scenario], blocks: int = HISTORY_BLOCKS) -> tuple[int, int]:
    """`blocks` blocks of background traffic from every scenario; the block range it covers."""
    first = chain.head() + 1
    for _ in range(blocks):
        sent = [s for scenario in scenarios for s in scenario.traffic()]
        chain.mine()
        chain.settle(sent, must=False)
    return first, chain.head()
