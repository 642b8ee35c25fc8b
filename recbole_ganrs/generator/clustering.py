"""Stage 5 of GANRS: synthetic ids are clusters of the generated embeddings.

The reference runs k-means over every generated point, which is slow for
hundreds of thousands of points and thousands of clusters, and k-means makes
clusters of similar size, so every synthetic user rates about as much as every
other (the source's long tail is lost). Here:

- scikit-learn's KMeans is fitted on a random subsample (``points_per_cluster``
  points per cluster) and all points are assigned to the nearest centre (KD-tree);
- with ``sizes`` (the default in GANRS), each centre gets a bias so that the
  cluster sizes follow a target shape, e.g. the source's user activity: a point
  goes to argmin_j ||x - c_j||^2 - b_j (a power diagram) over its few nearest
  centres. The biases are fitted by dual ascent of this semi-discrete assignment
  problem, and the largest targets go to the centres that k-means made largest,
  which moves the geometry as little as possible.
"""
import numpy as np
from sklearn.cluster import KMeans
from sklearn.neighbors import KDTree


def fit_centres(points, n_clusters, seed=0, points_per_cluster=10, max_iter=20):
    """k-means centres [n_clusters, d] from a random subsample of ``points``."""
    subset = subsample(points, n_clusters * points_per_cluster, seed)
    kmeans = KMeans(n_clusters, init="random", n_init=1, max_iter=max_iter, random_state=seed)
    return kmeans.fit(subset).cluster_centers_.astype(np.float32)


def subsample(points, n, seed):
    rng = np.random.default_rng(seed)
    return points[rng.choice(len(points), n, replace=False)] if n < len(points) else points


def nearest_centres(points, centres, k):
    """The ``k`` nearest centres of each row and their squared distances (KD-tree: low dimension)."""
    dist, idx = KDTree(centres).query(points, k=min(k, len(centres)))
    return idx, (dist**2).astype(np.float32)


def biased_choice(idx, d2, bias):
    """Cluster of each row: argmin over its candidate centres of d2 - bias."""
    return idx[np.arange(len(idx)), np.argmin(d2 - bias[idx], axis=1)]


def fit_biases(idx, d2, shares, steps=80):
    """Biases that make the power-diagram cluster shares close to ``shares`` (dual ascent)."""
    n_clusters = len(shares)
    bias = np.zeros(n_clusters, dtype=np.float32)
    scale = float(d2[:, 0].mean())  # steps in squared-distance units
    target = np.log(np.maximum(shares * len(idx), 0.5))
    for step in range(steps):
        counts = np.bincount(biased_choice(idx, d2, bias), minlength=n_clusters)
        bias += np.float32(0.5 * scale / (1 + step / 20)) * (target - np.log(counts + 0.5)).astype(np.float32)
    return bias


def target_shares(shape, n_clusters):
    """``n_clusters`` shares following the empirical distribution ``shape`` (e.g. ratings per user)."""
    q = (np.arange(n_clusters) + 0.5) / n_clusters
    sizes = np.quantile(np.asarray(shape, dtype=np.float64), q)
    return sizes / sizes.sum()


def cluster_ids(points, n_clusters, seed=0, sizes=None, points_per_cluster=10, candidates=8):
    """Cluster index (0..n_clusters-1) of each row of ``points``.

    ``sizes``: optional empirical distribution of cluster sizes to follow (any
    scale; its shape is used); without it, plain nearest-centre k-means. A point
    may only move to one of its ``candidates`` nearest centres.
    """
    points = np.ascontiguousarray(points, dtype=np.float32)
    centres = fit_centres(points, n_clusters, seed, points_per_cluster)
    idx, d2 = nearest_centres(points, centres, 1 if sizes is None else candidates)
    if sizes is None:
        return idx[:, 0]
    natural = np.bincount(idx[:, 0], minlength=n_clusters)
    shares = np.empty(n_clusters)
    shares[np.argsort(natural, kind="stable")] = target_shares(sizes, n_clusters)
    return biased_choice(idx, d2, fit_biases(idx, d2, shares))
