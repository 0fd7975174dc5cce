"""The node's window on the chain: new heads over WebSocket, reads and transactions over HTTP, and
the oracle's registry kept current from its events. Only this package (and `node.deploy`) imports
web3."""
