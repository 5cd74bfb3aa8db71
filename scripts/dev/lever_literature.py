"""Adds literature features to lever_features.py rows: recent papers and co-mention.

Usage: lever_literature.py SOURCE_DIR FEATURES_IN OUT ONTOLOGY(bp|mf|cc)
SOURCE_DIR holds the release the model was trained on; every paper is read from its
org.Hs.eg.sqlite `pubmed` table (all gene-paper links, also papers of 2-4 genes, which the
PubMed library leaves out). Why these: curators annotate from recent papers, and a paper that
names a candidate beside the term's genes is the evidence a new annotation would cite.

Columns added:
- rpubs2, rpubs5: the gene's papers among the newest (PMID above the release's newest minus
  2,000,000 / 5,000,000, about 1.7 / 4 years).
- com_small, com_big: co-mention of the gene with the term's genes, summed over papers of 2-4
  and of 5-200 genes; each paper counts the share of its genes that are in the term.
"""
import collections, sqlite3, sys

src, feat, out, ont = sys.argv[1:5]
org = sqlite3.connect(f"{src}/org.Hs.eg.sqlite")
ent = dict(org.execute("select _id, gene_id from genes"))
links = [(int(ent[i]), int(p)) for i, p in org.execute("select _id, pubmed_id from pubmed")]
newest = max(p for _, p in links)
paper_genes = collections.defaultdict(list)
for g, p in links:
    paper_genes[p].append(g)
gene_papers = collections.defaultdict(list)
for p, gs in paper_genes.items():
    for g in gs:
        gene_papers[g].append(p)

def papers_after(threshold):
    return collections.Counter(g for g, p in links if p > threshold)

recent2, recent5 = papers_after(newest - 2_000_000), papers_after(newest - 5_000_000)
members = collections.defaultdict(set)
for _id, go_id in org.execute(f"select _id, go_id from go_{ont}_all"):
    members[go_id].add(int(ent[_id]))

def comention(go_id):
    term = members.get(go_id, set())
    small, big, seen = collections.Counter(), collections.Counter(), set()
    for x in term:
        for p in gene_papers.get(x, ()):
            if p in seen:
                continue
            seen.add(p)
            genes = paper_genes[p]
            if len(genes) > 200:
                continue
            share = sum(1 for y in genes if y in term) / len(genes)
            bucket = small if len(genes) < 5 else big
            for y in genes:
                bucket[y] += share
    return small, big

current = (None, None)
with open(feat) as f, open(out, "w") as w:
    header = f.readline().rstrip("\n").split("\t")
    w.write("\t".join(header + ["rpubs2", "rpubs5", "com_small", "com_big"]) + "\n")
    for line in f:
        r = line.rstrip("\n").split("\t")
        g, go_id = int(r[1]), r[0].split(":", 1)[1]
        if current[0] != go_id:
            current = (go_id, comention(go_id))
        small, big = current[1]
        w.write("\t".join(r + [str(recent2[g]), str(recent5[g]), f"{small[g]:.4f}", f"{big[g]:.4f}"]) + "\n")
