"""node.report_requests under an attacker's eye: a member flooding requests, requests for digests
nobody holds (unknown, another chain's or epoch's), shares for digests that never get a report.
Every path is bounded: no answer without a report, one answer per digest per interval, a bounded
set of digests asked for and a bounded number of tries per digest."""

from __future__ import annotations

import random

import trio

from node.records import GuardianKey
from node.report_requests import (
    ANSWER_INTERVAL_SECONDS,
    ASK_AFTER_SECONDS,
    ASK_TRIES,
    BACKUP_RESPONDERS,
    MAX_ASKING,
    ReportRequests,
)
from node.store import Store
from protocol import messages, threshold
from protocol.bls import get_backend
from protocol.gossip_rules import ValidationContext, Verdict, validate_bytes
from protocol.guardian_set import GuardianSet
from protocol.submission import submission_order

from .test_converge import CHAIN_ID, ORACLE, PID, evidence

B = get_backend()
N, T = 4, 3


def network():
    dealing = threshold.deal(N, T, backend=B, rng=random.Random(7))
    return dealing, GuardianSet.from_dealing(dealing, 1, B)


def service(tmp_path, dealing, gset, index: int, have=lambda d: False):
    sent: list[messages.Message] = []

    async def publish(data: bytes) -> None:
        sent.append(messages.decode(data, B))

    store = Store(tmp_path / f"r{index}.sqlite")
    return ReportRequests(key=GuardianKey(index, dealing.shares[index - 1]), guardian_set=gset,
                          backend=B, store=store, publish=publish, have_report=have), store, sent


def stored_report(store: Store, dealing, author: int) -> messages.Report:
    report = messages.sign_message(messages.Report(
        chain_id=CHAIN_ID, oracle=ORACLE, key_epoch=1, protocol_id=PID, action=1, nonce=0,
        deadline=4_000_000_000, evidence=evidence(98), observed_block=100, guardian=author,
        signature=b""), dealing.shares[author - 1], B)
    store.save_report(report.digest(), b"\x01" * 32, 100, b"\x02" * 32, messages.encode(report),
                      "peer")
    return report


def request(dealing, digest: bytes, guardian: int = 2) -> messages.ReportRequest:
    return messages.sign_message(messages.ReportRequest(digest, 1_700_000_000_000, 1, guardian,
                                                        b""), dealing.shares[guardian - 1], B)


def share(dealing, digest: bytes, guardian: int) -> messages.Share:
    partial = threshold.partial_sign(dealing.shares[guardian - 1], digest, backend=B)
    return messages.Share(b"\x01" * 32, digest, partial, guardian, b"")


async def test_a_flood_of_requests_gets_one_answer_per_interval_and_none_for_unknown_digests(
        tmp_path, autojump_clock):
    dealing, gset = network()
    requests, store, sent = service(tmp_path, dealing, gset, 1)
    report = stored_report(store, dealing, author=1)  # we are its author: we answer at once
    async with trio.open_nursery() as nursery:
        await nursery.start(requests.run)
        for k in range(500):  # unknown digests (another chain's, another epoch's, garbage)
            requests.on_request(request(dealing, k.to_bytes(32, "big")))
        for _ in range(100):  # the same known digest, over and over
            requests.on_request(request(dealing, report.digest()))
        await trio.sleep(ANSWER_INTERVAL_SECONDS / 2)
        assert sent == [report]  # the report's own bytes, once
        await trio.sleep(ANSWER_INTERVAL_SECONDS)
        requests.on_request(request(dealing, report.digest()))  # a later retry: answered again
        await trio.sleep(0.1)
        assert sent == [report, report]
        requests.on_request(request(dealing, report.digest(), guardian=1))  # our own: ignored
        await trio.sleep(ANSWER_INTERVAL_SECONDS * 2)
        assert len(sent) == 2
        nursery.cancel_scope.cancel()
    assert requests.answered == 2
    store.close()


async def test_only_the_author_and_the_ranked_backups_answer(tmp_path, autojump_clock):
    dealing, gset = network()
    author = 1
    sent_by: dict[int, list] = {}
    async with trio.open_nursery() as nursery:
        stores = []
        for index in range(2, N + 1):
            requests, store, sent = service(tmp_path, dealing, gset, index)
            stores.append(store)
            sent_by[index] = sent
            report = stored_report(store, dealing, author)  # the author is offline
            await nursery.start(requests.run)
            requests.on_request(request(dealing, report.digest(), guardian=index % N + 1))
        await trio.sleep(5)
        nursery.cancel_scope.cancel()
    answers = [i for i, sent in sent_by.items() if sent]
    backups = submission_order(report.digest(), [2, 3, 4])[:BACKUP_RESPONDERS]
    assert sorted(answers) == sorted(backups)  # the third holder stays quiet
    for s in stores:
        s.close()


async def test_asking_is_bounded_in_digests_and_tries_and_stops_when_the_report_comes(
        tmp_path, autojump_clock):
    dealing, gset = network()
    have: set[bytes] = set()
    requests, store, sent = service(tmp_path, dealing, gset, 1, have=lambda d: d in have)
    async with trio.open_nursery() as nursery:
        await nursery.start(requests.run)
        digests = [k.to_bytes(32, "big") for k in range(3 * MAX_ASKING)]
        for d in digests:  # a member's shares for digests that have no report anywhere
            requests.on_share(share(dealing, d, guardian=2))
        requests.on_share(share(dealing, b"\xee" * 32, guardian=1))  # our own: never asked
        await trio.sleep(ASK_AFTER_SECONDS + 0.1)
        assert [m.digest for m in sent] == digests[:1]  # one per REQUEST_INTERVAL_MS
        have.add(digests[0])  # its report arrives: no more requests for it
        await trio.sleep(ASK_AFTER_SECONDS * 2 ** ASK_TRIES * 2)
        nursery.cancel_scope.cancel()
    first_round = {m.digest for m in sent}
    assert first_round == set(digests[:MAX_ASKING])  # the other 32 were never asked for
    per_digest = {d: sum(m.digest == d for m in sent) for d in first_round}
    assert per_digest[digests[0]] == 1
    assert all(count == ASK_TRIES for d, count in per_digest.items() if d != digests[0])
    assert all(isinstance(m, messages.ReportRequest) and m.guardian == 1 for m in sent)
    assert all(messages.verify_message_signature(m, gset, B) for m in sent[:3])
    # a peer's gossip rules accept every one of them (none closer than the interval)
    last: dict[int, int] = {}
    for m in sent:
        ctx = ValidationContext(guardian_set=gset, chain_id=CHAIN_ID, oracle=ORACLE,
                                head_block=100, now=m.timestamp // 1000, last_request=last)
        verdict, outcome, _ = validate_bytes(messages.encode(m), ctx, B)
        assert verdict is Verdict.ACCEPT, outcome
        last[m.guardian] = m.timestamp
    store.close()
