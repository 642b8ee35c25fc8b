"""Embedding diagnostics of the first GANRS paper, as PNG files.

- ``embeddings.png``: real vs generated dense vectors projected on the real
  vectors' first two principal components, coloured by rating;
- ``ratings.png``: the rating distribution of the source vs the synthetic dataset.
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

from recbole_ganrs.files import replaced_on_success  # noqa: E402

POINTS = 5000


def _save(fig, path):
    with replaced_on_success(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def plot_embeddings(generator, path, std=2.5, seed=0):
    """Scatter real and generated <user emb, item emb, rating> vectors in 2-D (PCA of the real ones)."""
    real = generator.real_sample()
    fake = generator.generate_dense(min(POINTS, len(real)), std=std, seed=seed)
    pca = PCA(n_components=2, random_state=0).fit(real)
    to_rating = generator.dense_rating
    lo, hi = generator.summary.rating_values[0], generator.summary.rating_values[-1]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharex=True, sharey=True)
    for ax, data, title in ((axes[0], real, "real"), (axes[1], fake, f"generated (std {std:g})")):
        xy = pca.transform(data)
        points = ax.scatter(xy[:, 0], xy[:, 1], c=to_rating(data), s=3, cmap="viridis", vmin=lo, vmax=hi)
        ax.set_title(f"{generator.summary.name}: {title}")
        ax.set_xlabel("PC 1")
    axes[0].set_ylabel("PC 2")
    fig.colorbar(points, ax=axes, label="rating")
    _save(fig, path)
    return Path(path)


def plot_ratings(source, synthetic, path, labels=("source", "synthetic")):
    """Side-by-side bars of the rating shares of two ratings frames."""
    values = np.union1d(source["rating"].unique(), synthetic["rating"].unique())
    fig, ax = plt.subplots(figsize=(6, 4))
    width = 0.4
    for offset, frame, label in ((-width / 2, source, labels[0]), (width / 2, synthetic, labels[1])):
        shares = frame["rating"].value_counts(normalize=True).reindex(values, fill_value=0.0)
        ax.bar(np.arange(len(values)) + offset, shares.to_numpy(), width, label=label)
    ax.set_xticks(np.arange(len(values)), [f"{v:g}" for v in values])
    ax.set_xlabel("rating")
    ax.set_ylabel("share of ratings")
    ax.legend()
    _save(fig, path)
    return Path(path)


def write_diagnostics(generator, source_ratings, ratings, folder, request):
    """embeddings.png and ratings.png of a generated dataset, in its folder."""
    folder = Path(folder)
    return [plot_embeddings(generator, folder / "embeddings.png", request.std, request.seed),
            plot_ratings(source_ratings, ratings, folder / "ratings.png")]
