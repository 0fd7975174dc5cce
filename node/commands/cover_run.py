"""What each `guardian cover` command does (the options are declared in `cover`)."""

from __future__ import annotations

import argparse
import json
import re
import urllib.request
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from web3 import Web3

from node.artifacts import load_artifact
from node.commands import CommandError
from node.commands.protocol_run import _address, _mode
from node.governance.calls import OracleCall


@dataclass(frozen=True)
class ContractCall(OracleCall):
    """A call to a cover contract (the governance tooling's call, with that contract's ABI)."""

    contract: str = "CoverPool"

    @property
    def abi(self) -> dict:
        return next(f for f in load_artifact(self.contract)["abi"]
                    if f.get("type") == "function" and f["name"] == self.method)


def _call(contract: str, to: str, method: str, *args) -> ContractCall:
    c = Web3().eth.contract(abi=load_artifact(contract)["abi"])
    data = bytes.fromhex(c.encode_abi(method, args=list(args))[2:])
    return ContractCall(Web3.to_checksum_address(to), method, tuple(args), data, contract=contract)


def _client(args: argparse.Namespace, address: str):
    from node.governance.client import GovernanceError, OracleClient

    try:
        return OracleClient(args.rpc, address)  # any contract: it sends and simulates calls
    except GovernanceError as exc:
        raise CommandError(str(exc).replace("--oracle", "the contract")) from exc


def _units(value: str, decimals: int, what: str) -> int:
    try:
        amount = Decimal(value.replace("_", "").replace(",", ""))
    except InvalidOperation as exc:
        raise CommandError(f"{what}: not a number: {value!r}") from exc
    scaled = amount * (10 ** decimals)
    if amount < 0 or scaled != scaled.to_integral_value() or scaled >= 2**256:
        raise CommandError(f"{what}: {value!r} is not a whole number of base units "
                           f"({decimals} decimals)")
    return int(scaled)


def _sender(args: argparse.Namespace) -> str:
    if args.key_file is not None:
        from eth_account import Account

        from node.keys import KeyFileError, read_submitter_key

        try:
            return Account.from_key(read_submitter_key(args.key_file)).address
        except KeyFileError as exc:
            raise CommandError(str(exc)) from exc
    if args.sender is None:
        raise CommandError("give --from (the account that will send it) with --print-call or "
                           "--safe-json: the shares or assets go to it")
    return _address(args.sender, "--from")


def _run(args: argparse.Namespace, client, calls: list[ContractCall], title: str) -> int:
    from node.governance.client import GovernanceError
    from node.governance.safe import safe_batch
    from node.keys import KeyFileError, read_submitter_key

    try:
        if args.key_file is not None:
            key = read_submitter_key(args.key_file)
            for call in calls:
                sent = client.send(call, key)
                print(f"{title}: {call.describe()}")
                print(f"transaction {sent.tx_hash} in block {sent.block}, gas used {sent.gas_used}")
            return 0
        if args.sender is not None and len(calls) == 1:
            client.simulate(calls[0], _address(args.sender, "--from"))
            print(f"simulated from {Web3.to_checksum_address(args.sender)}: succeeds")
    except (GovernanceError, KeyFileError) as exc:
        raise CommandError(str(exc)) from exc
    if args.print_call:
        for call in calls:
            print(f"call:  {call.describe()}\nto:    {call.to}\nvalue: 0\ndata:  0x{call.data.hex()}")
    if args.safe_json is not None:
        batch = safe_batch(client.chain_id, list(calls), name=f"Guardian Network: {title}",
                           description="; ".join(c.describe() for c in calls),
                           safe=Web3.to_checksum_address(args.sender) if args.sender else None)
        try:
            args.safe_json.write_text(json.dumps(batch, indent=2) + "\n")
        except OSError as exc:
            raise CommandError(f"--safe-json: cannot write {args.safe_json}: {exc.strerror}") from exc
        print(f"wrote Safe Transaction Builder batch {args.safe_json} (chain {client.chain_id})")
    return 0


def _read(client, contract: str, address: str, method: str, *args):
    c = client.w3.eth.contract(address=Web3.to_checksum_address(address),
                               abi=load_artifact(contract)["abi"])
    return client.read(f"{contract}.{method}", getattr(c.functions, method)(*args))


def _decimals(client, token: str) -> int:
    return int(_read(client, "DemoToken", token, "decimals"))


def create(args: argparse.Namespace) -> int:
    _mode(args)
    factory = _address(args.factory, "--factory")
    if re.fullmatch(r"0x[0-9a-fA-F]{64}", args.protocol_id) is None:
        raise CommandError(f"--protocol-id: expected 0x + 64 hex digits, got {args.protocol_id!r}")
    client = _client(args, factory)
    asset = _address(args.asset, "--asset")
    decimals = _decimals(client, asset)
    terms = (bytes.fromhex(args.protocol_id[2:]), _address(args.claims_token, "--claims-token"),
             _units(args.max_payout, decimals, "--max-payout"),
             _units(args.deductible, decimals, "--deductible"), args.confirmation_window,
             args.claim_period)
    call = _call("CoverPoolFactory", factory, "createPool", asset, terms, args.symbol)
    return _run(args, client, [call], "create cover pool")


def fund(args: argparse.Namespace) -> int:
    _mode(args)
    pool = _address(args.pool, "--pool")
    client = _client(args, pool)
    asset = _read(client, "CoverPool", pool, "asset")
    amount = _units(args.amount, _decimals(client, asset), "--amount")
    receiver = _sender(args)
    calls = [_call("DemoToken", asset, "approve", pool, amount),
             _call("CoverPool", pool, "deposit", amount, receiver)]
    return _run(args, client, calls, "fund cover pool")


def withdraw(args: argparse.Namespace) -> int:
    _mode(args)
    pool = _address(args.pool, "--pool")
    client = _client(args, pool)
    owner = _sender(args)
    open_, closes = _read(client, "CoverPool", pool, "incidentWindow")
    if open_:
        raise CommandError(f"an incident window is open until {closes} (unix time): withdrawals "
                           f"are refused until the breach is confirmed or the window closes")
    shares = (int(_read(client, "CoverPool", pool, "balanceOf", owner)) if args.shares is None
              else _units(args.shares, int(_read(client, "CoverPool", pool, "decimals")),
                          "--shares"))
    if shares == 0:
        raise CommandError(f"{owner} holds no shares of this pool")
    return _run(args, client, [_call("CoverPool", pool, "redeem", shares, owner, owner)],
                "withdraw from cover pool")


def show(args: argparse.Namespace) -> int:
    pool = _address(args.pool, "--pool")
    client = _client(args, pool)
    terms = _read(client, "CoverPool", pool, "terms")
    asset = _read(client, "CoverPool", pool, "asset")
    d = 10 ** _decimals(client, asset)
    open_, closes = _read(client, "CoverPool", pool, "incidentWindow")
    doc = {"pool": pool, "asset": asset, "oracle": _read(client, "CoverPool", pool, "oracle"),
           "protocol_id": "0x" + terms[0].hex(), "claims_token": terms[1],
           "max_payout": str(Decimal(terms[2]) / d), "deductible": str(Decimal(terms[3]) / d),
           "confirmation_window_s": terms[4], "claim_period_s": terms[5],
           "total_assets": str(Decimal(_read(client, "CoverPool", pool, "totalAssets")) / d),
           "reserved_for_claims": str(Decimal(_read(client, "CoverPool", pool, "reserved")) / d),
           "incident_window": {"open": open_, "closes_at": closes}}
    for nonce in args.nonce:
        b = _read(client, "CoverPool", pool, "breach", nonce)
        doc[f"incident_{nonce}"] = ({"confirmed": False} if b[0] == 0 else {
            "confirmed": True, "loss": str(Decimal(b[0]) / d), "payout": str(Decimal(b[1]) / d),
            "claimed": str(Decimal(b[2]) / d), "snapshot_block": b[3], "claims_end_at": b[4],
            "root": "0x" + b[5].hex(), "unclaimed_released": b[6]})
    print(json.dumps(doc, indent=2))
    return 0


def _proof_from(args: argparse.Namespace, pool: str, protocol_id: bytes) -> tuple[int, list[bytes]]:
    if args.proof is not None:
        amount, _, proof = args.proof.partition(":")
        try:
            return int(amount), [bytes.fromhex(p.strip()[2:]) for p in proof.split(",") if p.strip()]
        except ValueError as exc:
            raise CommandError(f"--proof: expected amount:0x..,0x.., got {args.proof!r}") from exc
    url = f"{args.status_url.rstrip('/')}/cover/0x{protocol_id.hex()}/{args.nonce}/{args.account}"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            doc = json.loads(resp.read())
    except OSError as exc:
        raise CommandError(f"{url}: {exc} (an account without claims tokens at the snapshot "
                           f"has no proof)") from exc
    for inc in doc.get("incidents", []):
        if inc.get("pool", "").lower() == pool.lower() and "proof" in inc:
            return int(inc["amount"]), [bytes.fromhex(p[2:]) for p in inc["proof"]]
    raise CommandError(f"{url}: no proof for this pool and account")


def claim(args: argparse.Namespace) -> int:
    _mode(args)
    pool = _address(args.pool, "--pool")
    account = _address(args.account, "--account")
    client = _client(args, pool)
    protocol_id = _read(client, "CoverPool", pool, "protocolId")
    amount, proof = _proof_from(args, pool, protocol_id)
    return _run(args, client, [_call("CoverPool", pool, "claim", args.nonce, account, amount,
                                     proof)], f"claim for {account}")
