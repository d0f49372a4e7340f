"""Baseline for bench/learn: scikit-learn's LogisticRegression with default parameters
(penalty l2, C=1, lbfgs, max_iter 100, tol 1e-4) on the CSV files Orchard wrote
(features..., target last), standardised as Orchard standardises: mean and population
standard deviation of the present training values, a missing value becoming 0.
The timed part is standardising plus fitting, as Orchard's fit does both.
Prints one JSON line: seconds, iterations, test AUC."""
import json
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

train = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float64)
test = np.loadtxt(sys.argv[2], delimiter=",", dtype=np.float64)


def standardise(X, mean, scale):
    Z = (X - mean) / scale
    Z[np.isnan(Z)] = 0.0
    return Z


started = time.perf_counter()
X = train[:, :-1]
mean = np.nanmean(X, axis=0)
scale = np.nanstd(X, axis=0)
scale[scale == 0] = 1.0
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", ConvergenceWarning)
    model = LogisticRegression().fit(standardise(X, mean, scale), train[:, -1])
seconds = time.perf_counter() - started
auc = roc_auc_score(test[:, -1], model.predict_proba(standardise(test[:, :-1], mean, scale))[:, 1])
converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
print(json.dumps({"seconds": seconds, "iterations": int(model.n_iter_[0]), "auc": float(auc), "converged": converged}))
