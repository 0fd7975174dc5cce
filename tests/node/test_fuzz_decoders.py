"""The decoder fuzzer (node/fuzzing): a short run of every target (its corpus in tests/fuzz_corpus/
replayed, then seeded mutations of it), the atheris engine on one target, and the defects fuzzing
found, each pinned by the input that showed it. `scripts/fuzz-decoders` runs 100,000 inputs per
target."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import msgpack
import pytest

from node.config import decode_config
from node.config_schema import ConfigError
from node.fuzzing import corpus, engine, replay
from node.fuzzing.__main__ import main as fuzz_main
from node.fuzzing.harness import Target, check
from node.fuzzing.registry import all_targets, get_target
from node.recursion import bound_recursion

TARGETS = all_targets()
SHORT_RUN = 400  # mutations per target in the default tests (all targets: about a second)


@pytest.mark.parametrize("name", list(TARGETS))
def test_short_run_has_no_findings(name):
    target = TARGETS[name]
    seeds = corpus.load(name)
    assert seeds, f"{name} has no corpus in {corpus.target_dir(name)}"
    stats = replay.run(target, seeds, SHORT_RUN, seed=1)
    assert stats.runs == len(seeds) + SHORT_RUN
    assert [(f.exc_type, f.where, f.message) for f in stats.findings] == []


@pytest.mark.parametrize("name", list(TARGETS))
def test_corpus_reaches_past_the_first_check(name):
    """At least one seed is accepted whole: mutations start from inputs that go deep."""
    accepted = 0
    for data in corpus.load(name):
        try:
            TARGETS[name].run(data)
            accepted += 1
        except Exception:  # noqa: BLE001, S112 - a refused seed is allowed, one must pass
            continue
    assert accepted >= 1


def test_the_harness_reports_untyped_errors_and_violations():
    def boom(data: bytes) -> None:
        if data == b"x":
            raise KeyError("k")
        if data == b"y":
            raise ValueError("typed")

    target = Target("t", "", boom, (ValueError,))
    assert check(target, b"y") is None and check(target, b"") is None
    finding = check(target, b"x")
    assert finding is not None and finding.exc_type == "KeyError"
    assert finding.where.startswith("test_fuzz_decoders.py:")


@pytest.mark.skipif(not engine.available(), reason="atheris is not installed")
@pytest.mark.timeout(120)
def test_atheris_engine_runs_a_target():
    stats = engine.fuzz("guardian-set", 3000)
    assert stats.runs >= 3000 and stats.findings == []
    assert stats.coverage and stats.coverage > 20  # instrumented: libFuzzer sees edges
    assert stats.seconds > 0


def test_cli_json_summary(capsys):
    assert fuzz_main(["--engine", "replay", "--inputs", "50", "--target", "rpc-log",
                      "--json"]) == 0
    out = capsys.readouterr().out
    assert '"target": "rpc-log"' in out and '"inputs": 50' in out


def test_cli_refuses_an_unknown_target(capsys):
    assert fuzz_main(["--engine", "replay", "--target", "nope"]) == 2
    assert "unknown fuzz target" in capsys.readouterr().err


# the defects fuzzing found, by input ------------------------------------------------------------
def _refused(name: str, data: bytes, error: type[BaseException]) -> None:
    target = get_target(name)
    assert check(target, data) is None
    with pytest.raises(error):
        target.run(data)


CONFIG = max((p.read_bytes() for p in corpus.target_dir("config-toml").glob("seed-*")),
             key=len).decode()  # the rendered config


@pytest.mark.parametrize("line, value", [
    ("listen = \"[::1]:9100\"", "listen = \"[::1]:\u00b2\""),  # isdigit() but not int()
    ("rpc_http = \"http://127.0.0.1:8545\"", "rpc_http = \"http://[::1:8545\""),  # urlparse raises
    ("data_dir = \"data\"", "data_dir = \"~nosuchuser/x\""),  # expanduser: RuntimeError
    ("data_dir = \"data\"", "data_dir = \"a\\u0000b\""),  # NUL: ValueError from resolve()
])
def test_config_values_that_crashed_the_parser(line, value):
    assert line in CONFIG
    with pytest.raises(ConfigError):
        decode_config(CONFIG.replace(line, value).encode(), Path("/x/g.toml"))


def test_config_bytes_deep_nesting_and_bad_utf8():
    _refused("config-toml", b"a = " + b"[" * 5000, ConfigError)
    _refused("config-toml", b"[node]\nname = \"\xff\"\n", ConfigError)


@pytest.fixture
def node_recursion_limit():
    """The limit `guardian` runs with (py_ecc, imported by the tests too, raises it to 100,000,
    where the json decoder overflows the C stack: SIGSEGV)."""
    before = sys.getrecursionlimit()
    bound_recursion()
    yield
    sys.setrecursionlimit(before)


def test_json_files_nested_too_deeply(node_recursion_limit):
    from node.keys import KeyFileError
    from protocol.guardian_set import GuardianSetError

    _refused("keystore", b"[" * 100_000, KeyFileError)
    _refused("guardian-set-file", b"{\"a\":" * 100_000, GuardianSetError)


@pytest.mark.timeout(120)
def test_guardian_bounds_the_recursion_limit_py_ecc_raises():
    """`guardian` (any command) runs with a limit at which deep JSON is a RecursionError."""
    code = ("import sys, json, py_ecc  # every node imports it: web3 > eth_account > eth_keyfile\n"
            "assert sys.getrecursionlimit() == 100000\n"
            "from node.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "json.loads(b'[' * 100000)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 1 and "RecursionError" in proc.stderr, proc.stderr[-500:]


@pytest.mark.parametrize("value", [20, True, 10**30, [1] * 20, {"a": 1}, "0x 00", "-5",
                                   " 12", "1_000", "\u0661\u0662"])
def test_rpc_values_that_decoded_as_something_else(value):
    from node.chain.decode import ChainError, decode_bytes, decode_uint

    with pytest.raises(ChainError):
        decode_bytes(value, 20 if isinstance(value, int) else None, "v")
    if not isinstance(value, int) or isinstance(value, bool):
        with pytest.raises(ChainError):
            decode_uint(value, "v")


def test_rpc_shapes_that_crashed():
    from node.chain.decode import ChainError
    from node.chain.heads import header_from_subscription
    from node.chain.rpc import header_from

    # a log that is a list: AttributeError (.get); an integer address of 2^62: bytes(2^62) was a
    # MemoryError (and 2^32 quietly allocated 4 GiB of zeros)
    for name, value in (("rpc-log", ["address"]), ("rpc-receipt", {"logs": 5}),
                        ("rpc-registration", [2**62] * 7 + [[[], [], 0, 0, 0, []]])):
        _refused(name, msgpack.packb(value), ChainError)
    for parse in (header_from, header_from_subscription):
        with pytest.raises(ChainError):
            parse("head")


def test_registration_values_that_crashed_or_slipped_through():
    from node.registration import RegistrationError, parse_address, registration_kwargs

    with pytest.raises(RegistrationError):  # was StopIteration
        registration_kwargs(("0x" + "11" * 20, "0x" + "22" * 20, 2, 7, b"\0" * 4, 3600, 600,
                             ([], [], 0, 0, 0, [])))
    with pytest.raises(RegistrationError):  # fromhex skips spaces: a 19-byte "address"
        parse_address("0x" + "00" * 9 + "  " + "00" * 10, "--target")


def test_keystore_scrypt_memory_is_bounded():
    """n = 2^20 with r = 32 passed the range check and asked scrypt for 4 GiB."""
    from protocol.keystore import KeystoreError, kdf_params

    params = {"n": 2**20, "r": 32, "p": 1, "dklen": 32}
    with pytest.raises(KeystoreError, match="MiB"):
        kdf_params({"crypto": {"kdf": {"params": params}}})
    params["r"] = 8
    assert kdf_params({"crypto": {"kdf": {"params": params}}}) == (2**20, 8, 1)
