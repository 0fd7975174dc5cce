"""Every class of the corpus with its expected verdict (exploit or benign) and its harmful
transaction. Add a class: write a `Scenario` subclass in its family module and list it here."""

from __future__ import annotations

from node.corpus import amm, bank, distributor, governor, lending, vault
from node.corpus.base import BENIGN, EXPLOIT, Scenario

CLASSES: tuple[type[Scenario], ...] = (
    # exploits
    lending.OracleFlashLoan,
    bank.ReentrancyDrain,
    vault.Inflation,
    bank.MissingAccessControl,
    distributor.SignatureReplay,
    vault.RoundingDrain,
    governor.GovernanceTakeover,
    bank.SlowDrain,
    # benign
    bank.WhaleExit,
    bank.BankRun,
    bank.FlashDeposit,
    lending.MarketCrash,
    amm.LargeTrades,
    bank.GovernanceOps,
    bank.Migration,
    distributor.ClaimRush,
)

BY_NAME: dict[str, type[Scenario]] = {c.name: c for c in CLASSES}


def select(names: str | None) -> list[type[Scenario]]:
    """The classes named in a comma-separated list (all when empty); ValueError names an unknown
    one."""
    if not names:
        return list(CLASSES)
    out = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in BY_NAME:
            raise ValueError(f"unknown corpus class {name!r}; known: {', '.join(BY_NAME)}")
        out.append(BY_NAME[name])
    return out


def table() -> list[dict]:
    return [{"class": c.name, "family": c.family, "verdict": c.verdict, "harmful": c.harmful}
            for c in CLASSES]


assert all(c.verdict in (EXPLOIT, BENIGN) for c in CLASSES)
