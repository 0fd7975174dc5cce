"""The key ceremony (distributed key generation and resharing) run over libp2p.

    files      the participant's files: ceremony keys, ceremony file, atomic 0600 writes
    rules      which ceremony messages the transport accepts (signed by a member of this ceremony)
    phases     the phase clock: DEAL, COMPLAIN, JUSTIFY, AGREE, each with a timeout, early when
               complete
    state      the participant's saved state (0600, atomic): a crash rejoins from it
    progress   what the runner shows: phase, who was heard from, time left
    artifacts  the result as today's artifacts: share keystore, guardian-set file, transcript
    rebroadcast when a message is sent again (backoff), and the honest duplicate bound
    retire     what is destroyed once the agreed keystore is written (dkg.key, the state, and
               after a resharing the old keystore)
    runner     the ceremony itself: transport, phases, rebroadcast, persistence, result

The cryptography is `protocol.dkg` (pure); libp2p is reached through `node.p2p.ceremony` only.
"""

from node.errors import NodeError


class CeremonyRunError(NodeError, RuntimeError):
    """The ceremony could not run or did not produce a key; the message says why."""
