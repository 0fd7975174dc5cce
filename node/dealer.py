"""Trusted-dealer key generation for testnets: n encrypted share keystores and the public
guardian-set file, in the layout the devnet and the docker testnet use:

    DIR/guardian-set.json                    public: epoch, threshold, group key, public shares,
                                             each guardian's libp2p peer id
    DIR/guardian-<i>/share.keystore.json     EIP-2335, mode 0600, one per guardian
    DIR/guardian-<i>/p2p.key                 libp2p identity, mode 0600 (unless peer ids are given)

The dealer sees the group secret; production networks replace this with a distributed key
generation (DESIGN.md). The secret is never written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from node.keys import ensure_private_dir, write_keystore
from protocol import threshold
from protocol.bls import Backend
from protocol.guardian_set import GuardianSet
from protocol.keystore import DEFAULT_KDF_N, encrypt_share

GUARDIAN_SET_FILE = "guardian-set.json"
IDENTITY_FILE = "p2p.key"


def guardian_dir(out_dir: Path, index: int) -> Path:
    return out_dir / f"guardian-{index}"


def keystore_path(out_dir: Path, index: int) -> Path:
    return guardian_dir(out_dir, index) / "share.keystore.json"


def deal_keys(out_dir: Path, n: int, t: int, passphrase: str, *, backend: Backend,
              epoch: int = 1, kdf_n: int = DEFAULT_KDF_N, force: bool = False,
              peer_ids: Sequence[str] | None = None,
              progress: Callable[[str], None] = lambda _: None) -> GuardianSet:
    """Deal the shares. Each guardian's libp2p peer id goes into the set file: the ones given
    (operators who made their identities with `guardian keys identity`), else a new identity is
    written next to each keystore."""
    from node.p2p.identity import generate_identity, peer_id_of, save_identity

    if peer_ids is not None and len(peer_ids) != n:
        raise ValueError(f"{len(peer_ids)} peer ids given for {n} guardians")
    dealing = threshold.deal(n, t, backend=backend)
    ensure_private_dir(out_dir)
    if peer_ids is None:
        identities = [generate_identity() for _ in range(n)]
        for index, identity in enumerate(identities, 1):
            ensure_private_dir(guardian_dir(out_dir, index))
            save_identity(guardian_dir(out_dir, index) / IDENTITY_FILE, identity, force=force)
        peer_ids = [peer_id_of(identity) for identity in identities]
    gset = GuardianSet.from_dealing(dealing, epoch, backend).with_peer_ids(peer_ids)
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
