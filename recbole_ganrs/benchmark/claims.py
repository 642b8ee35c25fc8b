"""The paper's claims (../shared/DESIGN.md), each checked on every dataset of a run.

Each check counts the cells where the claim holds (k) among those it applies to
(m) and says ``holds (k/m)`` only when k = m:

- with N: precision falls and recall rises from the smallest to the largest N (per model and q);
- with q: precision is higher at the lower q, recall at the higher q (per model and N);
- with size: as a dataset has more ratings per user (more draws at fixed users,
  or fewer users at fixed draws), precision rises and recall falls (per model, q and N,
  between consecutive datasets of a size series);
- model order: NCF regression best, then improved classification NCF, DeepMF and
  VDeepMF, then NCF classification and binary regression (per q at the largest N,
  every pair of models in different tiers), with the Holm-corrected paired Wilcoxon
  tests behind each pair.
"""
import numpy as np
import pandas as pd

from recbole_ganrs.benchmark.analysis import ALPHA
from recbole_ganrs.evaluation import LABELS

#: the paper's ranking as tiers, best first; models within a tier are "close"
PAPER_ORDER = (("NCF",), ("NCFImprovedClassification", "DeepMF", "VDeepMF"), ("NCFClassification", "BinaryRegression"))


def verdict(hits, total):
    if not total:
        return "-"
    return f"{'holds' if hits == total else 'fails'} ({hits}/{total})"


def expected_pairs(models):
    """(better, worse) pairs of the paper's order among ``models``."""
    tier = {m: t for t, members in enumerate(PAPER_ORDER) for m in members}
    present = [m for m in models if m in tier]
    return [(a, b) for a in present for b in present if tier[a] < tier[b]]


def _endpoint_changes(part):
    """Per (model, q): precision and recall at the largest N minus at the smallest N."""
    ordered = part.sort_values("N")
    ends = ordered.groupby(["model", "q"], sort=False).agg(
        p0=("precision_mean", "first"), p1=("precision_mean", "last"),
        r0=("recall_mean", "first"), r1=("recall_mean", "last"))
    return ends["p1"] - ends["p0"], ends["r1"] - ends["r0"]


def _q_comparison(part):
    """Per (model, N) at the lowest and highest q: (precision low - high, recall high - low)."""
    qs = sorted(part["q"].unique())
    if len(qs) < 2:
        return pd.Series(dtype=float), pd.Series(dtype=float)
    table = part.set_index(["model", "N", "q"])[["precision_mean", "recall_mean"]]
    low, high = table.xs(qs[0], level="q"), table.xs(qs[-1], level="q")
    both = low.join(high, lsuffix="_low", rsuffix="_high", how="inner")
    return (both["precision_mean_low"] - both["precision_mean_high"],
            both["recall_mean_high"] - both["recall_mean_low"])


def order_check(summary, tests, dataset, models, metric="f1"):
    """The paper's model order by ``metric`` on one dataset, over its q values at the largest N:
    (pairs in the expected direction, pairs, of those significantly, pairs significantly reversed)."""
    part = summary[(summary["dataset"] == dataset) & (summary["N"] == summary["N"].max())]
    f1 = part.set_index(["q", "model"])[f"{metric}_mean"]
    pvalue = {} if tests.empty else {(t.q, frozenset((t.model_a, t.model_b))): t.p_holm
                                     for t in tests[tests["dataset"] == dataset].itertuples()}
    same = total = significant = reversed_ = 0
    for q in sorted(part["q"].unique()):
        for better, worse in expected_pairs(models):
            if (q, better) not in f1.index or (q, worse) not in f1.index:
                continue
            total += 1
            right = f1[(q, better)] > f1[(q, worse)]
            same += int(right)
            p = pvalue.get((q, frozenset((better, worse))), np.nan)
            if p < ALPHA:
                significant += int(right)
                reversed_ += int(not right)
    return same, total, significant, reversed_


def claim_counts(summary, tests, dataset, models, metric="f1"):
    """{claim: (k, m)} of one dataset: the cells where each paper claim holds among those it applies to; the
    model order's entry also carries (significant, significantly reversed) after (k, m)."""
    part = summary[summary["dataset"] == dataset]
    dp, dr = _endpoint_changes(part)
    p_low, r_high = _q_comparison(part)
    return {"precision falls with N": (int((dp < 0).sum()), len(dp)),
            "recall rises with N": (int((dr > 0).sum()), len(dr)),
            "precision higher at lower q": (int((p_low > 0).sum()), len(p_low)),
            "recall higher at higher q": (int((r_high > 0).sum()), len(r_high)),
            f"paper's model order ({LABELS[metric]})": order_check(summary, tests, dataset, models, metric)}


def claims_table(summary, tests, datasets, models, metric="f1"):
    """Rows: one per dataset; columns: each claim's verdict with its counts."""
    rows = []
    for dataset in datasets:
        if summary[summary["dataset"] == dataset].empty:
            continue
        row = {"dataset": dataset}
        for claim, (hits, total, *significance) in claim_counts(summary, tests, dataset, models, metric).items():
            row[claim] = verdict(hits, total)
            if significance and total:
                row[claim] += f"; {significance[0]} significant, {significance[1]} significantly reversed"
        rows.append(row)
    return pd.DataFrame(rows)


def size_claims_table(summary, series):
    """Rows: one per size series ``(label, [datasets, fewest ratings per user first], {dataset: ratings/user})``:
    does precision rise and recall fall with the ratings per user, over every (model, q, N) step?"""
    rows = []
    mean = summary.set_index(["dataset", "model", "q", "N"])[["precision_mean", "recall_mean"]]
    present = set(summary["dataset"])
    for label, names, per_user in series:
        names = [n for n in names if n in present]
        if len(names) < 2:
            continue
        rises = falls = total = 0
        for small, large in zip(names, names[1:]):
            a, b = mean.xs(small, level="dataset"), mean.xs(large, level="dataset")
            both = a.join(b, lsuffix="_small", rsuffix="_large", how="inner")
            rises += int((both["precision_mean_large"] > both["precision_mean_small"]).sum())
            falls += int((both["recall_mean_large"] < both["recall_mean_small"]).sum())
            total += len(both)
        rows.append({"series (ratings per user)": f"{label}: " + " < ".join(f"{n} ({per_user[n]:.1f})" for n in names),
                     "precision rises with ratings per user": verdict(rises, total),
                     "recall falls with ratings per user": verdict(falls, total)})
    return pd.DataFrame(rows)
