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
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
import torch

from recbole_ganrs import seeds
from recbole_ganrs.data.users import Condition, group_sizes, resolve_shares
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.generator.base import SyntheticGenerator, ratings_frame
from recbole_ganrs.generator.clustering import Clusters
from recbole_ganrs.generator.embedding import fit_embeddings
from recbole_ganrs.generator.gan import GAN_KINDS, Generator, train_gan
from recbole_ganrs.generator.pairing import Affinity, draw_shape_pairs, target_counts, user_moments
from recbole_ganrs.generator.privacy import dcr_report
from recbole_ganrs.generator.rating_head import CENTRE_MATCHINGS, Rater, fit_rating_head, user_mean_spread
from recbole_ganrs.generator.ratings import RATING_MODELS, collect_pairs, draw_chunks, to_scale
from recbole_ganrs.generator.scenario import shape_sizes
from recbole_ganrs.generator.stages import Stages
from recbole_ganrs.generator.workers import LocalWorkers
from recbole_ganrs.seeds import stream, torch_generator

SAMPLE_CHUNK = 1 << 18  # draws generated, assigned and merged at a time
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
    fit_format = 8  # 8: the seed plan (seeds.py)
    sample_format = 2  # 2: the shapes pairing on candidates, in blocks of users with their own streams
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

    def condition_of(self):
        return None if self.condition is None else Condition.parse(self.condition)

    # ----------------------------------------------------------------- fit
    def _fit(self, ratings, summary, groups=None):
        """DeepMF embeddings, then the GAN on the dense <user emb, item emb, normalised rating> vectors;
        ``groups`` (a label per user token): the GAN is conditioned on each rating's user group (CGANRS)."""
        user_idx, user_tokens = pd.factorize(ratings["user_id"])
        item_idx, _ = pd.factorize(ratings["item_id"])
        r = ratings["rating"].to_numpy(np.float64)
        emb = fit_embeddings(user_idx, item_idx, r, summary.n_users, summary.n_items, size=self.embedding_size,
                             epochs=self.embedding_epochs, seed=self.seed, progress=self.progress, device=self.device)
        lo, hi = summary.rating_values[0], summary.rating_values[-1]
        mid, span = (lo + hi) / 2, hi - lo + 1  # reference: (r - 3) / 5 on 1..5
        dense = np.hstack([emb.users[user_idx], emb.items[item_idx], ((r - mid) / span)[:, None]])
        dense = torch.as_tensor(dense, dtype=torch.float32)
        # the GAN sees standardised columns; sampling maps its output back
        mean, std = dense.mean(0), dense.std(0).clamp_min(1e-6)
        conditioned = {} if groups is None else group_state(groups, user_tokens, user_idx, r, summary)
        labels = None if groups is None else conditioned["user_group"][torch.as_tensor(user_idx)]
        generator = train_gan((dense - mean) / std, kind=self.gan, steps=self.gan_steps,
                              batch_size=self.gan_batch_size, seed=self.seed, progress=self.progress,
                              lr_scale=self.gan_batch_size / REFERENCE_GAN_BATCH, device=self.device,
                              labels=labels, n_classes=len(conditioned.get("names", ())))
        keep = torch.randperm(len(dense), generator=torch_generator(self.seed, "fit", "real_sample"))[:REAL_SAMPLE]
        rating_class = np.searchsorted(np.asarray(summary.rating_values), r)
        head = fit_rating_head(emb.users[user_idx], emb.items[item_idx], rating_class, len(summary.rating_values),
                               seed=self.seed)
        return {"generator": generator.state_dict(), "rating_head": head,
                "user_mean_spread": user_mean_spread(user_idx, r), "column_mean": mean, "column_std": std,
                "rating_mid": float(mid), "rating_span": float(span), "real_sample": dense[keep],
                "real_users": torch.as_tensor(emb.users), "real_items": torch.as_tensor(emb.items),
                "embedding_rmse": {"train": emb.train_rmse, "holdout": emb.holdout_rmse},
                **({"groups": conditioned} if conditioned else {})}

    @property
    def embedding_rmse(self):
        """{"train", "holdout"} RMSE of the DeepMF embedding stage."""
        self._check_fitted()
        return dict(self._state["embedding_rmse"])

    def real_sample(self):
        """Real dense <user emb, item emb, normalised rating> vectors kept from the fit (for plots)."""
        self._check_fitted()
        return self._state["real_sample"].numpy()

    def dense_rating(self, dense):
        """The rating column of dense vectors, back on the source's scale (before rounding)."""
        return dense[:, -1].astype(np.float64) * self._state["rating_span"] + self._state["rating_mid"]

    # -------------------------------------------------------------- sample
    def _generator(self):
        gen = Generator(self._state["column_mean"].numel(), n_classes=len(self.group_names))
        gen.load_state_dict(self._state["generator"])
        return gen.to(self.device).eval()

    @property
    def group_names(self):
        """The groups of a conditioned fit, in class order (empty when unconditioned)."""
        self._check_fitted()
        return list(self._state.get("groups", {}).get("names", ()))

    def group_shares(self):
        """{group: the source's share of users} of a conditioned fit."""
        return dict(zip(self.group_names, self._state["groups"]["user_share"]))

    def _iter_dense(self, n, std, seed, group=None):
        """``n`` generated <user emb, item emb, rating> rows (de-standardised; endless when n is None),
        chunk by chunk; ``group``: a conditioned fit's class, with its own noise stream."""
        gen = self._generator()
        noise_gen = torch_generator(seed, "sample", "noise", *(() if group is None else (group + 1,)))
        mean, scale = self._state["column_mean"].to(self.device), self._state["column_std"].to(self.device)
        with torch.no_grad():
            for size in draw_chunks(n, SAMPLE_CHUNK):  # the same noise on every device (drawn on the CPU)
                noise = torch.randn(size, gen.noise_size, generator=noise_gen).to(self.device) * std
                label = None if group is None else torch.full((size,), group, dtype=torch.long, device=self.device)
                yield (gen(noise, label) * scale + mean).cpu().numpy()

    def generate_dense(self, n, std=2.5, seed=0, group=None):
        """``n`` generated dense rows at once (for diagnostics; sampling streams them); ``group`` the class
        index of a conditioned fit (``group_names``)."""
        self._check_fitted()
        return np.concatenate(list(self._iter_dense(n, std, seed, group)))

    def _fit_draws(self, request, stages, group=None, rows=None):
        """The first draws of the stream (``group``'s for a conditioned fit), which the clusters are fitted on
        (and, for the shapes pairing, the draws whose item parts give each user's affinity)."""
        r, length = request, rows  # the stream's length sets its chunks (and so its noise): a group's is ``rows``
        if rows is None:
            rows = max(FIT_DRAWS, FIT_DRAWS_PER_CLUSTER * max(r.users, r.items))
            rows, length = (rows if r.samples is None else min(r.samples, rows)), r.samples
        chunks, taken = [], 0
        with stages("draws", total=rows, unit="draw") as bar:
            for chunk in self._iter_dense(length, r.std, r.seed, group):
                chunks.append(chunk[: rows - taken])
                taken += len(chunks[-1])
                bar.update(len(chunks[-1]))
                if taken >= rows:
                    break
        return np.concatenate(chunks)

    def _fit_clusters(self, request, dense, stages):
        """User and item :class:`Clusters` fitted on the draws ``dense``."""
        k, s, r, c = self.embedding_size, self.summary, request, request.sampling
        for part, asked in ((dense[:, :k], r.users), (dense[:, k : 2 * k], r.items)):  # before k-means warns
            distinct = len(np.unique(part.round(5), axis=0))
            if distinct < COLLAPSED * asked:
                raise collapsed(f"{distinct} distinct points for {asked} users or items asked", r.std)
        sized = c.pairing == "draws" and c.match_shapes  # the shapes pairing sets the counts itself
        activity = shape_sizes(r.activity, s.user_activity) if sized else None
        popularity = shape_sizes(r.popularity, s.item_popularity) if sized else None
        with stages("clustering", total=2, unit="part") as bar:
            user_clusters = Clusters.fit(dense[:, :k], r.users, stream(r.seed, "sample", "user_clusters"), activity,
                                         temperature=c.assignment_temperature)
            bar.update()
            item_clusters = Clusters.fit(dense[:, k : 2 * k], r.items, stream(r.seed, "sample", "item_clusters"),
                                         popularity, temperature=c.assignment_temperature)
            bar.update()
        return user_clusters, item_clusters

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

    def _sample(self, request):
        """(ratings, {"privacy": DCR report of the synthetic users, "seconds": each stage's}).

        A sample composes the draw stream (``assigned_draws``), the request's pairing (``PAIRING_STEPS``:
        which pairs are rated) and its rating model (``RATING_STEPS``: what rating each gets). The draws
        pairing keeps each draw's pair, chunk by chunk: memory grows with the output, not with the draws.
        The shapes pairing chooses as many pairs (``request.ratings``, or as many as the draws hold) from
        the draws' affinities, in blocks of users (pairing.py) on this process's threads or on Ray actors
        (``workers``), where the calibrated head then rates them."""
        stages = Stages(self.progress)
        if self.group_names:
            ratings, measured = self._sample_groups(request, stages)
        else:
            ratings, measured = self._sample_plain(request, stages)
        return ratings, {**measured, "seconds": stages.seconds}

    def assigned_draws(self, request, user_clusters, item_clusters, n, bar, group=None, first=0, rng=None):
        """``n`` draws of the stream (``group``'s), chunk by chunk, as (user index + ``first``, item index,
        the GAN's rating): each draw assigned to a user and an item cluster."""
        k, t = self.embedding_size, request.sampling.assignment_temperature
        rng = seeds.rng(request.seed, "sample", "assignment") if rng is None else rng
        for dense in self._iter_dense(n, request.std, request.seed, group):
            bar.update(len(dense))
            yield (first + user_clusters.assign(dense[:, :k], t, rng), item_clusters.assign(dense[:, k : 2 * k], t, rng),
                   self.dense_rating(dense))

    def _sample_plain(self, request, stages):
        s, c = self.summary, request.sampling
        fit_draws = self._fit_draws(request, stages)
        user_clusters, item_clusters = self._fit_clusters(request, fit_draws, stages)
        groups = [UserGroup(0, user_clusters, fit_draws, s.user_activity, 1.0)]
        pairs = PAIRING_STEPS[c.pairing](self, request, stages).pairs(groups, item_clusters)
        del groups, fit_draws  # done with: their memory goes to the ratings and the frame
        match = CENTRE_MATCHINGS[c.centre_matching]
        centres = match(user_clusters.centres, self._state["real_users"].numpy())
        rating = RATING_STEPS[c.rating_model](self, request, stages).rate(
            pairs, centres, match(item_clusters.centres, self._state["real_items"].numpy()),
            s.rating_shares, self._state["user_mean_spread"])
        ratings, used_users = ratings_frame(pairs.user, pairs.item, rating)
        self._check_spread(ratings, request)
        privacy = dcr_report(user_clusters.centres[used_users], self._state["real_users"].numpy())
        return ratings, {"privacy": privacy}

    # ------------------------------------------------------- conditioned
    def check_request(self, request):
        super().check_request(request)
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

    def _sample_groups(self, request, stages):
        """A conditioned sample: per group, its draws (the class fed to the GAN), its users (clusters of its
        draws' user parts), its activity shape and share of the ratings; items clustered over every group's
        draws; the shapes pairing over all users at once, the rating head calibrated per group. The ratings
        frame has the attribute column (each user's group)."""
        k, r, info = self.embedding_size, request, self._state["groups"]
        t = r.sampling.assignment_temperature
        sizes = self.users_per_group(r)
        present = [g for g in sizes if sizes[g]]
        weight = np.array([sizes[g] * info["mean_activity"][g] for g in present])
        rating_share = dict(zip(present, weight / weight.sum()))
        fit_rows = max(FIT_DRAWS, FIT_DRAWS_PER_CLUSTER * max(r.users, r.items))
        draws, user_clusters = {}, {}
        for g in present:
            rows = max(int(fit_rows * rating_share[g]), FIT_DRAWS_PER_CLUSTER * sizes[g])
            rows = rows if r.samples is None else max(min(rows, round(r.samples * rating_share[g])), sizes[g])
            draws[g] = self._fit_draws(r, stages, g, rows)
            part = draws[g][:, :k]
            if len(np.unique(part.round(5), axis=0)) < COLLAPSED * sizes[g]:
                raise collapsed(f"too few distinct points for group {info['names'][g]}'s {sizes[g]} users", r.std)
            with stages("clustering", total=1, unit="part"):
                user_clusters[g] = Clusters.fit(part, sizes[g], stream(r.seed, "sample", "user_clusters", g + 1),
                                                None, temperature=t)
        every = np.concatenate([draws[g] for g in present])
        with stages("clustering", total=1, unit="part"):
            item_clusters = Clusters.fit(every[:, k : 2 * k], r.items, stream(r.seed, "sample", "item_clusters"),
                                         None, temperature=t)
        offset = dict(zip(present, np.cumsum([0] + [sizes[g] for g in present])[:-1].tolist()))
        groups = [UserGroup(offset[g], user_clusters[g], draws[g], info["activity"][g], rating_share[g], g)
                  for g in present]
        pairs = ShapesPairing(self, r, stages).pairs(groups, item_clusters)
        group_of_user = np.concatenate([np.full(sizes[g], g) for g in present])
        match = CENTRE_MATCHINGS[r.sampling.centre_matching]
        real_users, real_group = self._state["real_users"].numpy(), info["user_group"].numpy()
        centres = np.concatenate([match(user_clusters[g].centres, real_users[real_group == g]) for g in present])
        items = match(item_clusters.centres, self._state["real_items"].numpy())
        rating = CalibratedRatings(self, r, stages).rate(pairs, centres, items, info["rating_shares"],
                                                         info["spread"], user_group=group_of_user)
        ratings, used_users = ratings_frame(pairs.user, pairs.item, rating)
        self._check_spread(ratings, r)
        names = np.asarray(info["names"], dtype=object)
        ratings[self.condition_of().attribute] = names[group_of_user[used_users]][ratings["user_id"].to_numpy() - 1]
        raw = np.concatenate([user_clusters[g].centres for g in present])
        privacy = dcr_report(raw[used_users], real_users)
        return ratings, {"privacy": privacy, "groups": {names[g]: {"users": int(sizes[g]),
                                                                  "share": round(sizes[g] / r.users, 6)}
                                                       for g in sizes}}


@dataclass(frozen=True)
class UserGroup:
    """The synthetic users of one group (every user, unconditioned): their first id, clusters and draws, the
    source's activity shape for them, their share of the ratings and (conditioned) the GAN class."""

    first: int
    clusters: Clusters
    draws: np.ndarray
    activity: list
    share: float
    label: Optional[int] = None


@dataclass
class Pairs:
    """The pairs a pairing chose: users, items, the GAN's mean rating of each (the draws pairing only) and
    the workers that hold them in blocks (the shapes pairing: they are rated there)."""

    user: np.ndarray
    item: np.ndarray
    value: Optional[np.ndarray] = None
    workers: object = None


class SampleStep:
    """A step of one sample (a pairing or a rating model): the fitted generator, the request, its stages."""

    def __init__(self, generator, request, stages):
        self.generator, self.request, self.stages = generator, request, stages


class DrawsPairing(SampleStep):
    """Every draw's (user cluster, item cluster) pair, repeated pairs merged with their mean GAN rating (the
    reference's way; unconditioned only)."""

    def pairs(self, groups, item_clusters):
        (group,) = groups
        r, gen = self.request, self.generator
        with self.stages("draws", total=r.samples, unit="draw") as bar:
            draws = gen.assigned_draws(r, group.clusters, item_clusters, r.samples, bar)
            return Pairs(*collect_pairs(draws, r, r.items, gen.kind))


class ShapesPairing(SampleStep):
    """pairing.py: each user's and item's number of ratings from the source's shapes, the pairs where each
    user's draws lie, chosen on candidates in blocks of users (on ``generator.workers``)."""

    def pairs(self, groups, item_clusters):
        total = self.request.ratings
        if total is None:
            with self.stages("draws", total=self.request.samples, unit="draw") as bar:
                total = self._draws_pairs(groups, item_clusters, bar)
        affinity, rows, cols = self._targets(groups, item_clusters, total)
        workers = self.generator.workers if self.generator.workers is not None else LocalWorkers()
        try:
            user, item = draw_shape_pairs(affinity, rows, cols, total, self.request.seed, workers, self.stages)
        except BaseException:
            workers.close()
            raise
        return Pairs(user, item, workers=workers)

    def _draws_pairs(self, groups, item_clusters, bar):
        """How many distinct pairs the request's draws hold (the draws pairing's count, each group's share of
        the draws): the number of ratings a ``samples`` request gets."""
        r, gen, total = self.request, self.generator, 0
        rng = seeds.rng(r.seed, "sample", "assignment")
        for g in groups:
            n = r.samples if g.label is None else max(round(r.samples * g.share), 1)
            draws = gen.assigned_draws(r, g.clusters, item_clusters, n, bar, g.label, g.first, rng)
            total += len(collect_pairs(draws, r, r.items, gen.kind)[0])
        return total

    def _targets(self, groups, item_clusters, total):
        """The affinities of every user to the item centres, and the row and column counts to reach."""
        r, gen = self.request, self.generator
        k, t = gen.embedding_size, r.sampling.assignment_temperature
        with self.stages("pairing: affinities", total=len(groups), unit="group") as bar:
            rng = seeds.rng(r.seed, "sample", "shape_assignment")
            user = np.concatenate([g.first + g.clusters.assign(g.draws[:, :k], t, rng) for g in groups])
            item_parts = np.concatenate([g.draws[:, k : 2 * k] for g in groups])
            item = item_clusters.assign(item_parts, t, rng)
            mean, cov = user_moments(user, item_parts, r.users)
            affinity = Affinity.of(mean, cov, item_clusters.centres, widen=item_clusters.scale / k)
            drawn = np.bincount(user, minlength=r.users)
            rows = np.concatenate([
                target_counts(shape_sizes(r.activity, g.activity), total * g.share,
                              drawn[g.first : g.first + len(g.clusters.centres)], cap=r.items) for g in groups])
            cols = target_counts(shape_sizes(r.popularity, gen.summary.item_popularity), total,
                                 np.bincount(item, minlength=r.items), cap=r.users)
            bar.update(len(groups))
        return affinity, rows, cols


class MappedRatings(SampleStep):
    """The GAN's own rating of each pair mapped onto the source's scale (ratings.py: distribution, mean)."""

    def rate(self, pairs, user_centres, item_centres, rating_shares, spread, user_group=None):
        s = self.generator.summary
        with self.stages("ratings", total=len(pairs.user), unit="rating"):
            return to_scale(pairs.value, s.rating_values, s.rating_shares, s.rating_mean,
                            self.request.sampling.rating_model)


class CalibratedRatings(SampleStep):
    """rating_head.py: p(rating | user and item centres) learnt on the source, calibrated to its rating shares
    and user-mean spread (per group: ``user_group``, with a list of shares and spreads); drawn on the blocks
    that hold the pairs (the shapes pairing), else here as one block."""

    def rate(self, pairs, user_centres, item_centres, rating_shares, spread, user_group=None):
        gen, seed = self.generator, self.request.seed
        values = np.asarray(gen.summary.rating_values, dtype=np.float64)
        with self.stages("ratings", total=len(pairs.user), unit="rating"):
            rater = Rater.fit(gen._state["rating_head"], user_centres, item_centres, pairs.user, pairs.item,
                              gen.summary.rating_values, rating_shares, spread, user_group=user_group)
            if pairs.workers is None:
                return values[rater.rate(pairs.user, pairs.item, seed)]
            try:
                return values[np.concatenate(pairs.workers.collect("rate", rater, seed))]
            finally:
                pairs.workers.close()


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
    """What a conditioned fit keeps of each user group of the source: names (sorted), each real user's group,
    and per group its share of users, rating shares, activity shape, mean activity and user-mean spread."""
    labels = groups.reindex(pd.Index(user_tokens).astype(str)).to_numpy().astype(str)
    names = sorted({str(x) for x in labels})
    user_group = np.searchsorted(names, labels)
    row_group = user_group[user_idx]
    values = np.asarray(summary.rating_values)
    state = {"names": names, "user_group": torch.as_tensor(user_group), "user_share": [], "rating_shares": [],
             "activity": [], "mean_activity": [], "spread": []}
    activity = np.bincount(user_idx, minlength=len(user_tokens))
    for g in range(len(names)):
        rows = row_group == g
        counts = np.bincount(np.searchsorted(values, r[rows]), minlength=len(values))
        state["user_share"].append(float(np.mean(user_group == g)))
        state["rating_shares"].append((counts / counts.sum()).tolist())
        state["activity"].append(np.sort(activity[user_group == g]).tolist())
        state["mean_activity"].append(float(activity[user_group == g].mean()))
        state["spread"].append(user_mean_spread(np.unique(user_idx[rows], return_inverse=True)[1], r[rows]))
    return state
