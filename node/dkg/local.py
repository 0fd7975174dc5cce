"""Ceremonies among participants on this machine (devnet, benchmark, tests): their directories
and keys, the ceremony file, loopback addresses, and each participant's run options.

    DIR/ceremony.json          the ceremony file
    DIR/guardian-<i>/          participant i: dkg.key, p2p.key, state, results (node.dkg.files)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from node.dkg.assemble import assemble
from node.dkg.files import ensure_keys
from node.ports import free_ports
from protocol.dkg_ceremony import Ceremony, Participant

CEREMONY_FILE = "ceremony.json"


@dataclass(frozen=True)
class LocalCeremony:
    ceremony: Ceremony
    directories: dict[int, Path]
    addresses: dict[int, str]      # /ip4/127.0.0.1/tcp/<port>/p2p/<peer id>
    listens: dict[int, str]

    def bootstrap(self, index: int, fanout: int = 4) -> tuple[str, ...]:
        """The next `fanout` participants on a ring (GossipSub spreads the rest)."""
        n = len(self.addresses)
        return tuple(self.addresses[(index - 1 + k) % n + 1]
                     for k in range(1, min(fanout, n - 1) + 1))


def prepare_local(out_dir: Path, n: int, t: int, *, name: str = "local", epoch: int = 1,
                  ports: list[int] | None = None) -> LocalCeremony:
    """Keys for n participants under out_dir (kept if present), and the ceremony file."""
    from node.p2p.identity import peer_id_of

    out_dir = Path(out_dir)
    ports = ports or free_ports(n)
    participants, dirs, addrs, listens = [], {}, {}, {}
    for i in range(1, n + 1):
        dirs[i] = out_dir / f"guardian-{i}"
        keys, identity, _ = ensure_keys(dirs[i])
        peer = peer_id_of(identity)
        participants.append(Participant(i, peer, keys.encryption_key, keys.signing_key))
        listens[i] = f"/ip4/127.0.0.1/tcp/{ports[i - 1]}"
        addrs[i] = f"{listens[i]}/p2p/{peer}"
    ceremony = assemble(name, t, epoch, participants)
    (out_dir / CEREMONY_FILE).write_text(ceremony.to_json())
    return LocalCeremony(ceremony, dirs, addrs, listens)
