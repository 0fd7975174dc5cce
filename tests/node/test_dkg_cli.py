"""`guardian dkg`: help on every step; keygen makes 0600 keys once and prints the entry; the
organiser assembles the ceremony file; bad files and arguments give one clear line (exit 2)."""

from __future__ import annotations

import json
import stat

import pytest

from node.cli import build_parser, main


@pytest.mark.parametrize("command", [["dkg"], ["dkg", "keygen"], ["dkg", "ceremony"],
                                     ["dkg", "run"], ["dkg", "reshare"]])
def test_help_on_every_dkg_step(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage: guardian" in capsys.readouterr().out


def test_devnet_dealer_option_parses():
    assert build_parser().parse_args(["devnet", "--dealer"]).dealer is True
    assert build_parser().parse_args(["devnet"]).dealer is False


def _keygen(tmp_path, name, capsys) -> tuple[dict, object]:
    assert main(["dkg", "keygen", "--dir", str(tmp_path / name)]) == 0
    entry = json.loads(capsys.readouterr().out)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(entry))
    return entry, path


def test_keygen_then_ceremony_file(tmp_path, capsys):
    first, path1 = _keygen(tmp_path, "a", capsys)
    for name in ("dkg.key", "p2p.key"):
        assert stat.S_IMODE((tmp_path / "a" / name).stat().st_mode) == 0o600
    again, _ = _keygen(tmp_path, "a", capsys)
    assert again == first, "keygen must keep existing keys"
    assert set(first) == {"peer_id", "encryption_key", "signing_key"}
    _, path2 = _keygen(tmp_path, "b", capsys)
    _, path3 = _keygen(tmp_path, "c", capsys)
    out = tmp_path / "ceremony.json"
    args = ["dkg", "ceremony", "--name", "test", "--threshold", "2", "--out", str(out)]
    for p in (path1, path2, path3):
        args += ["--entry", str(p)]
    assert main(args) == 0
    assert "3 participants, threshold 2" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert [p["index"] for p in doc["participants"]] == [1, 2, 3]
    assert doc["participants"][0]["peer_id"] == first["peer_id"]


def _error(argv, capsys) -> str:
    assert main(argv) == 2
    return capsys.readouterr().err


def test_clear_errors_for_bad_files_and_arguments(tmp_path, capsys):
    _, entry = _keygen(tmp_path, "a", capsys)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    out = str(tmp_path / "c.json")
    assert "not JSON" in _error(["dkg", "ceremony", "--name", "x", "--threshold", "1",
                                 "--entry", str(bad), "--out", out], capsys)
    assert "threshold 3" in _error(["dkg", "ceremony", "--name", "x", "--threshold",
                                            "3", "--entry", str(entry), "--out", out], capsys)
    assert "share a peer id" in _error(["dkg", "ceremony", "--name", "x", "--threshold", "2",
                                        "--entry", str(entry), "--entry", str(entry),
                                        "--out", out], capsys)
    assert "needs --previous-set" in _error(["dkg", "ceremony", "--name", "x", "--threshold",
                                             "1", "--entry", str(entry), "--dealer",
                                             f"1={entry}", "--out", out], capsys)
    assert "not found" in _error(["dkg", "run", "--ceremony", str(tmp_path / "none.json"),
                                  "--dir", str(tmp_path / "a")], capsys)
    assert "malformed ceremony file" in _error(["dkg", "run", "--ceremony", str(bad),
                                                "--dir", str(tmp_path / "a")], capsys)
    # a valid ceremony that does not list this participant
    _, other = _keygen(tmp_path, "b", capsys)
    assert main(["dkg", "ceremony", "--name", "x", "--threshold", "1", "--entry", str(other),
                 "--out", out]) == 0
    capsys.readouterr()
    pw = tmp_path / "pw"
    pw.write_text("long enough passphrase")
    assert "not in the ceremony file" in _error(
        ["dkg", "run", "--ceremony", out, "--dir", str(tmp_path / "a"), "--passphrase-file",
         str(pw)], capsys)
    assert "use `guardian dkg run`" in _error(
        ["dkg", "reshare", "--ceremony", out, "--dir", str(tmp_path / "b")], capsys)
    assert "timeout must be between" in _error(
        ["dkg", "run", "--ceremony", out, "--dir", str(tmp_path / "b"), "--deal-timeout", "0"],
        capsys)
    short = tmp_path / "short"
    short.write_text("short")
    assert "at least 8 characters" in _error(
        ["dkg", "run", "--ceremony", out, "--dir", str(tmp_path / "b"), "--passphrase-file",
         str(short)], capsys)
    assert "passphrase is needed" in _error(
        ["dkg", "run", "--ceremony", out, "--dir", str(tmp_path / "b"), "--listen",
         "/ip4/127.0.0.1/tcp/0"], capsys)


def test_every_dkg_command_in_the_operators_guide_parses():
    import re
    import shlex
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "operate.md").read_text()
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        lines += [line.split(">")[0].strip() for line in joined.splitlines()
                  if line.strip().startswith("guardian dkg")]
    steps = {shlex.split(line)[2] for line in lines}
    assert steps == {"keygen", "ceremony", "run", "reshare"}
    for line in lines:
        args = build_parser().parse_args(shlex.split(line)[1:])
        assert callable(args.func)


def test_reshare_arguments_are_checked_before_the_network(tmp_path, capsys):
    """A resharing ceremony file from a dealt set: `dkg run` refuses it, a dealer without its
    old keystore or with the wrong passphrase gets one clear line."""
    from node.dealer import deal_keys, keystore_path
    from protocol.bls import get_backend

    entries, peers = [], []
    for name in ("a", "b", "c"):
        entry, path = _keygen(tmp_path, name, capsys)
        entries.append(path)
        peers.append(entry["peer_id"])
    gset = deal_keys(tmp_path / "old", 3, 2, "old passphrase", backend=get_backend(),
                     kdf_n=2**10, peer_ids=peers)
    (tmp_path / "old-set.json").write_text(gset.to_json())
    out = str(tmp_path / "reshare.json")
    argv = ["dkg", "ceremony", "--name", "r", "--threshold", "2", "--previous-set",
            str(tmp_path / "old-set.json"), "--dealer", f"1={entries[0]}", "--dealer",
            f"2={entries[1]}", "--out", out]
    for p in entries:
        argv += ["--entry", str(p)]
    assert main(argv) == 0
    assert "resharing from 2 current guardians" in capsys.readouterr().out
    assert json.loads((tmp_path / "reshare.json").read_text())["epoch"] == gset.epoch
    pw = tmp_path / "pw"
    pw.write_text("new passphrase!")
    base = ["--ceremony", out, "--dir", str(tmp_path / "a"), "--passphrase-file", str(pw),
            "--listen", "/ip4/127.0.0.1/tcp/0"]
    assert "use `guardian dkg reshare`" in _error(["dkg", "run", *base], capsys)
    assert "--old-keystore" in _error(["dkg", "reshare", *base], capsys)
    assert "wrong passphrase" in _error(["dkg", "reshare", *base, "--old-keystore",
                                         str(keystore_path(tmp_path / "old", 1))], capsys)
