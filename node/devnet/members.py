"""The compose testnet's key ceremony with one participant per guardian container: each guardian
makes its keys and runs its own `guardian dkg run` participant in its own volume, and the
deployer only ever sees public files. Nothing secret crosses a container boundary.

    guardian-i container, its own volume at DIR (never mounted anywhere else):
        DIR/dkg.key, p2p.key        its ceremony keys and libp2p identity (0600)
        DIR/passphrase              its keystore passphrase (0600, random)
        DIR/submitter.key           its Ethereum key (0600); only the address is published
        DIR/share.keystore.json     its share, written by its own ceremony participant
        DIR/guardian-set.json       its copy of the public set
        DIR/data/                   its node's sqlite store
    the shared volume at SHARED (public files only):
        SHARED/entries/guardian-<i>.json   its entry: public ceremony keys, peer id, addresses
        SHARED/ceremony.json               the ceremony file the deployer assembled
        SHARED/sets/guardian-<i>.json      the guardian set its participant wrote
        SHARED/configs/guardian-<i>.toml   its node config (paths into DIR), by the deployer
        SHARED/deployment.json, guardian-set.json

`guardian devnet member` (each guardian) writes its entry, waits for the ceremony file, runs the
ceremony, publishes its guardian set, waits for its config and becomes the node
(`guardian run`). `guardian devnet deploy --members` (the deployer) waits for every entry,
assembles the ceremony, waits for every participant's guardian set (all identical), deploys with
it, funds the guardians' submitter addresses and writes their configs.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from node.errors import NodeError

ENTRIES, SETS, CONFIGS = "entries", "sets", "configs"
CEREMONY_PORT = 9400
CEREMONY_NAME = "compose-devnet"


class MemberError(NodeError, RuntimeError):
    """A guardian container could not take its part; the message says which step."""


def _publish(path: Path, text: str) -> None:
    """Write a public file atomically (readers poll for it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _wait_for(what: str, probe: Callable[[], object], timeout: float, poll: float = 0.5):
    """Until `probe()` returns something truthy (another container writes it)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise MemberError(f"gave up waiting for {what} after {timeout:.0f}s")
        time.sleep(poll)  # another container's file: nothing to await across containers


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


# -- the guardian's side ------------------------------------------------------------------------
def ensure_member_keys(directory: Path, index: int, host: str,
                       port: int = CEREMONY_PORT) -> dict:
    """Keys in `directory` (kept if present) and the public entry they give."""
    from node.devnet.contracts import new_account
    from node.dkg.files import ceremony_entry, ensure_keys
    from node.keys import read_secret_file, write_secret_file, write_submitter_key
    from node.p2p.identity import peer_id_of

    keys, identity, _ = ensure_keys(directory)
    if not (directory / "passphrase").exists():
        write_secret_file(directory / "passphrase", secrets.token_urlsafe(18).encode() + b"\n")
    submitter = directory / "submitter.key"
    if not submitter.exists():
        write_submitter_key(submitter, new_account()[1])
    from eth_account import Account

    address = Account.from_key(bytes.fromhex(
        read_secret_file(submitter, "submitter key").decode().strip())).address
    peer = peer_id_of(identity)
    proto = "ip4" if host.replace(".", "").isdigit() else "dns4"
    return {**ceremony_entry(keys, peer), "index": index, "submitter": address,
            "ceremony_address": f"/{proto}/{host}/tcp/{port}/p2p/{peer}"}


def run_member(index: int, directory: Path, shared: Path, host: str, *, kdf_n: int,
               port: int = CEREMONY_PORT, timeout: float = 600.0,
               say: Callable[[str], None] = print) -> Path:
    """Everything up to the node: returns the config file `guardian run` takes."""
    import trio

    from node.dkg.files import load_ceremony
    from node.dkg.phases import Timeouts
    from node.dkg.runner import RunOptions, run_ceremony

    directory, shared = Path(directory), Path(shared)
    mine = directory / "guardian-set.json"
    if not (directory / "share.keystore.json").exists():
        entry = ensure_member_keys(directory, index, host, port)
        _publish(shared / ENTRIES / f"guardian-{index}.json", json.dumps(entry, indent=2))
        say(f"guardian {index}: entry published (peer {entry['peer_id']}); waiting for the "
            "ceremony file")

        def my_ceremony():
            path = shared / "ceremony.json"
            if not path.exists():
                return None
            ceremony = load_ceremony(path)
            listed = ceremony.recipient(index)
            return ceremony if listed and "0x" + listed.signing_key.hex() == entry[
                "signing_key"] else None

        ceremony = _wait_for("the ceremony file", my_ceremony, timeout)
        entries = {i: _read_json(shared / ENTRIES / f"guardian-{i}.json")
                   for i in range(1, ceremony.n + 1)}
        bootstrap = tuple(entries[(index - 1 + k) % ceremony.n + 1]["ceremony_address"]
                          for k in range(1, min(4, ceremony.n - 1) + 1))
        passphrase = (directory / "passphrase").read_text().strip()
        opts = RunOptions(ceremony=ceremony, directory=directory, passphrase=passphrase,
                          listen=f"/ip4/0.0.0.0/tcp/{port}", bootstrap=bootstrap,
                          timeouts=Timeouts(240, 60, 60, 60), linger_seconds=3.0, kdf_n=kdf_n,
                          say=say)
        try:
            trio.run(run_ceremony, opts)
        except NodeError as exc:
            raise MemberError(f"guardian {index}: the ceremony failed: {exc}") from exc
    text = mine.read_text()
    _publish(shared / SETS / f"guardian-{index}.json", text)
    set_hash = _set_hash(text)
    say(f"guardian {index}: guardian set {set_hash} published; waiting for the deployment")

    def deployed():
        doc = _read_json(shared / "deployment.json")
        return doc if doc and doc.get("guardian_set_hash") == set_hash else None

    _wait_for("the deployment of this guardian set", deployed, timeout)
    (directory / "data").mkdir(mode=0o700, exist_ok=True)
    return shared / CONFIGS / f"guardian-{index}.toml"


def _set_hash(text: str) -> str:
    from protocol.guardian_set import GuardianSet

    return "0x" + GuardianSet.from_json(text).hash().hex()


# -- the deployer's side ------------------------------------------------------------------------
def collect_ceremony(shared: Path, guardians: int, threshold: int, *, timeout: float = 600.0,
                     log: Callable[[str], None] = print):
    """Wait for every guardian's entry, write the ceremony file, wait for every participant's
    guardian set (identical); returns (guardian set, entries)."""
    from node.dkg.assemble import assemble, parse_entry
    from protocol.guardian_set import GuardianSet

    shared = Path(shared)
    for stale in ("ceremony.json", "deployment.json"):
        (shared / stale).unlink(missing_ok=True)
    for old in (shared / SETS).glob("*.json") if (shared / SETS).exists() else ():
        old.unlink()
    paths = [shared / ENTRIES / f"guardian-{i}.json" for i in range(1, guardians + 1)]
    _wait_for(f"the entries of {guardians} guardians",
              lambda: all(_read_json(p) for p in paths), timeout)
    entries = {i: _read_json(p) for i, p in enumerate(paths, 1)}
    participants = [parse_entry(json.dumps({k: e[k] for k in ("peer_id", "encryption_key",
                                                              "signing_key")}), i,
                                f"guardian {i}'s entry")
                    for i, e in entries.items()]
    ceremony = assemble(CEREMONY_NAME, threshold, 1, participants)
    _publish(shared / "ceremony.json", ceremony.to_json())
    log(f"ceremony 0x{ceremony.id.hex()[:16]}... among {guardians} guardian containers "
        f"(threshold {threshold}); each runs its own participant")
    started = time.monotonic()
    sets = [shared / SETS / f"guardian-{i}.json" for i in range(1, guardians + 1)]
    _wait_for(f"the guardian sets of {guardians} participants",
              lambda: all(p.exists() for p in sets), timeout)
    texts = {p.read_text() for p in sets}
    if len(texts) != 1:
        raise MemberError("the guardians' participants wrote different guardian sets")
    text = texts.pop()
    _publish(shared / "guardian-set.json", text)
    log(f"all {guardians} participants wrote guardian set {_set_hash(text)} "
        f"({time.monotonic() - started:.1f}s after the ceremony file)")
    return GuardianSet.from_json(text), entries, time.monotonic() - started


def member_configs(shared: Path, entries: dict, deployment, topo, member_dir: str, *,
                   p2p_port: int, metrics_port: int) -> tuple[dict[int, str], dict[int, str]]:
    """One config per guardian, pointing into its own volume (`member_dir`); returns the
    status URLs and the p2p addresses."""
    from node.config import render_config
    from node.devnet.network import ring_neighbours

    addrs = {i: f"/dns4/{topo.p2p_host.format(i=i)}/tcp/{p2p_port}/p2p/{e['peer_id']}"
             for i, e in entries.items()}
    status = {}
    for i in entries:
        config = render_config(
            name=f"guardian-{i}", data_dir=f"{member_dir}/data", rpc_http=topo.rpc_http,
            rpc_ws=topo.rpc_ws, chain_id=deployment.chain_id, oracle=deployment.oracle,
            share_keystore=f"{member_dir}/share.keystore.json",
            guardian_set=f"{member_dir}/guardian-set.json",
            p2p_identity=f"{member_dir}/p2p.key", passphrase_file=f"{member_dir}/passphrase",
            submitter_key_file=f"{member_dir}/submitter.key",
            listen=f"/ip4/{topo.listen_host}/tcp/{p2p_port}",
            bootstrap=ring_neighbours(addrs, i),
            metrics_listen=f"{topo.metrics_host}:{metrics_port}")
        _publish(Path(shared) / CONFIGS / f"guardian-{i}.toml", config)
        status[i] = f"http://{topo.status_host.format(i=i)}:{metrics_port}"
    return status, addrs


def deploy_members(out_dir: Path, guardians: int, threshold: int, topo, member_dir: str, *,
                   log: Callable[[str], None] = print, timeout: float = 600.0) -> dict:
    """The deployer with per-guardian ceremonies: collect, deploy, fund, configure."""
    from node.deploy import Deployer
    from node.devnet.contracts import deploy_all
    from node.devnet.network import ATTACKER_KEY, DEPLOYER_KEY, SUBMITTER_FUNDING
    from protocol.bls import get_backend

    out_dir = Path(out_dir)
    gset, entries, seconds = collect_ceremony(out_dir, guardians, threshold, timeout=timeout,
                                              log=log)
    deployer = Deployer.connect(topo.rpc_http, DEPLOYER_KEY)
    attacker = Deployer.connect(topo.rpc_http, ATTACKER_KEY)
    deployment = deploy_all(deployer, gset, get_backend(), attacker=attacker.address, log=log)
    for entry in entries.values():
        deployer.send_value(entry["submitter"], SUBMITTER_FUNDING)
    status, addrs = member_configs(out_dir, entries, deployment, topo, member_dir,
                                   p2p_port=topo.base_p2p_port, metrics_port=topo.base_metrics_port)
    log(f"wrote {guardians} guardian configs under {out_dir / CONFIGS}")
    doc = {"deployment": deployment.to_dict(), "guardians": guardians, "threshold": threshold,
           "guardian_set_hash": "0x" + gset.hash().hex(), "rpc_http": topo.rpc_http,
           "rpc_ws": topo.rpc_ws, "status_urls": {str(k): v for k, v in status.items()},
           "p2p": {str(k): v for k, v in addrs.items()}, "attacker": attacker.address,
           "keygen": {"method": "dkg", "participants": "one per guardian container",
                      "ceremony_seconds": round(seconds, 2)}}
    _publish(out_dir / "deployment.json", json.dumps(doc, indent=2) + "\n")
    return doc


__all__ = ["MemberError", "collect_ceremony", "deploy_members", "ensure_member_keys",
           "member_configs", "run_member"]
