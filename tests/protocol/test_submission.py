from protocol.submission import (
    PROPOSAL_MAX_DELAY_SECONDS,
    PROPOSAL_STEP_SECONDS,
    proposal_delay,
    submission_delay,
    submission_order,
    submission_rank,
)


def test_every_guardian_derives_the_same_order():
    digest = b"\x42" * 32
    order = submission_order(digest, range(1, 8))
    assert sorted(order) == list(range(1, 8))
    assert submission_order(digest, reversed(range(1, 8))) == order
    assert [submission_rank(digest, i, range(1, 8)) for i in order] == list(range(7))


def test_order_differs_between_incidents():
    firsts = {submission_order(bytes([i]) * 32, range(1, 8))[0] for i in range(40)}
    assert len(firsts) > 3  # the first submitter rotates


def test_offline_guardians_do_not_delay_the_live_ones():
    digest = b"\x07" * 32
    order = submission_order(digest, range(1, 5))
    second = order[1]
    assert submission_rank(digest, second, range(1, 5)) == 1
    live_without_first = [i for i in range(1, 5) if i != order[0]]
    assert submission_rank(digest, second, live_without_first) == 0
    assert submission_delay(3, 2.0) == 6.0


def test_one_guardian_proposes_at_once_and_the_others_wait_a_bounded_time():
    incident = b"\x11" * 32 + (3).to_bytes(8, "big")
    live = range(1, 17)
    delays = {i: proposal_delay(incident, i, live) for i in live}
    assert sorted(delays.values()).count(0.0) == 1  # exactly one proposer publishes right away
    assert min(d for d in delays.values() if d > 0) == PROPOSAL_STEP_SECONDS
    assert max(delays.values()) == PROPOSAL_MAX_DELAY_SECONDS  # a lone detector waits at most this
    first = submission_order(incident, live)[0]
    assert delays[first] == 0.0
    # the first is offline: the next one proposes at once
    assert proposal_delay(incident, submission_order(incident, live)[1],
                          [i for i in live if i != first]) == 0.0
