#!/usr/bin/env python3
"""Independent oracle for `genekg model import`: a checkpoint in the published GSFM layout, written
and evaluated with numpy (no genekg code, no libtorch), and the logits it must give.

The published model (github.com/MaayanLab/gsfm) is a PyTorch module whose encoder and decoder are
`layers = ModuleList([Linear, ReLU, Dropout, Linear, ...])` with the last ReLU and Dropout dropped,
so with depth 2 the Linear layers sit at indices 0 and 3 of each list:
    encoder.layers.0  [512, V]    encoder.layers.3  [256, 512]
    decoder.layers.0  [256, 256]  decoder.layers.3  [V, 256]
A PyTorch Linear computes x @ W.T + b. The input is the multi-hot vector of the set's vocabulary
columns (`<unk>` = 0 for tokens outside the vocabulary, `<pad>` = 1 always zeroed); in eval mode
dropout is the identity. vocab.txt lists one token (a gene symbol) per line, specials first.

Output (committed, read by tests/model.rs):
  tests/fixtures/gsfm_import/model.safetensors, vocab.txt, config.json   the checkpoint
  tests/fixtures/gsfm_import/expected.json   input sets (symbols) -> logits over every column

The model is small (d_model 8) so the fixture stays a few KB; the layout is the published one.
Run: bash -c 'python3 -m venv data/venvs/oracle && data/venvs/oracle/bin/pip install numpy safetensors &&
     data/venvs/oracle/bin/python scripts/import_oracle.py'   (data/ is git-ignored)
"""
import json, os

import numpy as np
from safetensors.numpy import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "gsfm_import")

# Genes of the fixture catalogue (DNA replication and extracellular matrix modules), plus one
# symbol the catalogue does not know, as a published vocabulary holds genes a local one lacks.
GENES = ["MCM2", "MCM4", "MCM5", "MCM6", "MCM7", "POLA1", "POLD1", "RFC3",
         "COL1A1", "COL1A2", "COL3A1", "COL5A1", "NOT_IN_THIS_CATALOGUE"]
VOCAB = ["<unk>", "<pad>"] + GENES
D_MODEL = 8
# (input symbols) -> logits; "NOPE" is outside the vocabulary and switches on <unk>.
INPUTS = [["MCM2", "MCM4", "POLA1"], ["COL1A1", "COL3A1"], ["MCM6", "NOPE"], ["RFC3"]]


def dims(v, d_model, depth=2):
    enc = [v] + [d_model * 2 ** (n - 1) for n in range(depth, 1, -1)] + [d_model]
    dec = [d_model] + [d_model * 2 ** (n - 1) for n in range(1, depth)] + [v]
    return enc, dec


def main():
    rng = np.random.default_rng(42)
    v = len(VOCAB)
    enc, dec = dims(v, D_MODEL)
    tensors = {}
    for part, sizes in (("encoder", enc), ("decoder", dec)):
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            bound = 1 / np.sqrt(a)
            tensors[f"{part}.layers.{3 * i}.weight"] = rng.uniform(-bound, bound, (b, a)).astype(np.float32)
            tensors[f"{part}.layers.{3 * i}.bias"] = rng.uniform(-bound, bound, (b,)).astype(np.float32)

    def mlp(part, sizes, x):
        n = len(sizes) - 1
        for i in range(n):
            x = x @ tensors[f"{part}.layers.{3 * i}.weight"].T + tensors[f"{part}.layers.{3 * i}.bias"]
            if i < n - 1:
                x = np.maximum(x, 0)
        return x

    lookup = {t: i for i, t in enumerate(VOCAB)}
    cases = []
    for genes in INPUTS:
        x = np.zeros(v, dtype=np.float32)
        for g in genes:
            x[lookup.get(g, 0)] = 1
        x[1] = 0
        logits = mlp("decoder", dec, mlp("encoder", enc, x[None, :].astype(np.float64)))[0]
        cases.append({"input": genes, "logits": [float(l) for l in logits]})

    os.makedirs(OUT, exist_ok=True)
    save_file(tensors, os.path.join(OUT, "model.safetensors"))
    with open(os.path.join(OUT, "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    config = {"vocab_size": v, "d_model": D_MODEL, "depth": 2, "dropout": 0.2, "partition": 0, "weighted_loss": "none"}
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"vocab": VOCAB, "cases": cases}, f, indent=1)
    print(f"wrote {OUT}: V={v}, {sum(t.size for t in tensors.values())} parameters, {len(cases)} cases")


if __name__ == "__main__":
    main()
