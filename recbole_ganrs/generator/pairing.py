"""Which (user, item) pairs a GANRS dataset rates: the ``shapes`` pairing (the default).

The reference rates the (user cluster, item cluster) pair of every draw. The GAN couples a
draw's user and item parts tightly, so one synthetic user's draws land on a few hundred
items however many draws it gets: at Table IV's density (353,269 ratings, 2,000 users,
ml-100k) a heavy user's 16,000 draws held 207 distinct items, and the activity and
popularity shapes went flat (KS 0.27 / 0.26, item Gini 0.39 against the source's 0.63).
Here the draws say where a user's items lie, and the source says how many each has:

- affinity: a Gaussian over the item parts of each user's draws (their mean and
  covariance, shrunk toward all draws' for users with few draws, widened by the item
  clusters' own spread), as a log density at every item centre;
- counts: the ratings of each user (item) follow the target shape (the source's activity
  and popularity, or a scenario's), the largest going to the users (items) with the most draws;
- probabilities P_ui = min(1, exp(affinity_ui + a_u + b_i)), a_u and b_i scaled (Sinkhorn
  iterations, capped at 1) so that P's row and column sums are those counts;
- the pairs: each user's count (rounded, summing to the total) of items of smallest
  U_ui / P_ui (U uniform, seeded; sequential Poisson sampling): about a Bernoulli(P_ui)
  draw each, with exactly the user's count.

The [users, items] affinity matrix is held in memory (4 bytes a cell) and swept in row
chunks, so this pairing takes at most MAX_CELLS cells (8,000 x 4,000 is 32M: 19.5 s);
larger datasets use the ``draws`` pairing.
"""
import numpy as np
import torch

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator.clustering import ordered_shares
from recbole_ganrs.seeds import torch_generator

PAIRINGS = ("shapes", "draws")
SHRINK = 10.0  # draws' worth of the overall moments added to each user's: few draws, broad affinity
SCALING_STEPS = 40  # capped Sinkhorn steps (shapes reach KS < 0.05 on ml-100k by then)
CHUNK_CELLS = 1 << 22  # cells swept at a time
MAX_CELLS = 200_000_000  # users x items of the largest shapes pairing (0.8 GB of affinities)


def check_cells(users, items):
    """Refuse, in one line, a dataset too large for the shapes pairing's [users, items] matrix."""
    if users * items > MAX_CELLS:
        raise GanrsError(f"ganrs: the shapes pairing holds a users x items matrix; {users:,} x {items:,} is over "
                         f"{MAX_CELLS:,} cells: use --pairing draws")


def user_moments(user, points, n_users, shrink=SHRINK):
    """Mean [U, k] and covariance [U, k, k] of each user's ``points``, shrunk toward all points'."""
    points = np.asarray(points, np.float64)
    k = points.shape[1]
    count = np.bincount(user, minlength=n_users).astype(np.float64)[:, None]
    sums = np.stack([np.bincount(user, weights=points[:, d], minlength=n_users) for d in range(k)], 1)
    products = np.stack([np.bincount(user, weights=points[:, a] * points[:, b], minlength=n_users)
                         for a in range(k) for b in range(k)], 1).reshape(n_users, k, k)
    overall_mean, overall_second = points.mean(0), points.T @ points / len(points)
    mean = (sums + shrink * overall_mean) / (count + shrink)
    second = (products + shrink * overall_second) / (count[:, :, None] + shrink)
    return mean, second - mean[:, :, None] * mean[:, None, :]


def affinity(mean, cov, centres, widen):
    """log N(centre_i; mean_u, cov_u + widen I) for every user u and item centre i, float32 [U, I]."""
    k = mean.shape[1]
    precision = np.linalg.inv(cov + widen * np.eye(k))
    logdet = np.linalg.slogdet(precision)[1]
    c = torch.as_tensor(np.asarray(centres, np.float64))
    outer = (c[:, :, None] * c[:, None, :]).reshape(len(c), k * k)  # c c^T, flattened
    out = np.empty((len(mean), len(c)), dtype=np.float32)
    rows = max(1, CHUNK_CELLS // len(c))
    for start in range(0, len(mean), rows):
        p = torch.as_tensor(precision[start : start + rows])
        m = torch.as_tensor(mean[start : start + rows])
        pm = torch.einsum("uab,ub->ua", p, m)
        # -(c - m)^T P (c - m) / 2 = -(c^T P c - 2 c^T P m + m^T P m) / 2, one matrix product a term
        quad = p.reshape(len(p), k * k) @ outer.T - 2 * pm @ c.T + (pm * m).sum(1, keepdim=True)
        out[start : start + rows] = (0.5 * (torch.as_tensor(logdet[start : start + rows])[:, None] - quad)).numpy()
    return out


def target_counts(sizes, total, order_by, cap):
    """Counts summing to ``total`` that follow the shape ``sizes`` (at most ``cap`` each), the largest going
    to the rows with the largest ``order_by``."""
    counts = ordered_shares(sizes, order_by) * total
    for _ in range(50):  # give what the cap cuts off to the rows below it
        over = counts > cap
        if not over.any():
            break
        free = ~over
        counts[free] += (counts[over] - cap).sum() * counts[free] / counts[free].sum()
        counts[over] = cap
    return counts


def _row_chunks(n_rows, n_cols):
    rows = max(1, CHUNK_CELLS // n_cols)
    return [slice(s, min(s + rows, n_rows)) for s in range(0, n_rows, rows)]


def _probabilities(logk, a, b, rows):
    return torch.exp(torch.as_tensor(logk[rows]) + a[rows, None] + b[None, :]).clamp_(max=1.0)


def fit_scaling(logk, row_counts, col_counts, steps=SCALING_STEPS):
    """Row and column log-scalings a, b with min(1, exp(logk + a + b)) summing to the counts (capped Sinkhorn)."""
    rows_t = torch.as_tensor(row_counts, dtype=torch.float32).clamp_min(1e-6)
    cols_t = torch.as_tensor(col_counts, dtype=torch.float32).clamp_min(1e-6)
    chunks = _row_chunks(*logk.shape)
    a = torch.log(rows_t) - torch.cat([torch.logsumexp(torch.as_tensor(logk[r]), 1) for r in chunks])
    b = torch.zeros(logk.shape[1])
    for _ in range(steps):
        col = sum(_probabilities(logk, a, b, r).sum(0) for r in chunks)
        b += torch.log(cols_t / col.clamp_min(1e-12))
        row = torch.cat([_probabilities(logk, a, b, r).sum(1) for r in chunks])
        a += torch.log(rows_t / row.clamp_min(1e-12))
    return a, b


def whole_counts(counts, total):
    """``counts`` rounded to integers that sum to ``total`` (largest remainders)."""
    whole = np.floor(counts).astype(np.int64)
    short = int(total - whole.sum())
    if short > 0:
        whole[np.argsort(whole - counts, kind="stable")[:short]] += 1
    return whole


def draw_pairs(logk, a, b, row_counts, seed):
    """Each row u's ``row_counts[u]`` distinct items, each about as likely as its probability P_ui
    (sequential Poisson sampling: the smallest U / P, U uniform, seeded), sorted by user then item."""
    gen = torch_generator(seed, "sample", "pairing")
    n_cols = logk.shape[1]
    row_counts = torch.as_tensor(row_counts)
    users, items = [], []
    for rows in _row_chunks(*logk.shape):
        key = torch.rand(rows.stop - rows.start, n_cols, generator=gen) / _probabilities(logk, a, b, rows)
        want = row_counts[rows]
        chosen = torch.topk(key, int(want.max()), dim=1, largest=False).indices
        keep = torch.arange(chosen.shape[1])[None, :] < want[:, None]
        users.append(torch.nonzero(keep)[:, 0] + rows.start)
        items.append(chosen[keep])
    user, item = torch.cat(users).numpy(), torch.cat(items).numpy()
    order = np.lexsort((item, user))
    return user[order], item[order]
