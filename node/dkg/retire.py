"""What a participant destroys once its ceremony has ended with an agreed result, so that the
keystore's passphrase is the only way back to a share.

After any ceremony (fresh or resharing), in the participant's directory:

    dkg.key                 the ceremony keys: with the public transcript, the X25519 key opens
                            every share dealt to this participant, i.e. re-derives its new share
    dkg-state-<id>.bin      the saved session: the dealing seed (this dealer's polynomial), the
                            messages (the encrypted shares) and, for a resharing dealer, its old
                            share in plaintext

After a resharing, also:

    the old keystore        (`--old-keystore`): the old share, which t-1 others' old shares would
                            complete to a signature under the same group key
    dkg-state-*.bin         of earlier ceremonies that finished: the same secrets for the old share

What remains is the new keystore (encrypted with the passphrase), the libp2p identity `p2p.key`
(no share secret) and the public files. Destroying overwrites the file with zeros, syncs it,
removes it and syncs the directory: on journaling or copy-on-write file systems and SSDs old
blocks may survive, so disks that held shares must be retired as the operator's policy says.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgpack

from node.dkg.files import KEYS_FILE
from node.dkg.state import state_file

STATE_PATTERN = "dkg-state-*.bin"


def destroy(path: Path) -> bool:
    """Overwrite with zeros, sync, remove; True if a file was there."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, b"\x00" * size)
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True


def _finished_state(path: Path) -> bool:
    try:
        raw = msgpack.unpackb(path.read_bytes(), raw=False)
        return isinstance(raw, dict) and raw.get("phase") == "finish"
    except Exception:  # noqa: BLE001 - an unreadable state is left for the operator
        return False


def retire(directory: Path, ceremony_id: bytes, *, old_keystore: Path | None = None,
           kept: tuple[Path, ...] = ()) -> list[Path]:
    """Destroy what re-derives this ceremony's share (and, after a resharing, the old share).
    `kept`: files just written that must survive even if a path above names them (a new
    keystore written over the old one). Returns the files destroyed."""
    directory = Path(directory)
    targets = [directory / KEYS_FILE, directory / state_file(ceremony_id)]
    if old_keystore is not None:
        targets.append(Path(old_keystore))
        targets += [p for p in sorted(directory.glob(STATE_PATTERN)) if _finished_state(p)]
    keep = {Path(p).resolve() for p in kept}
    destroyed, done = [], set()
    for path in targets:
        resolved = path.resolve()
        if resolved in keep or resolved in done:
            continue
        done.add(resolved)
        if destroy(path):
            destroyed.append(path)
    return destroyed


__all__ = ["destroy", "retire"]
