"""The contract every generator follows (after SDV's ``BaseSynthesizer`` and scikit-learn estimators).

- Constructor arguments are the generator's own settings (dataclass fields), and
  nothing else: learnt state is set by ``fit`` (or ``load``).
- ``fit(source)`` reads and validates the source once, builds the
  :class:`SourceSummary` every generator needs (rating scale and shares, user
  activity and item popularity), and calls the subclass's ``_fit(ratings, summary)``,
  which returns the learnt state (tensors and plain values).
- ``sample(...)`` / ``sample_request(request)`` validate the request and call the
  subclass's ``_sample(request)``, which returns the ratings frame and what the
  generator measured while sampling (it goes into the dataset's sidecar).
- ``save`` / ``load`` keep a fit in a file of tensors and plain values, loaded weights-only.

A new generator is a dataclass subclass with a ``kind``, its settings as fields,
``_fit`` and ``_sample``; register it in ``generator/__init__.py``.
"""
import dataclasses
import hashlib
import warnings
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np
import pandas as pd
import torch

from recbole_ganrs.data import load_ratings, resolve_source
from recbole_ganrs.data.items import item_table, table_of
from recbole_ganrs.data.users import group_labels, parse_shares, shares_label, user_labels
from recbole_ganrs.errors import GanrsError
from recbole_ganrs.files import replaced_on_success
from recbole_ganrs.generator.sampling import SamplingChoices
from recbole_ganrs.generator.scenario import SOURCE_SHAPE, apply_scenario, check_binary, check_cold, check_shape
from recbole_ganrs.limits import check_request_fits, check_seed


@dataclass(frozen=True)
class Sample:
    """What ``sample_request`` gives: the ratings (ids 1..n), what the sidecar records about the sample, and,
    for a generator whose items carry attributes (``item_attributes``), each synthetic item's (a frame with
    ``item_id`` and the fields, and the fields' RecBole types)."""

    ratings: pd.DataFrame
    record: dict
    items: Optional[pd.DataFrame] = None
    item_kinds: Optional[dict] = None


@dataclass(frozen=True)
class SampleRequest:
    """What a generator's ``sample`` is asked for: ``samples`` draws (the papers' way; repeated pairs are
    merged, so fewer ratings are kept), or exactly ``ratings`` distinct ratings (``samples`` None)."""

    users: int
    items: int
    samples: Optional[int] = None
    std: float = 2.5
    seed: int = 0
    ratings: Optional[int] = None
    # scenarios (scenario.py): shapes other than the source's, cold start (share, max ratings), like / dislike
    activity: str = SOURCE_SHAPE
    popularity: str = SOURCE_SHAPE
    cold_users: Optional[tuple] = None
    cold_items: Optional[tuple] = None
    binary: Optional[float] = None
    # a conditional generator's share of synthetic users per group: ((value, share), ...), the groups not named
    # filling the rest at the source's proportions (data/users.py); None: the source's shares
    group_shares: Optional[tuple] = None
    # how a GANRS fit turns draws into the dataset (sampling.py); the other generators take only the defaults
    sampling: SamplingChoices = SamplingChoices()

    def size_label(self):
        """``s<draws>`` or ``r<ratings>``: what the dataset name says of its size."""
        return f"s{self.samples}" if self.ratings is None else f"r{self.ratings}"

    def scenario_label(self):
        """What the dataset name says of the scenario settings that are not the default, e.g. ``-cu0.3k5``."""
        parts = [f"act{self.activity}" if self.activity != SOURCE_SHAPE else "",
                 f"pop{self.popularity}" if self.popularity != SOURCE_SHAPE else "",
                 f"cu{self.cold_users[0]:g}k{self.cold_users[1]}" if self.cold_users else "",
                 f"ci{self.cold_items[0]:g}k{self.cold_items[1]}" if self.cold_items else "",
                 f"bin{self.binary:g}" if self.binary is not None else "",
                 f"g{shares_label(self.group_shares)}" if self.group_shares else ""]
        return "".join(f"-{p.replace(':', '')}" for p in parts if p)

    def validate(self):
        """Refuse impossible requests with a one-line reason."""
        if (self.samples is None) == (self.ratings is None):
            raise GanrsError("ask for either samples (draws) or ratings (distinct ratings), not both or neither")
        sized = ("samples", self.samples) if self.ratings is None else ("ratings", self.ratings)
        for label, value in (("users", self.users), ("items", self.items), sized):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise GanrsError(f"{label} must be a positive integer, got {value!r}")
        for label, value in (("users", self.users), ("items", self.items)):
            if value < 2:
                raise GanrsError(f"{label} must be at least 2, got {value}: collaborative filtering needs more than "
                                 f"one {label[:-1]}")
        if self.samples is not None and self.samples < max(self.users, self.items):
            raise GanrsError(f"samples ({self.samples}) must be at least the number of users ({self.users}) "
                             f"and items ({self.items})")
        if self.ratings is not None and self.ratings < max(self.users, self.items):  # each has at least one
            raise GanrsError(f"ratings ({self.ratings}) must be at least the number of users ({self.users}) "
                             f"and items ({self.items}): each of them gets a rating")
        if self.ratings is not None and self.ratings > self.users * self.items:
            raise GanrsError(f"ratings ({self.ratings}) cannot exceed users x items ({self.users * self.items})")
        check_seed(self.seed)
        self.sampling.validate()
        check_request_fits(self.users, self.items, self.samples, self.ratings, self.sampling.pairing)
        self._validate_scenario()
        if not (isinstance(self.std, (int, float)) and np.isfinite(self.std) and self.std > 0):
            raise GanrsError(f"std must be > 0 and finite, got {self.std!r}")
        return self

    def _validate_scenario(self):
        check_shape(self.activity, "activity")
        check_shape(self.popularity, "popularity")
        total = self.ratings if self.ratings is not None else self.samples
        for label, cold, count in (("cold users", self.cold_users, self.users), ("cold items", self.cold_items, self.items)):
            if check_cold(cold, label) and cold[0] * count * cold[1] >= total:
                raise GanrsError(f"{label} {cold[0]:g}:{cold[1]} would hold {cold[0] * count * cold[1]:,.0f} ratings "
                                 f"or more, not fewer than the {total:,} asked: lower the share or K")
        if self.binary is not None and not (isinstance(self.binary, (int, float)) and np.isfinite(self.binary)):
            raise GanrsError(f"binary must be a rating value, got {self.binary!r}")
        if self.group_shares is not None:
            parse_shares(",".join(f"{v}:{s}" for v, s in self.group_shares))  # the form; the values: resolve_shares


@dataclass
class SourceSummary:
    """What every generator knows of the source it learnt."""

    name: str
    n_users: int
    n_items: int
    n_ratings: int
    rating_values: list
    rating_shares: list
    rating_mean: float
    user_activity: list  # ratings per user, sorted: the shape synthetic users may follow
    item_popularity: list  # ratings per item, sorted
    sha1: str = ""  # of the ratings' content (ratings_digest): a saved fit is used only for the same source

    @classmethod
    def of(cls, ratings, name):
        values, counts = np.unique(ratings["rating"].to_numpy(np.float64), return_counts=True)
        return cls(name=name, sha1=ratings_digest(ratings), n_users=int(ratings["user_id"].nunique()), n_items=int(ratings["item_id"].nunique()),
                   n_ratings=len(ratings), rating_values=values.tolist(), rating_shares=(counts / counts.sum()).tolist(),
                   rating_mean=float(ratings["rating"].mean()),
                   user_activity=np.sort(ratings["user_id"].value_counts().to_numpy()).tolist(),
                   item_popularity=np.sort(ratings["item_id"].value_counts().to_numpy()).tolist())


class SyntheticGenerator:
    """Base of the generators; see the module docstring for the contract."""

    kind = None  # "ganrs", "cfgan", "statistical": the --generators value and the dataset name's prefix
    fit_format = 1  # bumped by a subclass when its saved state changes; older fits are refitted
    sample_format = 1  # bumped when the same fit and request sample other data; older datasets are remade
    #: whether ``_sample`` honours a request's SamplingChoices (else only the defaults are accepted)
    takes_sampling_choices = False
    #: the smallest source a generator can learn: ratings, users, items
    min_source = (2, 2, 1)

    _summary = None
    _state = None
    #: where fit and sample run (``to(device)``); not a setting: it does not define what is learnt
    device = "cpu"

    def to(self, device):
        """Run fit and sample on ``device`` (cpu or cuda); returns self."""
        from recbole_ganrs.devices import resolve_device

        self.device = resolve_device(device)
        return self

    # ------------------------------------------------------------ settings
    def settings(self):
        """The generator's settings (what the sidecar records), without ``progress``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "progress"}

    def fit_settings(self):
        """Settings that change what ``fit`` learns (the fit cache key): all of them (how a fit is sampled is the
        request's, SampleRequest.sampling)."""
        return self.settings()

    # ----------------------------------------------------------------- fit
    def fit(self, source, users=None, items=None):
        """Learn ``source``: 'ml-100k', an atomic folder, or a DataFrame (user_id, item_id, rating). A generator
        conditioned on a user attribute reads it from the source's user file (data/users.py), or from ``users``
        (a frame indexed by user id, with the attribute as a column) beside a DataFrame; one whose items carry
        attributes reads them from the source's item file (data/items.py), or from ``items`` (a frame indexed by
        item id, RecBole types in its column names: ``class:token_seq``) beside a DataFrame."""
        if isinstance(source, pd.DataFrame):
            ratings, name = source, "dataframe"
        else:
            ratings, name = load_ratings(source, strict=True), str(source)
        summary = SourceSummary.of(ratings, name)
        self._check_source(summary)
        groups = self._user_groups(source, ratings, users)
        table = self._item_table(source, ratings, items)
        learnt = {**({} if groups is None else {"groups": groups}), **({} if table is None else {"items": table})}
        self._state = self._fit(ratings, summary, **learnt)
        self._summary = self._released_summary(summary)
        return self

    def _released_summary(self, summary):
        """The summary the fit keeps and saves: the source's, or what a private fit released of it."""
        return summary

    def condition_of(self):
        """The user attribute a conditional generator learns (a data/users.py Condition); None: unconditioned."""
        return None

    def _user_groups(self, source, ratings, users=None):
        """The group label of each source user (a Series by user token) under the generator's condition, None
        when it has none; refused in one line before any fitting (data/users.py)."""
        condition = self.condition_of()
        if condition is None:
            return None
        if isinstance(source, pd.DataFrame):
            if users is None or condition.attribute not in users:
                raise GanrsError(f"--condition {condition}: a DataFrame source needs users= (a frame indexed by "
                                 f"user id with a {condition.attribute} column)")
            return group_labels(users, ratings, condition, "users=")
        return user_labels(resolve_source(source).inter_path, ratings, condition)

    def item_fields(self):
        """The item attributes (field names) the generator's synthetic items carry; () for none."""
        return ()

    def _item_table(self, source, ratings, items=None):
        """The source items' chosen attributes (data/items.py ItemTable), None when the generator carries
        none; refused in one line before any fitting."""
        fields = self.item_fields()
        if not fields:
            return None
        if isinstance(source, pd.DataFrame):
            if items is None:
                raise GanrsError("--item-attributes: a DataFrame source needs items= (a frame indexed by item id)")
            frame, kinds = items.rename(columns=lambda c: str(c).split(":")[0]), {
                str(c).split(":")[0]: (str(c).split(":")[1] if ":" in str(c) else "token") for c in items.columns}
            return table_of(frame, kinds, ratings, fields, "items=")
        return item_table(resolve_source(source).inter_path, ratings, fields)

    def _check_source(self, summary):
        min_ratings, min_users, min_items = self.min_source
        if summary.n_ratings < min_ratings or summary.n_users < min_users or summary.n_items < min_items:
            raise GanrsError(f"source too small to learn: {summary.n_ratings} ratings, {summary.n_users} users, "
                             f"{summary.n_items} items (need at least {min_ratings}, {min_users}, {min_items})")
        if len(summary.rating_values) < 2:
            raise GanrsError("source has a single rating value: nothing to learn")

    def _fit(self, ratings, summary):
        """Learn from the validated ``ratings``; return the learnt state (tensors and plain values)."""
        raise NotImplementedError

    @property
    def summary(self):
        """:class:`SourceSummary` of the fitted source."""
        self._check_fitted()
        return self._summary

    def _check_fitted(self):
        if self._state is None:
            raise GanrsError(f"{type(self).__name__} is not fitted: call fit(source) or load(path) first")

    # -------------------------------------------------------------- sample
    def sample(self, users, items, samples=None, std=2.5, seed=0, ratings=None, workers=None, **choices):
        """A synthetic ratings DataFrame (user_id, item_id, rating) with ids 1..n, from ``samples`` draws
        or with exactly ``ratings`` distinct ratings; ``choices``: SamplingChoices fields (GANRS); ``workers``:
        see :meth:`sample_request`."""
        return self.sample_request(SampleRequest(users, items, samples, std, seed, ratings,
                                                 sampling=SamplingChoices(**choices)), workers).ratings

    def sample_request(self, request, workers=None):
        """The :class:`Sample` (ratings, what the sidecar records, item attributes) of a :class:`SampleRequest`;
        its cold-start and binary settings are applied here, for every generator. ``workers``: where a sample's
        blocks of users run (workers.py; None: this process's threads), the same bits anywhere (GANRS)."""
        self._check_fitted()
        request.validate()
        self.check_request(request)
        if request.binary is not None:
            check_binary(request.binary, self.summary.rating_values)
        sample = self._sample(request, workers)
        sample = sample if isinstance(sample, Sample) else Sample(*sample)  # (ratings, record) without items
        ratings, scenario = apply_scenario(sample.ratings, request)
        return dataclasses.replace(sample, ratings=ratings, record={**sample.record, **scenario})

    def check_request(self, request):
        """Refuse, in one line and before any work (no fit needed), a valid request this generator's settings
        cannot serve; a subclass with checks of its own calls this one too."""
        if request.sampling != SamplingChoices() and not self.takes_sampling_choices:
            raise GanrsError(f"the {self.kind} generator has no sampling choices "
                             f"({', '.join(request.sampling.changed())} are ganrs settings)")
        if request.group_shares and self.condition_of() is None:
            raise GanrsError(f"group shares need a generator conditioned on a user attribute (--condition ATTR, "
                             f"ganrs); this {self.kind} generator has none")
        shaped = request.activity != SOURCE_SHAPE or request.popularity != SOURCE_SHAPE
        if shaped and not self.follows_shapes(request):
            raise GanrsError(f"the {self.kind} generator cannot follow --activity / --popularity shapes "
                             "(use ganrs with its shapes matched, or statistical)")

    def follows_shapes(self, request):
        """Whether ``_sample`` follows the request's activity and popularity shapes."""
        return False

    def _sample(self, request, workers=None):
        """(ratings, record) or a :class:`Sample` (a generator whose items carry attributes)."""
        raise NotImplementedError

    # ----------------------------------------------------------- save/load
    def _saved_state(self):
        """The learnt state as tensors and plain values (what ``save`` writes); a frozen state object's own."""
        return self._state

    def _restored_state(self, saved, summary):
        """The learnt state from what ``_saved_state`` wrote."""
        return saved

    def save(self, path):
        """Write the fitted generator (tensors and plain values only) to ``path``."""
        self._check_fitted()
        with replaced_on_success(path) as tmp:
            torch.save({"kind": self.kind, "format": self.fit_format, "settings": self.settings(),
                        "summary": asdict(self._summary), "state": self._saved_state()}, tmp)

    @classmethod
    def load(cls, path, progress=True):
        """A fitted generator from ``save``; loaded weights-only (no code runs from the file)."""
        try:
            with warnings.catch_warnings():  # a damaged file's pickle protocol warning: the error below says it
                warnings.simplefilter("ignore")
                saved = torch.load(path, weights_only=True)
        except FileNotFoundError:
            raise GanrsError(f"no saved generator fit at {path}") from None
        except Exception as exc:
            raise GanrsError(f"{path} is not a saved generator fit ({type(exc).__name__})") from None
        from recbole_ganrs.generator import GENERATORS

        kind = saved.get("kind") if isinstance(saved, dict) else None
        target = GENERATORS.get(kind) if cls is SyntheticGenerator else cls
        if target is None or kind != target.kind or saved.get("format") != target.fit_format:
            raise GanrsError(f"{path} is a generator fit of another kind or format: fit the source again")
        own = {f.name for f in dataclasses.fields(target)}  # fits saved before the sampling choices moved to
        settings = {k: v for k, v in saved["settings"].items() if k in own}  # the request also hold those
        gen = target(**{**settings, "progress": progress})
        gen._summary = SourceSummary(**saved["summary"])
        gen._state = gen._restored_state(saved["state"], gen._summary)
        return gen


def ratings_digest(ratings):
    """sha1 of a ratings frame's (user, item, rating) rows, whatever file or format they came from."""
    ids = ratings[["user_id", "item_id"]].astype(str)  # the same digest for integer ids and their file's tokens
    rows = pd.util.hash_pandas_object(ids.assign(rating=ratings["rating"]), index=False).to_numpy()
    return hashlib.sha1(rows.tobytes()).hexdigest()


def check_fitted_on(generator, ratings, source):
    """Refuse to sample ``source``'s datasets from a fit learnt on other ratings (its scale and shapes would
    be another source's)."""
    if generator.summary.sha1 != ratings_digest(ratings):
        raise GanrsError(f"the fit was learnt from {generator.summary.name}, not from {source} (other ratings): "
                         f"give --source {generator.summary.name}, or drop --fit to fit {source}")


def contiguous_ids(index):
    """(1-based ids numbering the distinct values of ``index`` in their order, those values): np.unique's
    inverse in linear time (a count per value, not a sort of 100M rows)."""
    present = np.bincount(index) > 0
    return np.cumsum(present).astype(np.int32)[index], np.flatnonzero(present)


def ratings_frame(user, item, rating):
    """Ratings with contiguous integer ids 1..n over the users and items present (int32, not strings: 30M draws
    keep 7.6M ratings, whose string ids would hold 0.9 GB); also the original user and item index of each new id
    (row k for id k + 1)."""
    user, used_users = contiguous_ids(np.asarray(user))
    item, used_items = contiguous_ids(np.asarray(item))
    # copy=False: the new arrays become the columns (a copy into one int block held 1.6 GB more at 100M ratings)
    frame = pd.DataFrame({"user_id": user, "item_id": item, "rating": np.asarray(rating)}, copy=False)
    return frame, used_users, used_items
