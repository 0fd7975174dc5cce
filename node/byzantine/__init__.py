"""Byzantine guardians for the fault suite (node.chaos): a TEST-ONLY mode of the node.

A guardian started with GUARDIAN_BYZANTINE=<mode> misbehaves on purpose, by wrapping its outgoing
gossip path (`P2PService.publish`) and, for some modes, running one task of its own:

    invalid-partial  every share it sends carries a partial that does not verify
    equivocate       for each incident it signs, two different reports (and shares for both)
    false-report     fabricated invariant-break reports for every watched protocol, repeated;
                     colluders fabricate identical ones, so their shares add up
    replay           re-sends every share and report it ever sent, every second
    flood            each message sent FLOOD_COPIES more times, and its heartbeat flooded
    withhold         sends no report, share or proof at all (heartbeats only: looks alive)

How it is kept out of production (`node.byzantine.gate`): the mode is honoured only when the
process also has GUARDIAN_TEST_NETWORK=1 in its environment AND its config's chain id is anvil's
(31337); otherwise a node with GUARDIAN_BYZANTINE set refuses to start with a StartupError that
says so. No config key, CLI flag or default turns it on.
"""
