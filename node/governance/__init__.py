"""What a protocol's governance does with the GuardianOracle after (and including) registering:
build an oracle call once (`calls`), then either send it from a key file after simulating it
(`client`), or hand it to a Safe multisig or a timelock as a printed call or a Safe Transaction
Builder batch (`safe`). `view` reads and renders what `guardian protocol show` prints; `hints`
turns the oracle's common reverts into one line of advice. `node/commands/protocol*.py` is the CLI
on top."""
