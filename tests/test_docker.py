"""The compose file's consistency, by parsing: its services, images, commands and volumes, the
guardian count against the dealt keys, every command against the real `guardian` CLI parser and
the layout `guardian devnet deploy` writes (the same entry points, config files and key layout the
devnet test runs), and Prometheus' targets against the guardian services. The file is run for
real by `scripts/compose-check` (tests/test_compose_check.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from node.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker" / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def guardian_services() -> dict[int, dict]:
    out = {}
    for name, svc in SERVICES.items():
        match = re.fullmatch(r"guardian-(\d+)", name)
        if match:
            out[int(match.group(1))] = svc
    return out


def test_services_and_images():
    assert SERVICES["anvil"]["image"].startswith("ghcr.io/foundry-rs/foundry:")
    anvil_cmd = SERVICES["anvil"]["command"]
    assert SERVICES["anvil"]["entrypoint"] == ["anvil"]
    assert _option(anvil_cmd, "--hardfork") == "prague" and "--block-time" in anvil_cmd
    for name in ["deployer", "attacker", *(f"guardian-{i}" for i in guardian_services())]:
        assert SERVICES[name]["image"] == "guardian-network:local", name


def test_guardian_count_matches_the_dealt_keys():
    deploy = SERVICES["deployer"]["command"]
    guardians = int(_option(deploy, "--guardians"))
    threshold = int(_option(deploy, "--threshold"))
    assert sorted(guardian_services()) == list(range(1, guardians + 1))
    assert 1 <= threshold <= guardians


def test_every_command_is_a_valid_guardian_command():
    parser = build_parser()
    for name, svc in SERVICES.items():
        if svc["image"] != "guardian-network:local":
            continue
        args = parser.parse_args(svc["command"])
        assert callable(args.func), name


def test_each_guardian_runs_its_own_participant_in_its_own_volume():
    deploy = SERVICES["deployer"]["command"]
    out = _option(deploy, "--out")
    member_dir = _option(deploy, "--member-dir")
    assert "--members" in deploy and "--dealer" not in deploy
    for index, svc in guardian_services().items():
        command = svc["command"]
        assert command[:2] == ["devnet", "member"] and int(_option(command, "--index")) == index
        assert _option(command, "--dir") == member_dir and _option(command, "--shared") == out
        assert _option(command, "--host") == f"guardian-{index}"
        assert svc["volumes"] == [f"devnet:{out}", f"guardian-{index}:{member_dir}"]
        assert "deployer" not in svc.get("depends_on", [])  # the ceremony runs before it ends
    attack = SERVICES["attacker"]["command"]
    assert Path(_option(attack, "--deployment")) == Path(out) / "deployment.json"


def test_no_private_volume_is_shared():
    out = _option(SERVICES["deployer"]["command"], "--out")
    assert set(COMPOSE["volumes"]) == {"devnet", *(f"guardian-{i}" for i in guardian_services())}
    users: dict[str, list[str]] = {}
    for name, svc in SERVICES.items():
        for spec in svc.get("volumes", []):
            users.setdefault(spec.split(":")[0], []).append(name)
    for i in guardian_services():
        assert users[f"guardian-{i}"] == [f"guardian-{i}"]
    for name, svc in SERVICES.items():
        if svc["image"] == "guardian-network:local":
            assert f"devnet:{out}" in svc["volumes"], name


def test_prometheus_scrapes_every_guardian():
    prom = SERVICES["prometheus"]
    assert "./prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prom["volumes"]
    config = yaml.safe_load((ROOT / "docker" / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    metrics_port = _option(SERVICES["deployer"]["command"], "--metrics-port") \
        if "--metrics-port" in SERVICES["deployer"]["command"] else "9100"
    targets = job["static_configs"][0]["targets"]
    assert job["metrics_path"] == "/metrics"
    assert targets == [f"guardian-{i}:{metrics_port}" for i in sorted(guardian_services())]


def test_published_ports_bind_to_loopback_only():
    for name, svc in SERVICES.items():
        for port in svc.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)


def test_grafana_dashboard_charts_guardian_metrics():
    from node.metrics import Metrics

    dashboard = json.loads((ROOT / "docker" / "grafana-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p.get("targets", []))
    exported = {m.name for m in Metrics().registry.collect()}
    used = set(re.findall(r"guardian_[a-z_]+", exprs))
    assert used, "the dashboard charts no guardian metric"
    for name in used:
        assert any(name == e or name.startswith(e + "_") for e in exported), name


def test_dockerfile_runs_the_guardian_cli():
    text = (ROOT / "docker" / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", text, re.M)
    assert 'ENTRYPOINT ["guardian"]' in text
    for needed in ("COPY protocol", "COPY node", "pip install", "libgmp-dev", "USER guardian"):
        assert needed in text, needed
    # the proxy's CA bundle reaches pip as a build secret, never as a file in a layer
    assert "--mount=type=secret,id=ca" in text and "COPY ca" not in text.lower()


@pytest.mark.chain
@pytest.mark.timeout(240)
def test_members_and_deployer_run_the_ceremony_without_sharing_a_secret(tmp_path, anvil):
    """The deployer service's command (`devnet deploy --members`, against a local anvil, 3
    guardians) and 3 guardian services' commands (`devnet member`, each with its own directory,
    stopped before the node): each guardian's participant writes its own share in its own
    directory; the shared directory ends with public files only and every guardian's config."""
    import threading

    from node.cli import main
    from node.compose.volumes import check_holdings, classify
    from node.ports import free_ports
    from protocol.guardian_set import GuardianSet

    command = list(SERVICES["deployer"]["command"])
    shared = tmp_path / "devnet"
    for option, value in (("--rpc", anvil.rpc_url), ("--ws", anvil.ws_url), ("--out", shared),
                          ("--guardians", "3"), ("--threshold", "2"),
                          ("--member-dir", tmp_path / "guardian")):
        command[command.index(option) + 1] = str(value)
    ports = free_ports(3)
    codes: dict[str, int] = {}

    def run(name, argv):
        codes[name] = main(argv)

    threads = [threading.Thread(target=run, args=("deployer", command))]
    for i in (1, 2, 3):
        threads.append(threading.Thread(target=run, args=(f"guardian-{i}", [
            "devnet", "member", "--index", str(i), "--dir", str(tmp_path / f"guardian-{i}"),
            "--shared", str(shared), "--host", "127.0.0.1", "--ceremony-port",
            str(ports[i - 1]), "--timeout", "180", "--no-run"])))
    for t in threads:
        t.start()
    for t in threads:
        t.join(220)
    assert codes == {"deployer": 0, "guardian-1": 0, "guardian-2": 0, "guardian-3": 0}
    doc = json.loads((shared / "deployment.json").read_text())
    assert doc["keygen"]["method"] == "dkg" and "per guardian" in doc["keygen"]["participants"]
    gset = GuardianSet.from_json((shared / "guardian-set.json").read_text())
    assert doc["guardian_set_hash"] == "0x" + gset.hash().hex()
    contents = {"devnet": classify("devnet", shared, gset.public_shares)}
    for i in (1, 2, 3):
        contents[f"guardian-{i}"] = classify(f"guardian-{i}", tmp_path / f"guardian-{i}",
                                             gset.public_shares)
        text = (shared / "configs" / f"guardian-{i}.toml").read_text()
        assert f'share_keystore = "{tmp_path / "guardian"}/share.keystore.json"' in text
        assert "/dns4/guardian-" in text
    assert contents["devnet"].shares == set() and contents["devnet"].secrets == []
    mounts = {"deployer": ["devnet"], **{f"guardian-{i}": ["devnet", f"guardian-{i}"]
                                         for i in (1, 2, 3)}}
    assert check_holdings(mounts, contents) == []
    assert [contents[f"guardian-{i}"].shares for i in (1, 2, 3)] == [{1}, {2}, {3}]
    # the ceremony keys are gone once each share was written
    assert not any((tmp_path / f"guardian-{i}" / "dkg.key").exists() for i in (1, 2, 3))
