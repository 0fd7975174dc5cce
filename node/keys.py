"""Key files on disk: created with owner-only permissions from the first byte, never overwritten
silently, read back with clear errors. What they contain is defined elsewhere: BLS share
keystores in `protocol.keystore`, the libp2p identity in `node.p2p.identity`."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from eth_account import Account

from node.errors import NodeError


class KeyFileError(NodeError, ValueError):
    """A key file is missing, unreadable, too widely readable or malformed."""


def ensure_private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def write_secret_file(path: Path, data: bytes, *, force: bool = False) -> None:
    """Create `path` with mode 0600 (never widened, never chmod-ed after the fact)."""
    path = Path(path)
    ensure_private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(f"{path} already exists; refusing to overwrite a key "
                           f"(pass --force to replace it)") from exc
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def read_secret_file(path: Path, what: str) -> bytes:
    path = Path(path)
    try:
        info = path.stat()
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyFileError(f"{what} not found: {path}") from exc
    except OSError as exc:
        raise KeyFileError(f"{what} unreadable: {path}: {exc.strerror}") from exc
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(f"{what} {path} is readable by others (mode "
                           f"{stat.S_IMODE(info.st_mode):o}); run: chmod 600 {path}")
    return data


def write_keystore(path: Path, keystore: dict, *, force: bool = False) -> None:
    write_secret_file(path, (json.dumps(keystore, indent=2) + "\n").encode(), force=force)


def read_keystore(path: Path) -> dict:
    return parse_keystore(read_secret_file(path, "share keystore"), path)


def parse_keystore(raw: bytes, path: Path) -> dict:
    """A keystore file's bytes as a JSON object (its fields are checked when it is opened)."""
    try:
        doc = json.loads(raw)
    except ValueError as exc:  # UnicodeDecodeError included
        raise KeyFileError(f"share keystore {path} is not JSON: {exc}") from exc
    except RecursionError as exc:
        raise KeyFileError(f"share keystore {path} is not JSON: nested too deeply") from exc
    if not isinstance(doc, dict):
        raise KeyFileError(f"share keystore {path} is not a JSON object")
    return doc


def generate_submitter_key(path: Path, *, force: bool = False) -> str:
    """A new Ethereum account for sending `authorize`; returns its address."""
    account = Account.create()
    write_secret_file(path, (account.key.hex().removeprefix("0x") + "\n").encode(), force=force)
    return account.address


def write_submitter_key(path: Path, private_key: bytes, *, force: bool = False) -> str:
    write_secret_file(path, (private_key.hex() + "\n").encode(), force=force)
    return Account.from_key(private_key).address


def read_submitter_key(path: Path) -> bytes:
    return parse_submitter_key(read_secret_file(path, "submitter key file"), path)


def parse_submitter_key(raw: bytes, path: Path) -> bytes:
    """The key in a submitter key file's bytes: 64 hex digits (0x optional) and a newline."""
    text = raw.decode(errors="replace").strip()
    try:
        key = bytes.fromhex(text.removeprefix("0x"))
    except ValueError as exc:
        raise KeyFileError(f"submitter key file {path} does not hold a hex private key") from exc
    if len(key) != 32:
        raise KeyFileError(f"submitter key file {path}: expected 32 bytes, got {len(key)}")
    return key
