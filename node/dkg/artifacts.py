"""A finished ceremony as today's artifacts, in the participant's directory:

    DIR/share.keystore.json     the participant's BLS share, EIP-2335 (`protocol.keystore`), 0600
                                (only for a participant of the new set)
    DIR/guardian-set.json       the public guardian-set file, with every member's peer id:
                                identical bytes on every honest participant
    DIR/dkg-transcript.msgpack  the canonical transcript (the messages the key was computed from)
    DIR/dkg-result.json         public summary: hashes, qualified and disqualified dealers

Nothing is written when the ceremony failed (fewer qualified dealers than it needs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from node.dkg.files import write_atomic_public
from node.keys import write_keystore
from protocol.dkg import DkgResult
from protocol.keystore import DEFAULT_KDF_N, encrypt_share

KEYSTORE_FILE = "share.keystore.json"
GUARDIAN_SET_FILE = "guardian-set.json"
TRANSCRIPT_FILE = "dkg-transcript.msgpack"
RESULT_FILE = "dkg-result.json"


@dataclass(frozen=True)
class Written:
    keystore: Path | None
    guardian_set: Path
    transcript: Path
    summary: dict


def summary_of(result: DkgResult) -> dict:
    gset = result.guardian_set()
    return {"ceremony": "0x" + result.ceremony.id.hex(), "name": result.ceremony.name,
            "epoch": result.ceremony.epoch, "threshold": result.threshold,
            "guardians": gset.n, "index": result.my_index,
            "group_public_key": "0x" + result.group_public_key.hex(),
            "guardian_set_hash": "0x" + gset.hash().hex(),
            "transcript_hash": "0x" + result.transcript_hash.hex(),
            "qualified": list(result.qualified),
            "disqualified": {str(k): v for k, v in sorted(result.disqualified.items())},
            "reshare": result.ceremony.is_reshare}


def write_artifacts(directory: Path, result: DkgResult, passphrase: str | None, *, backend,
                    kdf_n: int = DEFAULT_KDF_N, extra: dict | None = None) -> Written:
    """Write the result; the keystore last, so that its presence means the ceremony finished."""
    directory = Path(directory)
    summary = {**summary_of(result), **(extra or {})}
    gset_path = directory / GUARDIAN_SET_FILE
    transcript_path = directory / TRANSCRIPT_FILE
    write_atomic_public(transcript_path, result.transcript)
    write_atomic_public(gset_path, result.guardian_set().to_json())
    write_atomic_public(directory / RESULT_FILE, json.dumps(summary, indent=2) + "\n")
    keystore_path = None
    if result.my_share is not None:
        if passphrase is None:
            raise ValueError("a passphrase is needed to write the share keystore")
        n = len(result.public_shares)
        keystore = encrypt_share(result.my_share, passphrase, index=result.my_index,
                                 epoch=result.ceremony.epoch, backend=backend, kdf_n=kdf_n,
                                 description=f"Guardian Network share {result.my_index} of {n} "
                                             f"(DKG {result.ceremony.name})")
        keystore_path = directory / KEYSTORE_FILE
        write_keystore(keystore_path, keystore, force=True)
    return Written(keystore_path, gset_path, transcript_path, summary)
