#!/usr/bin/env python3
"""Independent oracle for genekg's rank test (model-augmented enrichment) from blitzGSEA, the
engine the reference site runs on the model's ranking. Output (committed, read by
tests/enrich.rs): tests/fixtures/rank_oracle.tsv, one row per ORACLE_SMALL set of >= 5 genes:
term, size, blitzGSEA's ES, NES and p-value; its header holds the ranking (Entrez:score).

Ranking: every fixture catalogue gene scored by how many fixture GO BP sets hold it (a real
property of the data) plus a tie-breaker below 1 falling with the Entrez id, so the order is the
same in both programs (blitzGSEA's sort is not stable); scores are rounded to float32, the type
genekg takes. Sets as scripts/enrich_oracle.py reads them (ORACLE_SMALL: 5..100 known genes).

What must agree (tests/enrich.rs): the ES exactly (same statistic: GSEA's weighted running sum
over centred scores, weight |score|), for sets whose peak is positive; p-values only roughly,
because each program fits its own null from its own random sets (blitzGSEA: loess across
sizes, a two-sided p; genekg: linear in log size, the upper tail).

Run: python3 -m venv data/venvs/oracle && data/venvs/oracle/bin/pip install blitzgsea==1.3.54 &&
     data/venvs/oracle/bin/python scripts/rank_oracle.py
"""
import os, sys

import numpy as np
import pandas as pd
import blitzgsea

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from enrich_oracle import FIX, SMALL, load  # noqa: E402


def main():
    catalogue, sets, _ = load()
    small = {t: g for t, g in sets if SMALL[0] <= len(g) <= SMALL[1]}
    count = {g: 0 for g in catalogue}
    for _, genes in sets:
        for g in genes:
            count[g] += 1
    n = len(catalogue)
    score = {g: float(np.float32(count[g] + 0.5 * (n - i) / n)) for i, g in enumerate(catalogue)}
    signature = pd.DataFrame({"i": [str(g) for g in catalogue], "v": [score[g] for g in catalogue]})
    library = {t: [str(g) for g in genes] for t, genes in small.items()}
    res = blitzgsea.gsea(signature, library, permutations=2000, min_size=5, max_size=1000, processes=2, seed=1)  # processes=1 hits a bug in 1.3.54
    with open(os.path.join(FIX, "rank_oracle.tsv"), "w") as f:
        f.write(f"# written by scripts/rank_oracle.py with blitzgsea {getattr(blitzgsea, '__version__', '1.3.54')}\n")
        f.write("# scores " + " ".join(f"{g}:{score[g]!r}" for g in catalogue) + "\n")
        f.write("term\tsize\tes\tnes\tpval\n")
        for term, r in res.iterrows():
            f.write(f"{term}\t{int(r.geneset_size)}\t{r.es!r}\t{r.nes!r}\t{r.pval!r}\n")
    print(f"{len(res)} sets -> tests/fixtures/rank_oracle.tsv")


if __name__ == "__main__":
    main()
