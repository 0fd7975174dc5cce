"""`scripts/bench scale` on a tiny network: 7 in-process guardians (t = 5) running the node's real
message path over the emulated gossip network, with short links so the file stays quick."""

from __future__ import annotations

import pytest
import trio

from node.bench.scale_model import Costs, predict, simulate
from node.bench.scale_net import NetParams, build_mesh
from node.bench.scale_run import default_threshold, run_incidents, summarize
from node.devnet.inprocess import deal
from protocol import messages
from protocol.bls import DST_AUTHORIZATION, get_backend

B = get_backend()

TIMEOUT = 120  # seconds per incident: a few on an idle machine, never a hang
FAST = dict(latency_min=0.005, latency_max=0.015, jitter=0.002, heartbeat=0.1)


def _distinct_messages(result) -> int:
    """Shares (one per guardian), published reports and announced proofs."""
    tls = result.timelines.values()
    return (result.n + sum(tl.report_published for tl in tls)
            + sum(tl.proof_sent for tl in tls))


@pytest.fixture(scope="module")
def full_mesh():
    """Two incidents, no loss; n = 7 <= D + 1: every guardian's mesh is the six others."""
    return trio.run(lambda: run_incidents(7, 5, 2, NetParams(loss=0.0, **FAST), seed=3,
                                           incident_timeout=TIMEOUT))


def test_seven_guardians_combine_one_digest_with_counts_of_a_full_mesh(full_mesh):
    results = full_mesh
    for r in results:
        assert all(lat > 0 for lat in r.latency.values()), "a guardian never combined"
        assert len(r.digests) == 1 and None not in r.digests
        # one publication costs 6 transmissions over the direct links, and nobody forwards it
        sent = sum(tr.sent for tr in r.traffic.values())
        assert sent == 6 * _distinct_messages(r)
        assert sum(tr.received for tr in r.traffic.values()) == sent
        assert sum(tr.duplicates for tr in r.traffic.values()) == 0
        assert all(sum(r.cpu.get(i, {}).values()) > 0 for i in range(1, 8))
    # the two incidents are about different protocols: different digests
    assert results[0].digests != results[1].digests
    row = summarize(results)
    assert row["one_digest"] and row["latency_first"] <= row["latency_tth"] <= row["latency_last"]
    assert set(row["validate_cpu_per_message"]) >= {"share", "report", "proof"}


def test_every_guardian_holds_a_signature_under_the_group_key(full_mesh):
    (digest,) = full_mesh[0].digests
    _, gset = deal(7, 5, B, seed=3)  # the run's dealing (same seed)
    for tl in full_mesh[0].timelines.values():
        assert B.verify(gset.group_public_key, digest, tl.signature, DST_AUTHORIZATION)
        assert tl.combine_cpu > 0
    assert any(tl.report_published for tl in full_mesh[0].timelines.values())


def test_by_gossip_a_full_mesh_forwards_every_message_to_every_mesh_peer():
    params = NetParams(loss=0.0, direct=False, **FAST)
    r = trio.run(lambda: run_incidents(7, 5, 1, params, seed=3, incident_timeout=TIMEOUT))[0]
    # one publication costs 6 transmissions, each of the 6 others forwards to 5 peers
    sent = sum(tr.sent for tr in r.traffic.values())
    assert sent == (6 + 6 * 5) * _distinct_messages(r)
    assert sum(tr.duplicates for tr in r.traffic.values()) == 6 * 5 * _distinct_messages(r)
    assert len(r.digests) == 1 and len(r.latency) == 7


def test_sparse_mesh_counts_follow_the_topology():
    # a ring (two mesh peers each), no IHAVE gossip: only mesh forwarding moves messages
    params = NetParams(degree=2, lazy_degree=0, loss=0.0, direct=False, **FAST)
    results = trio.run(lambda: run_incidents(7, 5, 1, params, seed=5, incident_timeout=TIMEOUT))
    r = results[0]
    assert set(r.mesh_degree.values()) == {2}
    # every message here is an incident message, which its author floods: 6 transmissions; the
    # author's 2 mesh peers forward to their 1 other mesh peer, the 4 others to both of theirs
    assert sum(tr.sent for tr in r.traffic.values()) == (6 + 2 * 1 + 4 * 2) * _distinct_messages(r)
    assert len(r.digests) == 1


def test_a_direct_link_loses_no_message_it_delivers_late():
    params = NetParams(loss=0.3, retransmit=0.05, **FAST)
    r = trio.run(lambda: run_incidents(7, 5, 1, params, seed=7, incident_timeout=TIMEOUT))[0]
    assert len(r.digests) == 1 and None not in r.digests and len(r.latency) == 7
    assert sum(tr.lost for tr in r.traffic.values()) == 0
    assert sum(tr.retransmitted for tr in r.traffic.values()) > 0


def test_loss_is_survived_by_gossip_and_iwant():
    params = NetParams(degree=2, loss=0.3, direct=False, **FAST)
    results = trio.run(lambda: run_incidents(7, 5, 1, params, seed=7, incident_timeout=TIMEOUT))
    r = results[0]
    assert len(r.digests) == 1 and None not in r.digests
    assert len(r.latency) == 7
    assert sum(tr.lost for tr in r.traffic.values()) > 0
    assert sum(tr.recovered for tr in r.traffic.values()) > 0, "no message came back by IWANT"




def test_hostile_messages_are_rejected_not_forwarded_and_the_proof_still_combines():
    """Garbage and a share whose partial is not its signer's reach guardian 1's mesh peers, are
    REJECTed by the real gossip rules, go no further, and do not stop the combination."""

    def inject(net, guardians):
        g = guardians[1]
        forged = messages.sign_message(messages.Share(
            b"\x01" * 32, b"\x02" * 32, B.sign(g.key.secret, b"other", DST_AUTHORIZATION), 1,
            b""), g.key.secret, B)
        for data in (b"\x92\xa5junk", messages.encode(forged)):
            net.publish(1, data)

    results = trio.run(lambda: run_incidents(7, 5, 1, NetParams(loss=0.0, **FAST), seed=6,
                                             before_incident=inject, incident_timeout=TIMEOUT))
    r = results[0]
    assert sum(tr.rejected for tr in r.traffic.values()) == 2 * 6  # each of the 6 peers, once
    assert len(r.digests) == 1 and None not in r.digests and len(r.latency) == 7
    # the two hostile messages cost their 6 transmissions each and were forwarded by nobody
    assert sum(tr.sent for tr in r.traffic.values()) == 6 * _distinct_messages(r) + 2 * 6


def test_mesh_is_connected_with_the_configured_degree():
    import random

    mesh = build_mesh(100, 6, random.Random(1))
    assert all(4 <= len(peers) <= 6 for peers in mesh.values())
    reached, frontier = {1}, [1]
    while frontier:
        frontier = [p for node in frontier for p in mesh[node] if p not in reached]
        reached.update(frontier)
    assert reached == set(range(1, 101))


def test_model_with_free_cpu_is_one_link_in_a_full_mesh():
    zero = Costs(detect=0.0, combine=0.0)
    for direct, copies in ((True, 6), (False, 36)):
        net = NetParams(latency_min=0.12, latency_max=0.12, jitter=0.0, loss=0.0, direct=direct)
        sim = simulate(7, 5, zero, net, detect_jitter=0.0)
        assert sim.latency == pytest.approx(dict.fromkeys(range(1, 8), 0.12))
        # 7 shares; the first-ranked guardian's report (it arrives before the next one's 0.25 s);
        # proofs announced at 0.12 + 0.05 * rank until two have arrived (0.24, 0.29): ranks 0-3;
        # each sent 6 times over direct links, 6 + 6 x 5 times by gossip
        assert sim.distinct == 7 + 1 + 4 and sim.transmissions == copies * sim.distinct
    costly = Costs(detect=0.01, combine=0.05, validate={"share": 0.003})
    own = predict(16, 11, costly, NetParams(), cores="own")
    one = predict(16, 11, costly, NetParams(), cores="one")
    assert one["tth"] > own["tth"] > 0.1  # one shared CPU queues what own CPUs do in parallel


def test_thresholds_and_bad_parameters():
    assert [default_threshold(n) for n in (7, 16, 100)] == [5, 11, 67]
    with pytest.raises(ValueError):
        NetParams(loss=1.0)
    with pytest.raises(ValueError):
        NetParams(latency_min=0.2, latency_max=0.1)
    with pytest.raises(ValueError):
        NetParams(retransmit=-1.0)
    from node.bench.scale import run_scale_bench

    for sizes, incidents in (([1], 1), ([7], 0), ([100_000], 1), ([], 1)):
        with pytest.raises(ValueError):
            run_scale_bench(sizes, incidents)
