"""Config errors name the file, the key and the problem."""

from __future__ import annotations

import pytest

from node.config import ConfigError, load_config, parse_config, render_config

GOOD = dict(name="g1", data_dir="data", rpc_http="http://127.0.0.1:8545",
            rpc_ws="ws://127.0.0.1:8545", chain_id=31337,
            oracle="0x5FbDB2315678afecb367f032d93F642f64180aa3",
            share_keystore="share.keystore.json", guardian_set="../guardian-set.json",
            p2p_identity="p2p.key", passphrase_file="../passphrase",
            submitter_key_file="submitter.key", listen="/ip4/127.0.0.1/tcp/9000",
            bootstrap=["/ip4/127.0.0.1/tcp/9001/p2p/16Uiu2HAkw35y1Bm2vCn8roc8kE8xPeAvvtrnNeBkrwxpEuhTX63q"],
            metrics_listen="127.0.0.1:9100")


def test_rendered_config_round_trips(tmp_path):
    path = tmp_path / "node.toml"
    path.write_text(render_config(**GOOD))
    cfg = load_config(path)
    assert cfg.node.name == "g1" and cfg.chain.chain_id == 31337
    assert cfg.keys.share_keystore == tmp_path / "share.keystore.json"
    assert cfg.keys.guardian_set == (tmp_path / ".." / "guardian-set.json").resolve()
    assert cfg.metrics.port == 9100 and cfg.p2p.bootstrap == tuple(GOOD["bootstrap"])
    assert cfg.submission.max_gas == 500_000  # default


@pytest.mark.parametrize("old,new,message", [
    ('rpc_ws = "ws://127.0.0.1:8545"', 'rpc_ws = "http://127.0.0.1:8545"',
     r"\[chain\] rpc_ws: must be a ws/wss URL"),
    ('chain_id = 31337', 'chain_id = "31337"', r"\[chain\] chain_id: must be an integer"),
    ('oracle = "0x5FbDB2315678afecb367f032d93F642f64180aa3"', 'oracle = "0x1234"',
     r"\[chain\] oracle: must be a 0x-prefixed 20-byte address"),
    ('listen = "/ip4/127.0.0.1/tcp/9000"', 'listen = "127.0.0.1:9000"',
     r"\[p2p\] listen: not a TCP multiaddr"),
    ('listen = "127.0.0.1:9100"', 'listen = "127.0.0.1:99999"', r"\[metrics\] listen"),
    ('name = "g1"', 'nmae = "g1"', r"\[node\] nmae: unknown key \(did you mean 'name'\?\)"),
    ('[submission]', '[submision]', r"\[submision\]: unknown section \(did you mean 'submission'\?\)"),
    ('log_format = "text"', 'log_format = "xml"', r"\[node\] log_format: must be one of text, json"),
    ('data_dir = "data"\n', '', r"\[node\] data_dir: missing"),
    ('stagger_seconds = 1.0', 'stagger_seconds = -1', r"\[submission\] stagger_seconds: must be between"),
])
def test_errors_name_key_and_problem(tmp_path, old, new, message):
    text = render_config(**{**GOOD, "stagger_seconds": 1.0})
    assert old in text, old
    path = tmp_path / "node.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message) as err:
        load_config(path)
    assert str(path.resolve()) in str(err.value) or str(path) in str(err.value)


def test_bootstrap_needs_peer_id(tmp_path):
    text = render_config(**{**GOOD, "bootstrap": ["/ip4/127.0.0.1/tcp/9001"]})
    with pytest.raises(ConfigError, match=r"\[p2p\] bootstrap: .*p2p"):
        parse_config(text, tmp_path / "x.toml")


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    (tmp_path / "bad.toml").write_text("[node\nname=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")


def test_passphrase_sources(tmp_path, monkeypatch):
    text = render_config(**GOOD).replace('passphrase_file = "../passphrase"\n', "")
    cfg = parse_config(text, tmp_path / "node.toml")
    monkeypatch.delenv("GUARDIAN_PASSPHRASE", raising=False)
    with pytest.raises(ConfigError, match="GUARDIAN_PASSPHRASE"):
        cfg.passphrase()
    monkeypatch.setenv("GUARDIAN_PASSPHRASE", "from env")
    assert cfg.passphrase() == "from env"
    cfg2 = parse_config(render_config(**GOOD), tmp_path / "sub" / "node.toml")
    with pytest.raises(ConfigError, match=r"\[keys\] passphrase_file: cannot read"):
        cfg2.passphrase()


def test_outsiders_is_deny_or_observe(tmp_path):
    text = render_config(**GOOD)
    assert parse_config(text, tmp_path / "n.toml").p2p.outsiders == "deny"
    assert 'outsiders = "deny"' in text  # render_config writes the key itself
    observe = text.replace('outsiders = "deny"', 'outsiders = "observe"', 1)
    assert parse_config(observe, tmp_path / "n.toml").p2p.outsiders == "observe"
    with pytest.raises(ConfigError, match=r"\[p2p\] outsiders: must be one of deny, observe, "
                                          r"got 'allow'"):
        parse_config(text.replace('outsiders = "deny"', 'outsiders = "allow"', 1),
                     tmp_path / "n.toml")


def test_every_key_is_documented_once():
    import dataclasses

    from node.config import SECTIONS, schema_markdown

    table = schema_markdown()
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            assert table.count(f"| `[{section}]` | `{f.name}` |") == 1, (section, f.name)
    assert "| `[p2p]` | `outsiders` | deny \\| observe | `\"deny\"` |" in table


def test_receipt_timeout_is_parsed(tmp_path):
    text = render_config(**GOOD).replace("[submission]\n",
                                         "[submission]\nreceipt_timeout_seconds = 12\n", 1)
    assert parse_config(text, tmp_path / "n.toml").submission.receipt_timeout_seconds == 12.0


def test_the_operator_guide_has_the_current_config_table():
    from pathlib import Path

    from node.config import schema_markdown

    doc = (Path(__file__).parents[2] / "docs" / "operate.md").read_text()
    start = doc.index("<!-- config-table:start -->\n") + len("<!-- config-table:start -->\n")
    end = doc.index("<!-- config-table:end -->")
    assert doc[start:end].strip() == schema_markdown().strip(), \
        "docs/operate.md is stale: paste node.config.schema_markdown() between the markers"


def test_a_retired_key_is_refused_with_its_reason(tmp_path):
    """`[pending] block_seconds` once set the simulated block time per node (evidence then differed
    between guardians configured differently); now the chain decides, and the key says so."""
    text = render_config(**GOOD) + "\n[pending]\nblock_seconds = 2.0\n"
    with pytest.raises(ConfigError, match=r"\[pending\] block_seconds: is no longer read: .*"
                                          r"chain's own block interval"):
        parse_config(text, tmp_path / "n.toml")


def test_probe_new_contracts_is_a_boolean_and_renders_off(tmp_path):
    """The preparation watch is on unless the config turns it off (the race bench does, to
    measure the pending path alone); anything but true/false is refused with the key's name."""
    assert parse_config(render_config(**GOOD), tmp_path / "n.toml").pending.probe_new_contracts
    off = render_config(**GOOD, probe_new_contracts=False)
    assert "[pending]\nprobe_new_contracts = false\n" in off
    assert parse_config(off, tmp_path / "n.toml").pending.probe_new_contracts is False
    bad = off.replace("probe_new_contracts = false", 'probe_new_contracts = "no"')
    with pytest.raises(ConfigError, match=r"\[pending\] probe_new_contracts: must be true or "
                                          r"false, got 'no'"):
        parse_config(bad, tmp_path / "n.toml")
