"""The devnet's key generation by default: a real DKG ceremony among its guardians, each a
`guardian dkg run` process on loopback (the command operators run), instead of the dealer.

    DIR/ceremony.json                        the ceremony file (node.dkg.local)
    DIR/guardian-<i>/dkg.key, p2p.key        each guardian's ceremony keys and libp2p identity
    DIR/guardian-<i>/share.keystore.json     its share, written by its own process
    DIR/guardian-<i>/guardian-set.json       its copy of the public set (all identical)
    DIR/guardian-set.json                    that set, where the devnet's configs expect it
    DIR/logs/dkg-<i>.log                     each participant's output

The ceremony time is measured from the processes' start to the last keystore written (process
start-up included; the processes then linger a moment to serve peers still finishing).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from node.devnet.processes import ProcessGroup
from node.dkg.local import prepare_local
from node.errors import NodeError
from protocol.guardian_set import GuardianSet

STALE = ("share.keystore.json", "guardian-set.json", "dkg-result.json",
         "dkg-transcript.msgpack")


class CeremonyFailed(NodeError, RuntimeError):
    """The devnet's key ceremony did not produce one guardian set; the message says where to
    look."""


def ceremony_argv(ceremony: Path, directory: Path, passphrase_file: Path, listen: str,
                  bootstrap: tuple[str, ...], *, kdf_n: int, linger: float = 1.0,
                  timeouts: tuple[float, float, float] = (120, 30, 30)) -> list[str]:
    argv = [sys.executable, "-m", "node.cli", "dkg", "run", "--ceremony", str(ceremony),
            "--dir", str(directory), "--passphrase-file", str(passphrase_file),
            "--listen", listen, "--kdf-n", str(kdf_n), "--linger", str(linger),
            "--deal-timeout", str(timeouts[0]), "--complain-timeout", str(timeouts[1]),
            "--justify-timeout", str(timeouts[2])]
    for addr in bootstrap:
        argv += ["--bootstrap", addr]
    return argv


def run_ceremony_processes(out_dir: Path, guardians: int, threshold: int, passphrase_file: Path,
                           *, kdf_n: int, log: Callable[[str], None] = print,
                           timeout: float = 300.0) -> tuple[GuardianSet, float]:
    """Run the ceremony among `guardians` processes; returns the guardian set (written to
    DIR/guardian-set.json) and the ceremony's duration in seconds."""
    out_dir = Path(out_dir)
    local = prepare_local(out_dir, guardians, threshold, name="devnet")
    for directory in local.directories.values():
        for path in [*(directory / n for n in STALE), *directory.glob("dkg-state-*.bin")]:
            path.unlink(missing_ok=True)  # a devnet starts over; operators never do this
    log(f"DKG ceremony among {guardians} guardian processes, threshold {threshold} "
        f"(no dealer); ceremony 0x{local.ceremony.id.hex()[:16]}...")
    started = time.time()
    with ProcessGroup() as group:
        for i, directory in local.directories.items():
            group.spawn(f"dkg-{i}", ceremony_argv(out_dir / "ceremony.json", directory,
                                                  passphrase_file, local.listens[i],
                                                  local.bootstrap(i), kdf_n=kdf_n),
                        out_dir / "logs" / f"dkg-{i}.log")
        deadline = time.monotonic() + timeout
        while any(p.alive() for p in group.processes):
            if time.monotonic() > deadline:
                raise CeremonyFailed(f"the DKG ceremony did not end within {timeout:.0f}s; see "
                                     f"{out_dir / 'logs'}/dkg-*.log")
            time.sleep(0.1)  # other processes: nothing to await
        failed = [p for p in group.processes if p.process.returncode != 0]
    if failed:
        raise CeremonyFailed(f"DKG participant(s) {', '.join(p.name for p in failed)} failed; "
                             f"see {failed[0].log_path}")
    keystores = [d / "share.keystore.json" for d in local.directories.values()]
    seconds = max(p.stat().st_mtime for p in keystores) - started
    sets = {(d / "guardian-set.json").read_bytes() for d in local.directories.values()}
    if len(sets) != 1:
        raise CeremonyFailed("the DKG participants wrote different guardian sets; see "
                             f"{out_dir / 'logs'}")
    text = sets.pop().decode()
    (out_dir / "guardian-set.json").write_text(text)
    gset = GuardianSet.from_json(text)
    log(f"DKG ceremony done in {seconds:.1f} s: {guardians} guardians agree on guardian set "
        f"0x{gset.hash().hex()[:16]}...")
    return gset, seconds
