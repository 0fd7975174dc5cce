"""Preparation-stage evidence: a freshly deployed contract that, probed by simulation before anyone
calls it, would break a protocol's registered rule.

Most exploits are two steps: deploy an attack contract, then call it. A guardian that sees the
deployment (pending, or mined) reads the new runtime code, keeps it only if it can touch a
registered protocol (`mentions`: the code names a registered address, or a flash lender), lists
the functions its dispatcher answers (`selectors`), and simulates calls to them from the
deployer (`probe_calls`) on the head. A probe whose effect breaks a registered rule is evidence
of kind PREPARED: the same rule (outflow, balance drop, invariant) judged by the same check
function (`protocol.detection.check_prepared`), nothing looser. The evidence has the class of
that rule (`protocol.detection.evidence_shape`): a probe that only a balance rule judges is
volatility (a whale's own withdrawal helper breaks it too), one judged by an invariant or by
EXTRACTION (value taken beyond the takers' own claims) is exploit.

This module is pure: bytecode scanning, the probe shapes and the canonical encoding of the
probe (the evidence's `detail`). The evidence fields of a PREPARED report:
    block_from = the base block the probe runs on, block_to = base + 1 (the simulated block);
    subject, observed = those of the rule the probe breaks (token and (balance before, after) for
    OUTFLOW / BALANCE_DROP, target and (held before, held after) for INVARIANT, token and the
    intent facts for EXTRACTION, whose rule_detail is the creation's hash + the beneficiaries:
    the probe's sender, the new contract, then receivers of value leaving monitored contracts,
    at most MAX_PROBE_BENEFICIARIES; young is 1, claims are read before the probe);
    detail = msgpack map, keys in this order:
        rule (uint8: the broken rule's kind), rule_detail (bin <= 256: that rule's detail),
        contract (bin 20: the probed contract), creation (bin 32: the creating transaction's
        hash), pending (bool: the creation was not mined at the base block, the probe runs after
        it in the simulated block), sender (bin 20), value (bin 32, uint256), calldata
        (bin <= MAX_PROBE_CALLDATA), base_hash (bin 32), sim_time (uint64).
The evidence hash binds all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from eth_hash.auto import keccak

from protocol.wire import MessageError, check_keys, fixed_bytes, pack, uint, unpack_map, var_bytes

MAX_PROBE_CALLDATA = 4 + 32 * 2
MAX_RULE_DETAIL = 256
# An EXTRACTION-judged probe's rule_detail: a 32-byte tag (the creation's hash) + beneficiaries.
MAX_PROBE_BENEFICIARIES = (MAX_RULE_DETAIL - 32) // 20
PROBE_KEYS = ("rule", "rule_detail", "contract", "creation", "pending", "sender", "value",
              "calldata", "base_hash", "sim_time")

# EVM opcodes the scanner needs.
PUSH1, PUSH4, PUSH20, PUSH32 = 0x60, 0x63, 0x73, 0x7F
EQ, SUB, XOR, JUMPI = 0x14, 0x03, 0x18, 0x57
DUP1, DUP16 = 0x80, 0x8F

# Flash lenders on Ethereum mainnet (Uniswap V3 lends from every pair pool: no one address, its
# `flash` selector below stands for it).
FLASH_LENDERS: frozenset[bytes] = frozenset(bytes.fromhex(a) for a in (
    "87870bca3f3fd6335c3f4ce8392d69350b4fa4e2",  # Aave V3 Pool
    "7d2768de32b0b80b7a3454c06bdac94a69ddc7a9",  # Aave V2 LendingPool
    "ba12222222228d8ba445958a75a0704d566bf2c8",  # Balancer V2 Vault
    "60744434d6339a6b27d73d9eda62b6f66a0a04fa",  # Maker DssFlash
    "1e0447b19bb6ecfdae1e4ae1694b0c3659614e4e",  # dYdX SoloMargin
))
# Flash-loan entry points (a PUSH4 operand naming one calls a lender whatever its address).
FLASH_SELECTORS: frozenset[bytes] = frozenset(keccak(sig.encode())[:4] for sig in (
    "flashLoan(address,address[],uint256[],uint256[],address,bytes,uint16)",  # Aave
    "flashLoanSimple(address,address,uint256,bytes,uint16)",  # Aave V3
    "flashLoan(address,address[],uint256[],bytes)",  # Balancer
    "flashLoan(address,address,uint256,bytes)",  # ERC-3156
    "flash(address,uint256,uint256,bytes)",  # Uniswap V3 pool
))


class PreparedError(MessageError):
    """A PREPARED evidence detail that does not decode; the message says why."""


def opcodes(code: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(pc, opcode, immediate) for each instruction; PUSH data is an immediate, never scanned as
    opcodes (a PUSH32 whose bytes look like PUSH20 is one instruction). A PUSH cut short by the
    end of the code yields what is there (the EVM pads it with zeros; we do not need the pad)."""
    pc, end = 0, len(code)
    while pc < end:
        op = code[pc]
        width = op - PUSH1 + 1 if PUSH1 <= op <= PUSH32 else 0
        yield pc, op, bytes(code[pc + 1:pc + 1 + width])
        pc += 1 + width


def address_operands(code: bytes) -> set[bytes]:
    """Addresses the code names: PUSH20 operands, and PUSH32 operands whose top 12 bytes are
    zero (how solc embeds an `immutable address` set in the constructor)."""
    found: set[bytes] = set()
    for _, op, imm in opcodes(code):
        if op == PUSH20 and len(imm) == 20:
            found.add(imm)
        elif op == PUSH32 and len(imm) == 32 and imm[:12] == b"\x00" * 12 and imm[12:].strip(
                b"\x00"):
            found.add(imm[12:])
    return found


def word_addresses(words: Iterable[bytes]) -> set[bytes]:
    """Storage words that hold an address (top 12 bytes zero, not all zero): what a constructor
    stored in a non-immutable `address` variable."""
    return {w[12:] for w in words if len(w) == 32 and w[:12] == b"\x00" * 12 and w[12:].strip(
        b"\x00") and int.from_bytes(w, "big") > 0xFFFFFFFF}


def mentions(code: bytes, registered: Iterable[bytes],
             stored: Iterable[bytes] = ()) -> set[bytes]:
    """The cheap filter: the registered addresses the code names (in its bytecode or in the
    storage words `stored`), plus the flash lenders it names or calls by selector (reported as
    the lender's address, or the 20 zero bytes for "a flash loan by selector"). Empty: the code
    cannot reach a registered protocol by any address it carries, so it is not probed."""
    named = address_operands(code) | word_addresses(stored)
    hits = named & set(registered) | named & FLASH_LENDERS
    if any(op == PUSH4 and imm in FLASH_SELECTORS for _, op, imm in opcodes(code)):
        hits.add(b"\x00" * 20)
    return hits


def selectors(code: bytes, limit: int) -> list[bytes]:
    """The external function selectors the dispatcher compares calldata with, in code order, at
    most `limit`: PUSH4 sel, (DUPn,) EQ|SUB|XOR, PUSHn dest, JUMPI (solc's EQ, Vyper's XOR).
    A PUSH4 followed by anything else (GT in solc's binary search over selectors, a constant)
    is not a dispatch."""
    ops = list(opcodes(code))
    found: dict[bytes, None] = {}
    for k, (_, op, imm) in enumerate(ops):
        if op != PUSH4 or len(imm) != 4:
            continue
        j = k + 1
        if j < len(ops) and DUP1 <= ops[j][1] <= DUP16:
            j += 1
        if (j + 2 < len(ops) and ops[j][1] in (EQ, SUB, XOR)
                and PUSH1 <= ops[j + 1][1] <= PUSH32 and ops[j + 2][1] == JUMPI):
            found.setdefault(imm, None)
            if len(found) >= limit:
                break
    return list(found)


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def probe_calls(sels: Iterable[bytes], amounts: Iterable[int],
                targets: Iterable[bytes]) -> list[bytes]:
    """Calldata of the probes of one contract, in a fixed order: the fallback (empty calldata),
    then for each selector: no arguments, one uint256 (each of `amounts`: the protocol's
    balances), one address (each of `targets`: the registered contracts)."""
    amounts = list(dict.fromkeys(a for a in amounts if 0 <= a < 2**256))
    targets = list(dict.fromkeys(targets))
    calls: list[bytes] = [b""]
    for sel in sels:
        calls.append(sel)
        calls += [sel + word(a) for a in amounts]
        calls += [sel + b"\x00" * 12 + t for t in targets]
    return list(dict.fromkeys(calls))


@dataclass(frozen=True)
class Probe:
    """One probe and the rule its effect broke: the `detail` of PREPARED evidence."""

    rule: int
    rule_detail: bytes
    contract: bytes
    creation: bytes
    pending: bool
    sender: bytes
    value: int
    calldata: bytes
    base_hash: bytes
    sim_time: int

    def __post_init__(self) -> None:
        decode_probe(encode_probe(self))


def encode_probe(p: Probe) -> bytes:
    if isinstance(p.value, bool) or not isinstance(p.value, int) or not 0 <= p.value < 2**256:
        raise PreparedError("prepared.value: not a uint256")
    return pack({"rule": p.rule, "rule_detail": p.rule_detail, "contract": p.contract,
                 "creation": p.creation, "pending": p.pending, "sender": p.sender,
                 "value": word(p.value), "calldata": p.calldata, "base_hash": p.base_hash,
                 "sim_time": p.sim_time})


def decode_probe(data: bytes) -> Probe:
    """The probe a PREPARED evidence's detail encodes; PreparedError if it is not the canonical
    encoding of one."""
    try:
        raw = unpack_map(data)
        check_keys(raw, PROBE_KEYS, "prepared")
        if not isinstance(raw["pending"], bool):
            raise PreparedError("prepared.pending: expected a boolean")
        fields = dict(
            rule=uint(raw, "rule", "prepared", bits=8),
            rule_detail=var_bytes(raw, "rule_detail", "prepared", MAX_RULE_DETAIL),
            contract=fixed_bytes(raw, "contract", "prepared", 20),
            creation=fixed_bytes(raw, "creation", "prepared", 32),
            pending=raw["pending"],
            sender=fixed_bytes(raw, "sender", "prepared", 20),
            value=int.from_bytes(fixed_bytes(raw, "value", "prepared", 32), "big"),
            calldata=var_bytes(raw, "calldata", "prepared", MAX_PROBE_CALLDATA),
            base_hash=fixed_bytes(raw, "base_hash", "prepared", 32),
            sim_time=uint(raw, "sim_time", "prepared"))
    except PreparedError:
        raise
    except MessageError as exc:
        raise PreparedError(str(exc)) from exc
    probe = object.__new__(Probe)
    for name, value in fields.items():
        object.__setattr__(probe, name, value)
    if encode_probe(probe) != bytes(data):
        raise PreparedError("prepared: not the canonical encoding")
    return probe


def probe_rule(data: bytes) -> int | None:
    """The inner rule of an encoded probe, or None if it does not decode (its class follows)."""
    try:
        return decode_probe(data).rule
    except PreparedError:
        return None
