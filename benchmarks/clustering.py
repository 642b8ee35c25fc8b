"""k-means and assignment: today's path (scikit-learn KMeans / KD-tree Lloyd, KD-tree queries) against faiss
(``faiss.Kmeans``, ``IndexFlatL2``), on the same GANRS draws.

    pip install faiss-cpu            # only for this comparison; the package does not need it
    python benchmarks/clustering.py --draws 3000000 --users 100000 --items 20000

Prints one row per stage and library: seconds, draws/s, and how often both give the same nearest centre.
Assignment of all ``--draws`` is timed on ``--timed`` of them (same chunks for both) and scaled up
linearly (a per-draw cost); faiss k-means runs ``--faiss-iterations`` of the 20 Lloyd iterations and is
scaled to 20 (brute force: each iteration costs the same); each row says what was scaled.
"""
import argparse
import time

import numpy as np
from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.generator import GANRS
from recbole_ganrs.generator.clustering import fit_centres, nearest, neighbour_index

CANDIDATES = 8  # nearest centres each draw is compared with (clustering.Clusters)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def faiss_centres(points, n_clusters, seed, points_per_cluster=10, niter=20):
    """faiss.Kmeans on the same sample size as fit_centres (``points_per_cluster`` per centre)."""
    import faiss

    rng = np.random.default_rng(seed)
    subset = points[np.sort(rng.choice(len(points), min(len(points), n_clusters * points_per_cluster), replace=False))]
    kmeans = faiss.Kmeans(points.shape[1], n_clusters, niter=niter, seed=seed, max_points_per_centroid=points_per_cluster)
    kmeans.train(np.ascontiguousarray(subset, dtype=np.float32))
    return kmeans.centroids


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=3_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--timed", type=int, default=1 << 18, help="draws whose assignment is timed")
    parser.add_argument("--gan-steps", type=int, default=None)
    parser.add_argument("--faiss-iterations", type=int, default=2, help="faiss k-means iterations timed (of 20)")
    args = parser.parse_args()
    import faiss

    settings = {} if args.gan_steps is None else {"gan_steps": args.gan_steps}
    generator = GANRS(progress=False, **settings).fit("ml-100k")
    k = generator.embedding_size
    dense = generator.generate_dense(min(args.draws, max(args.timed, 20 * max(args.users, args.items))), seed=0)
    rows = []
    for part, n_clusters, cols in (("users", args.users, slice(0, k)), ("items", args.items, slice(k, 2 * k))):
        points = np.ascontiguousarray(dense[:, cols], dtype=np.float32)
        ours, t_ours = timed(lambda: fit_centres(points, n_clusters, seed=0))
        _, t_faiss = timed(lambda: faiss_centres(points, n_clusters, seed=0, niter=args.faiss_iterations))
        scale_iter = 20 / args.faiss_iterations
        rows += [{"stage": f"k-means {part} ({n_clusters} centres)", "library": "sklearn / KD-tree Lloyd",
                  "s": round(t_ours, 1), "note": "20 iterations at most, run"},
                 {"stage": f"k-means {part} ({n_clusters} centres)", "library": "faiss.Kmeans",
                  "s": round(t_faiss * scale_iter, 1),
                  "note": f"{args.faiss_iterations} iterations timed x {scale_iter:g}"}]
        query = points[: args.timed]
        (kd_d, kd_i), t_kd = timed(lambda: nearest(neighbour_index(ours), query, CANDIDATES))
        flat = faiss.IndexFlatL2(ours.shape[1])
        flat.add(ours)
        (_, fa_i), t_flat = timed(lambda: flat.search(query, CANDIDATES))
        same = float(np.mean(kd_i[:, 0] == fa_i[:, 0]))
        scale = args.draws / len(query)
        for library, seconds in (("KD-tree (scipy cKDTree)", t_kd), ("faiss IndexFlatL2", t_flat)):
            rows.append({"stage": f"assign {args.draws:,} draws to {part} ({CANDIDATES} nearest)", "library": library,
                         "s": round(seconds * scale, 1), "draws/s": int(len(query) / seconds),
                         "same nearest": round(same, 4), "note": f"timed on {len(query):,} draws x {scale:.1f}"})
    print(tabulate(rows, headers="keys", tablefmt="github"))


if __name__ == "__main__":
    main()
