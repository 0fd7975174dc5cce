"""The fault suite (issue 17): scenarios that start a devnet of real guardian processes, inject one
fault (Byzantine guardians, chain faults, network faults, process faults), run the exploit and
record what happened. `scripts/chaos` runs them and prints a table (node.chaos.cli); the
scenarios live one module per fault family, the devnet they share in node.chaos.net."""
