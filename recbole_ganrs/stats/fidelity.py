"""How close a synthetic ratings dataset is to its source.

- rating TVD: total-variation distance of the two rating distributions (0 = same shares).
- activity KS / popularity KS: two-sample Kolmogorov-Smirnov statistic of the ratings
  per user / per item, each divided by its mean so that datasets of different sizes
  compare by shape (scipy.stats.ks_2samp).
- Gini of item popularity, source and synthetic (0 = every item equally rated).
- share >= q KS: KS statistic of the users' shares of relevant ratings (>= q, at the source's top two
  values; structure.py), synthetic against source: whole users, not pooled shares.
- detection AUC (detection.py, in the stats tables): how well a classifier tells the synthetic users'
  profiles from the real ones' (0.5 = not at all).
"""
import numpy as np
from scipy.stats import ks_2samp

from recbole_ganrs.stats.structure import relevance_levels, relevant_shares

def gini(counts):
    """Gini coefficient of non-negative counts."""
    x = np.sort(np.asarray(counts, dtype=np.float64))
    if len(x) == 0 or x.sum() == 0:
        return float("nan")
    cum = np.cumsum(x)
    return float((len(x) + 1 - 2 * (cum / cum[-1]).sum()) / len(x))


def _shares(ratings):
    return ratings["rating"].value_counts(normalize=True)


def _shape(ratings, column):
    counts = ratings[column].value_counts().to_numpy(np.float64)
    return counts / counts.mean()


def fidelity(name, synthetic, source):
    """Fidelity row of ``synthetic`` against ``source`` (both user_id, item_id, rating frames)."""
    shares = _shares(synthetic).to_frame("a").join(_shares(source).to_frame("b"), how="outer").fillna(0.0)
    return {
        "dataset": name,
        "rating TVD": round(0.5 * float((shares["a"] - shares["b"]).abs().sum()), 4),
        "activity KS": round(float(ks_2samp(_shape(synthetic, "user_id"), _shape(source, "user_id")).statistic), 4),
        "popularity KS": round(float(ks_2samp(_shape(synthetic, "item_id"), _shape(source, "item_id")).statistic), 4),
        "Gini source": round(gini(source["item_id"].value_counts()), 4),
        "Gini synthetic": round(gini(synthetic["item_id"].value_counts()), 4),
        **share_ks(synthetic, source),
    }


def share_ks(synthetic, source):
    """{"share >= q KS": KS of the users' relevant shares} at the source's q (structure.py)."""
    qs = relevance_levels(source)
    a, b = relevant_shares(synthetic, qs), relevant_shares(source, qs)
    return {f"share >= {q:g} KS": round(float(ks_2samp(a[:, j], b[:, j]).statistic), 4) for j, q in enumerate(qs)}
