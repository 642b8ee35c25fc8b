"""A statistical comparison generator: the source's marginals and nothing else.

Each synthetic user gets an activity weight drawn from the source's ratings-per-user
counts, each synthetic item a popularity weight drawn from its ratings-per-item
counts; every draw picks a user and an item in proportion to those weights
(independently), repeated pairs are merged, and each kept pair gets a rating drawn
from the source's rating shares. There is no user-item structure to learn, so it
is the floor GANRS must beat: a model that ranks well here only exploits popularity.
``std`` has no meaning for it and is ignored.
"""
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from recbole_ganrs import seeds
from recbole_ganrs.generator.base import SyntheticGenerator, ratings_frame
from recbole_ganrs.generator.ratings import collect_pairs, draw_chunks
from recbole_ganrs.generator.scenario import shape_sizes

CHUNK = 1 << 20


@dataclass
class StatisticalGenerator(SyntheticGenerator):
    """Activity, popularity and rating shares sampled independently from the source's distributions."""

    kind = "statistical"
    fit_format = 3  # 3: the seed plan (seeds.py)
    seed: int = 0
    progress: bool = True

    def follows_shapes(self, request):
        return True

    def _fit(self, ratings, summary):
        return {}  # the source summary is all it learns

    def _sample(self, request, workers=None):
        s, rng = self.summary, seeds.rng(request.seed, "sample", "statistical")
        users, items = request.users, request.items
        user_p = rng.choice(shape_sizes(request.activity, s.user_activity), users)
        item_p = rng.choice(shape_sizes(request.popularity, s.item_popularity), items)
        user_p, item_p = user_p / user_p.sum(), item_p / item_p.sum()
        chunks = ((rng.choice(users, n, p=user_p), rng.choice(items, n, p=item_p), np.zeros(n))
                  for n in tqdm(draw_chunks(request.samples, CHUNK), desc="sampling", unit="chunk", leave=False,
                                disable=None if self.progress else True))
        user, item, _ = collect_pairs(chunks, request, items, self.kind)
        rating = rng.choice(np.asarray(s.rating_values), len(user), p=np.asarray(s.rating_shares))
        return ratings_frame(user, item, rating)[0], {}
