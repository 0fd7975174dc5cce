"""The key ceremony over real libp2p hosts, in one process: every participant ends with the same
guardian-set file and a keystore whose share signs; a participant killed mid-ceremony rejoins
from its saved state; fewer than t participants: a clear failure and no keystore."""

from __future__ import annotations

import json

import msgpack
import pytest
import trio

from node.dkg import CeremonyRunError
from node.dkg.files import load_keys
from node.dkg.local import prepare_local
from node.dkg.phases import Timeouts
from node.dkg.runner import RunOptions, run_ceremony
from node.dkg.state import state_file
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
                    linger_seconds=2.0, progress_seconds=30, kdf_n=2**10, say=lambda _: None)
    defaults.update(kw)
    return RunOptions(**defaults)


def assert_nothing_rederives(directory, ceremony_id):
    """After a ceremony the participant's directory holds its keystore (passphrase), p2p.key
    (no share secret) and public files: no ceremony key, no saved session."""
    names = {p.name for p in directory.iterdir()}
    assert "dkg.key" not in names and state_file(ceremony_id) not in names, names
    assert not any(n.startswith("dkg-state-") for n in names), names
    assert names <= {"share.keystore.json", "p2p.key", "guardian-set.json", "dkg-result.json",
                     "dkg-transcript.msgpack", "new"}, names


def assert_no_file_holds(directory, secrets_: set[int], backend):
    """No file under `directory` holds one of these shares in the clear, opens to one with the
    passphrase, or is a ceremony key or saved session that could re-derive one."""
    import json

    from protocol.dkg_keys import ParticipantKeys

    for path in directory.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        assert not any(s.to_bytes(32, "big") in data for s in secrets_), path
        try:
            keys = ParticipantKeys.from_json(data.decode())
        except Exception:  # noqa: BLE001 - not a ceremony key file, as it should be
            keys = None
        assert keys is None, f"{path} is a ceremony key file"
        assert b"guardian-dkg-state" not in data, path   # a saved session
        if path.suffix == ".json" and b'"crypto"' in data:
            assert decrypt_share(json.loads(data), PASS, backend)[1] not in secrets_, path


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
        assert_nothing_rederives(local.directories[i], local.ceremony.id)
        index, secret = decrypt_share(read_keystore(path), PASS, backend)
        assert index == i and backend.sk_to_pk(secret) == gset.public_share(i)
        shares[i] = secret
    digest = b"\x42" * 32
    partials = {i: threshold.partial_sign(shares[i], digest, backend) for i in list(shares)[-t:]}
    combined = threshold.robust_combine(gset, digest, partials, backend)
    assert combined.signers == tuple(list(shares)[-t:])
    return gset


def rederive_share(keys, ceremony, transcript: bytes, index: int) -> int:
    """What `dkg.key` plus the public transcript give: the sum of the shares the qualified
    dealers encrypted to `index` (a fresh ceremony)."""
    from protocol.bls import CURVE_ORDER
    from protocol.dkg_crypto import decrypt_share as open_share
    from protocol.dkg_wire import decode

    record = msgpack.unpackb(transcript, raw=False)
    total = 0
    for raw in record["deals"]:
        deal = decode(raw)
        if deal.dealer in record["qualified"]:
            total += open_share(ceremony.id, deal.dealer, index, deal.ephemeral_keys[index - 1],
                                deal.ciphertexts[index - 1], keys.encryption_secret)
    return total % CURVE_ORDER


async def test_four_participants_agree_and_their_shares_sign(tmp_path):
    n, t = 4, 3
    local = prepare_local(tmp_path, n, t)
    ceremony_keys = load_keys(local.directories[1] / "dkg.key")
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
    assert all(len(o.result.confirmations) >= t for o in outcomes.values())
    _check_outputs(local, n, t)
    # the threat: the ceremony key and the public transcript re-create the share without the
    # passphrase; so the ceremony key is destroyed once the keystore is written
    transcript = (local.directories[1] / "dkg-transcript.msgpack").read_bytes()
    share = decrypt_share(read_keystore(local.directories[1] / "share.keystore.json"), PASS,
                          get_backend())[1]
    assert rederive_share(ceremony_keys, local.ceremony, transcript, 1) == share
    assert not (local.directories[1] / "dkg.key").exists()
    summary = json.loads((local.directories[1] / "dkg-result.json").read_text())
    assert len(summary["confirmed_by"]) >= t


def _cli_argv(local, i, tmp_path, timeouts=(60, 30, 30)) -> list[str]:
    import sys

    (tmp_path / "pass").write_text(PASS)
    argv = [sys.executable, "-m", "node.cli", "dkg", "run", "--ceremony",
            str(tmp_path / "ceremony.json"), "--dir", str(local.directories[i]),
            "--passphrase-file", str(tmp_path / "pass"), "--listen", local.listens[i],
            "--kdf-n", "1024", "--linger", "2", "--deal-timeout", str(timeouts[0]),
            "--complain-timeout", str(timeouts[1]), "--justify-timeout", str(timeouts[2])]
    for addr in local.bootstrap(i):
        argv += ["--bootstrap", addr]
    return argv


def _saved_deal(local, i, path) -> bytes:
    from protocol.dkg import DkgSession, Phase

    raw = msgpack.unpackb(path.read_bytes(), raw=False)["session"]
    session = DkgSession.from_state(raw, load_keys(local.directories[i] / "dkg.key"),
                                    get_backend())
    return session.outgoing(Phase.DEAL)[0]


def _saved_phase(path) -> str | None:
    try:
        return msgpack.unpackb(path.read_bytes(), raw=False)["phase"]
    except (OSError, ValueError, KeyError):
        return None


async def test_a_participant_killed_mid_ceremony_rejoins_from_its_saved_state(tmp_path):
    """Participant 4 runs as its own process (`guardian dkg run`) and is SIGKILLed once it has
    saved its state (its deal is fixed there, before it reaches anyone); the others start and
    wait for it; the same command again resumes from the saved state with the same deal, and
    everyone finishes with the same key, 4's contribution included."""
    import json
    import subprocess

    n, t = 4, 3
    local = prepare_local(tmp_path, n, t)
    state = local.directories[4] / state_file(local.ceremony.id)
    outcomes = {}
    proc = subprocess.Popen(_cli_argv(local, 4, tmp_path), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        with trio.fail_after(150):
            while _saved_phase(state) is None:  # written by the other process
                assert proc.poll() is None, "participant 4 ended before the kill"
                await trio.sleep(0.02)
            proc.kill()
            proc.wait()
            assert _saved_phase(state) == "DEAL"
            assert not (local.directories[4] / "share.keystore.json").exists()
            deal_before = _saved_deal(local, 4, state)
            async with trio.open_nursery() as nursery:
                for i in range(1, n):
                    async def one(i=i):
                        outcomes[i] = await run_ceremony(_options(local, i))
                    nursery.start_soon(one)
                proc = subprocess.Popen(_cli_argv(local, 4, tmp_path), stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
                out = (await trio.to_thread.run_sync(proc.communicate))[0].decode()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert "resumed from saved state in phase DEAL" in out, out
    assert json.loads((local.directories[4] / "dkg-result.json").read_text())["resumes"] == 1
    assert all(o.result.qualified == (1, 2, 3, 4) for o in outcomes.values())
    # the deal that counted is the one saved before the crash (no second deal was made)
    deals = msgpack.unpackb(outcomes[1].result.transcript, raw=False)["deals"]
    assert deal_before in deals and len(deals) == n
    gset = _check_outputs(local, n, t)
    assert gset.group_public_key == outcomes[1].result.group_public_key


async def test_fewer_than_t_participants_fail_clearly_and_write_no_keystore(tmp_path):
    n, t = 4, 3
    local = prepare_local(tmp_path, n, t)
    errors = {}
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            for i in (1, 2):  # 3 and 4 never show up
                async def one(i=i):
                    with pytest.raises(CeremonyRunError) as caught:
                        await run_ceremony(_options(local, i, timeouts=Timeouts(3, 2, 2),
                                                    linger_seconds=0.2))
                    errors[i] = str(caught.value)
                nursery.start_soon(one)
    for i in (1, 2):
        assert "no keystore written" in errors[i] and "qualified" in errors[i], errors[i]
        assert not (local.directories[i] / "share.keystore.json").exists()
        assert not (local.directories[i] / "guardian-set.json").exists()


async def test_malformed_messages_from_a_member_and_an_outsider_crash_nobody(tmp_path):
    """Member 5 of the ceremony sends garbage, forged and oversize messages instead of a deal;
    an outsider dials everyone and publishes too. The four others finish with the same key,
    5 disqualified, the member's messages REJECTed and charged, the outsider refused."""
    from node.p2p import P2PConfig, P2PService
    from node.p2p.ceremony import ceremony_config, ceremony_service
    from node.p2p.identity import generate_identity, load_identity
    from protocol.dkg_keys import ParticipantKeys
    from protocol.dkg_wire import MAX_DKG_MESSAGE_BYTES, Deal, Response, encode, sign

    n, t = 5, 3
    local = prepare_local(tmp_path, n, t)
    cid = local.ceremony.id
    forged = sign(Deal(cid, 1, (b"\x01" * 48,) * t, (b"\x02" * 32,) * n, (b"\x03" * 48,) * n),
                  ParticipantKeys.generate())
    keys5 = load_keys(local.directories[5] / "dkg.key")
    junk = [b"", b"\x00" * 10, b"\x81\xa1v\x01", encode(forged),
            encode(sign(Response(b"\x00" * 32, 5, (), (b"",) * n), keys5)),  # another ceremony
            encode(sign(Deal(cid, 5, (b"\x01" * 48,) * t, (b"\x02" * 32,) * n,
                             (b"\x03" * 48,) * n), keys5)),           # signed, bad points
            b"\x00" * (MAX_DKG_MESSAGE_BYTES + 1)]
    outcomes = {}

    async def spam(service):
        while True:
            for data in junk:
                try:
                    await service.publish(data)
                except Exception:  # noqa: BLE001 - not connected yet
                    pass
            await trio.sleep(0.2)

    with trio.fail_after(150):
        async with trio.open_nursery() as nursery:
            member = ceremony_service(
                ceremony_config(cid, members=tuple(p.peer_id for p in local.ceremony.participants),
                                listen=local.listens[5], bootstrap=local.bootstrap(5),
                                max_message_bytes=10 * MAX_DKG_MESSAGE_BYTES),
                load_identity(local.directories[5] / "p2p.key"), lambda _p, _d: "ACCEPT",
                10 * MAX_DKG_MESSAGE_BYTES)
            outsider = P2PService(P2PConfig(topic=member.config.topic,
                                            bootstrap=tuple(local.addresses[i] for i in (1, 2))),
                                  generate_identity(), lambda _p, _d: "ACCEPT")
            for svc in (member, outsider):
                await nursery.start(svc.run)
                nursery.start_soon(spam, svc)
            async with trio.open_nursery() as honest:
                for i in range(1, 5):
                    async def one(i=i):
                        outcomes[i] = await run_ceremony(
                            _options(local, i, timeouts=Timeouts(10, 5, 5)))
                    honest.start_soon(one)
            nursery.cancel_scope.cancel()
    results = [o.result for o in outcomes.values()]
    assert len({r.guardian_set().to_json() for r in results}) == 1
    assert all(r.qualified == (1, 2, 3, 4) and 5 in r.disqualified for r in results)
    assert sum(o.p2p["rejects"] for o in outcomes.values()) > 0
    assert sum(o.p2p["refused_connections"] for o in outcomes.values()) > 0
    assert all(o.p2p["restarts"] == 0 for o in outcomes.values())


async def test_resharing_over_libp2p_keeps_the_group_key(tmp_path):
    """4 guardians (t = 3) from a ceremony; three of them deal shares of their shares to a new
    set of 5 (the 4 plus a newcomer, t = 4). Same group key, the new shares sign, an old and a
    new share do not combine. The old guardians keep their old keystores (--out-dir)."""
    from node.dkg.files import ensure_keys
    from node.dkg.local import free_ports
    from node.p2p.identity import peer_id_of
    from protocol.dkg_ceremony import Participant
    from protocol.dkg_reshare import reshare_ceremony

    backend = get_backend()
    local = prepare_local(tmp_path / "old", 4, 3)
    with trio.fail_after(120):
        async with trio.open_nursery() as nursery:
            for i in range(1, 5):
                nursery.start_soon(lambda i=i: run_ceremony(_options(local, i)))
    old_set = _check_outputs(local, 4, 3)
    old_shares = {i: decrypt_share(read_keystore(local.directories[i] / "share.keystore.json"),
                                   PASS, backend)[1] for i in range(1, 5)}

    dirs = {**local.directories, 5: tmp_path / "newcomer"}
    entries = {}
    for i, d in dirs.items():
        keys, identity, _ = ensure_keys(d)
        entries[i] = (peer_id_of(identity), keys.encryption_key, keys.signing_key)
    dealers = [Participant(i, *entries[i]) for i in (1, 2, 3)]
    ceremony = reshare_ceremony("reshare 4 to 5", old_set, dealers,
                                [Participant(i, *entries[i]) for i in range(1, 6)], 4)
    ports = free_ports(5)
    listens = {i: f"/ip4/127.0.0.1/tcp/{ports[i - 1]}" for i in range(1, 6)}
    addrs = [f"{listens[i]}/p2p/{entries[i][0]}" for i in range(1, 6)]
    outcomes = {}
    with trio.fail_after(120):
        async with trio.open_nursery() as nursery:
            for i in range(1, 6):
                async def one(i=i):
                    outcomes[i] = await run_ceremony(_options(
                        local, 1, ceremony=ceremony, directory=dirs[i], listen=listens[i],
                        bootstrap=tuple(a for k, a in enumerate(addrs, 1) if k != i),
                        out_dir=dirs[i] / "new", old_share=old_shares.get(i) if i <= 3 else None,
                        old_keystore=local.directories[i] / "share.keystore.json" if i <= 4
                        else None))
                nursery.start_soon(one)
    sets = {(dirs[i] / "new" / "guardian-set.json").read_bytes() for i in range(1, 6)}
    assert len(sets) == 1
    new_set = GuardianSet.from_json(sets.pop().decode())
    new_set.validate(backend)
    assert new_set.group_public_key == old_set.group_public_key and new_set.threshold == 4
    assert new_set.epoch == old_set.epoch and new_set.n == 5
    for i in range(1, 6):  # nothing on disk re-creates an old share (old guardian 4 did not
        # deal, but gave its old keystore too, so it is retired with the others')
        assert not (local.directories.get(i, dirs[i]) / "share.keystore.json").exists()
        assert_no_file_holds(dirs[i], set(old_shares.values()), backend)
        assert_nothing_rederives(dirs[i], ceremony.id)
        assert_nothing_rederives(dirs[i] / "new", ceremony.id)
    new_shares = {i: decrypt_share(read_keystore(dirs[i] / "new" / "share.keystore.json"), PASS,
                                   backend)[1] for i in range(1, 6)}
    digest = b"\x07" * 32
    partials = {i: threshold.partial_sign(new_shares[i], digest, backend) for i in (2, 3, 4, 5)}
    assert threshold.robust_combine(new_set, digest, partials, backend).signers == (2, 3, 4, 5)
    mixed = {1: threshold.partial_sign(old_shares[1], digest, backend),
             2: threshold.partial_sign(old_shares[2], digest, backend),
             3: threshold.partial_sign(new_shares[3], digest, backend),
             4: threshold.partial_sign(new_shares[4], digest, backend)}
    assert not backend.verify(new_set.group_public_key, digest, threshold.combine(mixed, backend),
                              threshold.DST_AUTHORIZATION)
