"""A devnet's guardians never share a port: free p2p and status ports are picked in one call, so a
port released by the first pick cannot come back in the second (a chaos run once read a guardian's
status from another guardian's libp2p listener: `BadStatusLine: /multistream/1.0.0`)."""

from __future__ import annotations

from node.devnet import network
from node.devnet.network import Topology, guardian_ports


def test_free_ports_are_picked_once_for_p2p_and_status(monkeypatch):
    calls = []

    def reusing(count: int) -> list[int]:  # the kernel handing out the lowest released ports
        calls.append(count)
        return list(range(40_000, 40_000 + count))

    monkeypatch.setattr(network, "free_ports", reusing)
    p2p, status = guardian_ports(Topology("http://x", "ws://x"), 7)
    assert len(set(p2p + status)) == 14 and calls == [14]


def test_configured_bases_are_kept():
    p2p, status = guardian_ports(Topology("http://x", "ws://x", base_p2p_port=9000,
                                          base_metrics_port=9100), 3)
    assert (p2p, status) == ([9000, 9001, 9002], [9100, 9101, 9102])
    same = Topology("http://x", "ws://x", base_p2p_port=9000, base_metrics_port=9100,
                    same_ports=True)
    assert guardian_ports(same, 2) == ([9000, 9000], [9100, 9100])


def test_one_base_and_free_ports_for_the_other(monkeypatch):
    monkeypatch.setattr(network, "free_ports", lambda count: list(range(50_000, 50_000 + count)))
    p2p, status = guardian_ports(Topology("http://x", "ws://x", base_p2p_port=9000), 2)
    assert (p2p, status) == ([9000, 9001], [50_000, 50_001])
