"""The participant's saved state: the session (`DkgSession.to_state()`: it holds the dealer's
secret polynomial, so the file is 0600) and the phase clock, written atomically after every
change that matters (a phase entered, new messages kept). A participant that crashes restarts
with the same command and continues from it: same deal bytes (re-dealing a different polynomial
would be an equivocation), same phase, same deadline.

Format: msgpack {v, ceremony, phase, deadline, started, resumes, session}.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgpack

from node.dkg import CeremonyRunError
from node.dkg.files import write_atomic_secret
from node.dkg.phases import PhaseClock, Timeouts, phase_named
from node.keys import KeyFileError, read_secret_file

STATE_FILE = "dkg-state.bin"  # with the ceremony id: dkg-state-<first 8 bytes hex>.bin
STATE_VERSION = 2
MAX_STATE_BYTES = 64 * 1024 * 1024


def state_file(ceremony_id: bytes) -> str:
    """One state file per ceremony, so a resharing can run from the same directory."""
    return f"dkg-state-{ceremony_id[:8].hex()}.bin"


@dataclass
class SavedState:
    ceremony_id: bytes
    clock: PhaseClock
    started: float            # when this participant first started the ceremony (unix)
    resumes: int              # how many times it came back from this state
    session: bytes

    def encode(self) -> bytes:
        return msgpack.packb({"v": STATE_VERSION, "ceremony": self.ceremony_id,
                              "phase": self.clock.name(), "deadline": self.clock.deadline,
                              "started": self.started, "resumes": self.resumes,
                              "session": self.session}, use_bin_type=True)


def save_state(path: Path, state: SavedState) -> None:
    write_atomic_secret(path, state.encode())


def load_state(path: Path, ceremony_id: bytes, timeouts: Timeouts) -> SavedState | None:
    """The saved state, or None when there is none. A state of another ceremony, or an
    unreadable one, is an error (never silently replaced: it may hold a deal already sent)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        data = read_secret_file(path, "DKG state file")
    except KeyFileError as exc:
        raise CeremonyRunError(str(exc)) from exc
    if len(data) > MAX_STATE_BYTES:
        raise CeremonyRunError(f"DKG state file {path} is too large")
    try:
        raw = msgpack.unpackb(data, raw=False)
        if not isinstance(raw, dict) or raw.get("v") != STATE_VERSION:
            raise ValueError(f"not a version-{STATE_VERSION} state")
        clock = PhaseClock(phase_named(raw["phase"]), float(raw["deadline"]), timeouts)
        state = SavedState(bytes(raw["ceremony"]), clock, float(raw["started"]),
                           int(raw["resumes"]), bytes(raw["session"]))
    except Exception as exc:  # noqa: BLE001 - any malformation is one clear error
        raise CeremonyRunError(f"DKG state file {path} is malformed ({exc}); move it away to "
                               "start over only if this participant never sent a deal") from exc
    if state.ceremony_id != ceremony_id:
        raise CeremonyRunError(f"DKG state file {path} belongs to another ceremony "
                               f"(0x{state.ceremony_id.hex()[:16]}...); use another --dir")
    return state
