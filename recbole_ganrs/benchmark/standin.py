"""Does a synthetic dataset stand in for the source? One table per q: generator x measure, with bootstrap
intervals and each measure as a share of the split-half ceiling (datasets/halves.py).

Every measure compares the models' mean metric at the largest N (from the per-user values, so that users
can be resampled) on a synthetic dataset with the same on the source:

- ``gap concordance`` (the headline): Lin's concordance correlation of the models' centred means (each
  model's mean minus the mean of the models), 2 a.b / (|a|^2 + |b|^2): 1 only when every gap between models
  has the same direction *and size* as on the source. Near-ties weigh little and large gaps much, as they
  should (six models within 0.01 F1 of each other make any rank measure mostly count noise), and a dataset
  on which every model scores the same gets 0, where a correlation would read the shape of its noise;
- ``gap r``: Pearson r of the same centred means, the shape of the gaps alone (scale-free: it can be high
  for gaps a hundred times too small, which ``gap spread`` then shows);
- ``gap spread``: the synthetic gaps' spread over the source's (std of the centred means): below 1, the
  synthetic data compresses the differences between models (an interval about 1 is right);
- ``Kendall tau`` of the models' means, the rank measure the paper's "same ranking" claim reads;
- ``pairs kept``: of the model pairs significantly ordered on the source (Holm-corrected paired Wilcoxon,
  analysis.py), the share in the same order (over the replicates; no bootstrap, the test is the noise model).

Intervals: 95% percentile bootstrap, two-stage: a replicate (a dataset seed; a split for the ceiling) drawn
at random, then the users of both datasets resampled, each user carrying its values for every model
averaged over the trial seeds. The ceiling compares half B with half A of the same split; a measure's share
of the ceiling is its mean over the ceiling's mean. "How sure" a best generator is: the share of bootstrap
draws in which its gap concordance beats the runner-up's.
"""
import numpy as np
import pandas as pd
from scipy.stats import kendalltau

from recbole_ganrs import seeds
from recbole_ganrs.benchmark.analysis import at_q

BOOTSTRAP = 400
LEVEL = 0.95
MEASURES = ("gap concordance", "gap r", "gap spread", "Kendall tau")
HEADLINE = MEASURES[0]


def user_table(scores, q, models):
    """Users x models of one dataset at ``q``: each user's value averaged over the trial seeds, users that
    every model scored (a frame ``(model, seed, q, user, value)`` in, a float matrix out)."""
    part = at_q(scores, q)
    table = part.pivot_table(index="user", columns="model", values="value", aggfunc="mean")
    return table.reindex(columns=models).dropna().to_numpy()


def measures(source_means, synthetic_means):
    """{measure: value} of two model-mean vectors (same model order)."""
    a, b = source_means - source_means.mean(), synthetic_means - synthetic_means.mean()
    sa, sb = a.std(), b.std()
    r = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))) if sa > 0 and sb > 0 else np.nan
    tau = float(kendalltau(source_means, synthetic_means).statistic) if sa > 0 and sb > 0 else np.nan
    concordance = float(2 * np.dot(a, b) / (np.dot(a, a) + np.dot(b, b))) if sa > 0 else np.nan
    return {"gap concordance": concordance, "gap r": r, "gap spread": float(sb / sa) if sa > 0 else np.nan,
            "Kendall tau": tau}


def bootstrap(pairs, rng, draws=BOOTSTRAP):
    """{measure: array of ``draws`` values} for ``pairs`` = [(source users x models, synthetic users x
    models)], one pair per replicate."""
    out = {m: np.empty(draws) for m in MEASURES}
    for b in range(draws):
        src, syn = pairs[rng.integers(len(pairs))]
        values = measures(src[rng.integers(len(src), size=len(src))].mean(0),
                          syn[rng.integers(len(syn), size=len(syn))].mean(0))
        for m in MEASURES:
            out[m][b] = values[m]
    return out


def bounds(values):
    """The 95% percentile interval of bootstrap ``values``: (low, high)."""
    lo, hi = np.nanpercentile(values, [(1 - LEVEL) / 2 * 100, (1 + LEVEL) / 2 * 100])
    return float(lo), float(hi)


def standin_frames(scores_of, source, groups, ceiling, models, qs, pairs_kept=None, seed=0):
    """(rows, verdicts) over ``qs``. ``groups``: {label: [synthetic dataset names, one per replicate]};
    ``ceiling``: [(half A name, half B name)] per split; ``scores_of(name)`` the per-user frame;
    ``pairs_kept``: {(dataset, q): share} from the significance tests."""
    rng = seeds.rng(seed, "bootstrap", "draws")
    rows, verdicts = [], []
    for q in qs:
        source_table = user_table(scores_of(source), q, models)
        ceiling_pairs = [(user_table(scores_of(a), q, models), user_table(scores_of(b), q, models)) for a, b in ceiling]
        ceiling_pairs = [p for p in ceiling_pairs if len(p[0]) and len(p[1])]
        ceiling_draws = bootstrap(ceiling_pairs, rng) if ceiling_pairs else None
        ceiling_point = ({m: np.nanmean([measures(a.mean(0), b.mean(0))[m] for a, b in ceiling_pairs])
                          for m in MEASURES} if ceiling_pairs else {})
        if ceiling_pairs:
            rows += [_row(q, "split-half ceiling", m, ceiling_point[m], ceiling_draws[m], None, len(ceiling_pairs))
                     for m in MEASURES]
        draws_of, points_of = {}, {}
        for label, names in groups.items():
            pairs = [(source_table, user_table(scores_of(n), q, models)) for n in names]
            pairs = [p for p in pairs if len(p[1])]
            if not pairs or not len(source_table):
                continue
            draws = draws_of[label] = bootstrap(pairs, rng)
            points = points_of[label] = {m: float(np.nanmean([measures(a.mean(0), b.mean(0))[m] for a, b in pairs]))
                                         for m in MEASURES}
            for m in MEASURES:
                rows.append(_row(q, label, m, points[m], draws[m], ceiling_point.get(m), len(pairs)))
            if pairs_kept:
                kept = [pairs_kept[(n, q)] for n in names if (n, q) in pairs_kept and not np.isnan(pairs_kept[(n, q)])]
                if kept:
                    rows.append({"q": q, "generator": label, "measure": "pairs kept", "mean": float(np.mean(kept)),
                                 "interval": f"[{min(kept):.2f}, {max(kept):.2f}] (replicates)",
                                 "ceiling": np.nan, "share of ceiling": np.nan, "replicates": len(kept),
                                 "low": float(min(kept)), "high": float(max(kept))})
        verdicts += _verdict(q, points_of, draws_of, ceiling_point)
    return pd.DataFrame(rows), verdicts


def _row(q, label, measure, point, draws, ceiling, replicates):
    share = point / ceiling if ceiling and measure != "gap spread" and not np.isnan(ceiling) else np.nan
    low, high = bounds(draws)
    return {"q": q, "generator": label, "measure": measure, "mean": point, "interval": f"[{low:.2f}, {high:.2f}]",
            "ceiling": np.nan if ceiling is None else ceiling, "share of ceiling": share, "replicates": replicates,
            "low": low, "high": high}


def _verdict(q, points_of, draws_of, ceiling):
    """One line per q: the generator with the highest mean gap concordance, and the share of bootstrap draws
    in which it beats the runner-up."""
    if not points_of:
        return []
    ranked = sorted(points_of, key=lambda g: -np.nan_to_num(points_of[g][HEADLINE], nan=-2))
    best = ranked[0]
    line = f"q={q:g}: {best} agrees best with the source ({HEADLINE} {points_of[best][HEADLINE]:.2f}"
    if ceiling.get(HEADLINE):
        line += f", {points_of[best][HEADLINE] / ceiling[HEADLINE]:.0%} of the ceiling"
    line += ")"
    if len(ranked) > 1:
        second = ranked[1]
        sure = float(np.mean(draws_of[best][HEADLINE] > draws_of[second][HEADLINE]))
        line += f"; it beats {second} in {sure:.0%} of bootstrap draws"
    return [line]
