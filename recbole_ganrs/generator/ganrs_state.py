"""What a GANRS fit learnt, frozen: the GAN, the rating head, the real embeddings and profiles, a conditioned fit's
groups. A sample reads it (``GANRS._sample`` and its pairing and rating steps) and never changes it; it is saved as
a dict of tensors and plain values (loaded weights-only) and rebuilt with ``from_saved``."""
import dataclasses
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from recbole_ganrs.data.items import ItemTable
from recbole_ganrs.generator.gan import Generator
from recbole_ganrs.generator.ratings import draw_chunks
from recbole_ganrs.seeds import torch_generator

SAMPLE_CHUNK = 1 << 18  # draws generated, assigned and merged at a time


@dataclass(frozen=True)
class GroupState:
    """A conditioned fit's groups of the source's users (names sorted, in GAN class order): each real user's
    group, and per group its share of users, rating shares, activity shape (sorted counts) and mean activity."""

    names: tuple
    user_group: torch.Tensor
    user_share: tuple
    rating_shares: tuple
    activity: tuple
    mean_activity: tuple


@dataclass(frozen=True)
class GanrsState:
    """A GANRS fit. ``summary`` (the source's SourceSummary) is the base class's, not saved twice."""

    generator: dict  # the GAN generator's state dict
    rating_head: dict  # rating_head.RatingHead's state dict
    column_mean: torch.Tensor  # the dense columns' mean and std (the GAN sees standardised columns)
    column_std: torch.Tensor
    rating_mid: float  # the rating column's normalisation: (r - mid) / span
    rating_span: float
    real_sample: torch.Tensor  # real dense vectors kept for diagnostics plots
    real_users: torch.Tensor  # DeepMF embeddings of the real users and items
    real_items: torch.Tensor
    user_classes: torch.Tensor  # each real user's rating histogram (profiles.py)
    user_ratings: torch.Tensor  # each real user's and item's ratings count
    item_ratings: torch.Tensor
    mainstream_spread: float  # pairing.mainstream_spread of the source
    user_popularity: torch.Tensor  # each real user's ratings in each popularity bin [users, bins] (pairing.popularity_bins)
    embedding_rmse: dict  # {"train", "holdout"} of the DeepMF stage
    summary: object = None
    groups: Optional[GroupState] = None
    items: Optional[ItemTable] = None  # the real items' attributes a synthetic item can carry (data/items.py)
    privacy: Optional[dict] = None  # a private fit's PrivacyAccount (private.py), saved as plain values

    @property
    def embedding_size(self):
        return self.real_users.shape[1]

    @property
    def group_names(self):
        return list(self.groups.names) if self.groups else []

    def real_users_of(self, label):
        """Indices of the real users of GAN class ``label`` (every real user when None)."""
        every = np.arange(len(self.real_users))
        return every if label is None else every[self.groups.user_group.numpy() == label]

    def dense_rating(self, dense):
        """The rating column of dense vectors, back on the source's scale (before rounding)."""
        return dense[:, -1].astype(np.float64) * self.rating_span + self.rating_mid

    def network(self, device="cpu"):
        gen = Generator(self.column_mean.numel(), n_classes=len(self.group_names))
        gen.load_state_dict(self.generator)
        return gen.to(device).eval()

    def iter_dense(self, n, std, seed, group=None, device="cpu"):
        """``n`` generated <user emb, item emb, rating> rows (de-standardised; endless when n is None), chunk by
        chunk; ``group``: a conditioned fit's class, with its own noise stream."""
        gen = self.network(device)
        noise_gen = torch_generator(seed, "sample", "noise", *(() if group is None else (group + 1,)))
        mean, scale = self.column_mean.to(device), self.column_std.to(device)
        with torch.no_grad():
            for size in draw_chunks(n, SAMPLE_CHUNK):  # the same noise on every device (drawn on the CPU)
                noise = torch.randn(size, gen.noise_size, generator=noise_gen).to(device) * std
                label = None if group is None else torch.full((size,), group, dtype=torch.long, device=device)
                yield (gen(noise, label) * scale + mean).cpu().numpy()

    def to_saved(self):
        """A dict of tensors and plain values (torch.load weights_only reads it back)."""
        saved = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                 if f.name not in ("summary", "groups", "items")}
        if self.groups is not None:
            saved["groups"] = {f.name: getattr(self.groups, f.name) for f in dataclasses.fields(GroupState)}
        if self.items is not None:
            saved["items"] = self.items.to_saved()
        return saved

    @classmethod
    def from_saved(cls, saved, summary):
        groups, items = saved.get("groups"), saved.get("items")
        return cls(**{k: v for k, v in saved.items() if k not in ("groups", "items")}, summary=summary,
                   groups=None if groups is None else GroupState(**groups),
                   items=None if items is None else ItemTable.from_saved(items))
