"""Gradient-boosted trees against the logistic fit, on lever features (docs/model.md, Levers).

Usage: lever_trees.py LITERATURE.tsv (the output of lever_literature.py).
Fits each feature set with a logistic regression and with histogram gradient-boosted trees on
half of the terms and scores the other half (median AUROC per case), both ways; then again with
the genes split too (fit on one half of the genes, scored on the other). Why the second split:
GO propagates, so a gene added to a term is added to its ancestors as well, and a model that can
tell genes apart by their priors (trees can; a linear score cannot) learns from the fitting
half's terms which genes the newer release added, and finds them again in the other half's.
"""
import csv, sys
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

rows = csv.reader(open(sys.argv[1]), delimiter="\t")
head = next(rows)
cols = list(zip(*rows))
col = {n: i for i, n in enumerate(head)}
F = lambda n: np.array(cols[col[n]], dtype=float)
case, gene, y = np.array(cols[0]), np.array(cols[1]), np.array(cols[2], dtype=int)
X = {n: F(n) for n in ["gsfm", "text_name", "text_def", "in_parent", "parent_ratio", "pfam_share"]}
X["log_cooc"] = np.log(F("cooc") + 1e-3)
X["log_freq"], X["log_pubs"], X["log_direct"] = np.log1p(F("freq")), np.log1p(F("pubs")), np.log1p(F("direct"))
X["iea_share"] = F("iea") / np.maximum(1, F("direct"))
X["log_rpubs5"] = np.log1p(F("rpubs5"))
X["log_com_small"], X["log_com_big"] = np.log(F("com_small") + 1e-3), np.log(F("com_big") + 1e-3)

order = np.argsort(case, kind="stable")
cs = case[order]
bounds = np.flatnonzero(np.r_[True, cs[1:] != cs[:-1], True])
groups = {cs[bounds[i]]: order[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)}
cases = np.array(sorted(groups))
terms_a = np.isin(case, np.random.default_rng(0).permutation(cases)[: len(cases) // 2])
genes = np.unique(gene)
genes_a = np.isin(gene, np.random.default_rng(1).permutation(genes)[: len(genes) // 2])

def med_auc(score, rows):
    a = []
    for ii in groups.values():
        ii = ii[rows[ii]]
        if 0 < y[ii].sum() < len(ii):
            a.append(roc_auc_score(y[ii], score[ii]))
    return np.median(a)

def fit(names, kind, fit_rows, test_rows):
    M = np.column_stack([X[n] for n in names])
    if kind == "logistic":
        mu, sd = M[fit_rows].mean(0), M[fit_rows].std(0) + 1e-9
        Z = (M - mu) / sd
        s = Z @ LogisticRegression(C=1.0, max_iter=500, class_weight="balanced").fit(Z[fit_rows], y[fit_rows]).coef_[0]
    else:
        m = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_leaf_nodes=31, min_samples_leaf=200,
                                           l2_regularization=1.0, random_state=0).fit(M[fit_rows], y[fit_rows])
        s = m.decision_function(M)
    return med_auc(s, test_rows)

everything = np.ones(len(y), bool)
splits = {
    "terms": [(terms_a, ~terms_a), (~terms_a, terms_a)],
    "terms and genes": [(terms_a & genes_a, ~terms_a & ~genes_a), (~terms_a & ~genes_a, terms_a & genes_a)],
}
priors = ["gsfm", "log_freq", "log_pubs"]
every = priors + ["log_cooc", "log_direct", "iea_share", "log_rpubs5", "log_com_small", "log_com_big",
                  "text_name", "text_def", "in_parent", "parent_ratio", "pfam_share"]
for split, pairs in splits.items():
    print(f"split by {split}: logit alone " + " / ".join(f"{med_auc(X['gsfm'], t):.4f}" for _, t in pairs), flush=True)
    for names in [priors, every]:
        for kind in ["logistic", "trees"]:
            got = " / ".join(f"{fit(names, kind, f, t):.4f}" for f, t in pairs)
            print(f"  {kind:8s} {'+'.join(names)}: {got}", flush=True)
