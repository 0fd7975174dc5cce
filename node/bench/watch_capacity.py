"""How many protocols one guardian watches per head: the registry's capacity is derived from it.

Deploys the demo protocol on a local anvil, then for each new head runs every detector over
`copies` watched protocols with the demo's detection rules (one monitored contract, one token, an
outflow window of 20 blocks, a one-block drop, one invariant), each through its own chain view (no
cache shared between protocols, as distinct protocols read distinct state). The cost of one
protocol on one head is the wall time of the head divided by `copies`; the number of protocols a
guardian watches within a block is the share of the block given to detection divided by it.

    python -m node.bench.watch_capacity [--copies 32] [--heads 12]

`--corpus`: the same question with the corpus's registrations and real transactions in every
block (`node.bench.watch_corpus`); `--copies` is then how many times each class is registered.
"""

from __future__ import annotations

import argparse
import json
import time

import trio

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.chain.oracle import OracleClient
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.chain.view import RpcChainView
from node.deploy import Deployer
from node.detectors import default_detectors
from node.devnet.contracts import deploy_all
from protocol import threshold
from protocol.bls import get_backend
from protocol.guardian_set import GuardianSet
from protocol.registry_capacity import DETECTION_SHARE


async def _scan_heads(rpc_url: str, oracle: str, copies: int, heads: int,
                      mine) -> list[float]:
    rpc = ChainRpc(rpc_url)
    tracker = RegistryTracker(OracleClient(rpc, bytes.fromhex(oracle[2:])))
    head = rpc.w3.eth.block_number
    await tracker.load(head)
    (watched,) = tracker.watched().values()
    detectors = default_detectors()
    views = [RpcChainView(ChainRpc(rpc_url)) for _ in range(copies)]
    per_head: list[float] = []
    for _ in range(heads):
        mine()
        head = rpc.w3.eth.block_number
        start = time.perf_counter()
        for view in views:  # the watch loop goes protocol by protocol, detectors at once
            async with trio.open_nursery() as nursery:
                for detector in detectors:
                    nursery.start_soon(detector.scan, view, watched, head)
        per_head.append(time.perf_counter() - start)
    return per_head


def measure(copies: int = 32, heads: int = 12) -> dict:
    backend = get_backend()
    with Anvil() as anvil:
        deployer = Deployer.connect(anvil.rpc_url, DEV_PRIVATE_KEYS[0])
        gset = GuardianSet.from_dealing(threshold.deal(3, 2, backend=backend), 1, backend)
        deployment = deploy_all(deployer, gset, backend)

        def mine() -> None:
            deployer.w3.provider.make_request("evm_mine", [])

        for _ in range(25):  # fill the outflow window with real blocks
            mine()
        per_head = trio.run(_scan_heads, anvil.rpc_url, deployment.oracle, copies, heads, mine)
    per_head = per_head[2:]  # the first heads fill the per-protocol caches
    ms_per_protocol = 1000 * sorted(per_head)[len(per_head) // 2] / copies
    return {"copies": copies, "heads": len(per_head), "ms_per_protocol_per_head": ms_per_protocol,
            "protocols_per_2s_head": int(2000 * DETECTION_SHARE / ms_per_protocol),
            "protocols_per_12s_head": int(12000 * DETECTION_SHARE / ms_per_protocol)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, help="default 32; --corpus: 1 (16 protocols)")
    parser.add_argument("--heads", type=int, default=12)
    parser.add_argument("--corpus", action="store_true",
                        help="the corpus's 16 classes registered, traffic in every block")
    parser.add_argument("--profile", help="--corpus: write a cProfile of the measured heads")
    parser.add_argument("--py-spy", help="--corpus: write py-spy's collapsed stacks (all threads)")
    parser.add_argument("--compare", action="store_true",
                        help="--corpus: also a guardian reading one by one (no batching)")
    args = parser.parse_args()
    if args.corpus:
        from node.bench import watch_corpus
        result = watch_corpus.measure(args.copies or 1, args.heads, args.profile,
                                      py_spy_path=args.py_spy, compare=args.compare)
    else:
        result = measure(args.copies or 32, args.heads)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
