"""Adds text, hierarchy, gene-prior and domain features to `genekg eval holdout --features-out` rows.

Usage: lever_features.py SOURCE_DIR FEATURES_IN OUT ONTOLOGY(bp|mf|cc)
SOURCE_DIR holds the release the model was trained on (GO.sqlite, org.Hs.eg.sqlite): every
feature is read from that release only, never from the newer one the cases come from.
"""
import sqlite3, sys, re, math, collections
import numpy as np
src = sys.argv[1]; dump = sys.argv[2]; out = sys.argv[3]; ont = sys.argv[4]
go = sqlite3.connect(f"{src}/GO.sqlite"); org = sqlite3.connect(f"{src}/org.Hs.eg.sqlite")
ent = dict(org.execute("select _id, gene_id from genes"))
STOP = set("of the and in to a by or process regulation positive negative involved via activity protein cellular cell".split())
def toks(s):
    return [t for t in re.findall(r"[a-z0-9]+", s.lower()) if len(t) > 2 and t not in STOP]
def stem(t):
    for suf in ("ation","ing","ic","al","es","s"):
        if t.endswith(suf) and len(t)-len(suf) >= 4: return t[:-len(suf)]
    return t
gene_text = collections.defaultdict(list)
for _id, name, sym in org.execute("select _id, gene_name, symbol from gene_info"):
    gene_text[int(ent[_id])] += [stem(t) for t in toks(name)]
terms = {}
for gid, term, _o, d in go.execute("select go_id, term, ontology, definition from go_term"):
    terms[gid] = ([stem(t) for t in toks(term)], [stem(t) for t in toks(d or "")])
# idf over gene names
df = collections.Counter()
for g, ts in gene_text.items(): df.update(set(ts))
N = len(gene_text)
idf = {t: math.log(N / (1 + c)) for t, c in df.items()}
def vec(ts):
    c = collections.Counter(ts); v = {t: n * idf.get(t, math.log(N)) for t, n in c.items()}
    norm = math.sqrt(sum(x*x for x in v.values())) or 1
    return {t: x / norm for t, x in v.items()}
gvec = {g: vec(ts) for g, ts in gene_text.items()}
def cos(a, b): return sum(x * b.get(t, 0) for t, x in a.items())
# hierarchy and propagated membership (old release)
idx = dict(go.execute("select _id, go_id from go_term"))
parents = collections.defaultdict(list)
for c, p, r in go.execute(f"select _id, _parent_id, relationship_type from go_{ont}_parents"):
    parents[idx[c]].append(idx[p])
members = collections.defaultdict(set)
for _id, gid in org.execute(f"select _id, go_id from go_{ont}_all"):
    members[gid].add(int(ent[_id]))
direct = collections.Counter(int(ent[i]) for (i,) in org.execute(f"select _id from go_{ont}"))
iea = collections.Counter(int(ent[i]) for (i,) in org.execute(f"select _id from go_{ont} where evidence='IEA'"))
pubs = collections.Counter(int(ent[i]) for (i,) in org.execute("select _id from pubmed"))
pf = collections.defaultdict(set); pfg = collections.defaultdict(set)
for _id, p in org.execute("select _id, pfam_id from pfam where pfam_id is not null"):
    pf[int(ent[_id])].add(p); pfg[p].add(int(ent[_id]))
cache = {}
with open(dump) as f, open(out, "w") as w:
    header = f.readline().rstrip("\n").split("\t")
    w.write("\t".join(header + ["text_name", "text_def", "in_parent", "parent_ratio", "direct", "iea", "pubs", "pfam_share"]) + "\n")
    for line in f:
        r = line.rstrip("\n").split("\t")
        case, g = r[0], int(r[1])
        goid = case.split(":", 1)[1]
        if goid not in cache:
            tn, td = terms.get(goid, ([], []))
            ps = parents.get(goid, [])
            inp = members.get(goid, set())
            pfc = collections.Counter()
            for x in inp:
                for p in pf.get(x, ()): pfc[p] += 1
            cache[goid] = (vec(tn), vec(tn + td), ps, len(inp), pfc)
        tv, dv, ps, n, pfc = cache[goid]
        gv = gvec.get(g, {})
        inpar = [p for p in ps if g in members.get(p, ())]
        ratio = max((n / max(1, len(members[p])) for p in inpar), default=0.0)
        pshare = max((pfc[p] / max(1, n) for p in pf.get(g, ())), default=0.0)
        w.write("\t".join(r + [f"{cos(tv, gv):.4f}", f"{cos(dv, gv):.4f}", f"{len(inpar)/max(1,len(ps)):.3f}", f"{ratio:.4f}", str(direct[g]), str(iea[g]), str(pubs[g]), f"{pshare:.4f}"]) + "\n")
