"""GANRS: learn a ratings dataset, then sample synthetic ones of any size.

    gen = GANRS(seed=0).fit("ml-100k")
    ratings = gen.sample(users=2000, items=4000, samples=800_000, std=2.5, seed=0)
    gen.save("ml-100k.ganrs.pt"); gen = GANRS.load("ml-100k.ganrs.pt")

``fit`` trains the DeepMF embedding stage then the GAN on the dense
<user emb, item emb, normalised rating> vectors; ``sample`` draws noise, runs the
generator, clusters the user and item parts into the requested numbers of users
and items, chooses the rated pairs (``pairing.py``: from the draws' affinities at the
source's shapes, or every draw's pair as the reference does) and rates them
(``rating_head.py``, or the GAN's rating column by ``ratings.py``).
"""
import dataclasses
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
import torch

from recbole_ganrs import seeds
from recbole_ganrs.data.items import parse_fields
from recbole_ganrs.data.users import Condition, group_sizes, resolve_shares
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator.base import Sample, SyntheticGenerator, ratings_frame
from recbole_ganrs.generator.clustering import Clusters
from recbole_ganrs.generator.embedding import fit_embeddings
from recbole_ganrs.generator import private
from recbole_ganrs.generator.gan import GAN_KINDS, train_gan
from recbole_ganrs.generator.ganrs_state import GanrsState, GroupState
from recbole_ganrs.generator.pairing import (POPULARITY_BINS, Affinity, draw_shape_pairs, fit_temper, mainstream_spread,
                                             popularity_bins, popularity_targets, target_counts, user_moments)
from recbole_ganrs.generator.privacy import dcr_report
from recbole_ganrs.generator.profiles import class_counts, donors, histogram_targets, match_pooled, order_key
from recbole_ganrs.generator.rating_head import CENTRE_MATCHINGS, Rater, fit_rating_head
from recbole_ganrs.generator.ratings import RATING_MODELS, collect_pairs, to_scale
from recbole_ganrs.generator.scenario import shape_sizes
from recbole_ganrs.generator.stages import Stages
from recbole_ganrs.generator.workers import LocalWorkers
from recbole_ganrs.seeds import stream, torch_generator

FIT_DRAWS, FIT_DRAWS_PER_CLUSTER = 500_000, 20  # draws the clusters are fitted on
REAL_SAMPLE = 5000  # real dense vectors kept for diagnostics plots
REFERENCE_GAN_BATCH = 32  # the reference's batch, at which the GAN's learning rates are the papers'
COLLAPSED = 0.5  # fewer distinct users or items than this share of those asked is refused


def collapsed(what, std):
    """The one-line refusal of draws collapsed onto too few points (e.g. a tiny std)."""
    return GanrsError(f"ganrs: the draws collapsed onto {what} (std {std:g}); a larger --std spreads them")


@dataclass
class GANRS(SyntheticGenerator):
    """The GANRS generator (scikit-learn style: settings here, learnt state after ``fit``)."""

    kind = "ganrs"
    # 10: the real users' ratings in each popularity bin (pairing.popularity_bins); 11: a private fit's item
    # embeddings start from the public scale's middle (10's private fits from the source's mean: not private)
    fit_format = 11
    sample_format = 5  # 5: each user's profile the re-spread mean of two donors' (--donor-mix; 4: one donor's)
    takes_sampling_choices = True  # pairing, rating model, ...: SampleRequest.sampling (sampling.py)
    min_source = (100, 5, 5)

    embedding_size: int = 5
    gan: str = "gan"
    # 2,500 steps of 256 rows see the reference's 640,000 rows (20,000 x 32) in an eighth of the steps, with
    # the learning rates scaled by 256 / 32 (the linear scaling rule): a 3-4x faster fit (benchmarks/fit.py)
    gan_steps: int = 2500
    gan_batch_size: int = 256
    embedding_epochs: int = 20
    condition: Optional[str] = None  # CGANRS: a user attribute of the source's user file, e.g. gender, age:18,25,35
    item_attributes: Optional[str] = None  # fields of the source's item file each synthetic item carries
    # user-level (epsilon, delta)-differential privacy of the fit (private.py); None: not private
    dp_epsilon: Optional[float] = None
    dp_delta: float = 1e-5
    seed: int = 0
    progress: bool = True

    def __post_init__(self):
        self._check_settings()

    def _check_settings(self):
        """Refuse unknown or contradictory settings in one line (the sampling choices: SamplingChoices)."""
        if self.gan not in GAN_KINDS:
            raise GanrsError(f"gan must be one of {', '.join(GAN_KINDS)}, not '{self.gan}'")
        if self.embedding_size < 1 or self.gan_steps < 1 or self.gan_batch_size < 2:
            raise GanrsError("embedding_size and gan_steps must be >= 1, gan_batch_size >= 2")
        if self.condition is not None:
            Condition.parse(self.condition)
        self.item_fields()
        if self.dp_epsilon is not None:
            self._check_private()
        elif self.dp_delta != GANRS.dp_delta:
            raise GanrsError("--dp-delta is the delta of --dp-epsilon: give both, or neither")

    def _check_private(self):
        """Refuse, in one line, what a private fit cannot guarantee (private.py)."""
        private.check_budget(self.dp_epsilon, self.dp_delta)
        for setting, why in (("condition", "the groups' shares and shapes are read without noise"),
                             ("item_attributes", "items carry a donor picked by its ratings count")):
            if getattr(self, setting) is not None:
                raise GanrsError(f"--dp-epsilon cannot be combined with --{setting.replace('_', '-')}: {why}")
        if self.gan != "gan":
            raise GanrsError("--dp-epsilon trains the papers' BCE GAN (--gan gan): the WGAN's gradient penalty "
                             "differentiates per-sample gradients, which Opacus's clipping does not support")

    @property
    def private(self):
        """Whether the fit is differentially private (--dp-epsilon)."""
        return self.dp_epsilon is not None

    def check_sampling(self, choices):
        """Refuse, in one line, sampling choices a private fit holds nothing for (it keeps no real user)."""
        if not self.private:
            return
        allowed = {"pairing": ("draws",), "rating_model": ("distribution", "mean"), "match_shapes": (False,)}
        if any(getattr(choices, k) not in values for k, values in allowed.items()):
            raise GanrsError("--dp-epsilon samples the paper's path: add --pairing draws --rating-model distribution "
                             "--no-match-shapes (the shapes pairing, donors and the calibrated rating head read real "
                             "users' profiles, which a private fit does not keep)")

    def item_fields(self):
        return () if self.item_attributes is None else parse_fields(self.item_attributes)

    def condition_of(self):
        return None if self.condition is None else Condition.parse(self.condition)

    # ----------------------------------------------------------------- fit
    def _fit(self, ratings, summary, groups=None, items=None):
        """DeepMF embeddings, then the GAN on the dense <user emb, item emb, normalised rating> vectors;
        ``groups`` (a label per user token): the GAN is conditioned on each rating's user group (CGANRS)."""
        user_idx, user_tokens = pd.factorize(ratings["user_id"])
        item_idx, _ = pd.factorize(ratings["item_id"])
        r = ratings["rating"].to_numpy(np.float64)
        if self.private:
            return self._private_fit(user_idx, item_idx, r, summary)
        emb = fit_embeddings(user_idx, item_idx, r, summary.n_users, summary.n_items, size=self.embedding_size,
                             epochs=self.embedding_epochs, seed=self.seed, progress=self.progress, device=self.device)
        lo, hi = summary.rating_values[0], summary.rating_values[-1]
        mid, span = (lo + hi) / 2, hi - lo + 1  # reference: (r - 3) / 5 on 1..5
        dense = np.hstack([emb.users[user_idx], emb.items[item_idx], ((r - mid) / span)[:, None]])
        dense = torch.as_tensor(dense, dtype=torch.float32)
        # the GAN sees standardised columns; sampling maps its output back
        mean, std = dense.mean(0), dense.std(0).clamp_min(1e-6)
        conditioned = None if groups is None else group_state(groups, user_tokens, user_idx, r, summary)
        labels = None if groups is None else conditioned.user_group[torch.as_tensor(user_idx)]
        generator = train_gan((dense - mean) / std, kind=self.gan, steps=self.gan_steps,
                              batch_size=self.gan_batch_size, seed=self.seed, progress=self.progress,
                              lr_scale=self.gan_batch_size / REFERENCE_GAN_BATCH, device=self.device,
                              labels=labels, n_classes=0 if conditioned is None else len(conditioned.names))
        keep = torch.randperm(len(dense), generator=torch_generator(self.seed, "fit", "real_sample"))[:REAL_SAMPLE]
        rating_class = np.searchsorted(np.asarray(summary.rating_values), r)
        head = fit_rating_head(emb.users[user_idx], emb.items[item_idx], rating_class, len(summary.rating_values),
                               seed=self.seed)
        return GanrsState(
            generator=generator.state_dict(), rating_head=head, column_mean=mean, column_std=std,
            rating_mid=float(mid), rating_span=float(span), real_sample=dense[keep],
            real_users=torch.as_tensor(emb.users), real_items=torch.as_tensor(emb.items),
            user_classes=torch.as_tensor(class_counts(user_idx, rating_class, summary.n_users,
                                                      len(summary.rating_values))),
            user_ratings=torch.as_tensor(np.bincount(user_idx, minlength=summary.n_users)),
            item_ratings=torch.as_tensor(np.bincount(item_idx, minlength=summary.n_items)),
            mainstream_spread=mainstream_spread(user_idx, item_idx),
            user_popularity=torch.as_tensor(class_counts(user_idx, popularity_bins(np.bincount(item_idx))[item_idx],
                                                         summary.n_users, POPULARITY_BINS)),
            embedding_rmse={"train": emb.train_rmse, "holdout": emb.holdout_rmse}, summary=summary,
            groups=conditioned, items=items)

    def _private_fit(self, user_idx, item_idx, r, summary):
        """The fit under user-level DP (private.py): private item embeddings, user vectors solved from them and
        used only inside the fit, noisy statistics, a discriminator trained by DP-SGD. The state keeps no real
        user and the summary only what was released (``released_summary``)."""
        private.check_budget(self.dp_epsilon, self.dp_delta, summary.n_users)
        eps, delta, seed = self.dp_epsilon, self.dp_delta, self.seed
        stages = private.fit_plan(eps, delta, summary.n_users, self.embedding_epochs, self.gan_steps)
        rows = private.UserRows.of(user_idx, item_idx, r.astype(np.float32), summary.n_users, seed)
        values = np.asarray(summary.rating_values, np.float64)
        items, train_rmse, holdout_rmse = private.private_embeddings(
            rows, summary.n_items, self.embedding_size, stages["embeddings"], seed, (values[0] + values[-1]) / 2,
            progress=self.progress)
        vectors = private.user_vectors(items, rows)
        stats = private.private_statistics((user_idx, np.searchsorted(values, r)), len(values), vectors,
                                           private.user_bound(items, values), stages["statistics"], seed)
        lo, hi = values[0], values[-1]
        mid, span = (lo + hi) / 2, hi - lo + 1
        z, shares = (values - mid) / span, np.asarray(stats.rating_shares)
        z_mean = float(shares @ z)
        z_std = max(float(np.sqrt(shares @ (z - z_mean) ** 2)), 1e-3)
        item_mean, item_std = items.mean(0), items.std(0).clamp_min(1e-6)
        generator = private.train_private_gan(
            (vectors - stats.user_mean) / stats.user_std, (items - item_mean) / item_std,
            rows, ((rows.ratings - mid) / span - z_mean) / z_std, stages["gan"], self.gan_batch_size, seed,
            lr_scale=self.gan_batch_size / REFERENCE_GAN_BATCH, progress=self.progress)
        k = self.embedding_size
        released = dataclasses.replace(summary, n_users=max(round(stats.users), 1), rating_shares=stats.rating_shares,
                                       rating_mean=float(shares @ values), **private.NOT_RELEASED)
        return GanrsState(
            generator=generator.state_dict(), rating_head={},
            column_mean=torch.cat([stats.user_mean, item_mean, torch.tensor([z_mean])]).float(),
            column_std=torch.cat([stats.user_std, item_std, torch.tensor([z_std])]).float(),
            rating_mid=float(mid), rating_span=float(span), real_sample=torch.empty(0, 2 * k + 1),
            real_users=torch.empty(0, k), real_items=items, user_classes=torch.empty(0, len(values)),
            user_ratings=torch.empty(0, dtype=torch.long), item_ratings=torch.empty(0, dtype=torch.long),
            mainstream_spread=float("nan"), user_popularity=torch.empty(0, POPULARITY_BINS),
            embedding_rmse={"train": train_rmse, "holdout": holdout_rmse}, summary=released,
            privacy=private.account(eps, delta, list(stages.values())).to_saved())

    def _released_summary(self, summary):
        return self._state.summary  # a private fit's holds only what it released

    @property
    def privacy_account(self):
        """The PrivacyAccount of a private fit (private.py); None when the fit is not private."""
        self._check_fitted()
        saved = self._state.privacy
        return None if saved is None else private.PrivacyAccount.from_saved(saved)

    def _saved_state(self):
        return self._state.to_saved()

    def _restored_state(self, saved, summary):
        return GanrsState.from_saved(saved, summary)

    @property
    def embedding_rmse(self):
        """{"train", "holdout"} RMSE of the DeepMF embedding stage."""
        self._check_fitted()
        return dict(self._state.embedding_rmse)

    def real_sample(self):
        """Real dense <user emb, item emb, normalised rating> vectors kept from the fit (for plots)."""
        self._check_fitted()
        if self.private:
            raise GanrsError("a private fit (--dp-epsilon) keeps no real rows: the diagnostics plots compare "
                             "against them, so they are not drawn")
        return self._state.real_sample.numpy()

    def dense_rating(self, dense):
        """The rating column of dense vectors, back on the source's scale (before rounding)."""
        return self._state.dense_rating(dense)

    # -------------------------------------------------------------- sample
    @property
    def group_names(self):
        """The groups of a conditioned fit, in class order (empty when unconditioned)."""
        self._check_fitted()
        return self._state.group_names

    def group_shares(self):
        """{group: the source's share of users} of a conditioned fit."""
        return dict(zip(self.group_names, self._state.groups.user_share))

    def generate_dense(self, n, std=2.5, seed=0, group=None):
        """``n`` generated dense rows at once (for diagnostics; sampling streams them); ``group`` the class
        index of a conditioned fit (``group_names``)."""
        self._check_fitted()
        return np.concatenate(list(self._state.iter_dense(n, std, seed, group, self.device)))

    def _fit_draws(self, request, stages, group=None, rows=None):
        """The first draws of the stream (``group``'s for a conditioned fit), which the clusters are fitted on
        (and, for the shapes pairing, the draws whose item parts give each user's affinity)."""
        r, length = request, rows  # the stream's length sets its chunks (and so its noise): a group's is ``rows``
        if rows is None:
            rows = max(FIT_DRAWS, FIT_DRAWS_PER_CLUSTER * max(r.users, r.items))
            rows, length = (rows if r.samples is None else min(r.samples, rows)), r.samples
        chunks, taken = [], 0
        with stages("draws", total=rows, unit="draw") as bar:
            for chunk in self._state.iter_dense(length, r.std, r.seed, group, self.device):
                chunks.append(chunk[: rows - taken])
                taken += len(chunks[-1])
                bar.update(len(chunks[-1]))
                if taken >= rows:
                    break
        return np.concatenate(chunks)

    def follows_shapes(self, request):
        return request.sampling.pairing == "shapes" or request.sampling.match_shapes

    @staticmethod
    def _check_spread(ratings, request):
        """Refuse draws collapsed onto a fraction of the users or items asked (e.g. a tiny std): a
        "2,000-user" dataset with 1 user is no success. A few empty clusters are normal."""
        users, items = ratings["user_id"].nunique(), ratings["item_id"].nunique()
        if users < COLLAPSED * request.users or items < COLLAPSED * request.items:
            raise collapsed(f"{users} users and {items} items of the {request.users} and {request.items} asked",
                            request.std)

    def _sample(self, request, workers=None):
        """(ratings, {"privacy": DCR report of the synthetic users, "seconds": each stage's, "groups": ...}).

        One path for every sample: an unconditioned one is one group of every user. Per group, its draws (the
        group's class fed to the GAN), its users (clusters of its draws' user parts), matched onto the real
        users of its group, each with a donor's profile (profiles.py); the items clustered over every group's
        draws, each with a donor item. Then the request's pairing (``PAIRING_STEPS``: which pairs are rated;
        the shapes pairing in blocks of users on ``workers``, this process's threads when None) and rating model
        (``RATING_STEPS``: what rating each gets). A conditioned sample's frame has the attribute column."""
        stages, r, state = Stages(self.progress), request, self._state
        parts = self._user_parts(r)
        groups, item_clusters = self._clusters(r, parts, stages)
        match = CENTRE_MATCHINGS[r.sampling.centre_matching]
        items = item_donor = item_order = None  # a private fit keeps no real counts: the paper's path needs none
        if not self.private:
            with stages("profiles", total=1, unit="part"):  # each item's donor: its popularity's rank
                draw, real_items = seeds.rng(r.seed, "sample", "donors"), state.real_items.numpy()
                items = match(item_clusters.centres, real_items)
                item_donor = donors(items, real_items, draw)
                item_order = order_key(state.item_ratings.numpy()[item_donor], draw)
        pairing = PAIRING_STEPS[r.sampling.pairing](state, r, stages, self.device)
        pairs = pairing.pairs(groups, item_clusters, workers, item_order)
        del item_order  # and the draws: their memory goes to the ratings and the frame (100M ratings: 0.4 GB)
        groups = [dataclasses.replace(g, draws=None) for g in groups]
        rating = RATING_STEPS[r.sampling.rating_model](state, r, stages, self.device).rate(pairs, groups, items)
        ratings, used_users, used_items = ratings_frame(pairs.user, pairs.item, rating)
        self._check_spread(ratings, r)
        if self.private:  # no real user is kept to measure distances to: the guarantee is the evidence
            measured = {"differential privacy": self.privacy_account.record()}
        else:
            measured = {"privacy": dcr_report(np.concatenate([g.clusters.centres for g in groups])[used_users],
                                              state.real_users.numpy())}
        if pairs.affinity_weight is not None:
            measured["affinity weight"] = round(pairs.affinity_weight, 4)
        if self.group_names:
            names = np.asarray(self.group_names, dtype=object)
            group_of_user = np.concatenate([np.full(len(g.clusters.centres), g.label) for g in groups])
            ratings[self.condition_of().attribute] = names[group_of_user[used_users]][ratings["user_id"].to_numpy() - 1]
            measured["groups"] = {names[g]: {"users": int(n), "share": round(n / r.users, 6)}
                                  for g, n in self.users_per_group(r).items()}
        if state.items is None:
            return ratings, {**measured, "seconds": stages.seconds}
        # each synthetic item carries its donor's attributes: a real item drawn among the nearest to its centre
        # (profiles.donors), the one whose count ordered it for the popularity shape
        attributes = state.items.frame(item_donor[used_items]).assign(item_id=np.arange(1, len(used_items) + 1))
        return Sample(ratings, {**measured, "seconds": stages.seconds}, attributes[["item_id", *state.items.names]],
                      dict(zip(state.items.names, state.items.kinds)))

    def _user_parts(self, request):
        """[UserPart] of the request: one part of every user unconditioned, one per group with users
        conditioned."""
        r, s = request, self.summary
        if not self.group_names:
            return [UserPart(None, r.users, 1.0, s.user_activity, None)]
        info, sizes = self._state.groups, self.users_per_group(r)
        present = [g for g in sizes if sizes[g]]
        weight = np.array([sizes[g] * info.mean_activity[g] for g in present])
        fit_rows = max(FIT_DRAWS, FIT_DRAWS_PER_CLUSTER * max(r.users, r.items))
        parts = []
        for g, share in zip(present, weight / weight.sum()):
            rows = max(int(fit_rows * share), FIT_DRAWS_PER_CLUSTER * sizes[g])
            rows = rows if r.samples is None else max(min(rows, round(r.samples * share)), sizes[g])
            parts.append(UserPart(g, sizes[g], float(share), info.activity[g], rows))
        return parts

    def _clusters(self, request, parts, stages):
        """([UserGroup] of the parts, item Clusters): each part's draws and user clusters, then the item
        clusters over every part's draws; draws collapsed onto too few points are refused first."""
        k, r, c = self.embedding_size, request, request.sampling
        sized = c.pairing == "draws" and c.match_shapes  # the shapes pairing sets the counts itself
        state, match = self._state, CENTRE_MATCHINGS[c.centre_matching]
        real_users = state.real_users.numpy()
        draw = seeds.rng(r.seed, "sample", "donors", 1)
        groups, first = [], 0
        for part in parts:
            label, users = part.label, part.users
            dense = self._fit_draws(r, stages, label, part.fit_draws)
            distinct = len(np.unique(dense[:, :k].round(5), axis=0))
            if distinct < COLLAPSED * users:
                raise collapsed(f"{distinct} distinct points for {users} users asked"
                                + ("" if label is None else f" of group {self.group_names[label]}"), r.std)
            with stages("clustering", total=1, unit="part"):
                index = () if label is None else (label + 1,)
                clusters = Clusters.fit(dense[:, :k], users, stream(r.seed, "sample", "user_clusters", *index),
                                        shape_sizes(r.activity, part.activity) if sized else None,
                                        temperature=c.assignment_temperature)
            centres, donor = clusters.centres, None  # a private fit keeps no real user to match or lend a profile
            if not self.private:
                real = state.real_users_of(label)
                centres = match(clusters.centres, real_users[real])
                donor = real[donors(centres, real_users[real], draw, count=c.donor_mix)]
            groups.append(UserGroup(first, clusters, dense, part.activity, part.share, label, centres, donor))
            first += users
        item_parts = np.concatenate([g.draws[:, k : 2 * k] for g in groups])
        distinct = len(np.unique(item_parts.round(5), axis=0))
        if distinct < COLLAPSED * r.items:
            raise collapsed(f"{distinct} distinct points for {r.items} items asked", r.std)
        with stages("clustering", total=1, unit="part"):
            item_clusters = Clusters.fit(item_parts, r.items, stream(r.seed, "sample", "item_clusters"),
                                         shape_sizes(r.popularity, self.summary.item_popularity) if sized else None,
                                         temperature=c.assignment_temperature)
        return groups, item_clusters

    # ------------------------------------------------------- conditioned
    def check_request(self, request):
        super().check_request(request)
        self.check_sampling(request.sampling)
        if self.condition is not None and request.sampling.pairing != "shapes":
            raise GanrsError("--condition needs --pairing shapes: each group's activity, rating shares and item "
                             "preferences are kept by the shapes pairing and the calibrated rating head")
        if self._state is not None and self.group_names:
            self.users_per_group(request)

    def users_per_group(self, request):
        """{group index: synthetic users} of a conditioned fit at the request's shares (refusing, in one line,
        unknown groups, shares that cannot sum to 1 and a group whose share gives it no user)."""
        shares = resolve_shares(request.group_shares, self.group_shares(), f"--condition {self.condition}")
        return users_per_group(shares, request.users, self.group_names)


@dataclass(frozen=True)
class UserPart:
    """What a request asks of one group of users (every user, unconditioned): the GAN class (None
    unconditioned), its users, its share of the ratings, its activity shape (the source group's sorted counts)
    and the draws its clusters are fitted on (None: the default number, ``_fit_draws``)."""

    label: Optional[int]
    users: int
    share: float
    activity: list
    fit_draws: Optional[int]


@dataclass(frozen=True)
class UserGroup:
    """The synthetic users of one group (every user, unconditioned): their first id, clusters and draws, the
    source's activity shape for them, their share of the ratings, the GAN class (None unconditioned), their
    centres matched onto the real users and each one's donors (real users' indices [users, donor_mix]:
    profiles.py), whose mean profile it takes."""

    first: int
    clusters: Clusters
    draws: Optional[np.ndarray]  # None once the pairing has used them
    activity: list
    share: float
    label: Optional[int]
    centres: np.ndarray
    donor: np.ndarray


@dataclass
class Pairs:
    """The pairs a pairing chose: users, items, the GAN's mean rating of each (the draws pairing only) and
    the workers that hold them in blocks (the shapes pairing: they are rated there)."""

    user: np.ndarray
    item: np.ndarray
    value: Optional[np.ndarray] = None
    workers: object = None
    affinity_weight: Optional[float] = None  # the shapes pairing's (pairing.fit_temper)


class SampleStep:
    """A step of one sample (a pairing or a rating model): the fit's frozen state, the request, its stages, and
    the device the GAN draws on."""

    def __init__(self, state, request, stages, device="cpu"):
        self.state, self.request, self.stages, self.device = state, request, stages, device

    def assigned_draws(self, user_clusters, item_clusters, n, bar, group=None, first=0, rng=None):
        """``n`` draws of the stream (``group``'s), chunk by chunk, as (user index + ``first``, item index,
        the GAN's rating): each draw assigned to a user and an item cluster."""
        r, state = self.request, self.state
        k, t = state.embedding_size, r.sampling.assignment_temperature
        rng = seeds.rng(r.seed, "sample", "assignment") if rng is None else rng
        for dense in state.iter_dense(n, r.std, r.seed, group, self.device):
            bar.update(len(dense))
            yield (first + user_clusters.assign(dense[:, :k], t, rng), item_clusters.assign(dense[:, k : 2 * k], t, rng),
                   state.dense_rating(dense))


class DrawsPairing(SampleStep):
    """Every draw's (user cluster, item cluster) pair, repeated pairs merged with their mean GAN rating (the
    reference's way; unconditioned only)."""

    def pairs(self, groups, item_clusters, workers=None, item_order=None):
        (group,) = groups
        r = self.request
        with self.stages("draws", total=r.samples, unit="draw") as bar:
            draws = self.assigned_draws(group.clusters, item_clusters, r.samples, bar)
            return Pairs(*collect_pairs(draws, r, r.items, GANRS.kind))


class ShapesPairing(SampleStep):
    """pairing.py: each user's and item's number of ratings from the source's shapes, given out in the order of
    their donors' counts (profiles.py), the pairs where each user's draws lie, chosen on candidates in blocks of
    users (on ``workers``: this process's threads when None)."""

    def pairs(self, groups, item_clusters, workers, item_order):
        total = self.request.ratings
        if total is None:
            with self.stages("draws", total=self.request.samples, unit="draw") as bar:
                total = self._draws_pairs(groups, item_clusters, bar)
        affinity, rows, cols = self._targets(groups, item_clusters, total, item_order)
        with self.stages("pairing: affinity weight", total=1, unit="fit"):
            temper = fit_temper(affinity, rows, cols, self.state.mainstream_spread)
        with self.stages("pairing: popularity bins", total=1, unit="fit"):
            popularity = self.state.user_popularity.numpy()
            donor_bins = np.concatenate([donor_histograms(popularity, g.donor) for g in groups])
            item_bin, bins = popularity_targets(rows, cols, donor_bins)
            affinity = dataclasses.replace(affinity, temper=temper, item_bin=item_bin)
        workers = LocalWorkers() if workers is None else workers
        try:
            user, item = draw_shape_pairs(affinity, rows, cols, total, self.request.seed, workers, self.stages, bins)
        except BaseException:
            workers.close()
            raise
        return Pairs(user, item, workers=workers, affinity_weight=temper)

    def _draws_pairs(self, groups, item_clusters, bar):
        """How many distinct pairs the request's draws hold (the draws pairing's count, each group's share of
        the draws): the number of ratings a ``samples`` request gets."""
        r, total = self.request, 0
        rng = seeds.rng(r.seed, "sample", "assignment")
        for g in groups:
            n = r.samples if g.label is None else max(round(r.samples * g.share), 1)
            draws = self.assigned_draws(g.clusters, item_clusters, n, bar, g.label, g.first, rng)
            total += len(collect_pairs(draws, r, r.items, GANRS.kind)[0])
        return total

    def _targets(self, groups, item_clusters, total, item_order):
        """The affinities of every user to the item centres, and the row and column counts to reach: the
        shapes' counts, the largest to the users (items) whose donors have the most ratings."""
        r, state = self.request, self.state
        k, t = state.embedding_size, r.sampling.assignment_temperature
        with self.stages("pairing: affinities", total=len(groups), unit="group") as bar:
            rng = seeds.rng(r.seed, "sample", "shape_assignment")
            user = np.concatenate([g.first + g.clusters.assign(g.draws[:, :k], t, rng) for g in groups])
            item_parts = np.concatenate([g.draws[:, k : 2 * k] for g in groups])
            mean, cov = user_moments(user, item_parts, r.users)
            affinity = Affinity.of(mean, cov, item_clusters.centres, widen=item_clusters.scale / k)
            activity = state.user_ratings.numpy()
            order = seeds.rng(r.seed, "sample", "donors", 2)
            rows = np.concatenate([
                target_counts(shape_sizes(r.activity, g.activity), total * g.share,
                              order_key(activity[g.donor].mean(1), order), cap=r.items) for g in groups])
            cols = target_counts(shape_sizes(r.popularity, state.summary.item_popularity), total, item_order,
                                 cap=r.users)
            bar.update(len(groups))
        return affinity, rows, cols


class MappedRatings(SampleStep):
    """The GAN's own rating of each pair mapped onto the source's scale (ratings.py: distribution, mean)."""

    def rate(self, pairs, groups, item_centres):
        s = self.state.summary
        with self.stages("ratings", total=len(pairs.user), unit="rating"):
            return to_scale(pairs.value, s.rating_values, s.rating_shares, s.rating_mean,
                            self.request.sampling.rating_model)


class CalibratedRatings(SampleStep):
    """rating_head.py and profiles.py: each user's histogram is its donor's at its count, the pooled shares
    its group's (the source's, unconditioned); p(rating | user and item centres), learnt on the source, says
    which of its items get which rating. Drawn on the blocks that hold the pairs (the shapes pairing), else
    here as one block."""

    def rate(self, pairs, groups, item_centres):
        state, seed = self.state, self.request.seed
        values = np.asarray(state.summary.rating_values, dtype=np.float64)
        with self.stages("ratings", total=len(pairs.user), unit="rating"):
            rater = Rater(state.rating_head, np.concatenate([g.centres for g in groups]), item_centres,
                          state.summary.rating_values, self._histograms(pairs, groups))
            if pairs.workers is None:
                return values[rater.rate(pairs.user, pairs.item, seed)]
            try:
                return values[np.concatenate(pairs.workers.collect("rate", rater, seed))]
            finally:
                pairs.workers.close()

    def _histograms(self, pairs, groups):
        """Each user's target histogram [users, classes]: its donor's shares at its number of pairs, each
        group's moved to the group's pooled shares (profiles.match_pooled)."""
        state, r = self.state, self.request
        counts = np.bincount(pairs.user, minlength=r.users)
        classes = state.user_classes.numpy().astype(np.float64)
        shares = state.groups.rating_shares if state.groups else None
        draw = seeds.rng(r.seed, "sample", "donors", 3)
        parts = []
        for g in groups:
            own = donor_histograms(classes, g.donor)
            rows = histogram_targets(own / own.sum(1, keepdims=True), counts[g.first : g.first + len(g.donor)])
            parts.append(match_pooled(rows, state.summary.rating_shares if shares is None else shares[g.label], draw))
        return np.concatenate(parts)


def donor_histograms(histograms, donor):
    """Each synthetic user's histogram [users, classes] from its donors' rows of ``histograms`` (real users'
    counts): its one donor's counts as they are, or the mean of its donors' shares re-spread (:func:`respread`)."""
    if donor.shape[1] == 1:
        return histograms[donor[:, 0]]  # as before mixes existed: the same numbers to the last bit
    h = np.asarray(histograms[donor], np.float64)
    shares = h / np.maximum(h.sum(-1, keepdims=True), 1e-300)
    return respread(shares.mean(1), shares[:, 0])


def respread(mixed, single):
    """``mixed`` shares [users, classes] moved away from their mean so that the users' levels (each row's mean
    class) spread as much as ``single``'s (one donor each): the mean of M donors' levels spreads less than one
    donor's (about sqrt((1 + rho) / 2) at M = 2), which the users' rating levels would otherwise lose. Shares
    pushed below 0 are cut and each row summed to 1 again."""
    classes = np.arange(mixed.shape[1], dtype=np.float64)
    centre = mixed.mean(0)
    spread = np.std(mixed @ classes)
    scale = np.std(single @ classes) / spread if spread > 0 else 1.0
    out = np.clip(centre + scale * (mixed - centre), 0.0, None)
    return out / np.maximum(out.sum(1, keepdims=True), 1e-300)


PAIRING_STEPS = {"shapes": ShapesPairing, "draws": DrawsPairing}
RATING_STEPS = {**{name: MappedRatings for name in RATING_MODELS}, "calibrated": CalibratedRatings}


def users_per_group(shares, users, names):
    """{group index: whole users} at ``shares`` ({name: share}), refusing a group whose share gives it none."""
    sizes = group_sizes(shares, users)
    empty = [g for g in shares if shares[g] > 0 and sizes[g] == 0]
    if empty:
        raise GanrsError(f"group {empty[0]}'s share {shares[empty[0]]:g} of {users} users is no user: ask more "
                         "users or a larger share")
    return {names.index(g): sizes[g] for g in names}


def group_state(groups, user_tokens, user_idx, r, summary):
    """What a conditioned fit keeps of each user group of the source (GroupState): names (sorted), each real
    user's group, and per group its share of users, rating shares, activity shape and mean activity."""
    labels = groups.reindex(pd.Index(user_tokens).astype(str)).to_numpy().astype(str)
    names = sorted({str(x) for x in labels})
    user_group = np.searchsorted(names, labels)
    row_group = user_group[user_idx]
    values = np.asarray(summary.rating_values)
    activity = np.bincount(user_idx, minlength=len(user_tokens))
    shares, shapes = [], []
    for g in range(len(names)):
        counts = np.bincount(np.searchsorted(values, r[row_group == g]), minlength=len(values))
        shares.append((counts / counts.sum()).tolist())
        shapes.append(np.sort(activity[user_group == g]).tolist())
    return GroupState(names=tuple(names), user_group=torch.as_tensor(user_group),
                      user_share=tuple(float(np.mean(user_group == g)) for g in range(len(names))),
                      rating_shares=tuple(shares), activity=tuple(shapes),
                      mean_activity=tuple(float(activity[user_group == g].mean()) for g in range(len(names))))
