"""python -m node.p2p_fuzz --frames N --seed S [--protocol P ...] [--target MULTIADDR] [--json F]

Without --target: starts an in-process P2PService target (supervised: crashes are recorded with
their traceback and the target is restarted), fuzzes every protocol it speaks plus the raw layers,
prints per-protocol numbers, the crash classes, and a JSON summary (last line, or --json FILE).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

import trio

from node.p2p_fuzz.peer import fuzz
from node.p2p_fuzz.raw import RAW_PROTOCOLS
from node.p2p_fuzz.target import InProcessTarget


def _args(argv):
    p = argparse.ArgumentParser(prog="scripts/fuzz", description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=500, help="frames per protocol (default 500)")
    p.add_argument("--big-frames", type=int, default=4, help="1 MiB frames per protocol")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--protocol", action="append", help="only these (repeatable); /raw/* too")
    p.add_argument("--generator", action="append", help="only these generators (repeatable)")
    p.add_argument("--max-crashes", type=int, default=3,
                   help="per protocol and generator, then the generator is skipped")
    p.add_argument("--target", help="fuzz a running node at this /ip4/../tcp/../p2p/.. address "
                                    "(no tracebacks, no restarts)")
    p.add_argument("--no-raw", action="store_true", help="skip the raw TCP/Noise/Yamux layers")
    p.add_argument("--json", help="also write the JSON summary to this file")
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


async def _main(a) -> dict:
    kw = dict(frames_per_protocol=a.frames, seed=a.seed, big_frames=a.big_frames,
              generators=a.generator, max_crashes_per_generator=a.max_crashes)
    if a.target:
        report = await fuzz(a.target, a.protocol, **kw)
        return report.to_json()
    async with trio.open_nursery() as nursery:
        target = InProcessTarget()
        await nursery.start(target.run)
        protocols = a.protocol
        if protocols is None:
            protocols = sorted(set(target.protocols()) | {
                "/meshsub/1.0.0", "/floodsub/1.0.0", "/meshsub/1.2.0"})
            protocols += [] if a.no_raw else list(RAW_PROTOCOLS)
        report = await fuzz(None, protocols, target=target, **kw)
        nursery.cancel_scope.cancel()
    return report.to_json()


def main(argv=None) -> int:
    a = _args(argv if argv is not None else sys.argv[1:])
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # the library logs every rejected frame; the fuzzer's report is the output
    for name in ("libp2p", "multiaddr", "guardian.p2p"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    logging.getLogger("guardian.p2p_fuzz").setLevel(logging.INFO if a.verbose else logging.ERROR)
    logging.getLogger().handlers[0].addFilter(lambda r: r.name.startswith("guardian.p2p_fuzz"))
    summary = trio.run(_main, a)
    print(f"{'protocol':<22} {'sent':>6} {'skip':>5} {'resets':>6} {'lost':>5} {'slow':>5} "
          f"{'crash':>5} {'alive':>5} {'frames/s':>9} {'max s':>6}")
    for name, p in summary["protocols"].items():
        alive = "n/a" if not p["negotiated"] else ("yes" if p["alive_after"] else "NO")
        print(f"{name:<22} {p['frames_sent']:>6} {p['frames_skipped']:>5} {p['stream_resets']:>6} "
              f"{p['connection_losses']:>5} {p['slow_frames']:>5} {p['crashes']:>5} {alive:>5} "
              f"{p['frames_per_second']:>9} {p['max_handle_seconds']:>6.2f}")
    print(f"total: {summary['frames_sent']} frames, {summary['frames_per_second']} frames/s, "
          f"{summary['crashes']} crashes, {summary['restarts']} target restarts")
    for key, c in summary["crash_classes"].items():
        ex = c["example"]
        print(f"\nCRASH {key}\n  count {c['count']} by generator {c['generators']}\n"
              f"  escapes at {c['escapes_at']}\n  path {' -> '.join(c['frames'])}\n"
              f"  message {ex['message'][:160]!r}\n  reproduce: seed {ex['seed']} protocol "
              f"{ex['protocol']} generator {ex['generator']} index {ex['index']} "
              f"({ex['frame_len']} bytes, head {ex['frame_head'][:32]}...)")
    text = json.dumps(summary, default=str)
    if a.json:
        with open(a.json, "w") as f:
            f.write(text + "\n")
    print(text)
    return 1 if summary["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
