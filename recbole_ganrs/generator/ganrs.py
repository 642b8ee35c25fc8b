"""GANRS: learn a ratings dataset, then sample synthetic ones of any size.

    gen = GANRS(seed=0).fit("ml-100k")
    ratings = gen.sample(users=2000, items=4000, samples=800_000, std=2.5, seed=0)
    gen.save("ml-100k.ganrs.pt"); gen = GANRS.load("ml-100k.ganrs.pt")

``fit`` trains the DeepMF embedding stage then the GAN on the dense
<user emb, item emb, normalised rating> vectors; ``sample`` draws noise, runs the
generator, clusters the user and item parts into the requested numbers of users
and items, and cleans the ratings (see ``ratings.py``).
"""
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator.base import SyntheticGenerator, check_request, ratings_frame
from recbole_ganrs.generator.clustering import Clusters
from recbole_ganrs.generator.embedding import fit_embeddings
from recbole_ganrs.generator.gan import Generator, train_gan
from recbole_ganrs.generator.ratings import MATCHES, PairAccumulator, to_scale

MIN_RATINGS, MIN_USERS, MIN_ITEMS = 100, 5, 5
SAMPLE_CHUNK = 1 << 18  # draws generated, assigned and merged at a time
FIT_DRAWS, FIT_DRAWS_PER_CLUSTER = 500_000, 20  # draws the clusters are fitted on
REAL_SAMPLE = 5000  # real dense vectors kept for diagnostics plots


@dataclass
class SourceSummary:
    """What ``fit`` learnt about the source, beyond the networks."""

    name: str
    n_users: int
    n_items: int
    n_ratings: int
    rating_values: list
    rating_shares: list
    rating_mean: float
    embedding_holdout_rmse: float
    embedding_train_rmse: float
    user_activity: list  # ratings per user, sorted: the shape synthetic users follow
    item_popularity: list  # ratings per item, sorted


@dataclass
class GANRS(SyntheticGenerator):
    """The GANRS generator (scikit-learn style: parameters here, learnt state after ``fit``)."""

    kind = "ganrs"
    fit_format = 3

    embedding_size: int = 5
    gan: str = "gan"
    gan_steps: int = 20000
    gan_batch_size: int = 32
    embedding_epochs: int = 20
    rating_match: str = "distribution"
    match_shapes: bool = True
    seed: int = 0
    progress: bool = True
    _state: dict = field(default=None, repr=False)

    def __post_init__(self):
        if self.gan not in ("gan", "wgan"):
            raise GanrsError(f"gan must be 'gan' or 'wgan', not '{self.gan}'")
        if self.rating_match not in MATCHES:
            raise GanrsError(f"rating_match must be one of {MATCHES}, not '{self.rating_match}'")
        if self.embedding_size < 1 or self.gan_steps < 1 or self.gan_batch_size < 2:
            raise GanrsError("embedding_size and gan_steps must be >= 1, gan_batch_size >= 2")

    # ----------------------------------------------------------------- fit
    def fit(self, source):
        """Learn ``source``: 'ml-100k', an atomic folder, or a DataFrame (user_id, item_id, rating)."""
        ratings, name = self.read_source(source)
        user_idx, users = pd.factorize(ratings["user_id"])
        item_idx, items = pd.factorize(ratings["item_id"])
        r = ratings["rating"].to_numpy(np.float64)
        if len(r) < MIN_RATINGS or len(users) < MIN_USERS or len(items) < MIN_ITEMS:
            raise GanrsError(
                f"source too small to learn: {len(r)} ratings, {len(users)} users, {len(items)} items "
                f"(need at least {MIN_RATINGS}, {MIN_USERS}, {MIN_ITEMS})"
            )
        values, counts = np.unique(r, return_counts=True)
        if len(values) < 2:
            raise GanrsError("source has a single rating value: nothing to learn")
        emb = fit_embeddings(user_idx, item_idx, r, len(users), len(items), size=self.embedding_size,
                             epochs=self.embedding_epochs, seed=self.seed, progress=self.progress)
        lo, hi = values[0], values[-1]
        mid, span = (lo + hi) / 2, hi - lo + 1  # reference: (r - 3) / 5 on 1..5
        dense = np.hstack([emb.users[user_idx], emb.items[item_idx], ((r - mid) / span)[:, None]])
        dense = torch.as_tensor(dense, dtype=torch.float32)
        # the GAN sees standardised columns; sample() maps its output back
        mean, std = dense.mean(0), dense.std(0).clamp_min(1e-6)
        generator = train_gan((dense - mean) / std, kind=self.gan, steps=self.gan_steps,
                              batch_size=self.gan_batch_size, seed=self.seed, progress=self.progress)
        keep = torch.randperm(len(dense), generator=torch.Generator().manual_seed(self.seed))[:REAL_SAMPLE]
        summary = SourceSummary(
            name=name, n_users=len(users), n_items=len(items), n_ratings=len(r),
            rating_values=values.tolist(), rating_shares=(counts / counts.sum()).tolist(),
            rating_mean=float(r.mean()), embedding_holdout_rmse=emb.holdout_rmse,
            embedding_train_rmse=emb.train_rmse,
            user_activity=np.sort(np.bincount(user_idx)).tolist(),
            item_popularity=np.sort(np.bincount(item_idx)).tolist(),
        )
        self._state = {
            "generator": generator.state_dict(), "column_mean": mean, "column_std": std,
            "rating_mid": float(mid), "rating_span": float(span), "real_sample": dense[keep],
            "real_users": torch.as_tensor(emb.users),
            "summary": asdict(summary),
        }
        return self

    @property
    def summary(self):
        """:class:`SourceSummary` of the fitted source."""
        self._check_fitted()
        return SourceSummary(**self._state["summary"])

    def _generator(self):
        gen = Generator(self._state["column_mean"].numel())
        gen.load_state_dict(self._state["generator"])
        return gen.eval()

    # -------------------------------------------------------------- sample
    def iter_dense(self, n, std=2.5, seed=0):
        """``n`` generated <user emb, item emb, rating> rows (de-standardised), chunk by chunk."""
        self._check_fitted()
        gen, noise_gen = self._generator(), torch.Generator().manual_seed(seed)
        mean, scale = self._state["column_mean"], self._state["column_std"]
        with torch.no_grad():
            for start in range(0, n, SAMPLE_CHUNK):
                noise = torch.randn(min(SAMPLE_CHUNK, n - start), gen.noise_size, generator=noise_gen) * std
                yield (gen(noise) * scale + mean).numpy()

    def generate_dense(self, n, std=2.5, seed=0):
        """``n`` generated rows at once (for diagnostics; ``sample`` streams them)."""
        return np.concatenate(list(self.iter_dense(n, std, seed)))

    def fit_clusters(self, users, items, samples, std, seed):
        """User and item :class:`Clusters` fitted on the first draws of the stream."""
        k, s = self.embedding_size, self.summary
        rows = min(samples, max(FIT_DRAWS, FIT_DRAWS_PER_CLUSTER * max(users, items)))
        chunks, taken = [], 0
        for chunk in self.iter_dense(samples, std, seed):
            chunks.append(chunk[: rows - taken])
            taken += len(chunks[-1])
            if taken >= rows:
                break
        dense = np.concatenate(chunks)
        user_clusters = Clusters.fit(dense[:, :k], users, seed, s.user_activity if self.match_shapes else None)
        item_clusters = Clusters.fit(dense[:, k : 2 * k], items, seed + 1,
                                     s.item_popularity if self.match_shapes else None)
        return user_clusters, item_clusters

    def name_suffix(self):
        return ("-wgan" if self.gan == "wgan" else "") + (f"-emb{self.embedding_size}" if self.embedding_size != 5 else "")

    def sample_with_meta(self, users, items, samples, std=2.5, seed=0):
        """(ratings, {"privacy": DCR report of the synthetic users}); see :meth:`sample_with_users`."""
        ratings, user_embeddings = self.sample_with_users(users, items, samples, std, seed)
        return ratings, {"privacy": self.privacy(user_embeddings)}

    def privacy(self, user_embeddings):
        """DCR report of synthetic user embeddings against the source's users (stats/privacy.py)."""
        from recbole_ganrs.stats.privacy import dcr_report

        self._check_fitted()
        return dcr_report(user_embeddings, self._state["real_users"].numpy())

    def sample_with_users(self, users, items, samples, std=2.5, seed=0):
        """(ratings, user embeddings): a synthetic ratings DataFrame (user_id, item_id, rating)
        with at most ``users`` users, ``items`` items and ``samples`` ratings (fewer: repeated pairs are merged), and the
        embedding (cluster centre) of each synthetic user, row k for user id k + 1.

        The draws are generated, assigned and merged chunk by chunk: memory grows
        with the output, not with ``samples``."""
        self._check_fitted()
        check_request(users, items, samples, std)
        k, s = self.embedding_size, self.summary
        with tqdm(total=samples, desc="sampling", unit="draw", unit_scale=True,
                  disable=None if self.progress else True, leave=False) as bar:
            user_clusters, item_clusters = self.fit_clusters(users, items, samples, std, seed)
            pairs = PairAccumulator(items)
            for dense in self.iter_dense(samples, std, seed):
                value = dense[:, -1].astype(np.float64) * self._state["rating_span"] + self._state["rating_mid"]
                pairs.add(user_clusters.assign(dense[:, :k]), item_clusters.assign(dense[:, k : 2 * k]), value)
                bar.update(len(dense))
        user, item, value = pairs.result()
        rating = to_scale(value, s.rating_values, s.rating_shares, s.rating_mean, self.rating_match)
        ratings, used_users = ratings_frame(user, item, rating)
        return ratings, user_clusters.centres[used_users]
