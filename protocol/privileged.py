"""The events that change who controls a contract: a PRIVILEGED_CHANGE rule fires on them
(`protocol.detection.check_privileged_change`) unless the protocol's own governance made them."""

from __future__ import annotations

# topic0 of the events that change who controls a contract.
PRIVILEGED_TOPICS: dict[bytes, str] = {
    bytes.fromhex("8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0"):
        "OwnershipTransferred(address,address)",
    bytes.fromhex("2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d"):
        "RoleGranted(bytes32,address,address)",
    bytes.fromhex("bc7cd75a20ee27fd9adebab32041f755214dbc6bffa90cc0225b39da2e5c2d3b"):
        "Upgraded(address)",
    bytes.fromhex("7e644d79422f17c01e4894b5f4f588d331ebfa28653d42ae832dc59e38c9798f"):
        "AdminChanged(address,address)",
}
