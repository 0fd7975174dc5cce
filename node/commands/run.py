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
    from node.store import StoreFull

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
    except BaseExceptionGroup as group:  # a service failed inside the node's nurseries
        full = _first(group, StoreFull)
        if full is None:
            raise
        raise CommandError(f"stopped: {full}") from None
    return 0


def _first(group: BaseExceptionGroup, kind: type) -> BaseException | None:
    for exc in group.exceptions:
        if isinstance(exc, kind):
            return exc
        if isinstance(exc, BaseExceptionGroup) and (found := _first(exc, kind)) is not None:
            return found
    return None
