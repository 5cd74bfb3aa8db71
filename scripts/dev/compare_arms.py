"""Paired comparison of two models' `eval holdout --json --per-case` outputs on the same cases:
median AUROC and mean AP per method, on all cases and on the two halves of the terms (by the
parity of the md5 of the case id, as docs/model.md's other dev-split entries), and the median
per-case AUROC difference of each method's arm B over arm A.
usage: compare_arms.py A.json B.json [label_a label_b]"""
import hashlib, json, statistics, sys


def load(path):
    out = {}
    for s in json.load(open(path)):
        out[s["method"]] = {c["id"]: (c["auroc"], c["ap"]) for c in s["per_case"]}
    return out


def half(case_id):
    return int(hashlib.md5(case_id.encode()).hexdigest(), 16) % 2


def figs(cases, ids):
    ids = [i for i in ids if i in cases]
    return statistics.median(cases[i][0] for i in ids), statistics.mean(cases[i][1] for i in ids), len(ids)


a, b = load(sys.argv[1]), load(sys.argv[2])
la, lb = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else ("A", "B")
for m in a:
    if m not in b:
        continue
    ids = sorted(set(a[m]) & set(b[m]))
    halves = [[i for i in ids if half(i) == p] for p in (0, 1)]
    for label, arm in ((la, a[m]), (lb, b[m])):
        auc, ap, n = figs(arm, ids)
        h = [figs(arm, hs)[0] for hs in halves]
        print(f"{m:14s} {label:10s} n={n:5d} AUROC {auc:.4f} AP {ap:.4f} halves {h[0]:.4f} / {h[1]:.4f}")
    d = [b[m][i][0] - a[m][i][0] for i in ids]
    better = sum(x > 0 for x in d) / len(d)
    print(f"{m:14s} {lb}-{la}: median per-case AUROC diff {statistics.median(d):+.4f}, mean {statistics.mean(d):+.4f}, share better {better:.2f}")
