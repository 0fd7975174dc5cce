"""The key ceremony over real libp2p hosts, in one process: every participant ends with the same
guardian-set file and a keystore whose share signs; a participant killed mid-ceremony rejoins
from its saved state; fewer than t participants: a clear failure and no keystore."""

from __future__ import annotations

import pytest
import trio

from node.dkg import CeremonyRunError
from node.dkg.local import prepare_local
from node.dkg.phases import Timeouts
from node.dkg.runner import RunOptions, run_ceremony
from node.keys import read_keystore
from protocol import threshold
from protocol.bls import get_backend
from protocol.guardian_set import GuardianSet
from protocol.keystore import decrypt_share

pytestmark = pytest.mark.timeout(180)
PASS = "correct horse battery"


def _options(local, i, **kw) -> RunOptions:
    defaults = dict(ceremony=local.ceremony, directory=local.directories[i], passphrase=PASS,
                    listen=local.listens[i], bootstrap=local.bootstrap(i),
                    timeouts=Timeouts(60, 30, 30), rebroadcast_seconds=0.5,
                    linger_seconds=1.0, progress_seconds=30, kdf_n=2**10, say=lambda _: None)
    defaults.update(kw)
    return RunOptions(**defaults)


def _check_outputs(local, n, t):
    backend = get_backend()
    files = [(local.directories[i] / "guardian-set.json").read_bytes() for i in range(1, n + 1)]
    assert len(set(files)) == 1, "guardian-set files differ"
    gset = GuardianSet.from_json(files[0].decode())
    gset.validate(backend)
    assert gset.threshold == t and gset.n == n
    assert gset.peer_ids == tuple(p.peer_id for p in local.ceremony.participants)
    shares = {}
    for i in range(1, n + 1):
        path = local.directories[i] / "share.keystore.json"
        assert path.stat().st_mode & 0o777 == 0o600
        assert (local.directories[i] / "dkg-state.bin").stat().st_mode & 0o777 == 0o600
        index, secret = decrypt_share(read_keystore(path), PASS, backend)
        assert index == i and backend.sk_to_pk(secret) == gset.public_share(i)
        shares[i] = secret
    digest = b"\x42" * 32
    partials = {i: threshold.partial_sign(shares[i], digest, backend) for i in list(shares)[-t:]}
    combined = threshold.robust_combine(gset, digest, partials, backend)
    assert combined.signers == tuple(list(shares)[-t:])
    return gset


async def test_four_participants_agree_and_their_shares_sign(tmp_path):
    n, t = 4, 3
    local = prepare_local(tmp_path, n, t)
    outcomes = {}
    with trio.fail_after(150):
        async with trio.open_nursery() as nursery:
            for i in range(1, n + 1):
                async def one(i=i):
                    outcomes[i] = await run_ceremony(_options(local, i))
                nursery.start_soon(one)
    assert {o.result.transcript_hash for o in outcomes.values()} == \
        {outcomes[1].result.transcript_hash}
    assert outcomes[1].result.qualified == tuple(range(1, n + 1))
    _check_outputs(local, n, t)
