"""`guardian devnet ...`: the local devnet, and the two one-shot steps the docker testnet runs.

    guardian devnet [--guardians 7 --threshold 5 ...]   everything, on this machine, one shot
    guardian devnet up [--guardians 7 ...]              start a devnet that stays up
    guardian devnet attack [--scenario drain]           attack it (repeatable)
    guardian devnet down                                stop it
    guardian devnet deploy --rpc URL --out DIR ...      deploy, deal keys, write configs (docker)
    guardian devnet attack --deployment FILE ...        run the exploit against a deployment (docker)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from node.commands import CommandError
from node.devnet.member_cli import add_member_parser


def add_parser(sub) -> None:
    devnet = sub.add_parser(
        "devnet", help="run a local devnet that shows an exploit contained",
        description="Start anvil, deploy the oracle and a vulnerable demo protocol, start N "
                    "guardian processes, run the exploit and show it contained. Exit code 0 "
                    "only if it was.")
    devnet.add_argument("--guardians", type=int, default=7, help="guardian count (default 7)")
    devnet.add_argument("--threshold", type=int, default=5, help="signatures needed (default 5)")
    devnet.add_argument("--kill", type=int, default=0,
                        help="kill this many guardians before the attack (default 0)")
    devnet.add_argument("--block-time", type=float, default=None,
                        help="seconds per block (default 2 for oneshot, 1 for drip)")
    devnet.add_argument("--max-steps", type=int, default=12, help="attack transactions at most")
    devnet.add_argument("--scenario", choices=("oneshot", "drip", "prepared"), default="oneshot",
                        help="oneshot (default): one transaction drains the uncapped pool, "
                             "broadcast at a random moment in the first quarter of a 2 s block; drip: "
                             "the capped pool drained one slice per block; prepared: benign "
                             "contracts, then an attack contract deployed and called 1-5 blocks "
                             "later (contained before the call?)")
    devnet.add_argument("--target", choices=("demo", "oz-lending"), default="demo",
                        help="prepared: attack the demo pool (default) or oz-lending, an "
                             "OpenZeppelin lending market registered with the selector hook")
    devnet.add_argument("--run-dir", type=Path, help="where keys, configs and logs go "
                                                     "(default .devnet/run-<time>)")
    devnet.add_argument("--keep-running", action="store_true",
                        help="leave the network up after the scenario (Ctrl-C stops it)")
    devnet.add_argument("--no-live", action="store_true", help="print lines, no live view")
    devnet.add_argument("--outsiders", choices=("deny", "observe"), default="deny",
                        help="the guardians' policy for libp2p peers outside the set")
    devnet.add_argument("--flooders", type=int, default=0, choices=range(0, 17), metavar="0..16",
                        help="outsider processes flooding every guardian during the attack")
    devnet.add_argument("--flood-as-guardian", type=int, default=0, metavar="I",
                        help="the flooders hold guardian I's libp2p key (insiders; default: "
                             "strangers)")
    devnet.add_argument("--dealer", action="store_true",
                        help="a trusted dealer makes the keys (faster); default: the guardians "
                             "run a DKG ceremony, no party ever holds the group secret")
    devnet.set_defaults(func=_run)
    dsub = devnet.add_subparsers(dest="devnet_command", metavar="STEP")

    deploy = dsub.add_parser("deploy", help="one-shot: deploy, deal keys, register, write configs",
                             description="What the docker deployer runs: deploy the contracts, "
                                         "deal keys and write one config per guardian into --out.")
    deploy.add_argument("--rpc", required=True, help="chain JSON-RPC HTTP URL")
    deploy.add_argument("--ws", required=True, help="chain JSON-RPC WebSocket URL")
    deploy.add_argument("--out", type=Path, required=True, help="directory to write")
    deploy.add_argument("--guardians", type=int, default=7)
    deploy.add_argument("--threshold", type=int, default=5)
    deploy.add_argument("--p2p-host", default="127.0.0.1",
                        help="host others dial guardian i at ({i} is replaced), e.g. guardian-{i}")
    deploy.add_argument("--listen-host", default="0.0.0.0", help="interface guardians listen on")
    deploy.add_argument("--metrics-host", default="127.0.0.1", help="status/metrics interface")
    deploy.add_argument("--p2p-port", type=int, default=9000, help="p2p port (docker: same for all)")
    deploy.add_argument("--metrics-port", type=int, default=9100, help="status port")
    deploy.add_argument("--dealer", action="store_true",
                        help="deal the keys (default: a DKG ceremony among guardian processes)")
    deploy.add_argument("--wait-for-rpc", type=float, default=0,
                        help="wait up to this many seconds for the RPC to answer")
    deploy.add_argument("--members", action="store_true",
                        help="each guardian runs its own ceremony participant (`devnet member`, "
                             "compose): collect their public entries and guardian sets in --out, "
                             "never their keys")
    deploy.add_argument("--member-dir", default="/guardian",
                        help="with --members: each guardian's own directory in its container")
    deploy.set_defaults(func=_deploy)

    add_member_parser(dsub)

    up = dsub.add_parser("up", help="start a devnet that stays up (then: attack, down)",
                         description="Start anvil, deploy, deal keys, start the guardians and "
                                     "wait for their mesh; print where everything is and return, "
                                     "leaving it all running until `guardian devnet down`.")
    up.add_argument("--guardians", type=int, default=7, help="guardian count (default 7)")
    up.add_argument("--threshold", type=int, default=5, help="signatures needed (default 5)")
    up.add_argument("--block-time", type=int, default=1, help="seconds per block (default 1)")
    up.add_argument("--run-dir", type=Path, help="keys, configs and logs "
                                                 "(default .devnet/up-<time>)")
    up.add_argument("--state", type=Path, help=f"state file (default {_state_default()})")
    up.add_argument("--dealer", action="store_true",
                    help="deal the keys (default: a DKG ceremony among the guardians)")
    up.set_defaults(func=_up)

    down = dsub.add_parser("down", help="stop the devnet `up` started; nothing is left running")
    down.add_argument("--state", type=Path, help=f"state file (default {_state_default()})")
    down.set_defaults(func=_down)

    attack = dsub.add_parser(
        "attack", help="run the exploit against the running devnet (or --deployment)",
        description="Without --deployment: attack the devnet `guardian devnet up` started, with "
                    "fresh attacker capital; each attack after the first deploys and registers a "
                    "fresh demo protocol instance (the contained one stays paused). With "
                    "--deployment: one attack against that deployment (the docker attacker).")
    attack.add_argument("--scenario", choices=sorted(_scenarios()), default="drain",
                        help="; ".join(f"{k}: {v}" for k, v in sorted(_scenarios().items())))
    attack.add_argument("--state", type=Path, help=f"state file (default {_state_default()})")
    attack.add_argument("--deployment", type=Path, help="deployment.json (one-shot mode)")
    attack.add_argument("--rpc", help="chain JSON-RPC HTTP URL (default: from the deployment)")
    attack.add_argument("--wait-for-mesh", type=float, default=0,
                        help="wait up to this many seconds for every guardian to be up")
    attack.add_argument("--max-steps", type=int, help="attack transactions at most "
                                                      "(default: the scenario's)")
    attack.set_defaults(func=_attack)


def _state_default() -> Path:
    from node.toolchain import DEVNET_STATE

    return DEVNET_STATE


def _scenarios() -> dict[str, str]:
    from node.devnet.attack_scenarios import SCENARIOS

    return {name: s.what for name, s in SCENARIOS.items()}


def _run(args: argparse.Namespace) -> int:
    from node.deploy import DeployError
    from node.devnet.runner import DevnetFailed, DevnetOptions, run_devnet

    opts = DevnetOptions(guardians=args.guardians, threshold=args.threshold, kill=args.kill,
                         keep_running=args.keep_running, run_dir=args.run_dir,
                         block_time=args.block_time, max_steps=args.max_steps,
                         live=False if args.no_live else None, outsiders=args.outsiders,
                         flooders=args.flooders, flood_as_guardian=args.flood_as_guardian,
                         dealer=args.dealer,
                         scenario=args.scenario, target=args.target)
    try:
        code, _ = run_devnet(opts)
    except (DevnetFailed, DeployError) as exc:
        raise CommandError(str(exc)) from exc
    return code


def _deploy(args: argparse.Namespace) -> int:
    from node.deploy import DeployError
    from node.devnet.network import Topology, deploy_network, wait_for_rpc

    same = args.p2p_host == "127.0.0.1"
    topo = Topology(args.rpc, args.ws, p2p_host=args.p2p_host,
                    listen_host="127.0.0.1" if same else args.listen_host,
                    metrics_host=args.metrics_host,
                    status_host="127.0.0.1" if same else args.p2p_host,
                    base_p2p_port=None if same else args.p2p_port,
                    base_metrics_port=None if same else args.metrics_port)
    if not same:  # every container listens on the same ports
        topo = _same_ports(topo, args.p2p_port, args.metrics_port)
    try:
        if args.wait_for_rpc:
            wait_for_rpc(args.rpc, args.wait_for_rpc)
        if args.members:
            from node.devnet.members import MemberError, deploy_members

            try:
                deploy_members(args.out, args.guardians, args.threshold, topo, args.member_dir)
            except MemberError as exc:
                raise CommandError(str(exc)) from exc
        else:
            deploy_network(args.out, args.guardians, args.threshold, topo, dealer=args.dealer)
    except DeployError as exc:
        raise CommandError(str(exc)) from exc
    return 0


def _same_ports(topo, p2p_port: int, metrics_port: int):
    from dataclasses import replace

    return replace(topo, base_p2p_port=p2p_port, base_metrics_port=metrics_port, same_ports=True)


def _up(args: argparse.Namespace) -> int:
    from node.deploy import DeployError
    from node.devnet.network import load_deployment
    from node.devnet.session import DevnetSessionError, describe, up
    from node.toolchain import REPO_ROOT

    run_dir = args.run_dir or REPO_ROOT / ".devnet" / time.strftime("up-%Y%m%d-%H%M%S")
    state = args.state or _state_default()
    try:
        session = up(run_dir, state, guardians=args.guardians, threshold=args.threshold,
                     block_time=args.block_time, dealer=args.dealer)
    except (DevnetSessionError, DeployError) as exc:
        raise CommandError(str(exc)) from exc
    for line in describe(session, load_deployment(session.deployment_path), state):
        print(line)
    print(f"state file {state}")
    return 0


def _down(args: argparse.Namespace) -> int:
    from node.devnet.session import DevnetSessionError, down

    try:
        stopped = down(args.state or _state_default())
    except DevnetSessionError as exc:
        raise CommandError(str(exc)) from exc
    print(f"devnet down: stopped {', '.join(stopped) or 'nothing (no process was running)'}")
    return 0


def _attack_session(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from node.deploy import DeployError
    from node.devnet.attack_phase import SCENARIOS, attack, result_lines
    from node.devnet.network import load_deployment
    from node.devnet.session import DevnetSessionError, Session, alive

    state = args.state or _state_default()
    try:
        session = Session.load(state)
        if set(alive(session)) != set(session.processes):
            missing = sorted(set(session.processes) - set(alive(session)))
            raise DevnetSessionError(f"the devnet is not fully up (not running: "
                                     f"{', '.join(missing)}); `guardian devnet down`, then up")
        scenario = SCENARIOS[args.scenario]
        if args.max_steps:
            scenario = replace(scenario, max_steps=args.max_steps)
        result, record = attack(session, load_deployment(session.deployment_path), scenario,
                                print)
    except (DevnetSessionError, DeployError) as exc:
        raise CommandError(str(exc)) from exc
    finally:
        if "session" in locals():
            session.save(state)
    for line in result_lines(result, record):
        print(line)
    return 0 if result.contained else 1


def _attack(args: argparse.Namespace) -> int:
    if args.deployment is None:
        return _attack_session(args)
    from node.deploy import Deployer, DeployError
    from node.devnet.attack import run_attack
    from node.devnet.network import ATTACKER_KEY, load_deployment
    from node.devnet.status import fetch_all

    try:
        doc = load_deployment(args.deployment)
        rpc = args.rpc or doc["rpc_http"]
        urls = {int(k): v for k, v in doc["status_urls"].items()}
        deadline = time.monotonic() + args.wait_for_mesh
        while args.wait_for_mesh:
            statuses = fetch_all(urls)
            if all(s and s.get("ready") and len(s.get("live_guardians") or []) >= len(urls)
                   for s in statuses.values()):
                break
            if time.monotonic() > deadline:
                raise CommandError("guardians did not all come up in time")
            time.sleep(1)
        result = run_attack(Deployer.connect(rpc, ATTACKER_KEY), doc["deployment"],
                            max_steps=args.max_steps or 12, on_event=print)
    except DeployError as exc:
        raise CommandError(str(exc)) from exc
    print(f"contained: {result.contained}; saved {result.saved_fraction:.0%} of the pool")
    return 0 if result.contained else 1
