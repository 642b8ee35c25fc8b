"""Stage 5 of GANRS: synthetic ids are clusters of the generated embeddings.

The reference runs k-means over every generated point, which is slow for
hundreds of thousands of points and thousands of clusters, and k-means makes
clusters of similar size, so every synthetic user rates about as much as every
other (the source's long tail is lost). Here:

- the centres are fitted on a sample of the draws (``points_per_cluster`` points
  per cluster): scikit-learn's KMeans up to ``SKLEARN_MAX_CLUSTERS`` clusters;
  beyond, Lloyd iterations whose assignment step is a KD-tree query (sklearn's
  KMeans compares every point with every centre, hours at 100,000 clusters,
  while the embeddings have only a few dimensions);
- every draw is then assigned with a KD-tree, chunk by chunk, so the draws
  never need to be in memory together;
- with ``sizes`` (the default in GANRS), each centre gets a bias so that the
  cluster sizes follow a target shape, e.g. the source's user activity: a point
  goes to argmin_j ||x - c_j||^2 - b_j (a power diagram) over its few nearest
  centres. The biases are fitted by dual ascent of this semi-discrete assignment
  problem, and the largest targets go to the centres that k-means made largest,
  which moves the geometry as little as possible.
"""
import numpy as np
from scipy.spatial import cKDTree
from sklearn.cluster import KMeans

from recbole_ganrs.signals import deferred

SKLEARN_MAX_CLUSTERS = 10_000


def neighbour_index(centres):
    """A KD-tree over the centres (few dimensions, many centres); scipy's answers the same queries as
    scikit-learn's about 3x faster (benchmarks/clustering.py)."""
    return cKDTree(np.asarray(centres, dtype=np.float64))


def nearest(index, points, k):
    """(squared distances, indices) [n, k] of the ``k`` nearest centres of each point, on all cores."""
    with deferred():  # a signal mid-query would leave the query's threads running as the process exits
        dist, idx = index.query(points, k=[*range(1, k + 1)], workers=-1)  # a list keeps [n, 1] when k is 1
    return (dist**2).astype(np.float32), idx


def subsample(points, n, seed):
    rng = np.random.default_rng(seed)
    return points[np.sort(rng.choice(len(points), n, replace=False))] if n < len(points) else points


def kdtree_lloyd(points, n_clusters, seed=0, max_iter=20):
    """k-means (random init, Lloyd) with a KD-tree for the assignment step: for many clusters in few dimensions."""
    rng = np.random.default_rng(seed)
    centres = points[rng.choice(len(points), n_clusters, replace=False)].astype(np.float64)
    for _ in range(max_iter):
        closest = nearest(neighbour_index(centres), points, 1)[1][:, 0]
        counts = np.bincount(closest, minlength=n_clusters)
        sums = np.stack([np.bincount(closest, weights=points[:, d], minlength=n_clusters)
                         for d in range(points.shape[1])], axis=1)
        moved = counts > 0  # an empty cluster keeps its centre
        updated = centres.copy()
        updated[moved] = sums[moved] / counts[moved, None]
        if np.allclose(updated, centres, atol=1e-6):
            break
        centres = updated
    return centres.astype(np.float32)


def fit_centres(points, n_clusters, seed=0, points_per_cluster=10, max_iter=20):
    """k-means centres [n_clusters, d] from a random subsample of ``points``."""
    # the subsample and the k-means start: two streams spawned from the clusters' seed
    subset_seed, start_seed = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(2))
    subset = subsample(points, n_clusters * points_per_cluster, subset_seed)
    if n_clusters > SKLEARN_MAX_CLUSTERS:
        return kdtree_lloyd(subset, n_clusters, start_seed, max_iter)
    kmeans = KMeans(n_clusters, init="random", n_init=1, max_iter=max_iter, random_state=start_seed)
    return kmeans.fit(subset).cluster_centers_.astype(np.float32)


def biased_choice(idx, d2, bias):
    """Cluster of each row: argmin over its candidate centres of d2 - bias."""
    return idx[np.arange(len(idx)), np.argmin(d2 - bias[idx], axis=1)]


def soft_counts(idx, d2, bias, temperature, scale):
    """Expected points per cluster when each point draws among its candidates with
    probability proportional to exp(-(d2 - bias) / (temperature * scale))."""
    logits = -(d2 - bias[idx]) / np.float32(temperature * scale)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return np.bincount(idx.ravel(), weights=p.ravel(), minlength=len(bias))


def fit_biases(idx, d2, shares, steps=80, temperature=0.0):
    """Biases that make the cluster shares close to ``shares`` (dual ascent), for the nearest-centre
    assignment (a power diagram) or, with ``temperature`` > 0, for the soft one."""
    n_clusters = len(shares)
    bias = np.zeros(n_clusters, dtype=np.float32)
    scale = float(d2[:, 0].mean())  # steps in squared-distance units
    target = np.log(np.maximum(shares * len(idx), 0.5))
    for step in range(steps):
        if temperature > 0:
            counts = soft_counts(idx, d2, bias, temperature, scale)
        else:
            counts = np.bincount(biased_choice(idx, d2, bias), minlength=n_clusters)
        bias += np.float32(0.5 * scale / (1 + step / 20)) * (target - np.log(counts + 0.5)).astype(np.float32)
    return bias


def target_shares(shape, n_clusters):
    """``n_clusters`` shares following the empirical distribution ``shape`` (e.g. ratings per user)."""
    q = (np.arange(n_clusters) + 0.5) / n_clusters
    sizes = np.quantile(np.asarray(shape, dtype=np.float64), q)
    return sizes / sizes.sum()


def ordered_shares(shape, order_by):
    """:func:`target_shares` for ``len(order_by)`` rows, the largest going to the rows with the largest
    ``order_by`` (e.g. the clusters k-means made largest: the geometry moves least)."""
    shares = np.empty(len(order_by))
    shares[np.argsort(order_by, kind="stable")] = target_shares(shape, len(order_by))
    return shares


class Clusters:
    """Fitted centres (and biases) that assign any number of points, chunk by chunk.

    ``assign`` gives each point its nearest centre (less the centre's bias), or, with a
    ``temperature`` > 0, one of its ``candidates`` nearest centres drawn with probability
    proportional to exp(-(d^2 - bias) / (temperature * scale)), ``scale`` being the mean
    squared distance of a point to its nearest centre: draws from one region then reach
    the neighbouring users and items too, not always the same pairs.
    """

    def __init__(self, centres, bias=None, candidates=8, scale=1.0):
        self.centres, self.bias = np.asarray(centres, dtype=np.float32), bias
        self.index = neighbour_index(self.centres)
        self.candidates = min(candidates, len(centres))
        self.k = 1 if bias is None else self.candidates
        self.scale = float(scale)

    @classmethod
    def fit(cls, points, n_clusters, seed=0, sizes=None, points_per_cluster=10, candidates=8, temperature=0.0):
        """Centres from ``points``; with ``sizes`` (an empirical distribution of cluster sizes,
        any scale) biases that make the cluster sizes follow its shape under the assignment at
        ``temperature``."""
        points = np.ascontiguousarray(points, dtype=np.float32)
        plain = cls(fit_centres(points, n_clusters, seed, points_per_cluster))
        idx, d2 = cls._candidates(plain.index, points, min(candidates, n_clusters))
        scale = max(float(d2[:, 0].mean()), 1e-12)
        if sizes is None:
            return cls(plain.centres, None, candidates, scale)
        shares = ordered_shares(sizes, np.bincount(idx[:, 0], minlength=n_clusters))
        return cls(plain.centres, fit_biases(idx, d2, shares, temperature=temperature), candidates, scale)

    @staticmethod
    def _candidates(index, points, k):
        d2, idx = nearest(index, points, k)
        return idx, d2

    def assign(self, points, temperature=0.0, rng=None):
        """Cluster index of each row of ``points`` (drawn among the nearest with ``temperature`` > 0)."""
        points = np.ascontiguousarray(points, dtype=np.float32)
        if temperature <= 0:
            idx, d2 = self._candidates(self.index, points, self.k)
            return idx[:, 0] if self.bias is None else biased_choice(idx, d2, self.bias)
        idx, d2 = self._candidates(self.index, points, self.candidates)
        cost = d2 - self.bias[idx] if self.bias is not None else d2
        noisy = -cost / np.float32(temperature * self.scale) + rng.gumbel(size=cost.shape).astype(np.float32)
        return idx[np.arange(len(idx)), np.argmax(noisy, axis=1)]

