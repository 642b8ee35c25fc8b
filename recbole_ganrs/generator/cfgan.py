"""A CFGAN-style comparison generator: a GAN on raw sparse rating vectors, not on embeddings.

What the GANRS papers argue against: like CFGAN (Chae et al. 2018), the GAN sees
one real user at a time as a vector over all the source's items. Here it is the
pair [rated mask, mask * rating in 0..1] (2 x n_items values); the generator
outputs a rated probability and a rating value per item, and the discriminator
sees [p, p * value], so it judges both which items a user rates and how. A
synthetic user is one generator output: an item is rated with probability p
(a Bernoulli draw) and gets the generated value, mapped to the source's rating
shares as GANRS does. Asked for a number of ratings, it draws more Bernoulli rounds
over the same synthetic users until it has that many distinct pairs.

What the raw-vector design implies, and the tool says so rather than hide it:
items are the source's items (a vector has one slot per real item), so ``items``
above the source's count are capped; ``samples`` caps the number of ratings kept
(a uniform subsample). ``std`` is GANRS's setting and is ignored: this generator
samples the N(0, 1) noise it was trained on (with GANRS's 2.5 it collapses onto a
few hundred items: measured 187 items used at 2,000 users on ml-100k, 909 at std 1).
"""
import itertools
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy.sparse import csr_matrix
from torch import nn
from tqdm.auto import tqdm

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator.base import SyntheticGenerator, ratings_frame
from recbole_ganrs.generator.ratings import collect_pairs, to_scale
from recbole_ganrs import seeds
from recbole_ganrs.seeds import stream, torch_generator

NOISE_SIZE = 100
USER_CHUNK = 1024  # synthetic users generated at a time


class VectorGenerator(nn.Module):
    """noise -> (rated probability, rating value in 0..1) for every item."""

    def __init__(self, n_items, hidden, noise_size=NOISE_SIZE):
        super().__init__()
        self.noise_size, self.n_items = noise_size, n_items
        self.net = nn.Sequential(nn.Linear(noise_size, hidden), nn.ReLU(), nn.Linear(hidden, 2 * hidden), nn.ReLU(),
                                 nn.Linear(2 * hidden, 2 * n_items))

    def forward(self, noise):
        logits, value = self.net(noise).split(self.n_items, dim=1)
        return torch.sigmoid(logits), torch.sigmoid(value)


def discriminator(n_items, hidden):
    return nn.Sequential(nn.Linear(2 * n_items, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden // 4),
                         nn.LeakyReLU(0.2), nn.Linear(hidden // 4, 1))


@dataclass
class CFGANStyle(SyntheticGenerator):
    """GAN over users' raw rating vectors (one slot per source item); see the module docstring."""

    kind = "cfgan"
    fit_format = 3  # 3: the seed plan (seeds.py)
    hidden: int = 128
    gan_steps: int = 2000
    gan_batch_size: int = 64
    seed: int = 0
    progress: bool = True

    def _fit(self, ratings, summary):
        user, _ = pd.factorize(ratings["user_id"])
        item, _ = pd.factorize(ratings["item_id"])
        r = ratings["rating"].to_numpy(np.float64)
        lo, hi = summary.rating_values[0], summary.rating_values[-1]
        shape = (summary.n_users, summary.n_items)
        mask = csr_matrix((np.ones(len(r), np.float32), (user, item)), shape=shape)
        scaled = csr_matrix((((r - lo) / (hi - lo)).astype(np.float32), (user, item)), shape=shape)
        return {"generator": self._train(mask, scaled).state_dict()}

    def _train(self, mask, scaled):
        """BCE GAN (Adam 1e-4, beta1 0.5) on batches of real users, densified per batch."""
        torch.manual_seed(stream(self.seed, "fit", "cfgan_init"))
        n_users, n_items = mask.shape
        gen, disc = VectorGenerator(n_items, self.hidden), discriminator(n_items, self.hidden)
        opt_g = torch.optim.Adam(gen.parameters(), lr=1e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(disc.parameters(), lr=1e-4, betas=(0.5, 0.999))
        bce, batch = nn.BCEWithLogitsLoss(), min(self.gan_batch_size, n_users)
        ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
        rng, noise = seeds.rng(self.seed, "fit", "cfgan"), torch_generator(self.seed, "fit", "cfgan_noise")
        for _ in tqdm(range(self.gan_steps), desc="CFGAN-style training", leave=False,
                      disable=None if self.progress else True):
            rows = rng.choice(n_users, batch, replace=False)
            real = torch.from_numpy(np.hstack([mask[rows].toarray(), scaled[rows].toarray()]))
            p, v = gen(torch.randn(batch, NOISE_SIZE, generator=noise))
            fake = torch.cat([p, p * v], dim=1)
            d_loss = bce(disc(real), ones) + bce(disc(fake.detach()), zeros)
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = bce(disc(fake), ones)
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
        return gen.eval()

    def _sample(self, request, workers=None):
        n_items, users = self.summary.n_items, request.users
        if request.items > n_items:
            warnings.warn(f"cfgan: items capped at the source's {n_items} (a raw rating vector has one slot "
                          f"per real item)", stacklevel=3)
        gen = VectorGenerator(n_items, self.hidden)
        gen.load_state_dict(self._state["generator"])
        gen.eval()
        noise_gen, pair_gen = (torch_generator(request.seed, "sample", name) for name in ("noise", "pairing"))
        with torch.no_grad():  # one (rated probability, value) vector per synthetic user
            vectors = [gen(torch.randn(min(USER_CHUNK, users - start), NOISE_SIZE, generator=noise_gen))
                       for start in range(0, users, USER_CHUNK)]
        if request.ratings is None:  # one Bernoulli round, then the most rated items and at most `samples`
            user, item, value = (np.concatenate(x) for x in zip(*self._round(vectors, pair_gen)))
            user, item, value = self._restrict(user, item, value, request.items, request.samples, request.seed)
        else:  # Bernoulli rounds over the same users until `ratings` distinct pairs, on the most likely items
            keep = torch.argsort(-sum(p.sum(0) for p, _ in vectors), stable=True)[: request.items]
            mask = torch.zeros(n_items, dtype=torch.bool)
            mask[keep] = True
            vectors = [(p * mask, v) for p, v in vectors]
            rounds = (chunk for _ in itertools.count() for chunk in self._round(vectors, pair_gen, shuffle=True))
            user, item, value = collect_pairs(rounds, request, n_items, self.kind)
        if len(user) == 0:
            raise GanrsError("cfgan: the generator rated no item for any user; train it longer (--gan-steps)")
        rating = to_scale(value, self.summary.rating_values, self.summary.rating_shares, None, "distribution")
        meta = {"items_generated": int(len(np.unique(item))), "items_capped": request.items > n_items}
        return ratings_frame(user, item, rating)[0], meta

    @staticmethod
    def _round(vectors, gen, shuffle=False):
        """One Bernoulli draw of every user's items: (user, item, value) per chunk of users (in a seeded
        random order with ``shuffle``, so that a cut at N pairs favours no user)."""
        start = 0
        for p, v in vectors:
            u, i = torch.nonzero(torch.bernoulli(p, generator=gen), as_tuple=True)
            values = v[u, i]
            if shuffle:
                order = torch.randperm(len(u), generator=gen)
                u, i, values = u[order], i[order], values[order]
            yield u.numpy() + start, i.numpy(), values.numpy().astype(np.float64)
            start += len(p)

    @staticmethod
    def _restrict(user, item, value, items, samples, seed):
        """Keep the ``items`` most rated items, then at most ``samples`` ratings (uniformly)."""
        counts = np.bincount(item)
        if items < np.count_nonzero(counts):
            keep = np.isin(item, np.argsort(-counts, kind="stable")[:items])
            user, item, value = user[keep], item[keep], value[keep]
        if len(user) > samples:
            keep = np.sort(seeds.rng(seed, "sample", "subset").choice(len(user), samples, replace=False))
            user, item, value = user[keep], item[keep], value[keep]
        return user, item, value
