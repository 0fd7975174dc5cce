"""The seed corpus: valid inputs of every target (and the defects fuzzing found, kept as
regressions by `corpus.add`). `python -m node.fuzzing --write-seeds` writes them to
tests/fuzz_corpus/<target>/; everything here is deterministic."""

from __future__ import annotations

import json
from collections.abc import Callable

import msgpack
from eth_abi import encode as abi_encode
from eth_hash.auto import keccak

from node.config import render_config
from node.fuzzing import fixtures
from node.fuzzing.targets_cover import SEEDS as COVER_SEEDS
from protocol import keystore, messages, threshold
from protocol.detection import PRIVILEGED_TOPICS, EvidenceKind
from protocol.digest import Action
from protocol.evidence import Evidence, encode_evidence

ADDRESS = "0x" + fixtures.HOLDER.hex()
HASH = "0x" + "ab" * 32


def _evidence() -> list[Evidence]:
    topic = next(iter(PRIVILEGED_TOPICS))
    return [
        Evidence(EvidenceKind.OUTFLOW, fixtures.PROTOCOL_ID, 90, 100, fixtures.TOKEN,
                 (10**24, 10**23), fixtures.HOLDER),
        Evidence(EvidenceKind.BALANCE_DROP, fixtures.PROTOCOL_ID, 99, 100, b"\x00" * 20,
                 (10**20, 1), fixtures.HOLDER),
        Evidence(EvidenceKind.INVARIANT, fixtures.PROTOCOL_ID, 95, 100, fixtures.INVARIANT.target,
                 (1, 0), fixtures.INVARIANT.data),
        Evidence(EvidenceKind.PRIVILEGED_CHANGE, fixtures.PROTOCOL_ID, 100, 100, fixtures.HOLDER,
                 (3,), b"\x01" * 32 + topic + b"\x0b" * 20),
    ]


def _messages() -> list[bytes]:
    k = fixtures.keys()
    b = k.backend
    out = []
    for i, ev in enumerate(_evidence(), 1):
        report = messages.sign_message(messages.Report(
            chain_id=fixtures.CHAIN_ID, oracle=fixtures.ORACLE, key_epoch=1,
            protocol_id=fixtures.PROTOCOL_ID, action=Action.PAUSE, nonce=0,
            deadline=fixtures.NOW + 3600, evidence=ev, observed_block=ev.block_to, guardian=i,
            signature=b""), k.sk(i), b)
        out.append(messages.encode(report))
    digest = messages.decode(out[0], b).digest()
    incident = messages.decode(out[0], b).incident_id
    partials = {i: threshold.partial_sign(k.sk(i), digest, b) for i in (1, 2, 3)}
    share = messages.Share(incident, digest, partials[2], 2, b"")
    proof = messages.Proof(incident, digest, threshold.combine(partials, b), (1, 2, 3), b"", 3, b"")
    beat = messages.Heartbeat(fixtures.HEAD, b"\x01" * 32, fixtures.NOW * 1000, 1, 4, b"")
    request = messages.ReportRequest(digest, fixtures.NOW * 1000, 1, 1, b"")
    for msg, signer in ((share, 2), (proof, 3), (beat, 4), (request, 1)):
        out.append(messages.encode(messages.sign_message(msg, k.sk(signer), b)))
    return out


def _config() -> list[bytes]:
    text = render_config(
        name="guardian-1", data_dir="data", rpc_http="http://127.0.0.1:8545",
        rpc_ws="ws://127.0.0.1:8546", chain_id=31337, oracle="0x" + fixtures.ORACLE.hex(),
        share_keystore="share.json", guardian_set="/etc/guardian/set.json",
        p2p_identity="~/p2p.key", passphrase_file="pass", submitter_key_file="submitter.key",
        listen="/ip4/0.0.0.0/tcp/9000",
        bootstrap=["/ip4/10.0.0.2/tcp/9000/p2p/16Uiu2HAmPLe7Mzm8TsYUubgCAW1aJoeFScxrLj8ppHFivPo97bUZ",
                   "/dns4/guardian-3/tcp/9000/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"],
        metrics_listen="[::1]:9100", stagger_seconds=1.5, log_format="json")
    return [text.encode(), b"[node]\nname = 'x'\n[chain]\nchain_id = 1\n"]


def _keystore() -> list[bytes]:
    k = fixtures.keys()
    doc = keystore.encrypt_share(k.sk(2), fixtures.PASSPHRASE, index=2, epoch=1, backend=k.backend,
                                 kdf_n=keystore.MIN_KDF_N, salt=b"\x05" * 32, iv=b"\x06" * 16)
    doc["uuid"] = "00000000-0000-4000-8000-000000000000"
    return [json.dumps(doc, indent=2).encode(), json.dumps(doc, separators=(",", ":")).encode()]


def _gsets() -> list[bytes]:
    gset = fixtures.keys().gset
    peers = gset.with_peer_ids([f"QmPeer{c}" for c in "ABCD"])
    return [gset.encode(), peers.encode()]


def _rpc(*values) -> list[bytes]:
    return [msgpack.packb(v, use_bin_type=True) for v in values]


def _log(data: str = "0x") -> dict:
    return {"address": ADDRESS, "topics": [HASH, "0x" + "00" * 32], "data": data,
            "transactionHash": HASH, "logIndex": "0x1", "blockNumber": 100}


def _registration() -> list:
    return [ADDRESS, bytes(20), 3, 1, b"\x84\x56\xcb\x59", 3600, 600,
            [[ADDRESS], ["0x" + fixtures.TOKEN.hex()], 1000, 10, 2000,
             [[ADDRESS, b"\x12\x34\xab\xcd"]]]]


def _reverts() -> list[bytes]:
    def err(sig: str, types: list[str], values: list) -> bytes:
        return keccak(sig.encode())[:4] + abi_encode(types, values)

    return [err("Error(string)", ["string"], ["Pausable: paused"]),
            err("Panic(uint256)", ["uint256"], [0x11]),
            err("GuardianOracleActionNotAllowed(bytes32,uint8)", ["bytes32", "uint8"],
                [fixtures.PROTOCOL_ID, 2]),
            err("OwnableUnauthorizedAccount(address)", ["address"], [ADDRESS]),
            bytes.fromhex("deadbeef") + b"\x00" * 32, b""]


SEEDS: dict[str, Callable[[], list[bytes]]] = {
    "wire-message": _messages,
    "gossip-rules": _messages,
    "evidence": lambda: [encode_evidence(ev) for ev in _evidence()],
    "guardian-set": _gsets,
    "config-toml": _config,
    "keystore": _keystore,
    "guardian-set-file": lambda: [fixtures.keys().gset.to_json().encode(),
                                  fixtures.keys().gset.with_peer_ids(
                                      [f"QmPeer{c}" for c in "ABCD"]).to_json().encode()],
    "p2p-identity": lambda: [(b"\x11" * 32).hex().encode() + b"\n"],
    "submitter-key": lambda: [b"0x" + (b"\x22" * 32).hex().encode() + b"\n"],
    "rpc-scalars": lambda: _rpc("0x1a", 12, "1234", HASH, b"\x01" * 32, bytearray(b"\x02" * 20)),
    "rpc-block": lambda: _rpc({"number": "0x64", "hash": HASH, "timestamp": "0x6553f100"},
                              {"number": 100, "hash": b"\xab" * 32, "timestamp": 1700000000,
                               "parentHash": HASH}),
    "rpc-log": lambda: _rpc(_log(), _log("0x" + "00" * 64)),
    "rpc-receipt": lambda: _rpc({"from": ADDRESS, "transactionHash": HASH, "status": "0x1",
                                 "blockNumber": "0x64", "gasUsed": 21000, "logs": [_log()]}),
    "rpc-registration": lambda: _rpc(_registration()),
    "rpc-containment": lambda: _rpc([1, 1700000000, 1700003600, True, True], [0, 0, 0, False,
                                                                               False]),
    "revert-data": _reverts,
    "cli-registration": lambda: _rpc(
        {"target": ADDRESS, "admin": ADDRESS, "actions": "pause,circuit-breaker",
         "hook": "selector", "selector": "0x8456cb59", "max_duration": 3600, "cooldown": 600,
         "monitored": [ADDRESS], "tokens": [ADDRESS], "outflow_limit_bps": 1000,
         "window_blocks": 10, "balance_drop_bps": 0, "invariants": [ADDRESS + ":0x1234abcd"]},
        {"target": ADDRESS, "admin": ADDRESS, "actions": "pause", "monitored": [ADDRESS]}),
    "status-request": lambda: [b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n",
                               b"GET /metrics?x=1 HTTP/1.1\r\n\r\n", b"POST / HTTP/1.0\r\n\r\n"],
    **COVER_SEEDS,
}


def _audit_seeds(name: str) -> Callable[[], list[bytes]]:
    return lambda: __import__("node.fuzzing.targets_audit", fromlist=["seeds"]).seeds()[name]


SEEDS.update({name: _audit_seeds(name) for name in (
    "evidence-bytes", "evidence-answer", "authorize-calldata", "evidence-path",
    "guardian-records")})
