"""Fits the served gene prior's weights (src/model/prior.rs) on the development split.

Usage: prior_fit.py FEATURES-BP.tsv FEATURES-MF.tsv FEATURES-CC.tsv (lever_features.py output).
A logistic regression of "added" on the model's logit, ln(1 + training sets) and ln(1 + papers),
per ontology and pooled; prints each count's weight per logit unit (what `gene_prior` in
config.json holds) and the median AUROC of the logit with and without that bias.
"""
import collections, csv, sys
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

def load(path):
    rows = list(csv.reader(open(path), delimiter="\t"))
    col = {n: i for i, n in enumerate(rows[0])}
    rows = rows[1:]
    f = lambda n: np.array([float(r[col[n]]) for r in rows])
    case = np.array([r[0] for r in rows])
    y = np.array([int(r[2]) for r in rows])
    m = np.column_stack([f("gsfm"), np.log1p(f("freq")), np.log1p(f("pubs"))])
    return case, y, m

def weights(m, y):
    c = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced").fit(m, y).coef_[0]
    return c[1] / c[0], c[2] / c[0]

def median_auroc(case, y, score):
    idx = collections.defaultdict(list)
    for i, c in enumerate(case):
        idx[c].append(i)
    return np.median([roc_auc_score(y[v], score[v]) for v in map(np.array, idx.values()) if y[v].min() != y[v].max()])

data = [load(p) for p in sys.argv[1:]]
for path, (case, y, m) in zip(sys.argv[1:], data):
    print(f"{path}: weights {np.round(weights(m, y), 3)}")
pooled = weights(np.vstack([m for _, _, m in data]), np.concatenate([y for _, y, _ in data]))
print(f"pooled: weights {np.round(pooled, 3)}")
for path, (case, y, m) in zip(sys.argv[1:], data):
    biased = m[:, 0] + pooled[0] * m[:, 1] + pooled[1] * m[:, 2]
    print(f"{path}: median AUROC logit {median_auroc(case, y, m[:, 0]):.4f}, with the pooled prior {median_auroc(case, y, biased):.4f}")
