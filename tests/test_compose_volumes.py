"""The compose check's volume audit (`node/compose/volumes.py`) on directories laid out like
the containers' volumes: it names whose share each volume holds, and flags a container that can
read another guardian's share or a shared volume that holds any secret."""

from __future__ import annotations

import json

from node.compose.volumes import check_holdings, classify
from protocol.bls import get_backend
from protocol.keystore import encrypt_share

B = get_backend()
SECRETS = {1: 11, 2: 22, 3: 33}
PUBLIC = tuple(B.sk_to_pk(s) for s in SECRETS.values())


def _keystore(path, index):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(encrypt_share(SECRETS[index], "pass phrase", index=index, epoch=1,
                                             backend=B, kdf_n=2**10)))


def test_each_guardian_with_its_own_share_passes(tmp_path):
    for i in (1, 2, 3):
        _keystore(tmp_path / f"g{i}" / "share.keystore.json", i)
        (tmp_path / f"g{i}" / "p2p.key").write_bytes(b"x")
    (tmp_path / "shared" / "entries").mkdir(parents=True)
    (tmp_path / "shared" / "guardian-set.json").write_text("{}")
    contents = {f"g{i}": classify(f"g{i}", tmp_path / f"g{i}", PUBLIC) for i in (1, 2, 3)}
    contents["shared"] = classify("shared", tmp_path / "shared", PUBLIC)
    assert [contents[f"g{i}"].shares for i in (1, 2, 3)] == [{1}, {2}, {3}]
    mounts = {"deployer": ["shared"], **{f"guardian-{i}": ["shared", f"g{i}"] for i in (1, 2, 3)}}
    assert check_holdings(mounts, contents) == []


def test_a_foreign_share_or_a_secret_in_a_shared_volume_is_flagged(tmp_path):
    _keystore(tmp_path / "g1" / "share.keystore.json", 1)
    _keystore(tmp_path / "g1" / "backup" / "other.json", 2)          # guardian 2's share
    _keystore(tmp_path / "shared" / "guardian-3" / "share.keystore.json", 3)
    (tmp_path / "shared" / "guardian-3" / "dkg.key").write_text("{}")
    (tmp_path / "shared" / "dkg-state-00ff.bin").write_bytes(b"\0")
    contents = {v: classify(v, tmp_path / v, PUBLIC) for v in ("g1", "shared")}
    assert contents["g1"].shares == {1, 2}
    assert any("ceremony key" in s for s in contents["shared"].secrets)
    assert any("ceremony state" in s for s in contents["shared"].secrets)
    problems = check_holdings({"deployer": ["shared"], "guardian-1": ["shared", "g1"],
                               "guardian-3": ["shared"]}, contents)
    text = "; ".join(problems)
    assert "guardian-1 can read the shares of guardians [2, 3]" in text
    assert "deployer can read the shares of guardians [3]" in text
    assert "volume shared (mounted by deployer, guardian-1, guardian-3) holds secrets" in text
