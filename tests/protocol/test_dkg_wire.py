"""The DKG's inputs from outside: ceremony messages (strict encoding, fuzzed: `receive` raises
only DkgError subclasses), the ceremony file, the participant key file, share encryption and
the saved state."""

from __future__ import annotations

import json
from dataclasses import replace

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.dkg import Phase
from protocol.dkg_ceremony import Ceremony, Participant
from protocol.dkg_crypto import decrypt_share, encrypt_share, open_revealed
from protocol.dkg_errors import (
    BadSignature,
    CeremonyError,
    DkgError,
    DkgMessageError,
    KeyFileError,
    ShareDecryptionError,
    UnknownSender,
)
from protocol.dkg_keys import ParticipantKeys
from protocol.dkg_wire import decode, encode
from protocol.errors import ProtocolError

from .dkg_support import exchange, fresh, make_keys, peer_id, resign

CEREMONY, KEYS, SESSIONS = fresh(4, 3, seed=31)
exchange(SESSIONS, Phase.DEAL)
exchange(SESSIONS, Phase.COMPLAIN)
DEAL = SESSIONS[0].outgoing(Phase.DEAL)[0]
RESPONSE = SESSIONS[1].outgoing(Phase.COMPLAIN)[0]
exchange(SESSIONS, Phase.JUSTIFY)
CONFIRMATION = SESSIONS[2].outgoing(Phase.AGREE)[0]
SAMPLES = [DEAL, RESPONSE, CONFIRMATION]
VICTIM = SESSIONS[3]


def test_errors_derive_from_the_protocol_base():
    assert issubclass(DkgError, ProtocolError)


def test_messages_round_trip_and_are_canonical():
    for data in SAMPLES:
        assert encode(decode(data)) == data
    raw = msgpack.unpackb(RESPONSE)
    reordered = {k: raw[k] for k in reversed(list(raw))}
    with pytest.raises(DkgMessageError, match="order|missing"):
        decode(msgpack.packb(reordered, use_bin_type=True))


def test_a_forged_or_foreign_message_is_refused():
    stranger = make_keys(1, seed=55)[0]
    with pytest.raises(BadSignature):
        VICTIM.receive(resign(DEAL, stranger))
    with pytest.raises(UnknownSender):
        VICTIM.receive(resign(RESPONSE, KEYS[1], recipient=9))
    assert VICTIM.receive(DEAL) is False      # already held


def test_a_deal_of_the_wrong_shape_is_refused():
    deal = decode(DEAL)
    for changes in ({"commitments": deal.commitments[:2]},
                    {"ciphertexts": deal.ciphertexts[:3], "ephemeral_keys": deal.ephemeral_keys[:3]},
                    {"commitments": (b"\xc0" + bytes(47),) + deal.commitments[1:]},
                    {"commitments": (b"\x01" * 48,) + deal.commitments[1:]}):
        with pytest.raises(DkgMessageError):
            VICTIM.receive(resign(DEAL, KEYS[0], **changes))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
def test_random_bytes_raise_only_dkg_errors(data):
    try:
        VICTIM.receive(data)
    except DkgError:
        pass


@settings(max_examples=400, deadline=None)
@given(which=st.integers(0, 2), position=st.integers(0, 100_000), value=st.integers(0, 255),
       cut=st.integers(0, 100_000))
def test_mutated_messages_raise_only_dkg_errors(which, position, value, cut):
    data = bytearray(SAMPLES[which])
    data[position % len(data)] = value
    for candidate in (bytes(data), bytes(data[:cut % len(data)]), bytes(data) + b"\x00"):
        try:
            VICTIM.receive(candidate)
        except DkgError:
            pass


_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**64 - 1) | st.binary(max_size=64)
    | st.text(max_size=16),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=6), max_leaves=30)


@settings(max_examples=60, deadline=None)
@given(fields=st.dictionaries(st.sampled_from(["v", "type", "ceremony", "dealer", "recipient",
                                               "commitments", "ephemeral_keys", "ciphertexts",
                                               "complaints", "deal_hashes", "reveals",
                                               "signature"]), _values, max_size=8),
       kind=st.sampled_from(["deal", "response", "justification"]))
def test_structured_garbage_raises_only_dkg_errors(fields, kind):
    doc = {"v": 1, "type": kind, "ceremony": CEREMONY.id, **fields}
    try:
        VICTIM.receive(msgpack.packb(doc, use_bin_type=True))
    except DkgError:
        pass


def test_ceremony_file_round_trips_and_names_one_id():
    text = CEREMONY.to_json()
    again = Ceremony.from_json(text)
    assert again == CEREMONY and again.id == CEREMONY.id
    doc = json.loads(text)
    doc["threshold"] = 4
    with pytest.raises(CeremonyError, match="id"):
        Ceremony.from_json(json.dumps(doc))
    del doc["id"]
    assert Ceremony.from_json(json.dumps(doc)).id != CEREMONY.id


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(threshold=5),
    lambda d: d.update(threshold=0),
    lambda d: d.update(threshold=2),        # not a majority of 4: the oracle would refuse it
    lambda d: d.update(name=""),
    lambda d: d.update(extra=1),
    lambda d: d["participants"].reverse(),
    lambda d: d["participants"][1].update(signing_key=d["participants"][0]["signing_key"]),
    lambda d: d["participants"][1].update(peer_id="not base58 0OIl"),
    lambda d: d["participants"][1].update(encryption_key="0x1234"),
    lambda d: d["participants"][1].pop("index"),
    lambda d: d.update(previous={"guardian_set": {}, "dealers": []}),
    lambda d: d.update(version=2),
])
def test_malformed_ceremony_files_are_refused(mutate):
    doc = json.loads(CEREMONY.to_json())
    del doc["id"]
    mutate(doc)
    with pytest.raises(CeremonyError):
        Ceremony.from_json(json.dumps(doc))
    with pytest.raises(CeremonyError):
        Ceremony.from_json("{not json")


def test_participant_keys_file_round_trips_and_checks_itself():
    keys = ParticipantKeys.generate()
    assert ParticipantKeys.from_json(keys.to_json()) == keys
    assert "secret" not in repr(keys) or keys.signing_secret.hex() not in repr(keys)
    doc = json.loads(keys.to_json())
    doc["signing_key"] = make_keys(1, seed=3)[0].signing_key.hex()
    for bad in (json.dumps(doc), "[]", "{", json.dumps({**doc, "version": 2})):
        with pytest.raises(KeyFileError):
            ParticipantKeys.from_json(bad)


def test_share_encryption_binds_ceremony_dealer_and_recipient():
    recipient = ParticipantKeys.generate()
    ephemeral = b"\x07" * 32
    cid = b"\x01" * 32
    key, ciphertext = encrypt_share(cid, 1, 2, 123456789, recipient.encryption_key, ephemeral)
    assert decrypt_share(cid, 1, 2, key, ciphertext, recipient.encryption_secret) == 123456789
    assert open_revealed(cid, 1, 2, ephemeral, key, recipient.encryption_key, ciphertext) == 123456789
    for args in ((b"\x02" * 32, 1, 2), (cid, 3, 2), (cid, 1, 3)):
        with pytest.raises(ShareDecryptionError):
            decrypt_share(*args, key, ciphertext, recipient.encryption_secret)
    with pytest.raises(ShareDecryptionError):
        decrypt_share(cid, 1, 2, key, ciphertext, ParticipantKeys.generate().encryption_secret)
    with pytest.raises(ShareDecryptionError, match="ephemeral"):
        open_revealed(cid, 1, 2, b"\x08" * 32, key, recipient.encryption_key, ciphertext)
    with pytest.raises(ShareDecryptionError):
        decrypt_share(cid, 1, 2, bytes(32), ciphertext, recipient.encryption_secret)


def test_participants_check_their_fields():
    keys = make_keys(1)[0]
    with pytest.raises(CeremonyError):
        Participant(0, peer_id(1), keys.encryption_key, keys.signing_key)
    with pytest.raises(CeremonyError):
        Participant(1, peer_id(1), keys.encryption_key[:31], keys.signing_key)
    with pytest.raises(CeremonyError):
        replace(CEREMONY, participants=CEREMONY.participants[:2] + CEREMONY.participants[:1])


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(["commitments", "ephemeral_keys", "ciphertexts"]),
       position=st.integers(0, 3), blob=st.binary(min_size=0, max_size=60),
       dealer=st.integers(1, 5))
def test_signed_but_malformed_deals_raise_only_dkg_errors(field, position, blob, dealer):
    """Past the signature check: a participant signs a deal with one corrupted field."""
    deal = decode(DEAL)
    values = list(getattr(deal, field))
    values[position % len(values)] = blob
    data = resign(DEAL, KEYS[0], **{field: tuple(values)}, dealer=dealer)
    try:
        VICTIM.receive(data)
    except DkgError:
        pass


@settings(max_examples=200, deadline=None)
@given(reveals=st.lists(st.tuples(st.integers(1, 6), st.binary(min_size=32, max_size=32)),
                        max_size=4),
       complaints=st.lists(st.integers(1, 6), max_size=4))
def test_signed_justifications_and_responses_raise_only_dkg_errors(reveals, complaints):
    from protocol.dkg_wire import Justification, Response, sign

    session = fresh(4, 3, seed=31)[2][2]
    messages = [Justification(CEREMONY.id, 1, tuple(reveals)),
                Response(CEREMONY.id, 2, tuple(complaints), (b"",) * 4)]
    for msg, keys in zip(messages, (KEYS[0], KEYS[1]), strict=True):
        try:
            session.receive(encode(sign(msg, keys)))
        except DkgError:
            pass
    session.ready(Phase.JUSTIFY)
    try:
        session.finish()
    except DkgError:
        pass


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=70),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=16), inner,
                                                                max_size=8), max_leaves=40)


@settings(max_examples=150, deadline=None)
@given(field=st.sampled_from(["name", "epoch", "threshold", "participants", "previous",
                              "version", "kind", "id"]), value=_json,
       entry=st.integers(0, 3), entry_field=st.sampled_from(
           ["index", "peer_id", "encryption_key", "signing_key", "extra"]),
       key_field=st.sampled_from(["version", "kind", "encryption_secret", "signing_secret",
                                  "encryption_key", "signing_key", "extra"]))
def test_malformed_ceremony_and_key_files_raise_only_their_errors(field, value, entry,
                                                                  entry_field, key_field):
    doc = json.loads(CEREMONY.to_json())
    for mutate in (lambda d: d.__setitem__(field, value),
                   lambda d: d["participants"][entry].__setitem__(entry_field, value)):
        copy = json.loads(json.dumps(doc))
        mutate(copy)
        try:
            Ceremony.from_json(json.dumps(copy))
        except CeremonyError:
            pass
    keys = json.loads(KEYS[0].to_json())
    keys[key_field] = value
    try:
        ParticipantKeys.from_json(json.dumps(keys))
    except KeyFileError:
        pass
