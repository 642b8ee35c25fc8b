"""A differentially private GANRS fit (``--dp-epsilon``): user-level DP-SGD via Opacus on every stage that reads
the source, and the Gaussian mechanism for the statistics the sampling uses.

The unit of privacy is a user: one user's whole set of ratings may be added or removed (add/remove adjacency),
so every stage samples *users* (Poisson, rate q) and clips each user's summed gradient (not each rating's:
rating-level DP-SGD lets a user with 300 ratings move the model 300 times the clip). Opacus does the clipping, the
noise and the accounting (its ``GradSampleModule``, ``DPOptimizer``, ``RDPAccountant``, ``get_noise_multiplier``);
a user is one Opacus sample, a padded block of its ratings.

Stages and what each releases (the ``PrivacyAccount`` below records each one's noise, rate, steps and epsilon):

1. embeddings: the item embeddings are DP-SGD parameters; a user's vector is never a parameter: each step solves it
   from the user's own ratings and the current item embeddings (ridge), so a user's vector is a function of its
   own data and of DP outputs only. The user vectors are used inside the fit and never kept.
2. statistics: one Gaussian mechanism over each user's rating shares (sum 1), clipped user vector and its square:
   the rating scale's shares (users weighted equally, not ratings), the user columns' mean and spread that
   standardise the GAN's input, and a noisy count of users.
3. GAN: the discriminator is trained with user-level DP-SGD (a user = its up-to-``GAN_ROWS`` rows); the generator
   only ever sees the discriminator, so it is post-processing.

Kept nothing else: no real user vector, profile, count, popularity or real sample is in the state, so the sampling
that needs them (the shapes pairing, donors, the calibrated rating head) is refused for a private fit; the paper's
path (``--pairing draws --rating-model distribution --no-match-shapes``) is what a private fit samples.

Public, as in the DP recommender literature: the rating scale and the item catalogue (how many items; item ids
carry no rating). Each stage's noise is first calibrated to its share of (epsilon, delta) (``STAGE_SHARES``), then
all are scaled by one factor until every step composed in one RDP accountant spends exactly epsilon (``plan``).
"""
import contextlib
import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator.gan import GAN_BETAS, GAN_LR, Discriminator, Generator
from recbole_ganrs.seeds import stream, torch_generator

STAGE_SHARES = {"embeddings": 0.4, "statistics": 0.1, "gan": 0.5}  # of epsilon and of delta
CLIP = 1.0  # Opacus's max_grad_norm: a user's whole gradient, per step
USER_BATCH = 64  # expected users per step (Poisson sampling)
MAX_USER_ROWS = 256  # the ratings of a user the fit reads (a seeded random subset of a heavier user's)
GAN_ROWS = 32  # a user's rows the discriminator sees per step (drawn afresh each step)
RIDGE = 1.0  # a user vector's ridge penalty
HOLDOUT = 0.1  # ratings held out of the embedding stage for its RMSE (an evaluation, as the non-private fit's)
LEVEL = "user"
# what a private fit's summary does not release (base.SourceSummary): the counts are 0, the shapes empty
NOT_RELEASED = {"n_ratings": 0, "user_activity": [], "item_popularity": []}
ACCOUNTANT = "rdp"
# RDP orders searched (Opacus's defaults reach 63; a small epsilon at few users needs higher orders to be tight)
ALPHAS = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64)) + [80, 128, 256, 512, 1024]


@dataclass(frozen=True)
class StageAccount:
    """One stage's mechanism: its noise multiplier (noise std / clip), user sampling rate and steps, and the
    epsilon it would spend alone at ``delta`` (the fit's; the stages together spend the fit's epsilon)."""

    stage: str
    noise_multiplier: float
    sample_rate: float
    steps: int
    epsilon: float
    delta: float


@dataclass(frozen=True)
class PrivacyAccount:
    """What a private fit guarantees: (epsilon, delta)-DP at the ``level`` of a user under add/remove adjacency;
    ``composed_epsilon``: what every stage's steps composed in one RDP accountant spend (at most epsilon); each
    stage's own epsilon is what it would spend alone."""

    epsilon: float
    delta: float
    composed_epsilon: float
    stages: tuple
    level: str = LEVEL
    accountant: str = ACCOUNTANT
    clip: float = CLIP
    max_user_rows: int = MAX_USER_ROWS

    def to_saved(self):
        return {**asdict(self), "stages": [asdict(s) for s in self.stages]}

    @classmethod
    def from_saved(cls, saved):
        return cls(**{**saved, "stages": tuple(StageAccount(**s) for s in saved["stages"])})

    def record(self):
        """What the sidecar, card and Croissant file say (plain values)."""
        return {"epsilon": self.epsilon, "delta": self.delta, "level": self.level,
                "adjacency": "add/remove one user with all their ratings",
                "accountant": f"Opacus {self.accountant.upper()}", "composed epsilon": round(self.composed_epsilon, 4),
                "clip": self.clip, "max ratings read per user": self.max_user_rows,
                "stages": {s.stage: {"noise multiplier": round(s.noise_multiplier, 4),
                                     "sample rate": round(s.sample_rate, 4), "steps": s.steps,
                                     "epsilon": round(s.epsilon, 4), "delta": s.delta} for s in self.stages}}


def check_budget(epsilon, delta, n_users=None):
    """Refuse, in one line, a budget no mechanism here can honour."""
    if not (isinstance(epsilon, (int, float)) and math.isfinite(epsilon) and epsilon > 0):
        raise GanrsError(f"--dp-epsilon must be > 0 and finite, got {epsilon!r}")
    if not (isinstance(delta, (int, float)) and 0 < delta < 1):
        raise GanrsError(f"--dp-delta must be in (0, 1), got {delta!r}")
    if n_users is not None and delta >= 1 / n_users:
        raise GanrsError(f"--dp-delta {delta:g} is not below 1 / users (1/{n_users}): such a delta allows releasing "
                         "a user's ratings outright; give a smaller one")


def _epsilon(history, delta):
    from opacus.accountants import RDPAccountant

    accountant = RDPAccountant()
    accountant.history = list(history)
    with warnings.catch_warnings():  # "optimal order is the largest alpha": ALPHAS reach far enough
        warnings.simplefilter("ignore")
        return float(accountant.get_epsilon(delta, alphas=ALPHAS))


def plan(epsilon, delta, stages):
    """{stage: StageAccount} for ``stages`` [(stage, sample rate, steps)]: each stage's noise first calibrated to
    its ``STAGE_SHARES`` of (epsilon, delta) alone (Opacus's get_noise_multiplier), then all scaled down by one
    factor until every step composed in one RDP accountant spends exactly ``epsilon`` (basic composition of the
    shares would leave a third of it unspent)."""
    from opacus.accountants.utils import get_noise_multiplier

    alone = {}
    for stage, rate, steps in stages:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            alone[stage] = get_noise_multiplier(target_epsilon=epsilon * STAGE_SHARES[stage],
                                                target_delta=delta * STAGE_SHARES[stage], sample_rate=rate,
                                                steps=steps, accountant=ACCOUNTANT, alphas=ALPHAS)
    low, high = 0.05, 1.0  # the factor: at 1 the composition spends at most epsilon
    for _ in range(30):
        mid = (low + high) / 2
        spent = _epsilon([(alone[s] * mid, rate, steps) for s, rate, steps in stages], delta)
        low, high = (mid, high) if spent > epsilon else (low, mid)  # too little noise: a larger factor
    return {s: StageAccount(s, float(alone[s] * high), float(rate), int(steps),
                            _epsilon([(alone[s] * high, rate, steps)], delta), delta)
            for s, rate, steps in stages}


def account(epsilon, delta, stages):
    """The PrivacyAccount of the planned stages, their steps composed in one RDP accountant."""
    return PrivacyAccount(float(epsilon), float(delta),
                          _epsilon([(s.noise_multiplier, s.sample_rate, s.steps) for s in stages], delta),
                          tuple(stages))


def user_rate(n_users):
    """The Poisson rate at which the DP-SGD stages sample users."""
    return min(1.0, USER_BATCH / n_users)


def fit_plan(epsilon, delta, n_users, embedding_epochs, gan_steps):
    """The three stages' StageAccounts of a private fit of ``n_users`` users."""
    rate = user_rate(n_users)
    return plan(epsilon, delta, [("embeddings", rate, max(1, round(embedding_epochs / rate))),
                                 ("statistics", 1.0, 1), ("gan", rate, gan_steps)])


# ------------------------------------------------------------------ users as samples
@dataclass(frozen=True)
class UserRows:
    """Each user's ratings as one padded row: item index and rating [users, MAX_USER_ROWS] and how many are real.
    A user with more ratings keeps a seeded random subset (its contribution is clipped whatever its size; the cap
    bounds the work)."""

    items: torch.Tensor
    ratings: torch.Tensor
    counts: torch.Tensor

    @classmethod
    def of(cls, user_idx, item_idx, r, n_users, seed, cap=MAX_USER_ROWS):
        rng = np.random.default_rng(stream(seed, "fit", "dp_rows"))
        order = np.lexsort((rng.random(len(user_idx)), user_idx))  # users in order, each one's rows shuffled
        user_sorted = user_idx[order]
        starts = np.searchsorted(user_sorted, np.arange(n_users))
        rank = np.arange(len(order)) - starts[user_sorted]
        keep = rank < cap
        items = np.zeros((n_users, cap), np.int64)
        ratings = np.zeros((n_users, cap), np.float32)
        items[user_sorted[keep], rank[keep]] = item_idx[order][keep]
        ratings[user_sorted[keep], rank[keep]] = r[order][keep]
        counts = np.minimum(np.bincount(user_idx, minlength=n_users), cap)
        return cls(torch.as_tensor(items), torch.as_tensor(ratings), torch.as_tensor(counts))

    @property
    def mask(self):
        return torch.arange(self.items.shape[1])[None, :] < self.counts[:, None]

    def split(self, share, seed):
        """(train, holdout): each user's rows with a ``share`` of them (not its only one) moved to the holdout."""
        gen = torch_generator(seed, "fit", "dp_rows", 1)  # child 1: UserRows.of draws the subsets on the stream itself
        held = (torch.rand(self.items.shape, generator=gen) < share) & self.mask & (self.counts[:, None] > 1)
        train, hold = self.mask & ~held, held
        return self._keep(train), self._keep(hold)

    def _keep(self, mask):
        order = torch.argsort((~mask).to(torch.int8), dim=1, stable=True)  # kept rows first
        return UserRows(self.items.gather(1, order), self.ratings.gather(1, order), mask.sum(1))


def poisson(n, rate, gen):
    """Users drawn each with probability ``rate`` (the sampling the accountant assumes)."""
    return torch.nonzero(torch.rand(n, generator=gen) < rate).squeeze(1)


def solve_users(item_vectors, ratings, mask, ridge=RIDGE):
    """Each user's vector from its rated items' vectors [B, L, k] and ratings [B, L] (ridge least squares): a
    function of the user's own ratings and the (private) item vectors only."""
    m = mask.to(item_vectors.dtype)
    v = item_vectors * m[..., None]
    gram = v.transpose(1, 2) @ v + ridge * torch.eye(v.shape[-1], dtype=v.dtype)
    return torch.linalg.solve(gram, (v * ratings[..., None]).sum(1))


class ItemFactors(nn.Module):
    """The item embeddings of a dot-product MF whose user vectors are solved, not learnt: a user (one Opacus
    sample) gives the mean squared error of its ratings under its solved vector."""

    def __init__(self, n_items, size, init_scale):
        super().__init__()
        self.items = nn.Embedding(n_items, size)
        nn.init.uniform_(self.items.weight, 0.0, init_scale)

    def forward(self, items, ratings, mask):
        v = self.items(items)
        user = solve_users(v, ratings, mask)
        error = ((v @ user[..., None]).squeeze(-1) - ratings) ** 2 * mask
        return error.sum(1) / mask.sum(1).clamp_min(1)


@contextlib.contextmanager
def quiet_hooks():
    """Opacus's backward hooks warn on every first layer (its input needs no gradient); nothing is wrong."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Full backward hook is firing")
        yield


def _private(module, sigma, sample_rate, n_users, lr, seed, stage, betas=(0.9, 0.999), extra=0):
    """(Opacus GradSampleModule, DPOptimizer over Adam): ``extra`` samples per step that are not users (the
    discriminator's fake rows) count in the expected batch the noisy sum is divided by."""
    from opacus import GradSampleModule
    from opacus.optimizers import DPOptimizer

    wrapped = GradSampleModule(module, loss_reduction="mean")
    noise = torch_generator(seed, "fit", "dp_noise", list(STAGE_SHARES).index(stage))
    optimizer = DPOptimizer(torch.optim.Adam(wrapped.parameters(), lr=lr, betas=betas), noise_multiplier=sigma,
                            max_grad_norm=CLIP, expected_batch_size=max(round(sample_rate * n_users) + extra, 1),
                            loss_reduction="mean", generator=noise)
    return wrapped, optimizer


# the embedding stage's Adam step: 295 noisy steps (ml-100k) need a larger one than the non-private fit's 0.005 over
# 7,000 clean ones; measured on ml-100k, holdout RMSE at epsilon 4: 1.205 (0.005), 1.125 (0.02), 1.248 (0.05)
EMBEDDING_LR = 0.02


def private_embeddings(rows, n_items, size, stage, seed, middle, learning_rate=EMBEDDING_LR, progress=True):
    """(item vectors [n_items, size] (private), train RMSE, holdout RMSE): DP-SGD over users, ``stage`` (a
    StageAccount) its noise, rate and steps; ``middle``: the rating scale's middle (public), which sets the
    start so that dot products begin near it (the plain fit starts at the source's mean, which is not public)."""
    train, hold = rows.split(HOLDOUT, seed)
    n_users, rate, steps = len(rows.counts), stage.sample_rate, stage.steps
    torch.manual_seed(stream(seed, "fit", "embedding_init"))
    model, optimizer = _private(ItemFactors(n_items, size, float(np.sqrt(max(middle, 1e-3) / size) * 2)),
                                stage.noise_multiplier, rate, n_users, learning_rate, seed, "embeddings")
    users = torch_generator(seed, "fit", "dp_users", 0)
    mask = train.mask
    bar = tqdm(range(steps), desc="embedding (DeepMF, private)", disable=None if progress else True, leave=False)
    with quiet_hooks():
        for _ in bar:
            batch = poisson(n_users, rate, users)
            if not len(batch):  # probability (1 - q)^users, below e^-64 once users >= USER_BATCH: skipped
                continue
            loss = model(train.items[batch], train.ratings[batch], mask[batch]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    items = model._module.items.weight.detach().clone()
    return items, _rmse(items, train, train), _rmse(items, train, hold)


def _rmse(items, fitted, scored):
    """RMSE of ``scored``'s ratings under user vectors solved from ``fitted``'s."""
    with torch.no_grad():
        user = solve_users(items[fitted.items], fitted.ratings, fitted.mask)
        m = scored.mask
        error = (((items[scored.items] @ user[..., None]).squeeze(-1) - scored.ratings) ** 2 * m).sum()
        return float(torch.sqrt(error / m.sum().clamp_min(1)))


def user_vectors(items, rows):
    """Every user's vector [users, k] solved from its rows and the private item vectors."""
    with torch.no_grad():
        return solve_users(items[rows.items], rows.ratings, rows.mask)


def user_bound(items, rating_values):
    """The clip of a user vector's norm, a function of the private item vectors and the public scale: the norm
    that gives the top rating on an item of median norm, twice."""
    return float(2 * max(abs(rating_values[0]), abs(rating_values[-1])) / items.norm(dim=1).median().clamp_min(1e-6))


@dataclass(frozen=True)
class PrivateStatistics:
    """The Gaussian mechanism's outputs: rating shares (users weighted equally), the user columns' mean and std,
    and a noisy number of users."""

    rating_shares: list
    user_mean: torch.Tensor
    user_std: torch.Tensor
    users: float


def private_statistics(classes, n_classes, vectors, bound, stage, seed):
    """PrivateStatistics: each user adds [its rating shares, its vector / bound clipped to norm 1, that squared]
    (norm at most sqrt 3) to one noisy sum, its noise ``stage``'s (a StageAccount: one step, every user)."""
    n_users, k = vectors.shape
    counts = np.zeros((n_users, n_classes))
    np.add.at(counts, (classes[0], classes[1]), 1)
    shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    scaled = vectors.numpy().astype(np.float64) / bound
    scaled /= np.maximum(np.linalg.norm(scaled, axis=1, keepdims=True), 1.0)
    total = np.hstack([shares, scaled, scaled ** 2]).sum(0)
    noise = np.random.default_rng(stream(seed, "fit", "dp_statistics")).normal(size=total.shape)
    total = total + noise * stage.noise_multiplier * math.sqrt(3)
    users = max(float(total[:n_classes].sum()), 1.0)
    rating = np.clip(total[:n_classes], 0, None)
    rating = rating / rating.sum() if rating.sum() > 0 else np.full(n_classes, 1 / n_classes)
    mean = total[n_classes : n_classes + k] / users
    second = np.clip(total[n_classes + k :] / users, 0, None)
    std = np.sqrt(np.clip(second - mean ** 2, 0.01 * max(second.max(), 1e-6), None))
    return PrivateStatistics(rating.tolist(), torch.as_tensor(mean * bound, dtype=torch.float32),
                             torch.as_tensor(std * bound, dtype=torch.float32), users)


def train_private_gan(user_part, items, rows, rating_column, stage, batch_size, seed, lr_scale=1.0, progress=True):
    """The generator (on the CPU, in eval mode) of GANRS's BCE GAN whose discriminator is trained by
    user-level DP-SGD. A user is one sample: ``GAN_ROWS`` of its rows (drawn each step), each <its vector, the
    item's vector, the normalised rating> (``user_part`` [users, k] and ``items`` [n_items, k], standardised;
    ``rating_column`` [users, L] normalised); as many fake "users" of as many generated rows pass through the
    discriminator in the same step (clipped alike: they read no user)."""
    n_users, k = user_part.shape
    rate, steps = stage.sample_rate, stage.steps
    torch.manual_seed(stream(seed, "fit", "gan_init"))
    gen, disc = Generator(2 * k + 1), Discriminator(2 * k + 1)
    lr = GAN_LR * lr_scale
    disc, opt_d = _private(disc, stage.noise_multiplier, rate, n_users, lr, seed, "gan", betas=GAN_BETAS,
                           extra=USER_BATCH)
    opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=GAN_BETAS)
    real = RealUsers(user_part, items, rows, rating_column, torch_generator(seed, "fit", "dp_gan_rows"))
    users, noise = torch_generator(seed, "fit", "dp_users", 1), torch_generator(seed, "fit", "gan_noise")
    bce = nn.BCEWithLogitsLoss(reduction="none")
    bar = tqdm(range(steps), desc="GAN training (private)", disable=None if progress else True, leave=False)
    with quiet_hooks():
        for _ in bar:
            batch = real.rows(poisson(n_users, rate, users))
            with torch.no_grad():  # USER_BATCH fake "users" of GAN_ROWS generated rows each
                fake = gen(torch.randn(USER_BATCH * GAN_ROWS, gen.noise_size, generator=noise))
            logits = disc(torch.cat([batch, fake.view(USER_BATCH, GAN_ROWS, -1)]))
            target = torch.cat([torch.ones(len(batch), GAN_ROWS), torch.zeros(USER_BATCH, GAN_ROWS)])
            d_loss = bce(logits, target).mean(1).mean()  # a sample's loss: the mean over its rows
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            disc.disable_hooks()  # the generator's step reads the discriminator: no per-sample gradients
            g_loss = bce(disc(gen(torch.randn(batch_size, gen.noise_size, generator=noise))),
                         torch.ones(batch_size)).mean()
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            disc.enable_hooks()
    return gen.eval()


@dataclass(frozen=True)
class RealUsers:
    """The discriminator's real samples: each user its vector beside ``GAN_ROWS`` of its rated items' vectors and
    ratings, the rows drawn uniformly among its own each time it is sampled."""

    user_part: torch.Tensor
    items: torch.Tensor
    padded: UserRows
    rating_column: torch.Tensor
    picks: torch.Generator

    def rows(self, users):
        pos = (torch.rand(len(users), GAN_ROWS, generator=self.picks) * self.padded.counts[users, None]).long()
        return torch.cat([self.user_part[users, None, :].expand(-1, GAN_ROWS, -1),
                          self.items[self.padded.items[users].gather(1, pos)],
                          self.rating_column[users].gather(1, pos)[..., None]], -1)
