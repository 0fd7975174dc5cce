"""`guardian devnet deploy`: everything a testnet needs before its guardians start, written into
one directory that `scripts/devnet` and the docker compose testnet share:

    DIR/deployment.json                     addresses, chain, guardians' status URLs, attacker
    DIR/guardian-set.json                   the public guardian set
    DIR/passphrase                          the devnet keystore passphrase (0600; a devnet only)
    DIR/guardian-<i>/node.toml              the guardian's config: `guardian run --config` it
    DIR/guardian-<i>/share.keystore.json    its BLS share (EIP-2335, 0600), from the guardians'
                                            DKG ceremony (node.devnet.ceremony), or the dealer
    DIR/guardian-<i>/p2p.key                its libp2p identity (0600)
    DIR/guardian-<i>/submitter.key          its funded Ethereum key (0600)
    DIR/guardian-<i>/data/                  its sqlite store
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from node.anvil import DEV_PRIVATE_KEYS
from node.config import render_config
from node.dealer import IDENTITY_FILE, deal_keys, guardian_dir
from node.deploy import Deployer, DeployError
from node.devnet.contracts import MAX_BORROW_PER_TX, deploy_all, new_account
from node.keys import write_secret_file, write_submitter_key
from node.p2p.identity import load_identity, peer_id_of
from node.ports import free_ports
from protocol.bls import get_backend

DEPLOYER_KEY = DEV_PRIVATE_KEYS[0]
ATTACKER_KEY = DEV_PRIVATE_KEYS[9]
SUBMITTER_FUNDING = 10 * 10**18
DEVNET_KDF_N = 2**14
FULL_MESH_PEERS = 12  # GossipSub's D_hi (node.p2p.config): peers a guardian keeps without pruning
SPARSE_FANOUT = 4



@dataclass(frozen=True)
class Topology:
    """Where each guardian listens: loopback ports for scripts/devnet, service names in docker."""

    rpc_http: str
    rpc_ws: str
    p2p_host: str = "127.0.0.1"  # may contain {i}
    listen_host: str = "127.0.0.1"
    metrics_host: str = "127.0.0.1"
    status_host: str = "127.0.0.1"  # how others reach the status endpoint; may contain {i}
    base_p2p_port: int | None = None  # None: pick free ports
    base_metrics_port: int | None = None
    same_ports: bool = False  # docker: every container listens on the same ports


def wait_for_rpc(url: str, timeout: float, alive: Callable[[], bool] = lambda: True,
                 poll: float = 0.5) -> None:
    """Until the JSON-RPC endpoint answers; DeployError after `timeout`, or as soon as `alive()`
    says the process behind it is gone."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            Deployer.connect(url, DEPLOYER_KEY)
            return
        except DeployError:
            if not alive() or time.monotonic() > deadline:
                raise
            time.sleep(poll)  # waiting for another process to come up


def guardian_ports(topo: Topology, guardians: int) -> tuple[list[int], list[int]]:
    """Each guardian's p2p and status ports: from the topology's bases, else free ports picked in
    one call (two calls could hand out the same port twice, since the first call releases its
    ports before the second binds: a guardian's status URL then answered in libp2p)."""
    step = 0 if topo.same_ports else 1
    free = iter(free_ports(guardians * ((not topo.base_p2p_port) + (not topo.base_metrics_port))))
    return tuple(
        [base + step * i for i in range(guardians)] if base
        else [next(free) for _ in range(guardians)]
        for base in (topo.base_p2p_port, topo.base_metrics_port))


def deploy_network(out_dir: Path, guardians: int, threshold: int, topo: Topology, *,
                   log: Callable[[str], None] = print, stagger_seconds: float = 1.0,
                   log_format: str = "text", outsiders: str = "deny",
                   dealer: bool = False,
                   max_borrow_per_tx: int = MAX_BORROW_PER_TX,
                   probe_new_contracts: bool = True) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    backend = get_backend()
    passphrase = secrets.token_urlsafe(18)
    write_secret_file(out_dir / "passphrase", passphrase.encode() + b"\n", force=True)
    if dealer:
        log(f"dealing {guardians} BLS shares, threshold {threshold} (trusted dealer)")
        gset = deal_keys(out_dir, guardians, threshold, passphrase, backend=backend,
                         kdf_n=DEVNET_KDF_N, force=True)
        keygen = {"method": "dealer"}
    else:
        from node.devnet.ceremony import run_ceremony_processes

        gset, seconds = run_ceremony_processes(out_dir, guardians, threshold,
                                               out_dir / "passphrase", kdf_n=DEVNET_KDF_N,
                                               log=log)
        keygen = {"method": "dkg", "ceremony_seconds": round(seconds, 2)}
    deployer = Deployer.connect(topo.rpc_http, DEPLOYER_KEY)
    attacker = Deployer.connect(topo.rpc_http, ATTACKER_KEY)
    deployment = deploy_all(deployer, gset, backend, attacker=attacker.address, log=log,
                            max_borrow_per_tx=max_borrow_per_tx)
    p2p_ports, metric_ports = guardian_ports(topo, guardians)
    identities = {i: load_identity(guardian_dir(out_dir, i) / IDENTITY_FILE)
                  for i in range(1, guardians + 1)}
    addrs = {i: f"/{_proto(topo.p2p_host.format(i=i))}/{topo.p2p_host.format(i=i)}/tcp/"
                f"{p2p_ports[i - 1]}/p2p/{peer_id_of(identities[i])}"
             for i in identities}
    status_urls = {}
    for i in range(1, guardians + 1):
        gdir = guardian_dir(out_dir, i)
        address, key = new_account()
        write_submitter_key(gdir / "submitter.key", key, force=True)
        deployer.send_value(address, SUBMITTER_FUNDING)
        _fresh_data_dir(gdir / "data", log)
        config = render_config(
            name=f"guardian-{i}", data_dir="data", rpc_http=topo.rpc_http, rpc_ws=topo.rpc_ws,
            chain_id=deployment.chain_id, oracle=deployment.oracle,
            share_keystore="share.keystore.json", guardian_set="../guardian-set.json",
            p2p_identity="p2p.key", passphrase_file="../passphrase",
            submitter_key_file="submitter.key",
            listen=f"/ip4/{topo.listen_host}/tcp/{p2p_ports[i - 1]}",
            bootstrap=ring_neighbours(addrs, i),
            metrics_listen=f"{topo.metrics_host}:{metric_ports[i - 1]}",
            stagger_seconds=stagger_seconds, log_format=log_format, outsiders=outsiders,
            probe_new_contracts=probe_new_contracts)
        (gdir / "node.toml").write_text(config)
        status_urls[i] = f"http://{topo.status_host.format(i=i)}:{metric_ports[i - 1]}"
    log(f"wrote {guardians} guardian configs under {out_dir}")
    doc = {"deployment": deployment.to_dict(), "guardians": guardians, "threshold": threshold,
           "guardian_set_hash": "0x" + gset.hash().hex(), "rpc_http": topo.rpc_http,
           "rpc_ws": topo.rpc_ws, "status_urls": {str(k): v for k, v in status_urls.items()},
           "p2p": {str(k): v for k, v in addrs.items()}, "attacker": attacker.address,
           "keygen": keygen}
    (out_dir / "deployment.json").write_text(json.dumps(doc, indent=2) + "\n")
    return doc


def _fresh_data_dir(path: Path, log: Callable[[str], None]) -> None:
    """A new deployment starts with empty node databases: the old ones belong to another chain
    (and a guardian refuses to start on them)."""
    if path.exists():
        shutil.rmtree(path)
        log(f"cleared {path} (node state of a previous deployment)")
    path.mkdir(mode=0o700)


def ring_neighbours(addrs: dict[int, str], index: int, fanout: int | None = None) -> list[str]:
    """The addresses of the `fanout` guardians after `index` on a ring of all of them.

    By default every pair is connected while a guardian's peers fit in GossipSub's D_hi (12: up
    to 13 guardians), as the direct links need (node.p2p.direct: a member not connected to us gets
    our share by gossip too): each dials the next n // 2 and is dialed by the previous ones.
    Beyond that, the next 4 only: with more peers than D_hi, py-libp2p's own mesh upkeep prunes
    and re-grafts honest peers until its GRAFT flood check fires (measured with 16 guardians: 12
    to 34 such lines per guardian), and 15 connections per process cost 16 guardians on 2 cores
    more CPU than the direct links save."""
    n = len(addrs)
    if fanout is None:
        fanout = n // 2 if n - 1 <= FULL_MESH_PEERS else SPARSE_FANOUT
    return [addrs[(index - 1 + k) % n + 1] for k in range(1, min(fanout, n - 1) + 1)]


def _proto(host: str) -> str:
    parts = host.split(".")
    return "ip4" if len(parts) == 4 and all(p.isdigit() for p in parts) else "dns4"


def load_deployment(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError as exc:
        raise DeployError(f"{path} not found: run `guardian devnet deploy` first") from exc
    except ValueError as exc:
        raise DeployError(f"{path} is not valid JSON") from exc
