#!/usr/bin/env python3
"""Independent oracle for genekg's enrichment: expected p-values from scipy for fixed gene lists
against the fixture gene sets. Output (committed, read by tests/enrich.rs):

  tests/fixtures/enrich_oracle_inputs.json  the gene lists, the custom background, the ranking
  tests/fixtures/enrich_oracle.tsv          one row per expected result

Libraries (as the test ingests them): ORACLE = tests/fixtures/go_bp.gmt, every set; ORACLE_SMALL =
the same file keeping sets of 5..100 known genes. Genes are resolved by exact symbol against the
fixture org.Hs.eg.sqlite (the GMT's few outside symbols are dropped, as genekg drops them); the
test checks every count (N, K, n, k) before it compares p-values, so a resolution mismatch shows
up as such.

Row kinds:
  ora     list x library x background: sets with overlap >= 1 (the 60 best, the worst and every
          12th); p = hypergeom.sf(k-1, N, K, n),
          ln_p = hypergeom.logsf(k-1, N, K, n), fdr = scipy's Benjamini-Hochberg over every tested
          set of the library (sets without overlap enter with p = 1).
  counts  extreme tails at default-data scale (N up to 77,614, p far below 1e-300), where only
          logsf is finite: compared in log space.
  rank    genes ranked by how many ORACLE sets contain them (ties by Entrez id); for each
          third ORACLE_SMALL set with >= 5 genes, ks_2samp(set ranks, other ranks, alternative=
          "greater", method="asymp"): the running-sum peak and its p-value.

Run: bash -c 'python3 -m venv data/venvs/oracle && data/venvs/oracle/bin/pip install scipy &&
     data/venvs/oracle/bin/python scripts/enrich_oracle.py'   (data/ is git-ignored)
"""
import json, os, sqlite3

import numpy as np
import scipy
from scipy.stats import hypergeom, ks_2samp, false_discovery_control

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")
SMALL = (5, 100)


def load():
    org = sqlite3.connect(os.path.join(FIX, "org.Hs.eg.sqlite"))
    entrez_of = {s.upper(): int(e) for s, e in org.execute(
        "SELECT gi.symbol, g.gene_id FROM gene_info gi JOIN genes g USING (_id)")}
    catalogue = sorted(int(e) for (e,) in org.execute("SELECT gene_id FROM genes"))
    sets = []
    with open(os.path.join(FIX, "go_bp.gmt")) as f:
        for line in f:
            cells = line.rstrip("\n").split("\t")
            genes = sorted({entrez_of[g.upper()] for g in cells[2:] if g.upper() in entrez_of})
            sets.append((cells[0], genes))
    symbol_of = {e: s for s, e in entrez_of.items()}
    return catalogue, sets, symbol_of


def ora_rows(case, library, background, sets, query, universe):
    universe = set(universe)
    q = set(query) & universe
    tested = [(t, set(g) & universe) for t, g in sets if set(g) & universe]
    n, big_n = len(q), len(universe)
    p_all, rows = [], []
    for term, genes in tested:
        k, big_k = len(genes & q), len(genes)
        p = hypergeom.sf(k - 1, big_n, big_k, n) if k > 0 else 1.0
        p_all.append(p)
        if k > 0:
            ln_p = hypergeom.logsf(k - 1, big_n, big_k, n)
            rows.append([case, library, background, term, big_n, big_k, n, k, p, ln_p])
    fdr = dict(zip([t for t, _ in tested], false_discovery_control(np.array(p_all), method="bh")))
    # Keep the file small: the 60 smallest p-values, the largest, and every 12th row between.
    rows.sort(key=lambda r: (r[9], r[3]))
    rows = [r for i, r in enumerate(rows) if i < 60 or i % 12 == 0 or i == len(rows) - 1]
    return [r + [fdr[r[3]]] for r in rows]


def main():
    catalogue, sets, symbol_of = load()
    small = [(t, g) for t, g in sets if SMALL[0] <= len(g) <= SMALL[1]]
    libraries = {"ORACLE": sets, "ORACLE_SMALL": small}
    by_id = {t.rsplit("(", 1)[1].rstrip(")"): g for t, g in sets}
    replication, ecm, mrna = by_id["GO:0006260"], by_id["GO:0030198"], by_id["GO:0006397"]
    # The set closest to half the catalogue: querying it exactly gives the smallest p the fixture
    # allows (about 1/C(430, 215) ~ 1e-127; p < 1e-300 needs a bigger universe: see `counts`).
    half = min(sets, key=lambda s: abs(len(s[1]) - len(catalogue) // 2))
    lists = {
        "replication_30": replication[:30],
        "ecm_10": ecm[::max(1, len(ecm) // 10)][:10],
        "mixed_60": replication[-20:] + ecm[-20:] + mrna[-20:],
        "whole_half_set": half[1],
        "single_gene": [mrna[0]],
    }
    custom = catalogue[:300]
    inputs = {
        "scipy": scipy.__version__,
        "lists": {name: [symbol_of[e] for e in genes] for name, genes in lists.items()},
        "custom_background": [str(e) for e in custom],
        "small_sizes": list(SMALL),
    }
    rows = []
    for name, genes in lists.items():
        for lib, lib_sets in libraries.items():
            lib_universe = sorted({g for _, s in lib_sets for g in s})
            for bg, universe in (("library", lib_universe), ("all", catalogue), ("custom", custom)):
                rows += ora_rows(name, lib, bg, lib_sets, genes, universe)

    for big_n, big_k, n, k in [(18118, 1000, 1000, 1000), (18118, 2000, 1000, 800), (77614, 500, 300, 300),
                               (27339, 300, 300, 150), (77614, 2000, 2000, 1999), (20000, 5000, 1000, 300),
                               (18118, 9000, 9000, 4600), (77614, 20, 300, 1), (18118, 150, 300, 40)]:
        p = hypergeom.sf(k - 1, big_n, big_k, n)
        rows.append(["counts", "-", "-", f"N{big_n}_K{big_k}_n{n}_k{k}", big_n, big_k, n, k, p,
                     hypergeom.logsf(k - 1, big_n, big_k, n), float("nan")])

    # The rank test: score = number of ORACLE sets holding the gene (a real property of the data).
    score = {g: 0 for g in catalogue}
    for _, genes in sets:
        for g in genes:
            score[g] += 1
    order = sorted(catalogue, key=lambda g: (-score[g], g))
    pos = {g: i for i, g in enumerate(order)}
    inputs["rank_scores"] = [[g, score[g]] for g in catalogue]
    for term, genes in small[::3]:
        hits = sorted(pos[g] for g in genes)
        if len(hits) < 5:
            continue
        hit_set = set(hits)
        misses = [i for i in range(len(order)) if i not in hit_set]
        r = ks_2samp(hits, misses, alternative="greater", method="asymp")
        rows.append(["rank", "ORACLE_SMALL", "-", term, len(order), len(hits), 0, 0, r.pvalue,
                     float(np.log(r.pvalue)) if r.pvalue > 0 else float("-inf"), r.statistic])

    with open(os.path.join(FIX, "enrich_oracle_inputs.json"), "w") as f:
        json.dump(inputs, f, indent=1)
    with open(os.path.join(FIX, "enrich_oracle.tsv"), "w") as f:
        f.write("# written by scripts/enrich_oracle.py with scipy %s; for kind rank, the last column is the KS statistic\n" % scipy.__version__)
        f.write("kind\tlibrary\tbackground\tterm\tN\tK\tn\tk\tp\tln_p\tfdr\n")
        for r in rows:
            f.write("\t".join(x if isinstance(x, str) else repr(float(x)) if isinstance(x, float) else str(x)
                              for x in r) + "\n")
    print(f"{len(rows)} rows -> tests/fixtures/enrich_oracle.tsv")


if __name__ == "__main__":
    main()
