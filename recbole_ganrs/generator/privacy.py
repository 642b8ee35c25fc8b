"""Privacy of a synthetic dataset, measured where GANRS defines its users: the embedding space.

Synthetic ids are clusters of generated embeddings, with no link to real ids, so
profiles are compared as embeddings: each synthetic user is its cluster centre,
each real user its DeepMF embedding. DCR (distance to closest record) of a
synthetic user = distance to the nearest real user; the baseline is each real
user's distance to its nearest other real user. A synthetic user "copies" a real
one when its DCR is below ``COPY_FRACTION`` of the median real-to-real distance.
"""
import numpy as np
from sklearn.neighbors import KDTree

COPY_FRACTION = 0.01


def dcr_report(synthetic_users, real_users):
    """DCR statistics of synthetic user embeddings against real ones."""
    real = np.asarray(real_users, dtype=np.float64)
    synthetic = np.asarray(synthetic_users, dtype=np.float64)
    tree = KDTree(real)
    dcr = tree.query(synthetic, k=1)[0][:, 0]
    real_nn = tree.query(real, k=2)[0][:, 1]  # k=1 is the point itself
    median_nn = float(np.median(real_nn))
    return {
        "DCR median": round(float(np.median(dcr)), 4),
        "real NN median": round(median_nn, 4),
        "DCR / real NN": round(float(np.median(dcr)) / median_nn, 3) if median_nn > 0 else float("nan"),
        "share DCR < real 5%": round(float(np.mean(dcr < np.quantile(real_nn, 0.05))), 4),
        "copies": round(float(np.mean(dcr < COPY_FRACTION * median_nn)), 4),
    }
