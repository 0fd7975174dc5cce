"""A frame fuzzer for the node's libp2p surface (not part of the node: a test and audit tool).

    protobuf_wire  a small protobuf wire encoder and pubsub RPC builders
    generators  the frame generators (bytes, varints, protobuf, pubsub RPCs, 1 MiB)
    schedule    which generators target which protocol; seeded, reproducible frame plans
    peer        the fuzzing peer (a stock Noise + Yamux host) and `fuzz()`
    target      an in-process, supervised P2PService target that records crashes
    raw         the layers below streams: multistream-select, Noise handshake, Yamux frames

`python -m node.p2p_fuzz --frames N --seed S` (or `scripts/fuzz`) fuzzes an in-process target.
"""

from node.p2p_fuzz.peer import FuzzReport, fuzz

__all__ = ["FuzzReport", "fuzz"]
