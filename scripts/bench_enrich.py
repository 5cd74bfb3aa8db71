#!/usr/bin/env python3
"""Driver for scripts/bench-enrich.sh: genekg versus gseapy's offline `enrich` on the same GMT
files and the same gene lists. Not a test: it prints figures.

usage: bench_enrich.py GENEKG_BIN GENEKG_LITE_BIN DB GMT_DIR LIBRARY...

Gene lists of 100, 300 and 1000 genes are drawn reproducibly (seed 42) from real sets: random
GO_BP sets of 50..500 genes are pooled until the pool is large enough, then sampled. Genes are
Entrez ids in both tools (the GMTs are exported with --ids entrez), so no symbol mapping can
differ. Background: each library's own genes in both (gseapy's default for custom GMTs).

Timed, per list:
  compute      gseapy.enrich() on GMTs already parsed into dicts (its best case) versus genekg's
               in-process query time (index already built; logged by `genekg enrich`)
  end to end   a fresh `python -c "import gseapy; gseapy.enrich(...GMT paths...)"` (median of
               3) versus a fresh `genekg-lite enrich --gmt ...` process on the same GMT files
               (read + index + query + JSON of every set to a file; median of 11; the ratio printed).
               Also shown: the same with `genekg` (which loads libtorch at start); a fresh
               `genekg enrich` on the store (its enrichment index file, see docs/enrichment.md;
               median of 11), and the goal of issue 16: a fresh `genekg-lite enrich` on the store
               (median of 11, the ratio printed); its answers must equal the store's own trees
               read by `--from-store` (every row, every field)
Significant sets: p < 0.001 (the same statistic in both, so the lists must be identical), and
adjusted p < 0.05: gseapy divides by the sets with an overlap, genekg by default by every set
tested (so its list can only be shorter), and with `--fdr-scope overlapping` like gseapy (so
the lists must be identical); the script prints both.
"""
import json, os, random, re, subprocess, sys, time

import gseapy

SIZES = (100, 300, 1000)


def read_gmt(path):
    sets = {}
    with open(path) as f:
        for line in f:
            cells = line.rstrip("\n").split("\t")
            sets[cells[0]] = cells[2:]
    return sets


def draw_lists(go_bp):
    rng = random.Random(42)
    pool_sets = sorted(t for t, g in go_bp.items() if 50 <= len(g) <= 500)
    lists = {}
    for size in SIZES:
        pool = []
        while len(set(pool)) < 2 * size:
            pool += go_bp[rng.choice(pool_sets)]
        lists[size] = rng.sample(sorted(set(pool)), size)
    return lists


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def genekg(binary, db, libraries, genes_file, *extra, gmt=None, runs=1):
    source = ["--gmt", ",".join(gmt)] if gmt else ["--libraries", ",".join(libraries)]
    walls = []
    # The JSON goes to a file, as a pipeline would write it: reading ~9 MB through a Python pipe
    # would time this harness, not genekg.
    result_file = genes_file + ".out.json"
    for _ in range(runs):
        with open(result_file, "w") as sink:
            started = time.perf_counter()
            out = subprocess.run([binary, "--db", db, "enrich", "--genes", genes_file, *source,
                                  "--json", "--first", "0", *extra], stdout=sink, stderr=subprocess.PIPE,
                                 text=True, check=True)
            walls.append(time.perf_counter() - started)
    wall = median(walls)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out.stderr)
    # Log lines, not an interface: a run that no longer logs one reports it as unknown (nan).
    def logged(pattern):
        m = re.search(pattern, plain)
        return float(m.group(1)) if m else float("nan")
    query_ms = logged(r'enrichment done ms="?([0-9.]+)')
    build_s = logged(r'enrichment index (?:built|read).*secs="?([0-9.]+)')
    with open(result_file) as f:
        return json.load(f), wall, query_ms / 1e3, build_s


def main():
    binary, lite, db, gmt_dir, libraries = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
    gmt_paths = {lib: os.path.join(gmt_dir, f"{lib}.gmt") for lib in libraries}
    gmts = {lib: read_gmt(p) for lib, p in gmt_paths.items()}
    n_sets = sum(len(g) for g in gmts.values())
    lists = draw_lists(gmts.get("GO_BP") or next(iter(gmts.values())))
    print(f"gseapy {gseapy.__version__}; {len(libraries)} libraries ({', '.join(libraries)}), {n_sets} sets")
    print(f"{'genes':>5} | {'gseapy compute':>14} {'genekg query':>12} {'ratio':>8} | {'gseapy e2e':>10} "
          f"{'lite --gmt':>10} {'ratio':>6} {'genekg --gmt':>12} {'genekg store':>12} {'lite store':>10} {'ratio':>6} "
          f"{'trees':>6} | p<1e-3 sets (same?) | "
          f"FDR<.05 sets gseapy/genekg (default scope); genekg with gseapy's scope")
    figures = {"gseapy": gseapy.__version__, "libraries": libraries, "sets": n_sets, "lists": []}
    for size, genes in lists.items():
        genes_file = os.path.join(gmt_dir, f"list_{size}.txt")
        with open(genes_file, "w") as f:
            f.write("\n".join(genes) + "\n")
        # gseapy, compute only (dicts parsed beforehand).
        started = time.perf_counter()
        frames = []
        for lib in libraries:
            r = gseapy.enrich(gene_list=genes, gene_sets=gmts[lib], background=None, outdir=None, no_plot=True)
            frames.append((lib, r.results))
        g_compute = time.perf_counter() - started
        # gseapy, end to end in a fresh interpreter.
        code = ("import gseapy,sys; g=[l.strip() for l in open(sys.argv[1])]\n"
                "for p in sys.argv[2:]: gseapy.enrich(gene_list=g, gene_sets=p, background=None, outdir=None, no_plot=True)")
        walls = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code, genes_file] + list(gmt_paths.values()), check=True,
                           capture_output=True)
            walls.append(time.perf_counter() - started)
        g_e2e = median(walls)
        result, k_e2e, k_query, k_build = genekg(binary, db, libraries, genes_file, runs=11)
        lite_store, lite_store_e2e, _, _ = genekg(lite, db, libraries, genes_file, runs=11)
        from_trees, trees_e2e, _, _ = genekg(lite, db, libraries, genes_file, "--from-store")
        as_enrichr, _, _, _ = genekg(binary, db, libraries, genes_file, "--fdr-scope", "overlapping")
        from_gmt, k_gmt_e2e, _, _ = genekg(binary, db, libraries, genes_file, gmt=list(gmt_paths.values()), runs=11)
        from_lite, lite_e2e, _, _ = genekg(lite, db, libraries, genes_file, gmt=list(gmt_paths.values()), runs=11)
        gmt_ids = {r["set_id"] for r in from_gmt["rows"] if r["log10_p"] < -3}
        lite_ids = {r["set_id"] for r in from_lite["rows"] if r["log10_p"] < -3}

        g_p = {f"{lib}:{t}" for lib, df in frames for t, p in zip(df["Term"], df["P-value"]) if p < 1e-3}
        k_p = {r["set_id"] for r in result["rows"] if r["log10_p"] < -3}
        g_fdr = {f"{lib}:{t}" for lib, df in frames for t, q in zip(df["Term"], df["Adjusted P-value"]) if q < 0.05}
        k_fdr = {r["set_id"] for r in result["rows"] if r["fdr"] < 0.05}
        k_fdr_enrichr = {r["set_id"] for r in as_enrichr["rows"] if r["fdr"] < 0.05}
        same = "identical" if g_p == k_p == gmt_ids == lite_ids else \
            f"DIFFER ({len(g_p - k_p)} only gseapy, {len(k_p - g_p)} only genekg, {len(gmt_ids ^ k_p)} --gmt vs store, " \
            f"{len(lite_ids ^ gmt_ids)} lite vs genekg)"
        if lite_store != from_trees or result != from_trees:
            same += " BUT the index file's answers differ from the store's trees!"
        same_fdr = "identical" if g_fdr == k_fdr_enrichr else \
            f"DIFFER ({len(g_fdr - k_fdr_enrichr)} only gseapy, {len(k_fdr_enrichr - g_fdr)} only genekg)"
        fdr_note = "" if k_fdr <= g_fdr else f" ({len(k_fdr - g_fdr)} genekg-only!)"
        print(f"{size:>5} | {g_compute:>13.2f}s {k_query * 1e3:>10.1f}ms {g_compute / k_query:>7.0f}x | "
              f"{g_e2e:>9.2f}s {lite_e2e:>9.3f}s {g_e2e / lite_e2e:>5.0f}x {k_gmt_e2e:>11.3f}s {k_e2e:>11.3f}s "
              f"{lite_store_e2e:>9.3f}s {g_e2e / lite_store_e2e:>5.0f}x {trees_e2e:>5.2f}s | "
              f"{len(k_p):>5} {same} | "
              f"{len(g_fdr)}/{len(k_fdr)}{fdr_note}; --fdr-scope overlapping: {len(k_fdr_enrichr)} {same_fdr}")
        sys.stdout.flush()
        figures["lists"].append({
            "genes": size, "gseapy_compute_s": g_compute, "genekg_query_s": k_query, "gseapy_e2e_s": g_e2e,
            "lite_gmt_e2e_s": lite_e2e, "genekg_gmt_e2e_s": k_gmt_e2e, "genekg_store_e2e_s": k_e2e,
            "lite_store_e2e_s": lite_store_e2e, "lite_trees_e2e_s": trees_e2e,
            "significant_sets": len(k_p), "significant_identical": same == "identical",
            "fdr_identical_gseapy_scope": same_fdr == "identical",
        })
    if os.environ.get("BENCH_ENRICH_JSON"):
        with open(os.environ["BENCH_ENRICH_JSON"], "w") as f:
            json.dump(figures, f, indent=2)
    print(f"(store: read from the store's enrichment index file, {k_build:.3f}s in the last genekg run; trees: the same")
    print(" answers read from the store's sled trees (--from-store, one run); every genekg process also loads libtorch,")
    print(" which the binary links for the model; genekg-lite does not)")


if __name__ == "__main__":
    main()
