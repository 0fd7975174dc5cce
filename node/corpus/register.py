"""Register a corpus protocol the way docs/integrate.md advises: each balance rule at twice the
worst movement of its history (at least 30% per 20 blocks of outflow and 20% in one block), its
invariant where it has one, plus the claims entry: an invariants entry whose calldata is exactly
the 4-byte selector of `claimOf(address,address)` on the target (the new rules read it as the
claims view; older guardians see an extra invariant whose call without arguments always reverts,
so it never holds and never breaks)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from node.corpus.base import CLAIM_OF, Scenario
from node.corpus.chain import CorpusChain
from node.registration import build_registration

WINDOW_BLOCKS = 20
MIN_OUTFLOW_BPS = 3000
MIN_DROP_BPS = 2000
MAX_DURATION = 3600
COOLDOWN = 600


@dataclass
class Limits:
    outflow_bps: int
    drop_bps: int
    worst_window_bps: int
    worst_block_bps: int

    def to_dict(self) -> dict:
        return asdict(self)


def worst_drops(series: list[int], window: int) -> tuple[int, int]:
    """The largest net drop over `window` blocks and over one block, in basis points of the
    earlier balance (0 when the balance never fell)."""
    def drop(before: int, after: int) -> int:
        return (before - after) * 10_000 // before if before > 0 and after < before else 0

    over_window = max((drop(series[i - window], series[i]) for i in range(window, len(series))),
                      default=0)
    one_block = max((drop(series[i - 1], series[i]) for i in range(1, len(series))), default=0)
    return over_window, one_block


def limits_from_history(chain: CorpusChain, scenario: Scenario, first: int, last: int) -> Limits:
    watch = scenario.watch()
    worst_window = worst_block = 0
    for holder in watch.monitored:
        for address in watch.tokens:
            token = chain.contract("DemoToken", address)
            series = [chain.token_balance(token, holder, b) for b in range(first - 1, last + 1)]
            w, b = worst_drops(series, WINDOW_BLOCKS)
            worst_window, worst_block = max(worst_window, w), max(worst_block, b)
    return Limits(min(10_000, max(MIN_OUTFLOW_BPS, 2 * worst_window)),
                  min(10_000, max(MIN_DROP_BPS, 2 * worst_block)), worst_window, worst_block)


def registration_for(chain: CorpusChain, scenario: Scenario, limits: Limits):
    watch = scenario.watch()
    invariants = [f"{watch.target}:0x{sel.hex()}" for sel in watch.invariants]
    if watch.claims:
        invariants.append(f"{watch.target}:0x{CLAIM_OF.hex()}")  # the claims entry
    return build_registration(
        target=watch.target, admin=chain.gov.account.address, actions=watch.actions,
        hook="guardable", max_duration=MAX_DURATION, cooldown=COOLDOWN,
        monitored=watch.monitored, tokens=watch.tokens, outflow_limit_bps=limits.outflow_bps,
        window_blocks=WINDOW_BLOCKS, balance_drop_bps=limits.drop_bps, invariants=invariants)


def register_all(chain: CorpusChain, oracle, scenarios: list[Scenario], first: int,
                 last: int) -> dict[str, Limits]:
    """Register every scenario's protocol with `oracle` (the governance is each admin, at most
    the oracle's 16 per admin, and pays the refundable bond, whose price rises as the registry
    fills: one at a time)."""
    out = {}
    for scenario in scenarios:
        limits = limits_from_history(chain, scenario, first, last)
        reg = registration_for(chain, scenario, limits)
        bond = oracle.functions.registrationBond().call()
        chain.settle([chain.send(chain.gov.account, oracle.functions.register(reg.as_abi()),
                                 gas=2_000_000, value=bond, label=f"register {scenario.name}")])
        out[scenario.name] = limits
    return out
