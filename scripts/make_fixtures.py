#!/usr/bin/env python3
"""Cut the test fixtures from the real default data (run scripts/setup.sh first).

The fixture genes are those directly annotated to three GO BP processes that share few genes
(DNA replication, extracellular matrix organization, mRNA processing), so the fixture has real
modules a model can learn. Output, in tests/fixtures/:
  org.Hs.eg.sqlite, GO.sqlite  the two databases in their own schemas, restricted to those genes
                               and the GO terms above their annotations
  go_bp.gmt                    the fixture's propagated GO BP sets (5..2000 genes) as a GMT of
                               symbols, plus genes of the full catalogue outside the fixture
                               (real symbols the fixture store does not know)
  Homo_sapiens.gene_info       NCBI gene_info rows for 30 fixture genes, built from the same data
  dev/org.Hs.eg.sqlite, dev/GO.sqlite
                               the same genes in the development split's older release (3.12,
                               scripts/fetch-dev-data.sh), when data/dev-source has it, with
                               the kegg, pfam, prosite and ec tables too
Re-running gives the same files.
"""
import os, sqlite3, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "data", "source")
DEV_SRC = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "data", "dev-source")
OUT = os.path.join(ROOT, "tests", "fixtures")
PROCESSES = ["GO:0006260", "GO:0030198", "GO:0006397"]
ORG_TABLES = ["gene_info", "genetype", "chromosomes", "cytogenetic_locations", "alias", "ensembl",
              "uniprot", "omim", "pubmed", "go_bp", "go_mf", "go_cc"]
# Only in the dev fixture, which the annotation libraries' tests ingest (the main fixture's
# library list is what the API and enrichment oracles were built on).
ANNOTATION_TABLES = ["kegg", "pfam", "prosite", "ec"]

def copy_schema(src, dst, tables):
    for (sql,) in src.execute(
            f"SELECT sql FROM sqlite_master WHERE type='table' AND name IN ({','.join('?'*len(tables))})", tables):
        dst.execute(sql)

def cut(org_src, go_src, entrez, out, org_tables):
    """org.Hs.eg.sqlite and GO.sqlite in `out`, restricted to the genes with these Entrez ids and
    the GO terms above their annotations. Tables a release lacks (3.12 has no genetype) are left
    out, as in the source."""
    os.makedirs(out, exist_ok=True)
    ids = sorted(i for i, e in org_src.execute("SELECT _id, gene_id FROM genes") if e in entrez)
    idl = ",".join(map(str, ids))
    have = {r[0] for r in org_src.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    tables = [t for t in org_tables if t in have]
    path = os.path.join(out, "org.Hs.eg.sqlite")
    if os.path.exists(path): os.remove(path)
    org = sqlite3.connect(path)
    copy_schema(org_src, org, ["genes", "metadata"] + tables)
    org.executemany("INSERT INTO genes VALUES (?,?)", org_src.execute(f"SELECT * FROM genes WHERE _id IN ({idl}) ORDER BY _id"))
    for t in tables:
        rows = list(org_src.execute(f"SELECT * FROM {t} WHERE _id IN ({idl}) ORDER BY rowid"))
        if rows:
            org.executemany(f"INSERT INTO {t} VALUES ({','.join('?'*len(rows[0]))})", rows)
    org.executemany("INSERT INTO metadata VALUES (?,?)", org_src.execute("SELECT * FROM metadata"))
    org.commit()

    annotated = {r[0] for t in ("go_bp", "go_mf", "go_cc") for r in org.execute(f"SELECT DISTINCT go_id FROM {t}")}
    path = os.path.join(out, "GO.sqlite")
    if os.path.exists(path): os.remove(path)
    go = sqlite3.connect(path)
    tables = ["go_term", "go_synonym", "go_bp_offspring", "go_mf_offspring", "go_cc_offspring", "metadata"]
    copy_schema(go_src, go, tables)
    term_id = {g: i for i, g in go_src.execute("SELECT _id, go_id FROM go_term")}
    keep = {term_id[g] for g in annotated if g in term_id}
    for o in ("bp", "mf", "cc"):
        for t, off in go_src.execute(f"SELECT _id, _offspring_id FROM go_{o}_offspring"):
            if off in keep:
                keep.add(t)
    for o in ("bp", "mf", "cc"):
        go.executemany(f"INSERT INTO go_{o}_offspring VALUES (?,?)",
                       [r for r in go_src.execute(f"SELECT _id, _offspring_id FROM go_{o}_offspring ORDER BY rowid")
                        if r[0] in keep and r[1] in keep])
    go.executemany("INSERT INTO go_term VALUES (?,?,?,?,?)",
                   [r for r in go_src.execute("SELECT * FROM go_term ORDER BY _id") if r[0] in keep])
    go.executemany("INSERT INTO go_synonym VALUES (?,?,?,?)",
                   [r for r in go_src.execute("SELECT * FROM go_synonym ORDER BY rowid") if r[0] in keep])
    go.executemany("INSERT INTO metadata VALUES (?,?)", go_src.execute("SELECT * FROM metadata"))
    go.commit()
    go.execute("VACUUM"); org.execute("VACUUM")
    return org, go, ids, keep

def main():
    org_src = sqlite3.connect(os.path.join(SRC, "org.Hs.eg.sqlite"))
    go_src = sqlite3.connect(os.path.join(SRC, "GO.sqlite"))
    entrez = {r[0] for r in org_src.execute(
        f"SELECT g.gene_id FROM go_bp b JOIN genes g ON g._id = b._id WHERE b.go_id IN ({','.join('?'*len(PROCESSES))})", PROCESSES)}
    org, go, ids, keep = cut(org_src, go_src, entrez, OUT, ORG_TABLES)
    idl = ",".join(map(str, ids))
    # The same genes in the older release of the development time split (scripts/fetch-dev-data.sh).
    if os.path.exists(os.path.join(DEV_SRC, "org.Hs.eg.sqlite")):
        cut(sqlite3.connect(os.path.join(DEV_SRC, "org.Hs.eg.sqlite")), sqlite3.connect(os.path.join(DEV_SRC, "GO.sqlite")),
            entrez, os.path.join(OUT, "dev"), ORG_TABLES + ANNOTATION_TABLES)
    else:
        print(f"no {DEV_SRC}: tests/fixtures/dev left as it is (run scripts/fetch-dev-data.sh)")

    # GO BP as GMT of symbols, propagated like genekg does, plus real symbols outside the fixture.
    symbol = dict(org.execute("SELECT _id, symbol FROM gene_info"))
    direct = {}
    for i, g in org.execute("SELECT _id, go_id FROM go_bp"):
        direct.setdefault(g, set()).add(i)
    go_of = dict(go.execute("SELECT _id, go_id FROM go_term"))
    # Only BP terms: GO.db's root `all` (ontology "universal") also has BP offspring.
    names = dict(go.execute("SELECT go_id, term FROM go_term WHERE ontology = 'BP'"))
    offspring = {}
    for t, o in go.execute("SELECT _id, _offspring_id FROM go_bp_offspring"):
        offspring.setdefault(t, []).append(o)
    outsiders = [s for (s,) in org_src.execute(
        f"SELECT symbol FROM gene_info WHERE _id NOT IN ({idl}) AND symbol LIKE 'ZNF%' ORDER BY _id LIMIT 3")]
    with open(os.path.join(OUT, "go_bp.gmt"), "w") as f:
        for tid, gid in sorted(go_of.items(), key=lambda x: x[1]):
            genes = set(direct.get(gid, ()))
            for o in offspring.get(tid, ()):
                genes |= direct.get(go_of.get(o), set())
            if not 5 <= len(genes) <= 2000 or gid not in names:
                continue
            syms = sorted(symbol[i] for i in genes)
            if gid in PROCESSES:
                syms += outsiders
            f.write("\t".join([f"{names[gid]} ({gid})", "GO_BP fixture"] + syms) + "\n")

    # gene_info rows for the first 30 fixture genes, in NCBI's column layout.
    header = ["#tax_id", "GeneID", "Symbol", "LocusTag", "Synonyms", "dbXrefs", "chromosome", "map_location",
              "description", "type_of_gene", "Symbol_from_nomenclature_authority",
              "Full_name_from_nomenclature_authority", "Nomenclature_status", "Other_designations",
              "Modification_date", "Feature_type"]
    with open(os.path.join(OUT, "Homo_sapiens.gene_info"), "w") as f:
        f.write("\t".join(header) + "\n")
        for _id, entrez in list(org.execute("SELECT _id, gene_id FROM genes ORDER BY _id"))[:30]:
            one = lambda sql: (org.execute(sql, (_id,)).fetchone() or ["-"])[0]
            many = lambda sql: "|".join(r[0] for r in org.execute(sql, (_id,))) or "-"
            sym, name = org.execute("SELECT symbol, gene_name FROM gene_info WHERE _id=?", (_id,)).fetchone()
            syn = "|".join(r[0] for r in org.execute("SELECT alias_symbol FROM alias WHERE _id=?", (_id,)) if r[0] != sym) or "-"
            xrefs = "|".join([f"MIM:{r[0]}" for r in org.execute("SELECT omim_id FROM omim WHERE _id=?", (_id,))] +
                             [f"Ensembl:{r[0]}" for r in org.execute("SELECT ensembl_id FROM ensembl WHERE _id=?", (_id,))]) or "-"
            f.write("\t".join(["9606", entrez, sym, "-", syn, xrefs,
                               one("SELECT chromosome FROM chromosomes WHERE _id=?"),
                               one("SELECT cytogenetic_location FROM cytogenetic_locations WHERE _id=?"),
                               name, one("SELECT gene_type FROM genetype WHERE _id=?"), sym, name, "O", "-",
                               "20220912", "-"]) + "\n")
    print(f"fixture: {len(ids)} genes, {len(keep)} GO terms -> {OUT}")

if __name__ == "__main__":
    main()
