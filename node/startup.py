"""From a validated config to a running guardian: load and check every key, reach the chain,
check that the guardian set matches the oracle, then run the services until stopped.

Each failure here is an operator error with a clear message (`StartupError`), never a traceback:
a missing or unreadable key file, a wrong passphrase, an unreachable RPC endpoint, a chain id or a
guardian key that does not match the oracle.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass

import trio

from node.assembly import assemble
from node.byzantine.gate import ByzantineRefused, requested_mode, requested_skew
from node.chain.bridge import AsyncioThread
from node.chain.oracle import OracleClient
from node.chain.rpc import ChainError, ChainRpc, ChainUnavailable
from node.config import ConfigError, NodeConfig
from node.cover.routes import CoverRoutes
from node.errors import NodeError
from node.evidence_archive import EvidenceRoutes
from node.keys import KeyFileError, read_keystore, read_submitter_key
from node.metrics import Metrics
from node.records import GuardianKey
from node.status_server import StatusServer
from node.store import Store, StoreError
from protocol.bls import get_backend
from protocol.guardian_set import GuardianSet, GuardianSetError
from protocol.keystore import KeystoreError, WrongPassphrase, decrypt_share, share_epoch

log = logging.getLogger("guardian.startup")


class StartupError(NodeError, RuntimeError):
    """The node cannot start; the message says why and what to fix."""


@dataclass
class LoadedKeys:
    key: GuardianKey
    gset: GuardianSet
    identity: bytes
    submitter: bytes | None


def load_keys(cfg: NodeConfig, backend) -> LoadedKeys:
    from node.p2p.identity import IdentityError, load_identity

    try:
        gset = GuardianSet.from_json(cfg.keys.guardian_set.read_bytes())
        gset.validate(backend)
    except FileNotFoundError as exc:
        raise StartupError(f"guardian set file not found: {cfg.keys.guardian_set}") from exc
    except (OSError, GuardianSetError) as exc:
        raise StartupError(f"guardian set file {cfg.keys.guardian_set}: {exc}") from exc
    try:
        keystore = read_keystore(cfg.keys.share_keystore)
        index, secret = decrypt_share(keystore, cfg.passphrase(), backend)
        epoch = share_epoch(keystore)
    except WrongPassphrase as exc:
        raise StartupError(f"wrong passphrase for the share keystore "
                           f"{cfg.keys.share_keystore}") from exc
    except (KeyFileError, KeystoreError, ConfigError) as exc:
        raise StartupError(str(exc)) from exc
    if epoch != gset.epoch:
        raise StartupError(f"share keystore is for key epoch {epoch}, the guardian set file is "
                           f"epoch {gset.epoch}")
    if not gset.is_member(index) or backend.sk_to_pk(secret) != gset.public_share(index):
        raise StartupError(f"share keystore (guardian {index}) does not match the guardian set")
    try:
        identity = load_identity(cfg.keys.p2p_identity)
        submitter = (read_submitter_key(cfg.keys.submitter_key_file)
                     if cfg.keys.submitter_key_file else None)
    except (IdentityError, KeyFileError) as exc:
        raise StartupError(str(exc)) from exc
    if gset.peer_ids:
        from node.p2p.identity import peer_id_of

        if peer_id_of(identity) != gset.peer_ids[index - 1]:
            raise StartupError(
                f"p2p identity {cfg.keys.p2p_identity} is peer {peer_id_of(identity)}, but the "
                f"guardian set names {gset.peer_ids[index - 1]} for guardian {index}: the other "
                "guardians would refuse this node")
    return LoadedKeys(GuardianKey(index, secret), gset, identity, submitter)


async def check_chain(cfg: NodeConfig, rpc: ChainRpc, oracle: OracleClient, gset: GuardianSet,
                      backend) -> None:
    try:
        chain_id = await rpc.chain_id()
    except ChainUnavailable as exc:
        raise StartupError(f"cannot reach the chain RPC at {cfg.chain.rpc_http}: check [chain] "
                           f"rpc_http ({exc})") from exc
    except ChainError as exc:
        raise StartupError(f"chain RPC at {cfg.chain.rpc_http} answered badly: {exc}") from exc
    if chain_id != cfg.chain.chain_id:
        raise StartupError(f"[chain] chain_id is {cfg.chain.chain_id} but the RPC endpoint serves "
                           f"chain {chain_id}")
    try:
        epoch = await oracle.key_epoch()
        on_chain_key = await oracle.group_public_key()
    except ChainError as exc:
        raise StartupError(f"no GuardianOracle at 0x{cfg.chain.oracle.hex()} on chain {chain_id}: "
                           f"{exc}") from exc
    if epoch != gset.epoch or on_chain_key != backend.g1_to_eip2537(gset.group_public_key):
        raise StartupError(f"the oracle's guardian key (epoch {epoch}) is not this guardian set's "
                           f"(epoch {gset.epoch}): wrong oracle address or an outdated set file")


async def bind_store(cfg: NodeConfig, rpc: ChainRpc, store: Store) -> None:
    """Refuse a data directory left by another chain or oracle (its incidents would be stale)."""
    try:
        genesis = await rpc.header(0)
        store.bind(cfg.chain.chain_id, genesis.hash, cfg.chain.oracle)
    except ChainError as exc:
        raise StartupError(f"cannot read the genesis block from {cfg.chain.rpc_http}: {exc}") from exc
    except StoreError as exc:
        raise StartupError(f"[node] data_dir {cfg.node.data_dir}: {exc}") from exc


async def run_node(cfg: NodeConfig, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
    from node.epoch_watch import EpochWatch
    from node.p2p import P2PConfig

    try:
        byzantine = requested_mode(cfg.chain.chain_id)  # None: an honest node (always, outside tests)
        skew = requested_skew(cfg.chain.chain_id)
    except ByzantineRefused as exc:
        raise StartupError(str(exc)) from exc
    if skew:
        from node.byzantine.clock import skew_wall_clock

        skew_wall_clock(skew)
    backend = get_backend(cfg.node.bls_backend)
    keys = load_keys(cfg, backend)
    try:
        cfg.node.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        store = Store(cfg.node.data_dir / "guardian.sqlite")
    except (OSError, StoreError) as exc:
        raise StartupError(f"[node] data_dir {cfg.node.data_dir}: {exc}") from exc
    rpc = ChainRpc(cfg.chain.rpc_http)
    oracle = OracleClient(rpc, cfg.chain.oracle, submitter_key=keys.submitter,
                          chain_id=cfg.chain.chain_id, max_gas=cfg.submission.max_gas)
    try:
        await check_chain(cfg, rpc, oracle, keys.gset, backend)
        await bind_store(cfg, rpc, store)
    except BaseException:
        store.close()
        raise
    metrics = Metrics()
    with AsyncioThread() as bridge:
        guardian = assemble(
            name=cfg.node.name, key=keys.key, guardian_set=keys.gset, backend=backend,
            store=store, oracle=oracle, ws_url=cfg.chain.rpc_ws, bridge=bridge,
            chain_id=cfg.chain.chain_id, oracle_address=cfg.chain.oracle,
            identity=keys.identity, metrics=metrics,
            p2p_config=P2PConfig(listen=cfg.p2p.listen, bootstrap=cfg.p2p.bootstrap,
                                 topic=cfg.p2p.topic, members=keys.gset.peer_ids,
                                 outsiders=cfg.p2p.outsiders),
            stagger_seconds=cfg.submission.stagger_seconds,
            receipt_timeout=cfg.submission.receipt_timeout_seconds, pending=cfg.pending,
            cover_config=cfg.cover)
        p2p = guardian.p2p
        epochs = EpochWatch(oracle=oracle, key_epoch=keys.gset.epoch)
        misbehaviour = None
        if byzantine:
            from node.byzantine.behaviours import Misbehaviour

            misbehaviour = Misbehaviour(byzantine, guardian)
            misbehaviour.install()

        def status() -> dict:
            guardian.note_silence()
            doc = guardian.state.as_dict()
            doc.update(epochs.status())
            doc["peer_id"] = p2p.peer_id
            doc["listen"] = p2p.listen_addrs()
            if guardian.cover is not None:
                doc["cover"] = guardian.cover.status()
            return doc

        server = StatusServer(cfg.metrics.host, cfg.metrics.port, status, metrics.render,
                              routes=[EvidenceRoutes(store, keys.key.index),
                                      CoverRoutes(guardian.cover)])
        try:
            async with trio.open_nursery() as nursery:
                await nursery.start(server.run)
                await nursery.start(guardian.run)
                if misbehaviour is not None:
                    nursery.start_soon(misbehaviour.run)
                nursery.start_soon(_stop_on_signals, nursery.cancel_scope)
                nursery.start_soon(epochs.run)
                log.info("guardian %d ready: peer %s, status http://%s:%d/status",
                         keys.key.index, p2p.peer_id, cfg.metrics.host, server.bound_port)
                task_status.started(guardian)
        finally:
            store.close()


async def _stop_on_signals(scope: trio.CancelScope) -> None:
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            log.info("received %s: shutting down", signal.Signals(signum).name)
            scope.cancel()
            return
