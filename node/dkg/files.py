"""A ceremony participant's files.

    DIR/dkg.key            the ceremony keys (X25519 + Ed25519, `protocol.dkg_keys`), 0600
    DIR/p2p.key            the libp2p identity (`node.p2p.identity`), 0600; its peer id goes into
                           the ceremony file and later into the guardian-set file
    DIR/dkg-state-<id>.bin the saved session of one ceremony (`node.dkg.state`), 0600, rewritten
                           atomically

Secret files are created 0600 from the first byte and replaced atomically (write a temporary
file next to the target, fsync, rename, fsync the directory), so a crash leaves either the old
or the new contents, never half of one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from node.dkg import CeremonyRunError
from node.keys import KeyFileError, ensure_private_dir, read_secret_file, write_secret_file
from protocol.dkg_ceremony import Ceremony
from protocol.dkg_errors import DkgError
from protocol.dkg_keys import ParticipantKeys

KEYS_FILE = "dkg.key"
IDENTITY_FILE = "p2p.key"
MAX_CEREMONY_FILE_BYTES = 4 * 1024 * 1024


def write_atomic_secret(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; the file is 0600 at every moment."""
    path = Path(path)
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_atomic_public(path: Path, text: str) -> None:
    """Public files (guardian set, transcript) are replaced atomically too, mode 0644."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(text.encode() if isinstance(text, str) else text)
    os.replace(tmp, path)


def load_ceremony(path: Path) -> Ceremony:
    try:
        size = Path(path).stat().st_size
        if size > MAX_CEREMONY_FILE_BYTES:
            raise CeremonyRunError(f"ceremony file {path} is {size} bytes; refusing more than "
                                   f"{MAX_CEREMONY_FILE_BYTES}")
        text = Path(path).read_text()
    except FileNotFoundError as exc:
        raise CeremonyRunError(f"ceremony file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CeremonyRunError(f"ceremony file {path} unreadable: {exc}") from exc
    try:
        return Ceremony.from_json(text)
    except DkgError as exc:
        raise CeremonyRunError(f"ceremony file {path}: {exc}") from exc


def load_keys(path: Path) -> ParticipantKeys:
    try:
        text = read_secret_file(Path(path), "DKG key file").decode(errors="replace")
        return ParticipantKeys.from_json(text)
    except (KeyFileError, DkgError) as exc:
        raise CeremonyRunError(str(exc)) from exc


def ensure_keys(directory: Path) -> tuple[ParticipantKeys, bytes, bool]:
    """The participant's ceremony keys and libp2p identity in `directory`, created (0600) when
    missing. Returns (keys, identity secret, whether anything was created)."""
    from node.p2p.identity import IdentityError, generate_identity, load_identity, save_identity

    directory = Path(directory)
    ensure_private_dir(directory)
    created = False
    keys_path, identity_path = directory / KEYS_FILE, directory / IDENTITY_FILE
    if not keys_path.exists():
        write_secret_file(keys_path, ParticipantKeys.generate().to_json().encode())
        created = True
    if not identity_path.exists():
        save_identity(identity_path, generate_identity())
        created = True
    try:
        identity = load_identity(identity_path)
    except IdentityError as exc:
        raise CeremonyRunError(str(exc)) from exc
    return load_keys(keys_path), identity, created


def ceremony_entry(keys: ParticipantKeys, peer_id: str) -> dict:
    """What a participant hands the ceremony's organiser (public: no secret in it)."""
    return {"peer_id": peer_id, "encryption_key": "0x" + keys.encryption_key.hex(),
            "signing_key": "0x" + keys.signing_key.hex()}
