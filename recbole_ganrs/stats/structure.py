"""How hard a ratings dataset is: the structure measures shown beside the source's.

- within-user std: a user's rating std, averaged over users with 2+ ratings (how much a
  user varies; near 0 means near-constant raters, which any model predicts);
- user-mean std / item-mean std: spread of the users' (items') mean ratings;
- activity-rating r: Pearson r of a user's log ratings count and its mean rating (ml-100k: -0.08, heavy users
  rate a little lower; a generator can match every rating share and reverse it, which moves the user-averaged
  share of relevant ratings that the paper protocol's precision is bounded by);
- user share >= q: the share of a user's ratings that are relevant (>= q), averaged over users, at each of the
  paper's q (the scale's top two values): under the paper protocol a user's precision is bounded by its own
  share, so this (not the pooled share) sets the level and the q-trends of precision, recall and F1 (ml-100k:
  0.578 / 0.231 at q = 4 / 5, pooled 0.554 / 0.212); fidelity.py adds the KS of the per-user shares;
- bias RMSE: in-sample RMSE of the global mean + user bias + item bias predictor (what
  the easiest model explains);
- MF RMSE: held-out RMSE of a small matrix factorisation (rank 8 with biases) trained
  on 90% of the ratings (of at most MF_MAX_RATINGS, whole users): the learnable signal. A generator that draws ratings
  independently of users and items can match the spreads above and fail this one;
- density %: ratings / (users x items);
- test items per user: the mean number of test items under the benchmark's split
  (``properties/rating.yaml``), which bounds what N can show.
"""
import numpy as np
import pandas as pd
import torch

from recbole_ganrs.evaluation.protocols import default_thresholds
from recbole_ganrs.seeds import rng, stream, torch_generator

MF_RANK, MF_EPOCHS, MF_BATCH, MF_HOLDOUT = 8, 12, 8192, 0.1
#: the MF fit's ratings at most (whole users, a seeded sample above it): the fit's figure depends on its size (one
#: 10M-rating dataset: 0.96 at 1M, 0.93 at 2M, 0.90 at 5M), so every dataset above the cap is measured at one size;
#: three samples of 1M moved it by 0.003, and the fit costs ~10 s (5M: ~50 s, two thirds of a 10M dataset's card)
MF_MAX_RATINGS = 1_000_000
BIAS_SWEEPS, BIAS_REG = 20, 1.0  # light ridge: biases of users with few ratings shrink a little


def _codes(ratings):
    """(user, item) codes 0..n-1 in order of appearance (int32: half the memory at 100M ratings), ratings."""
    user = pd.factorize(ratings["user_id"])[0].astype(np.int32)
    item = pd.factorize(ratings["item_id"])[0].astype(np.int32)
    return user, item, ratings["rating"].to_numpy(np.float64)


def bias_rmse(user, item, r):
    """In-sample RMSE of mean + user bias + item bias, fitted by alternating ridge updates (each residual made in
    place: at 100M ratings every array per rating is 0.8 GB)."""
    mu = r.mean()
    bu, bi = np.zeros(user.max() + 1), np.zeros(item.max() + 1)
    nu, ni = np.bincount(user), np.bincount(item)
    centred = r - mu
    for _ in range(BIAS_SWEEPS):
        bu = np.bincount(user, weights=_minus(centred, bi[item])) / (nu + BIAS_REG)
        bi = np.bincount(item, weights=_minus(centred, bu[user])) / (ni + BIAS_REG)
    residual = _minus(_minus(centred, bu[user]), bi[item])
    return float(np.sqrt(np.mean(np.square(residual, out=residual))))


def _minus(a, b):
    """a - b into ``b``'s memory (b is a temporary)."""
    return np.subtract(a, b, out=b)


def mf_rmse(user, item, r, seed=0):
    """Held-out RMSE of a rank-8 matrix factorisation with biases (Adam, large batches, fixed epochs)."""
    gen = torch_generator(seed, "measure", "mf")
    torch.manual_seed(stream(seed, "measure", "mf_init"))
    # the sample's own users and items, numbered in order of appearance (all of them: the codes unchanged), so that
    # a 1M-rating sample of a 480,000-user dataset has no table of 480,000 users for Adam to update every step
    user, item = pd.factorize(user)[0], pd.factorize(item)[0]
    u, i, y = torch.as_tensor(user), torch.as_tensor(item), torch.as_tensor(r, dtype=torch.float32)
    order = torch.randperm(len(y), generator=gen)
    n_hold = max(1, int(len(y) * MF_HOLDOUT))
    hold, train = order[:n_hold], order[n_hold:]
    pu, qi = torch.nn.Embedding(int(user.max()) + 1, MF_RANK), torch.nn.Embedding(int(item.max()) + 1, MF_RANK)
    bu, bi = torch.nn.Embedding(int(user.max()) + 1, 1), torch.nn.Embedding(int(item.max()) + 1, 1)
    for emb in (pu, qi):
        torch.nn.init.normal_(emb.weight, 0, 0.05)
    for emb in (bu, bi):
        torch.nn.init.zeros_(emb.weight)
    mu = y[train].mean()
    params = [*pu.parameters(), *qi.parameters(), *bu.parameters(), *bi.parameters()]
    opt = torch.optim.Adam(params, lr=0.01, weight_decay=0.0)

    def predict(users, items, p, q):
        return mu + bu(users).squeeze(-1) + bi(items).squeeze(-1) + (p * q).sum(-1)

    for _ in range(MF_EPOCHS):
        perm = train[torch.randperm(len(train), generator=gen)]
        for start in range(0, len(perm), MF_BATCH):
            b = perm[start : start + MF_BATCH]
            users, items = u[b], i[b]
            # each factor looked up once for the prediction and the penalty: its backward (a scatter into the whole
            # table) was the fit's largest cost, paid twice
            p, q = pu(users), qi(items)
            reg = 0.02 * ((p**2).sum(-1) + (q**2).sum(-1)).mean()
            loss = ((predict(users, items, p, q) - y[b]) ** 2).mean() + reg
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        users, items = u[hold], i[hold]
        return float(torch.sqrt(((predict(users, items, pu(users), qi(items)) - y[hold]) ** 2).mean()))


def test_items_per_user(counts, split):
    """Mean test items per user under RecBole's RS split ``[train, valid, test]`` (its rounding)."""
    counts = np.asarray(counts, dtype=np.int64)
    test = (split[-1] * counts).astype(np.int64)
    test = np.where((test == 0) & (split[-1] * counts > 0) & (counts - test > 1), 1, test)
    return float(test.mean())


def relevance_levels(ratings):
    """The q of a ratings frame's user shares: the paper's, its scale's top two values (evaluation/protocols.py)."""
    return default_thresholds(ratings["rating"].unique())


def relevant_shares(ratings, qs):
    """[users, len(qs)]: each user's share of ratings >= q, one column per q (users in id order)."""
    user = pd.factorize(ratings["user_id"], sort=True)[0]
    r = ratings["rating"].to_numpy(np.float64)
    counts = np.bincount(user)
    return np.column_stack([np.bincount(user, weights=(r >= q).astype(np.float64), minlength=len(counts)) / counts
                            for q in qs])


def share_label(q):
    return f"user share >= {q:g}"


def spread_measures(ratings, codes=None):
    """The measures that need no model fit (within-user, user-mean and item-mean std, bias RMSE), unrounded;
    ``codes``: :func:`_codes` of ``ratings`` when already made. Per-user and per-item sums by ``np.bincount`` on
    the codes: no copy of the frame and no sort (a groupby of 100M ratings held ~2.4 GB more and took ~20 s)."""
    user, item, r = _codes(ratings) if codes is None else codes
    counts = np.bincount(user)
    means = np.bincount(user, weights=r) / counts
    deviation = _minus(r, means[user])
    spread = np.sqrt(np.maximum(np.bincount(user, weights=np.square(deviation, out=deviation)) / counts, 0.0))
    del deviation
    several = counts >= 2
    activity_r = (float(np.corrcoef(np.log(counts[several]), means[several])[0, 1])
                  if several.sum() > 2 and len(np.unique(counts[several])) > 1 and len(np.unique(means[several])) > 1
                  else float("nan"))
    item_means = np.bincount(item, weights=r) / np.bincount(item)
    return {"within-user std": float(spread[several].mean()), "user-mean std": float(means.std()),
            "item-mean std": float(item_means.std()), "activity-rating r": activity_r,
            "bias RMSE": bias_rmse(user, item, r)}


def user_share_measures(ratings, qs):
    """{"user share >= q": the user-averaged share of relevant ratings} at each q."""
    shares = relevant_shares(ratings, qs)
    return {share_label(q): float(shares[:, j].mean()) for j, q in enumerate(qs)}


def mf_users(user, limit=MF_MAX_RATINGS, seed=0):
    """Rows of whole users, in a seeded random order, holding at most ``limit`` ratings (every row when the data
    holds no more): the MF fit of a 100M-rating dataset would take longer than making it."""
    if len(user) <= limit:
        return slice(None)
    counts = np.bincount(user)
    order = rng(seed, "measure", "mf_users").permutation(len(counts))
    chosen = np.zeros(len(counts), dtype=bool)
    chosen[order[: max(1, int(np.searchsorted(np.cumsum(counts[order]), limit, side="right")))]] = True
    return np.flatnonzero(chosen[user])


def structure_row(name, ratings, split=None, qs=None):
    """The structure measures of one (user_id, item_id, rating) frame; the MF RMSE on at most MF_MAX_RATINGS
    ratings of whole users (mf_users); the user shares at ``qs`` (default: the frame's top two values; a
    synthetic dataset's table passes its source's)."""
    user, item, r = _codes(ratings)
    n_users, n_items = int(user.max()) + 1, int(item.max()) + 1  # Python ints: users x items passes 2^31
    rows = mf_users(user)
    qs = relevance_levels(ratings) if qs is None else qs
    row = {"dataset": name, **{k: round(v, 3) for k, v in spread_measures(ratings, (user, item, r)).items()},
           **{k: round(v, 3) for k, v in user_share_measures(ratings, qs).items()},
           "MF RMSE": round(mf_rmse(user[rows], item[rows], r[rows]), 3),
           "density %": round(float(100.0 * len(r) / (n_users * n_items)), 3)}
    if split is not None:
        row["test items/user"] = round(test_items_per_user(np.bincount(user), split), 1)
    return row
