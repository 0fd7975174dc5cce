// Reads [[address, amount-string], ...] trees as JSON on stdin; prints, for each, the root, the
// node array and every leaf's proof as built by @openzeppelin/merkle-tree (the reference).
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  const out = JSON.parse(input).map((values) => {
    const tree = StandardMerkleTree.of(values, ["address", "uint256"]);
    const dump = tree.dump();
    return {
      root: tree.root,
      tree: dump.tree,
      proofs: values.map((_, i) => tree.getProof(i)),
    };
  });
  process.stdout.write(JSON.stringify(out));
});
