"""What /status says about gossip: delivery percentiles over a recent window only."""

from node.status import DELIVERY_WINDOW_SECONDS, NodeState


def test_delivery_stats_cover_the_recent_window_only():
    state = NodeState(name="g", index=1)
    assert state.delivery_stats(now=0.0) == {"samples": 0, "window_seconds": DELIVERY_WINDOW_SECONDS}
    for _ in range(50):
        state.note_delivery(5000.0, now=0.0)  # start-up: every process still importing
    for ms in range(1, 101):
        state.note_delivery(float(ms), now=100.0)
    state.note_delivery(-3.0, now=100.0)  # clock skew never gives a negative time
    stats = state.delivery_stats(now=100.0 + DELIVERY_WINDOW_SECONDS - 1)
    assert stats["samples"] == 101
    assert stats["p50_ms"] == 50.0 and stats["p99_ms"] == 99.0
    assert state.delivery_stats(now=100.0 + DELIVERY_WINDOW_SECONDS + 1)["samples"] == 0
