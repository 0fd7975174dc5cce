"""A participant whose view differs from the others' writes nothing and fails, naming the
dealers that confirmed the other transcript; the others finish. Over real libp2p hosts, in one
process: participant 4 alone holds a (validly signed) complaint of participant 1 against dealer
2 that nobody else ever sees, so 4 alone disqualifies dealer 2."""

from __future__ import annotations

import random
import re
import time

import pytest
import trio

from node.dkg import CeremonyRunError
from node.dkg.files import load_keys
from node.dkg.local import prepare_local
from node.dkg.phases import PhaseClock, Timeouts
from node.dkg.runner import RunOptions, run_ceremony
from node.dkg.state import SavedState, save_state, state_file
from protocol.bls import get_backend
from protocol.dkg import DkgSession, Phase
from protocol.dkg_wire import Response, deal_hash, encode, sign

pytestmark = pytest.mark.timeout(120)
PASS = "correct horse battery"


async def test_the_participant_with_another_view_fails_naming_the_others(tmp_path):
    n, t = 4, 3
    local = prepare_local(tmp_path, n, t)
    backend = get_backend()
    keys = {i: load_keys(local.directories[i] / "dkg.key") for i in range(1, n + 1)}
    sessions = {i: DkgSession(local.ceremony, keys[i], backend, rng=random.Random(i))
                for i in keys}
    hashes = tuple(deal_hash(sessions[i].outgoing(Phase.DEAL)[0]) for i in range(1, n + 1))
    whisper = encode(sign(Response(local.ceremony.id, 1, (2,), hashes), keys[1]))
    sessions[4].receive(whisper)
    timeouts = Timeouts(30, 20, 3, 20)
    for i, session in sessions.items():
        save_state(local.directories[i] / state_file(local.ceremony.id),
                   SavedState(local.ceremony.id, PhaseClock.start(timeouts, time.time()),
                              time.time(), 0, session.to_state()))
    outcomes, errors = {}, {}
    with trio.fail_after(90):
        async with trio.open_nursery() as nursery:
            for i in range(1, n + 1):
                async def one(i=i):
                    opts = RunOptions(ceremony=local.ceremony, directory=local.directories[i],
                                      passphrase=PASS, listen=local.listens[i],
                                      bootstrap=local.bootstrap(i), timeouts=timeouts,
                                      rebroadcast_seconds=0.5, linger_seconds=3.0,
                                      progress_seconds=60, kdf_n=2**10, say=lambda _: None)
                    try:
                        outcomes[i] = await run_ceremony(opts)
                    except CeremonyRunError as exc:
                        errors[i] = str(exc)
                nursery.start_soon(one)
    assert sorted(outcomes) == [1, 2, 3] and sorted(errors) == [4], errors
    assert {o.result.qualified for o in outcomes.values()} == {(1, 2, 3, 4)}
    mine = errors[4]
    assert "did not agree on one transcript" in mine and "no keystore written" in mine
    # it stops as soon as agreement is out of reach (its qualified dealers are 1, 3 and 4: one
    # that confirmed another transcript is enough), naming who confirmed what
    good = outcomes[1].result.transcript_hash.hex()[:16]
    named = re.findall(r"dealer (\d) confirmed 0x([0-9a-f]{16})", mine)
    assert named and all(h == good and d in "123" for d, h in named), mine
    d4 = local.directories[4]
    assert not (d4 / "share.keystore.json").exists() and not (d4 / "guardian-set.json").exists()
    assert (d4 / "dkg.key").exists()    # nothing is destroyed when the ceremony failed
