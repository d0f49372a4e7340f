"""Baseline for bench/learn: scikit-learn's HistGradientBoostingClassifier with
default parameters on the CSV files Orchard wrote (features..., target last).
Prints one JSON line: fit seconds, iterations, test AUC."""
import json
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

train = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float64)
test = np.loadtxt(sys.argv[2], delimiter=",", dtype=np.float64)
started = time.perf_counter()
model = HistGradientBoostingClassifier(random_state=0).fit(train[:, :-1], train[:, -1])
seconds = time.perf_counter() - started
auc = roc_auc_score(test[:, -1], model.predict_proba(test[:, :-1])[:, 1])
print(json.dumps({"seconds": seconds, "iterations": int(model.n_iter_), "auc": float(auc)}))
