"""The node's configuration file (TOML), validated at start.

Every problem is reported as a `ConfigError` naming the file, the key (as `[section] key`) and
what is wrong, so an operator can fix it without reading code. Unknown keys are errors too (with a
"did you mean" hint), because a misspelt key silently falling back to a default is worse.

    [node]        name, data_dir, log_format ("text" | "json"), log_level, bls_backend
    [chain]       rpc_http, rpc_ws, chain_id, oracle
    [keys]        share_keystore, passphrase_file (or env GUARDIAN_PASSPHRASE), guardian_set,
                  p2p_identity, submitter_key_file
    [p2p]         listen, bootstrap, topic, outsiders ("deny" | "observe")
    [metrics]     listen ("host:port")
    [submission]  stagger_seconds, max_gas, receipt_timeout_seconds

Relative paths are resolved against the directory of the config file.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

DEFAULT_TOPIC = "guardian-network/v1/incidents"
PASSPHRASE_ENV = "GUARDIAN_PASSPHRASE"
LOG_LEVELS = ("debug", "info", "warning", "error")
BLS_BACKENDS = ("pyblst", "arkworks", "py_ecc")


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid; the message says where."""


@dataclass(frozen=True)
class NodeSection:
    name: str
    data_dir: Path
    log_format: str = "text"
    log_level: str = "info"
    bls_backend: str = "pyblst"


@dataclass(frozen=True)
class ChainSection:
    rpc_http: str
    rpc_ws: str
    chain_id: int
    oracle: bytes


@dataclass(frozen=True)
class KeysSection:
    share_keystore: Path
    guardian_set: Path
    p2p_identity: Path
    passphrase_file: Path | None = None
    submitter_key_file: Path | None = None


@dataclass(frozen=True)
class P2PSection:
    listen: str = "/ip4/0.0.0.0/tcp/9000"
    bootstrap: tuple[str, ...] = ()
    topic: str = DEFAULT_TOPIC
    # Peers not in the guardian set: "deny" (refused after the handshake; the default) or
    # "observe" (read-only: never in a guardian's mesh, what they publish is dropped).
    outsiders: str = "deny"


@dataclass(frozen=True)
class MetricsSection:
    host: str = "127.0.0.1"
    port: int = 9100


@dataclass(frozen=True)
class SubmissionSection:
    stagger_seconds: float = 2.0
    max_gas: int = 500_000
    receipt_timeout_seconds: float = 30.0


@dataclass(frozen=True)
class NodeConfig:
    path: Path
    node: NodeSection
    chain: ChainSection
    keys: KeysSection
    p2p: P2PSection = field(default_factory=P2PSection)
    metrics: MetricsSection = field(default_factory=MetricsSection)
    submission: SubmissionSection = field(default_factory=SubmissionSection)

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


_SCHEMA: dict[str, dict[str, bool]] = {  # section -> key -> required
    "node": {"name": True, "data_dir": True, "log_format": False, "log_level": False,
             "bls_backend": False},
    "chain": {"rpc_http": True, "rpc_ws": True, "chain_id": True, "oracle": True},
    "keys": {"share_keystore": True, "guardian_set": True, "p2p_identity": True,
             "passphrase_file": False, "submitter_key_file": False},
    "p2p": {"listen": False, "bootstrap": False, "topic": False, "outsiders": False},
    "metrics": {"listen": False},
    "submission": {"stagger_seconds": False, "max_gas": False, "receipt_timeout_seconds": False},
}
_REQUIRED_SECTIONS = ("node", "chain", "keys")
_MULTIADDR = re.compile(r"^/(ip4|ip6|dns4|dns6|dns)/[^/]+/tcp/\d{1,5}(/p2p/[1-9A-HJ-NP-Za-km-z]+)?$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


class _Reader:
    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path = path
        self.raw = raw

    def fail(self, section: str, key: str | None, problem: str) -> ConfigError:
        where = f"[{section}] {key}" if key else f"[{section}]"
        return ConfigError(f"{self.path}: {where}: {problem}")

    def check_keys(self) -> None:
        for section, value in self.raw.items():
            if section not in _SCHEMA:
                raise self.fail(section, None, "unknown section" + _hint(section, _SCHEMA))
            if not isinstance(value, dict):
                raise self.fail(section, None, "must be a table")
            for key in value:
                if key not in _SCHEMA[section]:
                    raise self.fail(section, key, "unknown key" + _hint(key, _SCHEMA[section]))
        for section in _REQUIRED_SECTIONS:
            if section not in self.raw:
                raise self.fail(section, None, "missing section")
        for section, keys in _SCHEMA.items():
            for key, required in keys.items():
                if required and key not in self.raw.get(section, {}):
                    raise self.fail(section, key, "missing")

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.raw.get(section, {}).get(key, default)

    def string(self, section: str, key: str, default: str | None = None) -> str:
        value = self.get(section, key, default)
        if not isinstance(value, str) or not value:
            raise self.fail(section, key, f"must be a non-empty string, got {value!r}")
        return value

    def choice(self, section: str, key: str, options: tuple[str, ...], default: str) -> str:
        value = self.string(section, key, default)
        if value not in options:
            raise self.fail(section, key, f"must be one of {', '.join(options)}, got {value!r}")
        return value

    def integer(self, section: str, key: str, low: int, high: int, default: int | None = None) -> int:
        value = self.get(section, key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(section, key, f"must be an integer, got {value!r}")
        if not low <= value <= high:
            raise self.fail(section, key, f"must be between {low} and {high}, got {value}")
        return value

    def number(self, section: str, key: str, low: float, high: float, default: float) -> float:
        value = self.get(section, key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(section, key, f"must be a number, got {value!r}")
        if not low <= value <= high:
            raise self.fail(section, key, f"must be between {low} and {high}, got {value}")
        return float(value)

    def url(self, section: str, key: str, schemes: tuple[str, ...]) -> str:
        value = self.string(section, key)
        parsed = urlparse(value)
        if parsed.scheme not in schemes or not parsed.hostname:
            raise self.fail(section, key, f"must be a {'/'.join(schemes)} URL, got {value!r}")
        try:
            parsed.port  # noqa: B018 - raises on a bad port
        except ValueError as exc:
            raise self.fail(section, key, f"bad port in {value!r}") from exc
        return value

    def path_value(self, section: str, key: str, required: bool = True) -> Path | None:
        value = self.get(section, key)
        if value is None and not required:
            return None
        text = self.string(section, key)
        path = Path(text).expanduser()
        return path if path.is_absolute() else (self.path.parent / path).resolve()

    def multiaddr(self, section: str, key: str, value: Any, need_peer_id: bool) -> str:
        if not isinstance(value, str) or not _MULTIADDR.match(value):
            raise self.fail(section, key, f"not a TCP multiaddr like /ip4/127.0.0.1/tcp/9000"
                                          f"{'/p2p/<peer id>' if need_peer_id else ''}: {value!r}")
        port = int(value.split("/tcp/")[1].split("/")[0])
        if port > 65535:
            raise self.fail(section, key, f"port {port} out of range in {value!r}")
        if need_peer_id and "/p2p/" not in value:
            raise self.fail(section, key, f"bootstrap address needs /p2p/<peer id>: {value!r}")
        return value


def _hint(name: str, options) -> str:
    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_config(text: str, path: Path) -> NodeConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    r = _Reader(path, raw)
    r.check_keys()
    oracle = r.string("chain", "oracle")
    if not _ADDRESS.match(oracle):
        raise r.fail("chain", "oracle", f"must be a 0x-prefixed 20-byte address, got {oracle!r}")
    listen = r.string("metrics", "listen", "127.0.0.1:9100")
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise r.fail("metrics", "listen", f"must be host:port, got {listen!r}")
    bootstrap = r.get("p2p", "bootstrap", [])
    if not isinstance(bootstrap, list):
        raise r.fail("p2p", "bootstrap", "must be a list of multiaddrs")
    return NodeConfig(
        path=path,
        node=NodeSection(
            name=r.string("node", "name"), data_dir=r.path_value("node", "data_dir"),
            log_format=r.choice("node", "log_format", ("text", "json"), "text"),
            log_level=r.choice("node", "log_level", LOG_LEVELS, "info"),
            bls_backend=r.choice("node", "bls_backend", BLS_BACKENDS, "pyblst")),
        chain=ChainSection(
            rpc_http=r.url("chain", "rpc_http", ("http", "https")),
            rpc_ws=r.url("chain", "rpc_ws", ("ws", "wss")),
            chain_id=r.integer("chain", "chain_id", 1, 2**63 - 1),
            oracle=bytes.fromhex(oracle[2:])),
        keys=KeysSection(
            share_keystore=r.path_value("keys", "share_keystore"),
            guardian_set=r.path_value("keys", "guardian_set"),
            p2p_identity=r.path_value("keys", "p2p_identity"),
            passphrase_file=r.path_value("keys", "passphrase_file", required=False),
            submitter_key_file=r.path_value("keys", "submitter_key_file", required=False)),
        p2p=P2PSection(
            listen=r.multiaddr("p2p", "listen", r.get("p2p", "listen", "/ip4/0.0.0.0/tcp/9000"),
                               need_peer_id=False),
            bootstrap=tuple(r.multiaddr("p2p", "bootstrap", b, need_peer_id=True)
                            for b in bootstrap),
            topic=r.string("p2p", "topic", DEFAULT_TOPIC),
            outsiders=r.choice("p2p", "outsiders", ("deny", "observe"), "deny")),
        metrics=MetricsSection(host=host, port=int(port)),
        submission=SubmissionSection(
            stagger_seconds=r.number("submission", "stagger_seconds", 0.0, 600.0, 2.0),
            max_gas=r.integer("submission", "max_gas", 100_000, 30_000_000, 500_000),
            receipt_timeout_seconds=r.number("submission", "receipt_timeout_seconds", 1.0,
                                             3600.0, 30.0)),
    )


def load_config(path: Path | str) -> NodeConfig:
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from exc
    return parse_config(text, path.resolve())


def render_config(*, name: str, data_dir: str, rpc_http: str, rpc_ws: str, chain_id: int,
                  oracle: str, share_keystore: str, guardian_set: str, p2p_identity: str,
                  passphrase_file: str, submitter_key_file: str, listen: str,
                  bootstrap: list[str], metrics_listen: str, stagger_seconds: float = 2.0,
                  log_format: str = "text", log_level: str = "info") -> str:
    """A config file's text (the devnet and the docker deployer write one per guardian)."""
    def q(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    boot = ",\n    ".join(q(b) for b in bootstrap)
    return f"""# Guardian node configuration (see node/config.py for every key).
[node]
name = {q(name)}
data_dir = {q(data_dir)}
log_format = {q(log_format)}
log_level = {q(log_level)}

[chain]
rpc_http = {q(rpc_http)}
rpc_ws = {q(rpc_ws)}
chain_id = {chain_id}
oracle = {q(oracle)}

[keys]
share_keystore = {q(share_keystore)}
passphrase_file = {q(passphrase_file)}
guardian_set = {q(guardian_set)}
p2p_identity = {q(p2p_identity)}
submitter_key_file = {q(submitter_key_file)}

[p2p]
listen = {q(listen)}
bootstrap = [
    {boot}
]

[metrics]
listen = {q(metrics_listen)}

[submission]
stagger_seconds = {stagger_seconds}
"""
