"""Trusted-dealer key generation for testnets: n encrypted share keystores and the public
guardian-set file, in the layout the devnet and the docker testnet use:

    DIR/guardian-set.json                    public: epoch, threshold, group key, public shares
    DIR/guardian-<i>/share.keystore.json     EIP-2335, mode 0600, one per guardian

The dealer sees the group secret; production networks replace this with a distributed key
generation (DESIGN.md). The secret is never written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from node.keys import ensure_private_dir, write_keystore
from protocol import threshold
from protocol.bls import Backend
from protocol.guardian_set import GuardianSet
from protocol.keystore import DEFAULT_KDF_N, encrypt_share

GUARDIAN_SET_FILE = "guardian-set.json"


def guardian_dir(out_dir: Path, index: int) -> Path:
    return out_dir / f"guardian-{index}"


def keystore_path(out_dir: Path, index: int) -> Path:
    return guardian_dir(out_dir, index) / "share.keystore.json"


def deal_keys(out_dir: Path, n: int, t: int, passphrase: str, *, backend: Backend,
              epoch: int = 1, kdf_n: int = DEFAULT_KDF_N, force: bool = False,
              progress: Callable[[str], None] = lambda _: None) -> GuardianSet:
    dealing = threshold.deal(n, t, backend=backend)
    gset = GuardianSet.from_dealing(dealing, epoch, backend)
    ensure_private_dir(out_dir)
    for index in range(1, n + 1):
        if not threshold.verify_share(index, dealing.shares[index - 1], dealing.commitments,
                                      backend):
            raise RuntimeError(f"share {index} failed its Feldman check")  # cannot happen
        ensure_private_dir(guardian_dir(out_dir, index))
        keystore = encrypt_share(dealing.shares[index - 1], passphrase, index=index, epoch=epoch,
                                 backend=backend, kdf_n=kdf_n,
                                 description=f"Guardian Network share {index} of {n}")
        write_keystore(keystore_path(out_dir, index), keystore, force=force)
        progress(f"guardian {index}/{n}: {keystore_path(out_dir, index)}")
    (out_dir / GUARDIAN_SET_FILE).write_text(gset.to_json())
    return gset
