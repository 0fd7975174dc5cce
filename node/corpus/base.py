"""What every corpus scenario is: a protocol instance it deploys, background traffic from its
users, the registration it makes (the way docs/integrate.md advises, plus the claims entry), and
the event it plays (its harmful transactions marked), with the on-chain effect measured."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import ClassVar

from web3 import Web3
from web3.contract import Contract

from node.corpus.chain import E18, CorpusChain, Sent

EXPLOIT = "exploit"
BENIGN = "benign"


def selector(signature: str) -> bytes:
    return Web3.keccak(text=signature)[:4]


CLAIM_OF = selector("claimOf(address,address)")


@dataclass
class Effect:
    """The event's on-chain effect. Exploits: `at_risk` is what the users had in the protocol
    when it started, `lost` what the attacker took of it (0 when stopped in time). Benign
    events: `healthy` says the protocol still works and owes what it holds."""

    at_risk: int = 0
    lost: int = 0
    healthy: bool = True
    note: str = ""

    @property
    def saved_fraction(self) -> float:
        if not self.at_risk:
            return 1.0
        return max(0.0, min(1.0, 1 - self.lost / self.at_risk))

    def to_dict(self) -> dict:
        return {"at_risk": self.at_risk, "lost": self.lost, "healthy": self.healthy,
                "saved_fraction": round(self.saved_fraction, 4), "note": self.note}


@dataclass
class Watch:
    """The registration's detection part: the protected target, balances to watch, invariants
    (selector calldata), and the claims adapter (the target's own claimOf by default)."""

    target: str
    monitored: list[str]
    tokens: list[str]
    invariants: list[bytes] = field(default_factory=list)
    actions: str = "pause,circuit-breaker"
    # a swap venue registers none (docs/integrate.md): a trader's claim on the output token is 0
    claims: bool = True


class Scenario:
    """One class of the corpus. Subclasses set the class attributes and implement the hooks."""

    name: ClassVar[str]
    family: ClassVar[str]
    verdict: ClassVar[str]
    harmful: ClassVar[str]  # which transaction is the harmful one (what a guardian must stop)
    users: ClassVar[int] = 16  # background accounts

    def __init__(self, chain: CorpusChain, tokens: dict[str, Contract], seed: int = 1) -> None:
        self.chain = chain
        self.tokens = tokens
        self.rng = random.Random(f"{self.name}:{seed}")
        self.sent: list[Sent] = []

    # hooks --------------------------------------------------------------------------------
    def setup(self) -> None:
        """Deploy and seed the protocol (its users funded and approved)."""
        raise NotImplementedError

    def watch(self) -> Watch:
        raise NotImplementedError

    def traffic(self) -> list[Sent]:
        """One block's background traffic (sent, not awaited)."""
        return []

    def act(self) -> None:
        """Play the event: send its transactions (via `self.emit`), pacing blocks with
        `self.chain.next_block`."""
        raise NotImplementedError

    def effect(self) -> Effect:
        raise NotImplementedError

    # helpers ------------------------------------------------------------------------------
    def label(self, what: str) -> str:
        return f"{self.name}:{what}"

    def user(self, i: int | str):
        return self.chain.account(self.label(f"user{i}"))

    def emit(self, sent: Sent | list[Sent], *, wait: bool = True) -> list[Sent]:
        """Record event transactions and (by default) wait for them; reverts are recorded, not
        raised: a containment may make them fail."""
        batch = sent if isinstance(sent, list) else [sent]
        self.sent += batch
        if wait:
            self.chain.settle(batch, must=False)
        return batch

    def harmful_txs(self) -> list[Sent]:
        return [s for s in self.sent if s.harmful]

    def fund(self, accounts, token: Contract, amount: int, spender: str) -> None:
        """Mint `amount` of `token` to each account and approve `spender` (setup only)."""
        gov = self.chain.gov.account
        sent = []
        for acct in accounts:
            sent.append(self.chain.send(gov, token.functions.mint(acct.address, amount),
                                        label=self.label("mint")))
            sent.append(self.chain.send(acct, token.functions.approve(spender, 2**256 - 1),
                                        label=self.label("approve")))
        self.chain.settle(sent)

    def info(self) -> dict:
        return {"class": self.name, "family": self.family, "verdict": self.verdict,
                "harmful": self.harmful}


def whole(amount: int) -> str:
    return f"{amount / E18:,.0f}"
