"""Issue 27: anyone can check a containment, on a real chain (one anvil for the whole file).

Three containments are authorized with the dealer's keys (a valid threshold signature each): one
over honest evidence (the demo pool's registered invariant isSolvent() really broke), one over
fabricated evidence (a fresh instance of the pool that lost nothing), and a pause over
volatility-class evidence (an outflow), which the class mapping does not allow. A guardian
status server serves the evidence from a store, as a node does. `guardian audit` says justified
(exit 0) for the first, NOT justified (exit 1) for the second, evidence not found (exit 2) where
no guardian holds it, and clear errors for a malformed hash, a transaction that is no authorize,
an unreachable guardian or RPC. The explorer shows both with their verdicts.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
import trio

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.cli import main
from node.deploy import Deployer
from node.devnet.contracts import IS_SOLVENT, PUMP_AMOUNT, deploy_all, deploy_demo
from node.devnet.inprocess import deal
from node.devnet.network import ATTACKER_KEY
from node.evidence_archive import EvidenceRoutes
from node.explorer.page import render_index
from node.explorer.server import ExplorerRoutes
from node.explorer.snapshot import Explorer
from node.ports import free_ports
from node.status_server import StatusServer
from node.store import Store, incident_key
from protocol import messages, threshold
from protocol.bls import get_backend
from protocol.detection import EvidenceKind, choose_action, report_deadline
from protocol.digest import Action
from protocol.evidence import Evidence, encode_evidence, evidence_hash

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]

B = get_backend()
ATTACK_GAS = 600_000


def _authorize(sender: Deployer, oracle, dealing, report: messages.Report, target: str) -> str:
    """Sign `report`'s digest with t of the dealer's shares and send authorize."""
    digest = report.digest()
    partials = {i: threshold.partial_sign(dealing.shares[i - 1], digest, B) for i in (1, 2, 3)}
    signature = B.g2_to_eip2537(threshold.combine(partials, B))
    receipt = sender.transact("authorize", oracle.functions.authorize(
        target, report.action, report.nonce, report.deadline, report.evidence.block_from,
        evidence_hash(report.evidence), signature))
    return "0x" + bytes(receipt["transactionHash"]).hex()


def _report(w3, chain_id, oracle_address, pid, ev, dealing, nonce=0,
            action=None) -> messages.Report:
    deadline = report_deadline(w3.eth.get_block(ev.block_to)["timestamp"])
    action = choose_action(EvidenceKind(ev.kind), 0b1010) if action is None else action
    report = messages.Report(chain_id=chain_id, oracle=oracle_address, key_epoch=1,
                             protocol_id=pid, action=int(action),
                             nonce=nonce, deadline=deadline, evidence=ev,
                             observed_block=ev.block_to, guardian=1, signature=b"")
    return messages.sign_message(report, dealing.shares[0], B)


def _store(path, reports: list[messages.Report]) -> Store:
    store = Store(path)
    for report in reports:
        digest = report.digest()
        store.save_report(digest, incident_key(report.protocol_id, report.nonce),
                          report.evidence.block_to, evidence_hash(report.evidence),
                          messages.encode(report), "local")
        for g in (1, 2, 3):
            store.save_share(digest, g, b"\x01" * 96)
    return store


class _Liar:
    """A guardian that answers every request with the same crafted body."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def __call__(self, path: str):
        return "200 OK", self.body, "application/json"


LIES = [b'{"evidence": "0x' + b"ab" * 200 + b'"}',  # bytes of another hash
        b"[" * 100_000,  # a nesting bomb
        b'{"evidence": "0xzz", "guardian": [], "evidence_hash": 7}',
        b'{"evidence": [{"evidence_hash": "0x' + b"00" * 32 + b'", "received_at": "x"}, 5]}']


class _Servers:
    """Status servers (evidence routes) in a thread with its own trio loop."""

    def __init__(self, routes: list) -> None:
        self.ports = free_ports(len(routes))
        self.routes = routes
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=trio.run, args=(self._main,), daemon=True)

    async def _main(self) -> None:
        async with trio.open_nursery() as nursery:
            for port, route in zip(self.ports, self.routes, strict=True):
                server = StatusServer("127.0.0.1", port, lambda: {}, lambda: b"", routes=[route])
                await nursery.start(server.run)
            self._ready.set()
            await trio.to_thread.run_sync(self._stop.wait)
            nursery.cancel_scope.cancel()

    def __enter__(self) -> list[str]:
        self._thread.start()
        assert self._ready.wait(20), "status servers did not start"
        return [f"http://127.0.0.1:{p}" for p in self.ports]

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit")
    with Anvil(log_path=tmp / "anvil.log") as chain:
        dealing, gset = deal(4, 3, B, seed=27)
        deployer = Deployer.connect(chain.rpc_url, DEV_PRIVATE_KEYS[0])
        attacker = Deployer.connect(chain.rpc_url, ATTACKER_KEY)
        submitter = Deployer.connect(chain.rpc_url, DEV_PRIVATE_KEYS[1])
        dep = deploy_all(deployer, gset, B, attacker=attacker.address).to_dict()
        w3 = deployer.w3
        oracle = deployer.contract("GuardianOracle", dep["oracle"])
        usd = deployer.contract("DemoToken", dep["usd"])
        oracle_address = bytes.fromhex(dep["oracle"][2:])
        # a real drain: two capped borrows of 10% each, 20% over two blocks (limit 15%)
        contract = attacker.deploy("Attacker", dep["pool"])
        attacker.transact("fund", usd.functions.transfer(contract.address, 2_500_000 * 10**18))
        start = w3.eth.block_number
        attack = None
        for _ in range(2):
            attack = attacker.transact("attack", contract.functions.step(PUMP_AMOUNT),
                                       gas=ATTACK_GAS)
        end = w3.eth.block_number
        pool, token = bytes.fromhex(dep["pool"][2:]), bytes.fromhex(dep["usd"][2:])
        # the attack broke the pool's registered invariant isSolvent(): exploit-class evidence
        del token
        honest = Evidence(kind=EvidenceKind.INVARIANT, protocol_id=bytes.fromhex(
            dep["protocol_id"][2:]), block_from=start, block_to=end, subject=pool,
            observed=(1, 0), detail=IS_SOLVENT)
        good = _report(w3, dep["chain_id"], oracle_address, honest.protocol_id, honest, dealing)
        good_tx = _authorize(submitter, oracle, dealing, good, dep["pool"])
        # a second instance of the pool, untouched; evidence fabricated: "it lost everything"
        other = deploy_demo(deployer, oracle)
        b = w3.eth.block_number
        fake = Evidence(kind=EvidenceKind.INVARIANT, protocol_id=bytes.fromhex(
            other["protocol_id"][2:]), block_from=b - 3, block_to=b, subject=bytes.fromhex(
            other["pool"][2:]), observed=(1, 0), detail=IS_SOLVENT)
        forged = _report(w3, dep["chain_id"], oracle_address, fake.protocol_id, fake, dealing)
        forged_tx = _authorize(submitter, oracle, dealing, forged, other["pool"])
        # a third pool paused on volatility-class evidence (an outflow): the class mapping
        # allows such evidence only the circuit breaker, so this pause is not justified
        third = deploy_demo(deployer, oracle)
        b = w3.eth.block_number
        outflow = Evidence(kind=EvidenceKind.OUTFLOW, protocol_id=bytes.fromhex(
            third["protocol_id"][2:]), block_from=b - 3, block_to=b, subject=bytes.fromhex(
            third["usd"][2:]), observed=(1_000_000 * 10**18, 0), detail=bytes.fromhex(
            third["pool"][2:]))
        paused = _report(w3, dep["chain_id"], oracle_address, outflow.protocol_id, outflow,
                         dealing, action=Action.PAUSE)
        volatility_tx = _authorize(submitter, oracle, dealing, paused, third["pool"])
        full = _store(tmp / "full.sqlite", [good, forged, paused])
        empty = _store(tmp / "empty.sqlite", [])
        routes = [EvidenceRoutes(full, 1), EvidenceRoutes(empty, 2)] + [_Liar(b) for b in LIES]
        with _Servers(routes) as urls:
            yield {"rpc": chain.rpc_url, "good_tx": good_tx, "forged_tx": forged_tx,
                   "volatility_tx": volatility_tx,
                   "attack_tx": "0x" + bytes(attack["transactionHash"]).hex(), "full": urls[0],
                   "empty": urls[1], "liars": urls[2:], "good": good, "forged": forged,
                   "dep": dep}
        full.close()
        empty.close()


def _audit(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["audit", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_justified_containment_exits_0_with_the_rule_and_numbers(world, capsys):
    code, out, err = _audit(capsys, world["good_tx"], "--rpc", world["rpc"],
                            "--guardian", world["empty"], "--guardian", world["full"])
    assert code == 0, out + err
    assert "JUSTIFIED" in out and "signature valid" in out
    assert "invariant: registered view call held, then stopped holding: holds" in out, out
    assert f"guardian {world['empty']}: HTTP 404" in out  # the first guardian did not hold it
    code, out, _ = _audit(capsys, world["good_tx"], "--rpc", world["rpc"], "--guardian",
                          world["full"], "--json")
    doc = json.loads(out)
    assert code == 0 and doc["verdict"] == "justified" and doc["signature_valid"]
    assert doc["digest"] == "0x" + world["good"].digest().hex()  # recomputed from the chain
    assert doc["evidence"] == "0x" + encode_evidence(world["good"].evidence).hex()
    assert doc["signers_seen"] == [1, 2, 3] and doc["evidence_source"] == world["full"]


def test_a_forged_containment_with_a_valid_signature_exits_1(world, capsys):
    code, out, err = _audit(capsys, world["forged_tx"], "--rpc", world["rpc"],
                            "--guardian", world["full"])
    assert code == 1, out + err
    assert "NOT JUSTIFIED" in out and "signature valid" in out  # the guardians' key signed it
    # re-observed on our chain: the invariant the evidence claims broke still holds
    assert "observed" in out.split("why:")[1], out


def test_a_pause_on_volatility_evidence_is_not_justified(world, capsys):
    """An outflow is volatility-class evidence: it may engage only the circuit breaker."""
    code, out, err = _audit(capsys, world["volatility_tx"], "--rpc", world["rpc"],
                            "--guardian", world["full"])
    assert code == 1, out + err
    assert "NOT JUSTIFIED" in out and "does not match the class mapping" in out, out
    assert "OUTFLOW is volatility evidence" in out, out


def test_lying_guardians_are_named_and_never_trusted(world, capsys):
    args = [a for url in world["liars"] for a in ("--guardian", url)]
    code, out, err = _audit(capsys, world["good_tx"], "--rpc", world["rpc"], *args,
                            "--guardian", world["full"])
    assert code == 0 and "Traceback" not in err, out + err
    problems = [line for line in out.splitlines() if line.startswith("  guardian ")]
    assert len(problems) == len(LIES), out
    assert "served bytes hash to 0x" in problems[0] and "not the recorded hash" in problems[0]
    assert "nests too deeply" in problems[1] and "not hex" in problems[2], problems


def test_a_transaction_to_another_contract_than_the_oracle_is_refused(world, capsys):
    other = "0x" + "11" * 20
    code, _, err = _audit(capsys, world["good_tx"], "--rpc", world["rpc"], "--oracle", other,
                          "--guardian", world["full"])
    assert code == 3 and f"not the oracle {other}" in err, err
    code, out, _ = _audit(capsys, world["good_tx"], "--rpc", world["rpc"], "--oracle",
                          world["dep"]["oracle"], "--guardian", world["full"])
    assert code == 0, out


def test_missing_evidence_exits_2_and_names_every_guardian(world, capsys):
    dead = f"http://127.0.0.1:{free_ports(1)[0]}"
    code, out, _ = _audit(capsys, world["good_tx"], "--rpc", world["rpc"], "--guardian",
                          world["empty"], "--guardian", dead)
    assert code == 2, out
    assert "EVIDENCE NOT FOUND" in out and "cannot be checked" in out
    assert f"guardian {world['empty']}: HTTP 404: guardian 2 holds no evidence" in out
    assert f"guardian {dead}: unreachable" in out
    code, out, _ = _audit(capsys, world["good_tx"], "--rpc", world["rpc"], "--json")
    assert code == 2 and json.loads(out)["verdict"] == "evidence not found"


@pytest.mark.parametrize("tx, expected", [
    ("0x1234", "is not a transaction hash"),
    ("not-a-hash" * 7, "is not a transaction hash"),
    ("0x" + "ab" * 32, "is not known to the RPC"),
])
def test_malformed_or_unknown_hashes_are_clear_errors(world, capsys, tx, expected):
    code, out, err = _audit(capsys, tx, "--rpc", world["rpc"], "--guardian", world["full"])
    assert code == 3 and expected in err and "Traceback" not in err, err


def test_a_transaction_that_is_not_an_authorize_is_refused(world, capsys):
    code, _, err = _audit(capsys, world["attack_tx"], "--rpc", world["rpc"])
    assert code == 3 and "not an authorize transaction" in err, err


def test_an_unreachable_rpc_is_a_clear_error(world, capsys):
    code, _, err = _audit(capsys, world["good_tx"], "--rpc",
                          f"http://127.0.0.1:{free_ports(1)[0]}")
    assert code == 3 and "unreachable" in err and "Traceback" not in err, err


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_evidence_route_serves_canonical_bytes_and_refuses_bad_hashes(world):
    ev = world["good"].evidence
    status, doc = _get(f"{world['full']}/evidence/0x{evidence_hash(ev).hex()}")
    assert status == 200 and doc["evidence"] == "0x" + encode_evidence(ev).hex()
    assert doc["reports"][0]["signers_seen"] == [1, 2, 3] and doc["incident"]["state"] == "open"
    assert doc["decoded"]["kind_name"] == "INVARIANT" and doc["decoded"]["class"] == "exploit"
    assert _get(f"{world['full']}/evidence/0x{'00' * 32}")[0] == 404
    for bad in ("0x12", "0x" + "zz" * 32, "%27%20OR%201=1", "0x" + "ab" * 33):
        assert _get(f"{world['full']}/evidence/{bad}")[0] == 400
    status, index = _get(f"{world['full']}/evidence")
    assert status == 200 and len(index["evidence"]) == 3


def test_the_explorer_shows_each_containment_with_its_verdict(world, tmp_path):
    dead = f"http://127.0.0.1:{free_ports(1)[0]}"
    explorer = Explorer(world["rpc"], bytes.fromhex(world["dep"]["oracle"][2:]),
                        [world["empty"], world["full"], dead, *world["liars"]])
    snap = trio.run(explorer.refresh)
    assert snap["error"] is None, snap["error"]
    verdicts = {c["tx"]: c["audit"]["verdict"] for c in snap["containments"]}
    assert verdicts == {world["good_tx"]: "justified", world["forged_tx"]: "NOT justified",
                        world["volatility_tx"]: "NOT justified"}
    states = {p["protocol_id"]: p["status"] for p in snap["protocols"]}
    assert all(s.startswith("contained (pause) until") for s in states.values()), states
    # a guardian down, and liars (their garbage is left out, never an error of the page)
    assert [g["up"] for g in snap["guardians"]][:3] == [True, True, False]
    assert "unreachable" in snap["guardians"][2]["error"]
    # the incidents come from the guardians' stores, with a timeline
    assert {i["containment_tx"] for i in snap["incidents"]} == set(verdicts)
    page = render_index(snap).decode()
    assert f'id="tx-{world["good_tx"]}"' in page and 'data-verdict="justified"' in page
    assert 'data-verdict="NOT justified"' in page and "<script>" in page
    # with JavaScript off everything but the plot is there: the timeline as a table
    assert "<td>guardian 1 detects and proposes</td>" in page.split("<script>")[0]
    assert "<td>share of guardian 3</td>" in page and "included in block" in page
    routes = ExplorerRoutes(explorer)
    status, body, kind = routes(f"/containment/{world['forged_tx']}")
    assert status == "200 OK" and kind.startswith("text/html")
    assert b'data-verdict="NOT justified"' in body and b"observed" in body  # why, and evidence
    assert routes("/containment/0x12")[0] == "400 Bad Request"
    assert routes("/containment/0x" + "00" * 32)[0] == "404 Not Found"
    assert routes("/nothing") is None
    # no guardian serves the evidence: the containment is shown as such
    blind = Explorer(world["rpc"], bytes.fromhex(world["dep"]["oracle"][2:]), [world["empty"]])
    page = render_index(trio.run(blind.refresh)).decode()
    assert page.count('data-verdict="evidence not found"') == 3
    assert "no guardian can produce it" in page
    out = tmp_path / "page.html"
    assert main(["explorer", "--rpc", world["rpc"], "--oracle", world["dep"]["oracle"],
                 "--guardian", world["full"], "--once", str(out)]) == 0
    assert 'data-verdict="justified"' in out.read_text()
