"""Does a model behave on synthetic data as on the real data? The checks behind the report.

- ranking agreement: Kendall tau and Spearman rho of the models' F1 on each
  synthetic dataset against the source, at each q and N;
- trends the paper claims, each marked holds / fails with its count: with N
  (precision rises, recall falls), the same on synthetic as on the source, and
  with dataset size (datasets that differ only in users, or only in draws);
- paired significance: each test user's F1 at the largest N, paired between two
  models over the same (seed, user), Wilcoxon signed-rank (scipy.stats).
"""
import re
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, spearmanr, wilcoxon

ALPHA = 0.05


def ranking_agreement(summary, source, synthetic):
    """Kendall tau and Spearman rho of the models' F1 on each synthetic dataset against the source."""
    rows = []
    for (protocol, q, n), group in summary.groupby(["protocol", "q", "N"], sort=False):
        f1 = group.pivot_table(index="model", columns="dataset", values="f1_mean")
        if source not in f1:
            continue
        for dataset in synthetic:
            if dataset in f1:
                both = f1[[source, dataset]].dropna()
                enough = len(both) >= 2
                tau = kendalltau(both[source], both[dataset]).statistic if enough else np.nan
                rho = spearmanr(both[source], both[dataset]).statistic if enough else np.nan
                rows.append({"dataset": dataset, "q": q, "N": n, "kendall_tau": float(tau),
                             "spearman_rho": float(rho), "models": len(both)})
    return pd.DataFrame(rows, columns=["dataset", "q", "N", "kendall_tau", "spearman_rho", "models"])


def _verdict(hits, total):
    return f"{'holds' if total and hits == total else 'fails'} ({hits}/{total})"


def _endpoints(summary):
    """Per (dataset, q, model): the change of precision and recall from the smallest to the largest N."""
    ordered = summary.sort_values("N")
    ends = ordered.groupby(["dataset", "q", "model"], sort=False).agg(
        p_first=("precision_mean", "first"), p_last=("precision_mean", "last"),
        r_first=("recall_mean", "first"), r_last=("recall_mean", "last"))
    return pd.DataFrame({"dp": ends["p_last"] - ends["p_first"], "dr": ends["r_last"] - ends["r_first"]})


def n_trends(summary, source, datasets):
    """Rows: per dataset and q, do precision rise and recall fall with N (per model), and on synthetic
    data, does each model's direction of change match the source's?"""
    ends = _endpoints(summary)
    measured = set(ends.index.droplevel("model"))  # (dataset, q) pairs with results
    rows = []
    for dataset in datasets:
        for q in sorted(summary.loc[summary["dataset"] == dataset, "q"].unique()):
            if (dataset, q) not in measured:
                continue
            d = ends.loc[(dataset, q)]
            row = {"dataset": dataset, "q": q,
                   "precision rises with N": _verdict(int((d["dp"] > 0).sum()), len(d)),
                   "recall falls with N": _verdict(int((d["dr"] < 0).sum()), len(d))}
            if dataset != source and (source, q) in measured:
                s = ends.loc[(source, q)].reindex(d.index).dropna()
                same = (np.sign(s["dp"]) == np.sign(d.loc[s.index, "dp"])) & (
                    np.sign(s["dr"]) == np.sign(d.loc[s.index, "dr"]))
                row["same N-trends as source"] = _verdict(int(same.sum()), len(s))
            else:
                row["same N-trends as source"] = "-"
            rows.append(row)
    return pd.DataFrame(rows)


def size_series(names, sizes):
    """Datasets that differ only in users, or only in draws, ordered by #ratings:
    [(what varies, [names small -> large])]."""
    series = []
    for label, pattern in (("users", r"-u\d+-"), ("draws", r"-s\d+-")):
        by_key = {}
        for name in names:
            if re.search(pattern, name):
                by_key.setdefault(re.sub(pattern, "-*-", name), []).append(name)
        series += [(label, sorted(group, key=lambda n: sizes[n])) for group in by_key.values() if len(group) > 1]
    return series


def size_trends(summary, sizes):
    """Rows: per size series, does precision rise and recall fall from each dataset to the next larger
    one, over every (model, q, N) cell?"""
    rows = []
    mean = summary.set_index(["dataset", "model", "q", "N"])[["precision_mean", "recall_mean"]]
    for label, names in size_series([n for n in summary["dataset"].unique() if n in sizes], sizes):
        rises = falls = total = 0
        for small, large in zip(names, names[1:]):
            a, b = mean.xs(small, level="dataset"), mean.xs(large, level="dataset")
            both = a.join(b, lsuffix="_small", rsuffix="_large", how="inner")
            rises += int((both["precision_mean_large"] > both["precision_mean_small"]).sum())
            falls += int((both["recall_mean_large"] < both["recall_mean_small"]).sum())
            total += len(both)
        rows.append({"series": f"{label}: " + " < ".join(f"{n} ({sizes[n]})" for n in names),
                     "precision rises with size": _verdict(rises, total),
                     "recall falls with size": _verdict(falls, total)})
    return pd.DataFrame(rows)


def paired_test(scores, model_a, model_b, q):
    """(users paired, mean F1 difference a - b, Wilcoxon p) over the (seed, user) pairs both models have."""
    a = scores[(scores["model"] == model_a) & (scores["q"] == q)].set_index(["seed", "user"])["f1"]
    b = scores[(scores["model"] == model_b) & (scores["q"] == q)].set_index(["seed", "user"])["f1"]
    diff = (a - b).dropna()
    if len(diff) == 0:
        return 0, np.nan, np.nan
    p = 1.0 if not diff.any() else float(wilcoxon(diff.to_numpy(), zero_method="wilcox").pvalue)
    return len(diff), float(diff.mean()), p


def significance(summary, scores_of, datasets):
    """Every pair of models on each dataset and q: paired Wilcoxon test of per-user F1 at the largest N.
    ``scores_of(dataset)`` gives the per-user frame (model, seed, q, user, f1)."""
    rows = []
    for dataset in datasets:
        scores = scores_of(dataset)
        if scores.empty:
            continue
        for q in sorted(scores["q"].unique()):
            models = sorted(scores.loc[scores["q"] == q, "model"].unique())
            for a, b in combinations(models, 2):
                n, diff, p = paired_test(scores, a, b, q)
                rows.append({"dataset": dataset, "q": q, "model_a": a, "model_b": b, "users": n,
                             "mean_f1_diff": diff, "p_wilcoxon": p})
    return pd.DataFrame(rows, columns=["dataset", "q", "model_a", "model_b", "users", "mean_f1_diff", "p_wilcoxon"])


def ranking_with_tests(summary, tests):
    """Per dataset and q: models ranked by F1 at the largest N, each with the p-value of its lead over
    the next one."""
    rows = []
    top_n = summary[summary["N"] == summary["N"].max()]
    pvalue = {(t.dataset, t.q, frozenset((t.model_a, t.model_b))): t.p_wilcoxon for t in tests.itertuples()}
    for (dataset, q), group in top_n.groupby(["dataset", "q"], sort=False):
        ranked = group.sort_values("f1_mean", ascending=False)[["model", "f1_mean"]].to_numpy().tolist()
        for rank, (model, f1) in enumerate(ranked, 1):
            nxt = ranked[rank][0] if rank < len(ranked) else None
            p = pvalue.get((dataset, q, frozenset((model, nxt))), np.nan) if nxt else np.nan
            lead = "-" if nxt is None or np.isnan(p) else (
                f"beats {nxt} (p={p:.2g})" if p < ALPHA else f"not shown better than {nxt} (p={p:.2g})")
            rows.append({"dataset": dataset, "q": q, "rank": rank, "model": model, "f1": f1, "vs next": lead})
    return pd.DataFrame(rows)
