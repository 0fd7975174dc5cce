"""The detection corpus: small vulnerable and normal protocol setups with drivers against anvil,
each labelled exploit or benign with its harmful transaction named (`node.corpus.registry`).
`scripts/bench detection` runs them against guardians; tests/corpus checks their on-chain effect."""
