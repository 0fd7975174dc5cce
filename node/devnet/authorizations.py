"""What the guardians sent to the oracle during a devnet run: every `authorize` transaction in a
block range, and how many reverted (each one is gas a guardian paid for nothing)."""

from __future__ import annotations

from eth_utils import function_abi_to_4byte_selector

from node.artifacts import load_artifact

AUTHORIZE_SELECTOR = function_abi_to_4byte_selector(next(
    item for item in load_artifact("GuardianOracle")["abi"] if item.get("name") == "authorize"))


def authorize_transactions(w3, oracle: str, from_block: int, to_block: int) -> dict:
    """Counts of `authorize` transactions to `oracle` in [from_block, to_block]: sent, reverted,
    and the gas the reverted ones burnt."""
    sent = reverted = wasted = 0
    target = oracle.lower()
    for number in range(max(0, from_block), to_block + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            data = bytes(tx["input"]) if not isinstance(tx["input"], str) else \
                bytes.fromhex(tx["input"][2:])
            if (tx.get("to") or "").lower() != target or data[:4] != AUTHORIZE_SELECTOR:
                continue
            sent += 1
            receipt = w3.eth.get_transaction_receipt(tx["hash"])
            if receipt["status"] == 0:
                reverted += 1
                wasted += receipt["gasUsed"]
    return {"authorize_sent": sent, "authorize_reverted": reverted,
            "gas_of_reverted_authorize": wasted}
