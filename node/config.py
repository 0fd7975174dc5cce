"""The node's configuration file (TOML), validated at start.

Every problem is reported as a `ConfigError` naming the file, the key (as `[section] key`) and
what is wrong, so an operator can fix it without reading code. Unknown keys are errors too (with a
"did you mean" hint), because a misspelt key silently falling back to a default is worse.

Each key is declared once, as a field of its section's dataclass below: its default, and in its
metadata whether it is required, how it is read and what it means (`node.config_schema`).
`schema_markdown()` renders every key as a table. Relative paths are resolved against the
directory of the config file; the keystore passphrase may come from $GUARDIAN_PASSPHRASE instead.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node import config_schema as s
from node.config_schema import ConfigError, key
from node.cover.config import CoverSection
from protocol.bls import BACKEND_NAMES, DEFAULT_BACKEND
from protocol.gossip_rules import TOPIC

PASSPHRASE_ENV = "GUARDIAN_PASSPHRASE"
LOG_LEVELS = ("debug", "info", "warning", "error")
OUTSIDERS = ("deny", "observe")


@dataclass(frozen=True)
class NodeSection:
    name: str = field(metadata=key("the node's name in logs and /status", "string",
                                   s.string, required=True))
    data_dir: Path = field(metadata=key("directory of the node's sqlite state (one chain and oracle)",
                                        "path", s.path, required=True))
    log_format: str = field(default="text", metadata=key(
        "`text` or `json` (one object per line)", "text \\| json", s.choice("text", "json")))
    log_level: str = field(default="info", metadata=key(
        "least severe level logged", " \\| ".join(LOG_LEVELS), s.choice(*LOG_LEVELS)))
    bls_backend: str = field(default=DEFAULT_BACKEND, metadata=key(
        "BLS library (all give identical signatures)", " \\| ".join(BACKEND_NAMES),
        s.choice(*BACKEND_NAMES)))


@dataclass(frozen=True)
class ChainSection:
    rpc_http: str = field(metadata=key("JSON-RPC endpoint for reads and transactions",
                                       "http(s) URL", s.url("http", "https"), required=True))
    rpc_ws: str = field(metadata=key("WebSocket endpoint for new heads", "ws(s) URL",
                                     s.url("ws", "wss"), required=True))
    chain_id: int = field(metadata=key("the chain's id; checked against the endpoint", "integer",
                                       s.integer(1, 2**63 - 1), required=True))
    oracle: bytes = field(metadata=key("the GuardianOracle's address", "0x address", s.address,
                                       required=True))


@dataclass(frozen=True)
class KeysSection:
    share_keystore: Path = field(metadata=key("this guardian's encrypted key share", "path",
                                              s.path, required=True))
    guardian_set: Path = field(metadata=key("the public guardian-set file", "path", s.path,
                                            required=True))
    p2p_identity: Path = field(metadata=key("libp2p identity key (0600)", "path", s.path,
                                            required=True))
    passphrase_file: Path | None = field(default=None, metadata=key(
        f"keystore passphrase; if unset, ${PASSPHRASE_ENV}", "path", s.path))
    submitter_key_file: Path | None = field(default=None, metadata=key(
        "EOA key paying for authorize(); without it the node never submits", "path", s.path))


@dataclass(frozen=True)
class P2PSection:
    listen: str = field(default="/ip4/0.0.0.0/tcp/9000", metadata=key(
        "libp2p listen address", "multiaddr", s.multiaddr(need_peer_id=False)))
    bootstrap: tuple[str, ...] = field(default=(), metadata=key(
        "peers to dial, each with /p2p/<peer id>", "list of multiaddrs", s.multiaddrs))
    topic: str = field(default=TOPIC, metadata=key("gossipsub topic", "string", s.string))
    outsiders: str = field(default="deny", metadata=key(
        "libp2p peers outside the guardian set: `deny` them, or `observe` (read-only)",
        "deny \\| observe", s.choice(*OUTSIDERS)))


@dataclass(frozen=True)
class MetricsSection:
    listen: str = field(default="127.0.0.1:9100", metadata=key(
        "address of /status and /metrics", "host:port", s.host_port))

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0]

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


@dataclass(frozen=True)
class SubmissionSection:
    stagger_seconds: float = field(default=2.0, metadata=key(
        "delay between guardians' submission turns", "seconds", s.number(0.0, 600.0)))
    max_gas: int = field(default=500_000, metadata=key(
        "most gas an authorize() may use (the limit is the estimate plus a quarter, at least "
        "330,000: authorize uses about 208,000 on an OpenZeppelin vault but needs a limit of about "
        "306,000 for the reserves its BLS check and hook call keep)", "integer",
        s.integer(330_000, 30_000_000)))
    receipt_timeout_seconds: float = field(default=30.0, metadata=key(
        "how long to wait for an authorize() receipt", "seconds", s.number(1.0, 3600.0)))


@dataclass(frozen=True)
class PendingSection:
    """Pending-transaction simulation (containment before the exploit lands)."""

    max_per_block: int = field(default=64, metadata=key(
        "pending transactions simulated per block at most, most valuable first (0: do not "
        "watch pending transactions)", "integer", s.integer(0, 100_000)))
    queue: int = field(default=256, metadata=key(
        "pending transactions waiting for simulation at most (the oldest are dropped)",
        "integer", s.integer(1, 1_000_000)))
    tip_margin_gwei: float = field(default=1.0, metadata=key(
        "a containment racing a pending exploit pays the exploit's priority fee plus this",
        "gwei", s.number(0.0, 1_000_000.0)))
    max_tip_gwei: float = field(default=500.0, metadata=key(
        "the highest priority fee a containment pays (an exploit that outbids it is reported)",
        "gwei", s.number(0.0, 1_000_000.0)))
    max_fee_gwei: float = field(default=1000.0, metadata=key(
        "the highest fee cap (maxFeePerGas) a containment sets to outbid a pending exploit's fee "
        "cap; it pays only the base fee plus its tip, this bounds a base-fee rise",
        "gwei", s.number(0.0, 1_000_000.0)))
    probe_new_contracts: bool = field(default=True, metadata=key(
        "probe each new contract that names a registered protocol, at its deployment "
        "(containment at the exploit's preparation; false: only transactions are judged)",
        "true \\| false", s.boolean))


SECTIONS: dict[str, type] = {"node": NodeSection, "chain": ChainSection, "keys": KeysSection,
                             "p2p": P2PSection, "metrics": MetricsSection,
                             "submission": SubmissionSection, "pending": PendingSection,
                             "cover": CoverSection}
REQUIRED_SECTIONS = ("node", "chain", "keys")
# Keys that existed once: refused with the reason, never silently ignored.
RETIRED_KEYS = {
    ("pending", "block_seconds"): "is no longer read: the simulated next block's timestamp follows "
    "the chain's own block interval (the same on every guardian); remove the key",
}


@dataclass(frozen=True)
class NodeConfig:
    path: Path
    node: NodeSection
    chain: ChainSection
    keys: KeysSection
    p2p: P2PSection = field(default_factory=P2PSection)
    metrics: MetricsSection = field(default_factory=MetricsSection)
    submission: SubmissionSection = field(default_factory=SubmissionSection)
    pending: PendingSection = field(default_factory=PendingSection)
    cover: CoverSection = field(default_factory=CoverSection)

    def passphrase(self) -> str:
        """The keystore passphrase: from passphrase_file, else from $GUARDIAN_PASSPHRASE."""
        if self.keys.passphrase_file is not None:
            try:
                return self.keys.passphrase_file.read_text().rstrip("\r\n")
            except OSError as exc:
                raise ConfigError(f"{self.path}: [keys] passphrase_file: cannot read "
                                  f"{self.keys.passphrase_file}: {exc.strerror}") from exc
        value = os.environ.get(PASSPHRASE_ENV)
        if value is None:
            raise ConfigError(f"{self.path}: [keys] passphrase_file is not set and "
                              f"${PASSPHRASE_ENV} is empty: give the keystore passphrase one way")
        return value


def parse_config(text: str, path: Path) -> NodeConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError as exc:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from exc
    r = s.Reader(path)
    s.check_keys(r, SECTIONS, REQUIRED_SECTIONS, raw, RETIRED_KEYS)
    sections = {name: r.read_section(cls, name, raw.get(name, {}))
                for name, cls in SECTIONS.items()}
    return NodeConfig(path=path, **sections)


def decode_config(data: bytes, path: Path) -> NodeConfig:
    """A config file's bytes (UTF-8 TOML) as a validated `NodeConfig`."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    return parse_config(text, path)


def load_config(path: Path | str) -> NodeConfig:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from exc
    return decode_config(data, path.resolve())


def render_config(*, name: str, data_dir: str, rpc_http: str, rpc_ws: str, chain_id: int,
                  oracle: str, share_keystore: str, guardian_set: str, p2p_identity: str,
                  passphrase_file: str, submitter_key_file: str, listen: str,
                  bootstrap: list[str], metrics_listen: str, stagger_seconds: float = 2.0,
                  log_format: str = "text", log_level: str = "info",
                  outsiders: str = "deny", probe_new_contracts: bool = True) -> str:
    """A config file's text (the devnet and the docker deployer write one per guardian)."""
    values: dict[str, dict[str, Any]] = {
        "node": dict(name=name, data_dir=data_dir, log_format=log_format, log_level=log_level),
        "chain": dict(rpc_http=rpc_http, rpc_ws=rpc_ws, chain_id=chain_id, oracle=oracle),
        "keys": dict(share_keystore=share_keystore, passphrase_file=passphrase_file,
                     guardian_set=guardian_set, p2p_identity=p2p_identity,
                     submitter_key_file=submitter_key_file),
        "p2p": dict(listen=listen, bootstrap=list(bootstrap), outsiders=outsiders),
        "metrics": dict(listen=metrics_listen),
        "submission": dict(stagger_seconds=float(stagger_seconds)),
        "pending": dict(probe_new_contracts=None if probe_new_contracts else False),
    }
    header = "# Guardian node configuration (docs/architecture.md; every key: schema_markdown()).\n"
    return s.render(SECTIONS, values, header)


def schema_markdown() -> str:
    """Every configuration key as a markdown table (section, key, type, default, help)."""
    return s.markdown(SECTIONS)


__all__ = ["ConfigError", "NodeConfig", "decode_config", "load_config", "parse_config", "render_config",
           "schema_markdown"]
