"""`scripts/compose-check`: the compose testnet run for real, checked, and removed.

Steps: a container engine (Docker if one answers, else rootful podman, installed when missing) ->
the base images (present, or local stand-ins built and named as such) -> the guardian image, built
once for every service -> `compose up` -> the attacker's exit code and output -> the oracle's
ContainmentEngaged event -> Prometheus scraped every guardian -> `compose down` and a check that
nothing of the project is left but its images. Exit 0 only if all of it held; 77 when no engine
can be made to work here (the test then skips).
"""

from __future__ import annotations

import argparse
import sys
import time

import yaml

from node.compose.engine import EngineUnavailable, find_engine
from node.compose.images import GUARDIAN_IMAGE, ensure_base_images, ensure_guardian_image
from node.compose.run import ComposeCheckFailed, Testnet
from node.devnet.network import free_ports
from node.errors import NodeError
from node.toolchain import REPO_ROOT

NO_ENGINE = 77
COMPOSE_FILE = REPO_ROOT / "docker" / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "docker" / "Dockerfile"


def base_images() -> list[str]:
    """The images the project's files pull: the Dockerfile's FROM and the compose images other
    than our own (names qualified as podman and Docker store them)."""
    names = []
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("FROM "):
            names.append(line.split()[1])
    for svc in yaml.safe_load(COMPOSE_FILE.read_text())["services"].values():
        if svc.get("image") and svc["image"] != GUARDIAN_IMAGE and "build" not in svc:
            names.append(svc["image"])
    return [_qualified(n) for n in dict.fromkeys(names)]


def _qualified(name: str) -> str:
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        return name
    return f"docker.io/{name}" if "/" in name else f"docker.io/library/{name}"


def guardian_count() -> int:
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    return sum(1 for name in services if name.startswith("guardian-"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="compose-check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pull", choices=("never", "try"), default="never",
                        help="base images missing locally: build stand-ins (never, the default: "
                             "no registry traffic), or try the registries first")
    parser.add_argument("--project", default="guardian-network-check",
                        help="compose project name (what teardown removes)")
    parser.add_argument("--no-install", action="store_true",
                        help="do not install podman or podman-compose when missing")
    parser.add_argument("--attack-timeout", type=float, default=420)
    parser.add_argument("--keep", action="store_true", help="leave the testnet running")
    args = parser.parse_args(argv)
    started = time.monotonic()
    stand_ins, built, images_done = [], False, 0.0

    def say(text: str) -> None:
        print(f"compose-check [{time.monotonic() - started:5.1f}s] {text}", flush=True)

    try:
        engine = find_engine(REPO_ROOT / ".compose-check", say, install=not args.no_install)
    except EngineUnavailable as exc:
        say(f"SKIP: no container engine can be made to work here: {exc}")
        return NO_ENGINE
    try:
        stand_ins = ensure_base_images(engine, base_images(), pull=args.pull == "try", say=say)
        built = ensure_guardian_image(engine, say=say)
        images_done = time.monotonic() - started
        say(f"images ready in {images_done:.0f}s")
        code = _run_testnet(engine, args, say)
    except (NodeError, OSError) as exc:
        say(f"FAILED: {exc}")
        code = 1
    total = time.monotonic() - started
    if code == 0:
        say(f"OK in {total:.0f}s (images {images_done:.0f}s, guardian image "
            f"{'built' if built else 'reused'}; stand-ins built this run: "
            f"{', '.join(stand_ins) or 'none'})")
    else:
        say(f"FAILED after {total:.0f}s")
    return code


def _run_testnet(engine, args: argparse.Namespace, say) -> int:
    anvil_port, prometheus_port = free_ports(2)
    net = Testnet(engine, [COMPOSE_FILE], args.project, anvil_port, prometheus_port, say)
    guardians = guardian_count()
    net.down()  # what an interrupted earlier run of this project may have left
    try:
        say(f"compose up (project {args.project}; anvil on 127.0.0.1:{anvil_port}, Prometheus "
            f"on 127.0.0.1:{prometheus_port})")
        up_started = time.monotonic()
        net.up()
        code, logs = net.attacker_result(args.attack_timeout)
        say(f"attacker exited {code} after {time.monotonic() - up_started:.0f}s:")
        for line in logs.strip().splitlines()[-8:]:
            print(f"    attacker | {line}")
        if code != 0 or "contained: True" not in logs:
            raise ComposeCheckFailed(f"the attacker reports no containment (exit {code})")
        event = net.containment_event(net.deployment())
        say(f"oracle: ContainmentEngaged in block {event['block']} (tx {event['tx'][:18]}..., "
            f"hook succeeded: {event['hook_succeeded']}, submitter {event['submitter']})")
        if not event["hook_succeeded"]:
            raise ComposeCheckFailed("the containment hook failed")
        _check_own_ceremonies(engine, net, args.project, guardians, say)
        targets = net.prometheus_targets(guardians, timeout=60)
        say(f"Prometheus: up == 1 for all {guardians} guardian targets "
            f"({', '.join(sorted(targets))})")
        return 0
    except (NodeError, OSError) as exc:
        say(f"FAILED: {exc}")
        for service in ("deployer", "guardian-1", "attacker"):
            tail = net.logs_tail(service, 15)
            for line in tail.strip().splitlines():
                print(f"    {service} | {line}")
        return 1
    finally:
        if args.keep:
            say("--keep: the testnet is left running; `compose down -v` removes it")
        else:
            net.down()
            left = net.leftovers()
            if left:
                say(f"teardown left: {left}")
                return 1  # noqa: B012 - a leak fails the check whatever happened before
            say("teardown: no container, volume, network or pod of the project is left")


def _check_own_ceremonies(engine, net: Testnet, project: str, guardians: int, say) -> None:
    """Each guardian container ran its own ceremony participant, and no container's volumes
    hold another guardian's share (or, for the deployer and the shared volume, any secret)."""
    from node.compose.volumes import audit, check_holdings

    ran = [i for i in range(1, guardians + 1)
           if "DKG done in" in net.logs_tail(f"guardian-{i}", 400)]
    if len(ran) != guardians:
        raise ComposeCheckFailed(f"only guardians {ran} show their own finished ceremony")
    say(f"per-container ceremonies: all {guardians} guardians ran their own participant "
        "(`DKG done` in each guardian's own log)")
    mounts, contents = audit(engine, project, net.guardian_set().public_shares)
    problems = check_holdings(mounts, contents)
    if problems:
        raise ComposeCheckFailed("volumes: " + "; ".join(problems))
    shared = sorted(v for v in contents if sum(v in vs for vs in mounts.values()) > 1)
    say(f"volumes: each guardian-i reads share i only ({len(mounts)} containers, "
        f"{len(contents)} volumes); shared {', '.join(shared)}: no share, no secret")


if __name__ == "__main__":
    sys.exit(main())
