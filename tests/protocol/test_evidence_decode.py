"""`decode_evidence` (issue 27): what a guardian serves at /evidence/<hash> decodes back only if it
is the canonical encoding, so its keccak256 is the hash the oracle recorded."""

from __future__ import annotations

import msgpack
import pytest

from protocol.evidence import Evidence, decode_evidence, encode_evidence, to_fields
from protocol.pending import PendingContext
from protocol.wire import MessageError

EV = Evidence(kind=1, protocol_id=b"\x01" * 32, block_from=10, block_to=30, subject=b"\x02" * 20,
              observed=(10**24, 0), detail=b"\x03" * 20)
PENDING = Evidence(kind=2, protocol_id=b"\x01" * 32, block_from=29, block_to=30,
                   subject=b"\x02" * 20, observed=(5, 1), detail=b"\x03" * 20,
                   pending=PendingContext(raw_tx=b"\x02\xf8" + b"\x07" * 100,
                                          base_hash=b"\x09" * 32, sim_time=1_700_000_002))


@pytest.mark.parametrize("ev", [EV, PENDING])
def test_canonical_bytes_round_trip(ev):
    assert decode_evidence(encode_evidence(ev)) == ev


def test_a_reordered_or_padded_encoding_is_refused():
    fields = to_fields(EV)
    reordered = msgpack.packb(dict(reversed(list(fields.items()))), use_bin_type=True)
    with pytest.raises(MessageError):
        decode_evidence(reordered)
    canonical = encode_evidence(EV)
    wide = canonical.replace(b"\xaablock_from\x0a", b"\xaablock_from\xcd\x00\x0a")
    assert wide != canonical and msgpack.unpackb(wide) == msgpack.unpackb(canonical)
    for bad in (canonical + b"\x00", wide, b"", b"\xc1", b"[" * 1000):
        with pytest.raises(MessageError):
            decode_evidence(bad)
