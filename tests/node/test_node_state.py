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


async def test_each_head_sets_the_chain_head_metric():
    from node.metrics import Metrics
    from node.records import BlockHeader
    from node.watch_loop import WatchLoop

    class Registry:
        async def on_head(self, number):
            raise RuntimeError("RPC down")  # the metric is set before anything can fail

    metrics = Metrics()
    loop = WatchLoop(registry=Registry(), detectors=[], view=None, pipeline=None, submitter=None,
                     store=None, state=NodeState(name="g", index=1), metrics=metrics)
    await loop.on_head(BlockHeader(42, b"\x01" * 32, 1_700_000_000))
    assert b"guardian_chain_head 42.0" in metrics.render()
    assert loop.state.head == 42 and loop.chain_time() == 1_700_000_000
