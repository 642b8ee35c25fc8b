"""Does a model behave on synthetic data as on the real data? The checks behind the report.

Every check is about one metric of results.csv (``metric``, the report's ``--metric``;
F1 by default), and a relevance level q may be None (NaN: every test item relevant).

- ranking agreement: Kendall tau and Spearman rho of the models' metric on each
  synthetic dataset against the source, at each q and N;
- paired significance: each test user's value at the largest N, paired between two
  models over the same (seed, user), Wilcoxon signed-rank (scipy.stats), Holm-corrected
  over the model pairs of each dataset and q;
- noise-aware agreement: of the model pairs whose order is significant on the source,
  the share ordered the same way on a synthetic dataset, and how many are
  significantly reversed there (six close models make tau mostly measure noise).

The paper's claims are checked in claims.py.
"""
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, spearmanr, wilcoxon

ALPHA = 0.05


def at_q(frame, q):
    """Rows of ``frame`` at relevance level ``q`` (NaN matches NaN: no q)."""
    return frame[frame["q"].isna()] if pd.isna(q) else frame[frame["q"] == q]


def q_levels(frame):
    """The relevance levels in ``frame``'s q column, ascending, NaN (no q: every test item relevant) last."""
    return sorted(frame["q"].unique(), key=lambda q: (pd.isna(q), q))


def q_label(q):
    return "every test item relevant" if pd.isna(q) else f"q={q:g}"


def ranking_agreement(summary, source, synthetic, metric="f1"):
    """Kendall tau and Spearman rho of the models' ``metric`` on each synthetic dataset against the source."""
    rows = []
    for (protocol, q, n), group in summary.groupby(["protocol", "q", "N"], sort=False, dropna=False):
        values = group.pivot_table(index="model", columns="dataset", values=f"{metric}_mean", dropna=False)
        if source not in values:
            continue
        for dataset in synthetic:
            if dataset in values:
                both = values[[source, dataset]].dropna()
                # a constant column (every model equal) has no ranking to correlate
                enough = len(both) >= 2 and both[source].nunique() > 1 and both[dataset].nunique() > 1
                tau = kendalltau(both[source], both[dataset]).statistic if enough else np.nan
                rho = spearmanr(both[source], both[dataset]).statistic if enough else np.nan
                rows.append({"dataset": dataset, "q": q, "N": n, "kendall_tau": float(tau),
                             "spearman_rho": float(rho), "models": len(both)})
    return pd.DataFrame(rows, columns=["dataset", "q", "N", "kendall_tau", "spearman_rho", "models"])


def gap_profile(summary, source, synthetic, metric="f1"):
    """Per synthetic dataset and q, over every N: the Pearson r of the models' centred metric (each model's
    mean minus the models' mean at that N) against the source's, and the ratio of their spreads (below 1:
    the synthetic data compresses the gaps between models)."""
    rows = []
    column = f"{metric}_mean"
    for q, part in summary.groupby("q", sort=False, dropna=False):
        table = part.pivot_table(index=["N", "model"], columns="dataset", values=column, dropna=False)
        if source not in table:
            continue
        centred = table - table.groupby(level="N").transform("mean")
        for dataset in synthetic:
            if dataset not in centred:
                continue
            both = centred[[source, dataset]].dropna()
            a, b = both[source].to_numpy(), both[dataset].to_numpy()
            ok = len(both) > 2 and a.std() > 0 and b.std() > 0
            rows.append({"dataset": dataset, "q": q, "gap_r": float(np.corrcoef(a, b)[0, 1]) if ok else np.nan,
                         "gap_spread": float(b.std() / a.std()) if a.std() > 0 else np.nan})
    return pd.DataFrame(rows, columns=["dataset", "q", "gap_r", "gap_spread"])


def paired_test(scores, model_a, model_b):
    """(users paired, mean difference a - b, Wilcoxon p) over the (seed, user) pairs both models have in
    ``scores`` (model, seed, user, value) of one dataset and q."""
    a = scores[scores["model"] == model_a].set_index(["seed", "user"])["value"]
    b = scores[scores["model"] == model_b].set_index(["seed", "user"])["value"]
    diff = (a - b).dropna()
    if len(diff) == 0:
        return 0, np.nan, np.nan
    p = 1.0 if not diff.any() else float(wilcoxon(diff.to_numpy(), zero_method="wilcox").pvalue)
    return len(diff), float(diff.mean()), p


def holm(pvalues):
    """Holm-Bonferroni adjusted p-values (NaN stays NaN)."""
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(len(p), np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    order = valid[np.argsort(p[valid], kind="stable")]
    m = len(order)
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order]) if m else np.empty(0)
    out[order] = np.minimum(adjusted, 1.0)
    return out


SIGNIFICANCE_COLUMNS = ["dataset", "q", "model_a", "model_b", "users", "mean_diff", "p_wilcoxon", "p_holm"]


def significance(scores_of, datasets):
    """Every pair of models on each dataset and q: paired Wilcoxon test of the per-user metric at the largest
    N, Holm-corrected over the pairs of that dataset and q. ``scores_of(dataset)`` gives the per-user frame
    (model, seed, q, user, value)."""
    rows = []
    for dataset in datasets:
        scores = scores_of(dataset)
        if scores.empty:
            continue
        for q, part in scores.groupby("q", sort=True, dropna=False):
            block = []
            for a, b in combinations(sorted(part["model"].unique()), 2):
                n, diff, p = paired_test(part, a, b)
                block.append({"dataset": dataset, "q": q, "model_a": a, "model_b": b, "users": n,
                              "mean_diff": diff, "p_wilcoxon": p})
            for entry, adjusted in zip(block, holm([e["p_wilcoxon"] for e in block])):
                rows.append({**entry, "p_holm": adjusted})
    return pd.DataFrame(rows, columns=SIGNIFICANCE_COLUMNS)


def significant_agreement(tests, source, synthetic):
    """Per synthetic dataset and q: of the model pairs significantly ordered on the source (Holm), how many
    keep that order on the synthetic dataset (by mean F1 difference) and how many are significantly reversed."""
    rows = []
    if tests.empty:
        return pd.DataFrame(rows)
    key = lambda t: (None if pd.isna(t.q) else t.q, t.model_a, t.model_b)  # noqa: E731
    src = {key(t): t for t in tests[tests["dataset"] == source].itertuples() if t.p_holm < ALPHA}
    for dataset in synthetic:
        syn = {key(t): t for t in tests[tests["dataset"] == dataset].itertuples()}
        for q in sorted({k[0] for k in syn}):
            pairs = [k for k in src if k[0] == q and k in syn]
            same = sum(np.sign(syn[k].mean_diff) == np.sign(src[k].mean_diff) for k in pairs)
            reversed_ = sum(np.sign(syn[k].mean_diff) == -np.sign(src[k].mean_diff)
                            and syn[k].p_holm < ALPHA for k in pairs)
            rows.append({"dataset": dataset, "q": q, "significant on source": len(pairs),
                         "same order": int(same), "share same": same / len(pairs) if pairs else np.nan,
                         "significantly reversed": int(reversed_)})
    return pd.DataFrame(rows)


def ranking_with_tests(summary, tests, metric="f1"):
    """Per dataset and q: models ranked by ``metric`` at the largest N, each with the p-value of its lead over
    the next one."""
    rows = []
    top_n = summary[summary["N"] == summary["N"].max()]
    q_key = lambda q: None if pd.isna(q) else q  # noqa: E731
    pvalue = {(t.dataset, q_key(t.q), frozenset((t.model_a, t.model_b))): t.p_holm for t in tests.itertuples()}
    for (dataset, q), group in top_n.groupby(["dataset", "q"], sort=False, dropna=False):
        ranked = group.sort_values(f"{metric}_mean", ascending=False)[["model", f"{metric}_mean"]].to_numpy().tolist()
        for rank, (model, value) in enumerate(ranked, 1):
            nxt = ranked[rank][0] if rank < len(ranked) else None
            p = pvalue.get((dataset, q_key(q), frozenset((model, nxt))), np.nan) if nxt else np.nan
            lead = "-" if nxt is None or np.isnan(p) else (
                f"beats {nxt} (Holm p={p:.2g})" if p < ALPHA else f"not shown better than {nxt} (Holm p={p:.2g})")
            rows.append({"dataset": dataset, "q": q, "rank": rank, "model": model, metric: value, "vs next": lead})
    return pd.DataFrame(rows)
