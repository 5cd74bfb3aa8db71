"""Fits the served co-mention path's shape (src/model/comention.rs) on the development split.

Usage: comention_fit.py FEATURES-BP.tsv FEATURES-MF.tsv FEATURES-CC.tsv
(`genekg eval holdout --features-out` rows of a model that has the co-mention path, any weight:
they carry the candidate's co-mention `comention` and the term it added, `comention_term`.)
The logit without the path, `gsfm - comention_term`, is what the model serves without it (the
gene prior included). For each scale k, a logistic regression of "added" on that logit and
ln(1 + c / k) gives the path's weight per logit unit (what `comention` in config.json holds),
pooled over BP, MF and CC, and fitted on half of each ontology's terms it is scored on the other
half (median AUROC, A -> B / B -> A), as lever_fit.py splits them.
"""
import collections, csv, sys
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

SCALES = [0.001, 0.01, 0.1, 0.25, 0.5, 1.0, 2.0]


def load(path):
    rows = list(csv.reader(open(path), delimiter="\t"))
    col = {n: i for i, n in enumerate(rows[0])}
    if "comention" not in col:
        sys.exit(f"{path} has no comention column: give the model the path first (`genekg model comention`)")
    rows = rows[1:]
    f = lambda n: np.array([float(r[col[n]]) for r in rows])
    case = np.array([r[0] for r in rows])
    y = np.array([int(r[2]) for r in rows])
    return case, y, f("gsfm") - f("comention_term"), f("comention")


def weight(base, feature, y):
    c = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced").fit(np.column_stack([base, feature]), y).coef_[0]
    return c[1] / c[0]


def median_auroc(case, y, score, keep):
    idx = collections.defaultdict(list)
    for i, c in enumerate(case):
        if c in keep:
            idx[c].append(i)
    return np.median([roc_auc_score(y[v], score[v]) for v in map(np.array, idx.values()) if y[v].min() != y[v].max()])


data = {p: load(p) for p in sys.argv[1:]}
halves = {}
for p, (case, *_rest) in data.items():
    cases = np.unique(case)
    half = set(np.random.default_rng(0).permutation(cases)[: len(cases) // 2])
    halves[p] = (half, set(cases) - half)
print("share of rows with any co-mention: " + ", ".join(f"{p}: {np.mean(d[3] > 0):.3f}" for p, d in data.items()))
print("median AUROC without the path, half B / half A (as the fits below score them): " + ", ".join(f"{p}: {median_auroc(d[0], d[1], d[2], halves[p][1]):.4f} / {median_auroc(d[0], d[1], d[2], halves[p][0]):.4f}" for p, d in data.items()))
best = None
for k in SCALES:
    feat = {p: np.log1p(d[3] / k) for p, d in data.items()}
    pooled = weight(np.concatenate([d[2] for d in data.values()]), np.concatenate(list(feat.values())), np.concatenate([d[1] for d in data.values()]))
    per = {p: weight(d[2], feat[p], d[1]) for p, d in data.items()}
    # Half-disjoint: fit on the A halves of every ontology pooled, score the B halves, and back.
    cross, scores = {}, []
    for fit_half, score_half in [(0, 1), (1, 0)]:
        sel = {p: np.isin(d[0], list(halves[p][fit_half])) for p, d in data.items()}
        w = weight(np.concatenate([d[2][sel[p]] for p, d in data.items()]), np.concatenate([feat[p][sel[p]] for p in data]), np.concatenate([d[1][sel[p]] for p, d in data.items()]))
        for p, d in data.items():
            a = median_auroc(d[0], d[1], d[2] + w * feat[p], halves[p][score_half])
            cross.setdefault(p, []).append(a)
            scores.append(a)
        cross.setdefault("weights", []).append(w)
    print(f"scale {k}: pooled weight {pooled:.3f}; per ontology " + ", ".join(f"{p}: {w:.3f}" for p, w in per.items()))
    print("    fit on A -> B / B -> A: " + ", ".join(f"{p}: {v[0]:.4f} / {v[1]:.4f}" for p, v in cross.items() if p != "weights") + f"; half weights {cross['weights'][0]:.3f} / {cross['weights'][1]:.3f}")
    if best is None or np.mean(scores) > best[0]:
        best = (np.mean(scores), k, pooled)
print(f"best scale {best[1]} (mean half-disjoint median AUROC {best[0]:.4f}): weight {best[2]:.3f}")
