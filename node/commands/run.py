"""`guardian run --config FILE`: the daemon."""

from __future__ import annotations

import argparse
from pathlib import Path

from node.commands import CommandError


def add_parser(sub) -> None:
    run = sub.add_parser("run", help="run a guardian node",
                         description="Run a guardian node: watch the chain, detect exploits, "
                                     "gossip reports and shares, combine and submit proofs.")
    run.add_argument("--config", type=Path, required=True, help="the node's TOML config file")
    run.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import trio

    from node.config import ConfigError, load_config
    from node.logs import setup_logging
    from node.startup import StartupError, run_node

    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        raise CommandError(f"bad config: {exc}") from exc
    setup_logging(cfg.node.name, cfg.node.log_format, cfg.node.log_level)
    try:
        trio.run(run_node, cfg)
    except StartupError as exc:
        raise CommandError(f"cannot start: {exc}") from exc
    except ConfigError as exc:
        raise CommandError(f"bad config: {exc}") from exc
    except KeyboardInterrupt:
        return 0
    return 0
