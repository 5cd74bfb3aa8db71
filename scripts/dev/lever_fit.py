"""Fits logistic combinations of lever features on half of the terms and scores the other half.

Usage: lever_fit.py FEATURES.tsv (the output of lever_features.py). Prints each feature's own
median AUROC per half, then each combination fitted on one half of the terms and measured on the
other (term-disjoint), with its weights per unit of the raw feature.
"""
import numpy as np, sys, collections
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
import csv
f = sys.argv[1]
rows = list(csv.reader(open(f), delimiter="\t"))
h = rows[0]; rows = rows[1:]
col = {n: i for i, n in enumerate(h)}
case = np.array([r[0] for r in rows]); y = np.array([int(r[2]) for r in rows])
def F(n): return np.array([float(r[col[n]]) for r in rows])
X = {n: F(n) for n in ["gsfm","gsfm_z","ae_z","cooc","cooc_z","freq","text_name","text_def","in_parent","parent_ratio","direct","iea","pubs","pfam_share","n_input"]}
X["log_freq"] = np.log1p(X["freq"]); X["log_pubs"] = np.log1p(X["pubs"]); X["log_direct"] = np.log1p(X["direct"]); X["iea_share"] = X["iea"]/np.maximum(1,X["direct"])
X["log_cooc"] = np.log(X["cooc"] + 1e-3)
# lever_literature.py's columns, when the rows have them.
literature = all(n in col for n in ["rpubs2", "rpubs5", "com_small", "com_big"])
if literature:
    for n in ["rpubs2", "rpubs5"]: X["log_" + n] = np.log1p(F(n))
    for n in ["com_small", "com_big"]: X["log_" + n] = np.log(F(n) + 1e-3)
    X["log_comention"] = np.log(F("com_small") + F("com_big") + 1e-3)
cases = np.unique(case)
idx = collections.defaultdict(list)
for i, c in enumerate(case): idx[c].append(i)
idx = {c: np.array(v) for c, v in idx.items()}
def med_auc(score, subset):
    a = []
    for c in subset:
        ii = idx[c]
        if y[ii].min() == y[ii].max(): continue
        a.append(roc_auc_score(y[ii], score[ii]))
    return np.median(a)
rng = np.random.default_rng(0)
half = set(rng.permutation(cases)[: len(cases)//2])
A = [c for c in cases if c in half]; B = [c for c in cases if c not in half]
for n in ["gsfm","gsfm_z","ae_z","cooc","text_name","text_def","in_parent","parent_ratio","log_freq","log_pubs","log_direct","iea_share","pfam_share"]:
    print(f"{n:14s} A {med_auc(X[n], A):.4f}  B {med_auc(X[n], B):.4f}")
def fit(names, train, test):
    mtr = np.isin(case, train); mte = np.isin(case, test)
    M = np.column_stack([X[n] for n in names])
    mu = M[mtr].mean(0); sd = M[mtr].std(0) + 1e-9
    M = (M - mu) / sd
    lr = LogisticRegression(C=1.0, max_iter=500, class_weight="balanced").fit(M[mtr], y[mtr])
    s = M @ lr.coef_[0]
    return med_auc(s, test), dict(zip(names, np.round(lr.coef_[0] / sd, 3)))
sets = [
  ["gsfm"], ["gsfm","log_cooc"], ["gsfm","log_freq","log_pubs"],
  ["gsfm","text_name","text_def"], ["gsfm","in_parent","parent_ratio"], ["gsfm","pfam_share"],
  ["gsfm","log_cooc","log_freq","log_pubs","log_direct","iea_share"],
  ["gsfm","log_cooc","text_name","text_def","in_parent","parent_ratio","pfam_share","log_freq","log_pubs","log_direct","iea_share"],
  ["gsfm","ae_z","log_cooc","text_name","text_def","pfam_share","log_freq","log_pubs","log_direct","iea_share"],
]
if literature:
    priors = ["gsfm", "log_freq", "log_pubs"]
    sets += [priors + ["log_rpubs2"], priors + ["log_rpubs5"], priors + ["log_com_small"], priors + ["log_com_big"],
             priors + ["log_com_small", "log_com_big"],
             ["gsfm", "log_cooc", "log_freq", "log_pubs", "log_direct", "iea_share", "log_rpubs5", "log_com_small", "log_com_big"]]
    for n in ["log_rpubs2", "log_rpubs5", "log_com_small", "log_com_big"]:
        print(f"{n:14s} A {med_auc(X[n], A):.4f}  B {med_auc(X[n], B):.4f}")
for names in sets:
    a1, w = fit(names, A, B); a2, _ = fit(names, B, A)
    print(f"{'+'.join(names)}: fit A->B {a1:.4f}  B->A {a2:.4f}  {w}")
