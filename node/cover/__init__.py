"""Cover: the node's side of breach confirmations (docs/cover.md).

`chain.py` reads the facts the loss rule (`protocol.cover_loss`) judges; `service.py` computes,
signs, gossips, checks, combines and submits confirmations; `gossip.py` routes `BreachShare`
messages between the p2p topic and the service; `routes.py` serves trees and proofs on the status
server; `config.py` is the `[cover]` config section; `pool.py` the pool's reads and transactions.
"""
