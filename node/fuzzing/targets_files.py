"""Fuzz targets for the files a node reads at start: its TOML config, the share keystore
(EIP-2335 JSON), the public guardian-set file, the libp2p identity and the submitter key. Each
decodes the file's bytes exactly as the loader does after reading them."""

from __future__ import annotations

from pathlib import Path

from node.config import decode_config
from node.config_schema import ConfigError
from node.fuzzing import fixtures
from node.fuzzing.harness import Target, require
from node.keys import KeyFileError, parse_keystore, parse_submitter_key
from node.p2p.identity import IdentityError, parse_identity
from protocol import keystore
from protocol.guardian_set import GuardianSet, GuardianSetError

PATH = Path("/fuzz/guardian.toml")
# scrypt work this target still does per input (the corpus keystore's: n = 2^10, r = 8, p = 1);
# costlier parameters are checked, not run, or the fuzzer would measure scrypt.
MAX_FUZZ_KDF_WORK = 2**10 * 8


def config(data: bytes) -> None:
    cfg = decode_config(data, PATH)
    require(cfg.chain.chain_id >= 1 and len(cfg.chain.oracle) == 20, "accepted a bad [chain]")
    require(0 <= cfg.metrics.port <= 65535, "accepted a bad [metrics] listen")


def share_keystore(data: bytes) -> None:
    doc = parse_keystore(data, PATH)
    n, r, p = keystore.kdf_params(doc)
    if n * r * p > MAX_FUZZ_KDF_WORK:
        return
    backend = fixtures.keys().backend
    index, secret = keystore.decrypt_share(doc, fixtures.PASSPHRASE, backend)
    require(isinstance(index, int) and index >= 0 and keystore.share_epoch(doc) >= 0,
            "accepted a bad guardian index or epoch")
    require(backend.sk_to_pk(secret) == bytes.fromhex(doc["pubkey"]), "pubkey not checked")


def guardian_set_file(data: bytes) -> None:
    gset = GuardianSet.from_json(data)
    gset.validate(fixtures.keys().backend)
    require(GuardianSet.from_json(gset.to_json()) == gset, "the set file does not round-trip")


def identity(data: bytes) -> None:
    secret = parse_identity(data, PATH)
    require(len(secret) == 32, "an identity that is not 32 bytes")


def submitter_key(data: bytes) -> None:
    key = parse_submitter_key(data, PATH)
    require(len(key) == 32, "a submitter key that is not 32 bytes")


TARGETS = (
    Target("config-toml", "node.config: the node's TOML config file", config, (ConfigError,),
           "toml"),
    Target("keystore", "node.keys + protocol.keystore: the EIP-2335 share keystore, opened",
           share_keystore, (KeyFileError, keystore.KeystoreError), "json"),
    Target("guardian-set-file", "GuardianSet.from_json + validate: the public guardian-set file",
           guardian_set_file, (GuardianSetError,), "json"),
    Target("p2p-identity", "node.p2p.identity: the libp2p identity key file", identity,
           (IdentityError,), "text"),
    Target("submitter-key", "node.keys: the submitter's Ethereum key file", submitter_key,
           (KeyFileError,), "text"),
)
