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
from node.dealer import guardian_dir, keystore_path

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


def test_same_layout_as_the_devnet(tmp_path):
    out = Path(_option(SERVICES["deployer"]["command"], "--out"))
    for index, svc in guardian_services().items():
        config = Path(_option(svc["command"], "--config"))
        assert config == guardian_dir(out, index) / "node.toml"
        assert keystore_path(out, index).parent == config.parent
        assert svc["depends_on"]["deployer"]["condition"] == "service_completed_successfully"
    attack = SERVICES["attacker"]["command"]
    assert Path(_option(attack, "--deployment")) == out / "deployment.json"


def test_shared_volume_is_mounted_everywhere():
    assert "devnet" in COMPOSE["volumes"]
    out = _option(SERVICES["deployer"]["command"], "--out")
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
def test_deploy_step_writes_what_the_compose_services_read(tmp_path, anvil):
    """`guardian devnet deploy` (the deployer service's command, pointed at a local anvil)
    writes every file the guardian and attacker services use."""
    from node.cli import main

    command = list(SERVICES["deployer"]["command"])
    command[command.index("--rpc") + 1] = anvil.rpc_url
    command[command.index("--ws") + 1] = anvil.ws_url
    command[command.index("--out") + 1] = str(tmp_path / "devnet")
    command[command.index("--guardians") + 1] = "3"
    command[command.index("--threshold") + 1] = "2"
    assert main(command) == 0
    root = tmp_path / "devnet"
    for index in (1, 2, 3):
        gdir = guardian_dir(root, index)
        text = (gdir / "node.toml").read_text()
        assert f"/dns4/guardian-{index % 3 + 1}/tcp/9000/p2p/" in text
        assert 'listen = "0.0.0.0:9100"' in text
        for secret in ("share.keystore.json", "p2p.key", "submitter.key"):
            assert (gdir / secret).stat().st_mode & 0o777 == 0o600
    assert (root / "deployment.json").exists() and (root / "guardian-set.json").exists()
    # the keys come from a DKG ceremony among the guardians (processes in the deployer)
    assert json.loads((root / "deployment.json").read_text())["keygen"]["method"] == "dkg"
    assert (root / "ceremony.json").exists()
    # The deployer run again (a compose `up` after anvil restarted) starts every guardian with an
    # empty node database: the old one belongs to the previous chain.
    stale = guardian_dir(root, 1) / "data" / "guardian.sqlite"
    stale.write_bytes(b"state of the previous deployment")
    first_oracle = json.loads((root / "deployment.json").read_text())["deployment"]["oracle"]
    assert main(command) == 0
    assert not stale.exists() and (guardian_dir(root, 1) / "data").is_dir()
    assert json.loads((root / "deployment.json").read_text())["deployment"]["oracle"] != first_oracle
