"""Coverage-guided fuzzing of every decoder the node applies to untrusted input.

One target per decoder (`targets_wire`, `targets_files`, `targets_chain`; by name in `registry`),
each asserting that the decoder refuses bad input only with its typed errors (`harness`). `engine`
runs a target under atheris (libFuzzer) in a child process; `replay` runs the corpus and seeded
mutations of it in-process (the short run in the default tests); `seeds` writes the seed corpus
kept in tests/fuzz_corpus/<target>/. `scripts/fuzz-decoders` is the CLI (`python -m node.fuzzing`).
"""
