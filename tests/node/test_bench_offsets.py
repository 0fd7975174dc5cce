"""`scripts/bench e2e` broadcasts the exploit across the whole block: stratified, one moment in
each equal slice of the block (shuffled, reproducible by seed); or, as the earlier rounds did, an
independent uniform draw per run."""

from __future__ import annotations

import random

from node.bench.e2e_pending import broadcast_offsets


def test_stratified_offsets_put_one_run_in_each_slice_of_the_block():
    offsets = broadcast_offsets(20, 2.0, random.Random(1007))
    assert sorted(int(o / 0.1) for o in offsets) == list(range(20))  # one per 100 ms slice
    assert all(0.0 <= o < 2.0 for o in offsets)
    assert offsets != sorted(offsets)  # shuffled: slow drift of the machine is not the block
    assert offsets == broadcast_offsets(20, 2.0, random.Random(1007))  # the seed decides


def test_random_offsets_are_left_to_each_run():
    assert broadcast_offsets(3, 2.0, random.Random(1), stratified=False) == [None, None, None]
