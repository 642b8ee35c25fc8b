"""A trial's identity and what it runs with, declared once.

:class:`TrialKey` is what makes a trial this trial: the columns that identify its rows in ``results.csv`` and
``failed.csv`` (in this order), the resume filter, its part file, its per-user file and its name all derive from
it, so one more evaluation axis is one more field here. :class:`TrialSpec` is the key plus everything the trial
needs to run in a Ray worker (the dataset's RecBole settings, N and q, epochs, files to write); it travels to
Ray as it is (a frozen dataclass pickles).
"""
import json
from dataclasses import astuple, dataclass, field, fields, replace
from pathlib import Path
from typing import Optional

from recbole_ganrs.files import json_digest


def params_text(params):
    """A tuned configuration as results.csv stores it (sorted JSON; "" for the model's defaults)."""
    return json.dumps(params, sort_keys=True) if params else ""


@dataclass(frozen=True)
class TrialKey:
    dataset: str
    model: str
    seed: int
    protocol: str
    ties: str
    split: str = "random"
    dataset_sha1: str = ""  # the dataset's content: a source edited in place is trained again
    config: str = "default"  # "default" (the model's properties file) or "tuned" (--tune's choice)
    params: str = ""  # the tuned configuration, params_text(); "" for the defaults

    @classmethod
    def columns(cls):
        """The key's columns, in results.csv's order."""
        return [f.name for f in fields(cls)]

    @classmethod
    def of_values(cls, values):
        """The key of a row's key columns (``columns()`` order), as pandas reads them."""
        return cls(*(f.type(v) if v is not None and v == v else f.type()  # an empty cell (NaN): "" or 0
                      for f, v in zip(fields(cls), values)))

    def values(self):
        return astuple(self)

    def as_dict(self):
        return dict(zip(self.columns(), self.values()))

    @property
    def tuned_params(self):
        """The tuned configuration as a dict (None for the defaults)."""
        return json.loads(self.params) if self.params else None

    def tuned(self, params):
        """This trial with --tune's chosen ``params``."""
        return replace(self, config="tuned", params=params_text(params))

    @property
    def name(self):
        """The trial's name in Ray and in the logs."""
        return f"{self.model}-{self.dataset}-seed{self.seed}" + ("-tuned" if self.config == "tuned" else "")

    @property
    def part_name(self):
        """Its part file in ``results.d/`` until the run merges the parts."""
        return f"{json_digest([str(v) for v in self.values()])[:16]}.csv"

    def user_scores_path(self, root):
        """``<root>/per_user/<dataset>-<sha1>/<protocol>-<ties>[-<split>]/<Model>-seed<S>[-tuned-<hash>].npz``."""
        folder = self.dataset if not self.dataset_sha1 else f"{self.dataset}-{self.dataset_sha1[:12]}"
        run = f"{self.protocol}-{self.ties}" + ("" if self.split == "random" else f"-{self.split.replace(':', '-')}")
        tuned = f"-tuned-{json_digest(self.tuned_params)[:12]}" if self.params else ""
        return Path(root) / "per_user" / folder / run / f"{self.model}-seed{self.seed}{tuned}.npz"

    def row(self, **values):
        """A results.csv row of this trial: its key columns and ``values`` (q, N, metrics...)."""
        return {**self.as_dict(), **values}


@dataclass(frozen=True)
class TrialSpec:
    """A trial: its key and what it runs with."""
    key: TrialKey
    dataset_config: dict = field(default_factory=dict)  # RecBole's dataset and data_path (and load_col...)
    ns: list = field(default_factory=lambda: [2, 4, 6, 8, 10])
    qs: list = field(default_factory=list)
    epochs: Optional[int] = None  # None: the model's own
    recbole: dict = field(default_factory=dict)  # the run's recbole: settings
    user_file: Optional[str] = None  # the dataset's .user file: its users' groups
    item_file: Optional[str] = None  # the dataset's .item file: its items' groups (with item_groupings)
    item_groupings: Optional[list] = None  # evaluation/item_groups.ItemGrouping.to_plain() of each grouping
    item_fields: Optional[list] = None  # --item-attributes: a context-aware model's item features
    condition: Optional[str] = None
    cold_k: Optional[int] = None  # a cold-start scenario's users keep at most K training ratings
    cold_ids: Optional[list] = None  # a cold-users split's held-out users (set in the worker, by write_split)
    cold_item_ids: Optional[list] = None  # a cold-items split's held-out items (the same)
    predictions_dir: Optional[str] = None  # --save-predictions
    save_split: Optional[str] = None  # --save-splits
    threads: int = 1
    device: str = "cpu"
    metric: Optional[str] = None  # --tune: the validation metric, at N = tune_n and q = tune_q
    tune_n: Optional[int] = None
    tune_q: Optional[float] = None

    @classmethod
    def of(cls, **values):
        """A spec from flat values, the key's fields among them (a script's or a test's trial); ``params`` may be
        a configuration dict, which makes the trial a tuned one."""
        key_fields = set(TrialKey.columns())
        key = {k: v for k, v in values.items() if k in key_fields}
        if isinstance(key.get("params"), dict) or key.get("params") is None:
            params = key.pop("params", None)
            key = {**key, "config": "tuned" if params else key.get("config", "default"), "params": params_text(params)}
        return cls(TrialKey(**key), **{k: v for k, v in values.items() if k not in key_fields})

    def to_ray(self):
        """The spec as Ray Tune carries a trial's config (plain values: Tune rebuilds what it is given, and a
        dataclass does not survive it)."""
        return {"key": self.key.as_dict(), **{f.name: getattr(self, f.name) for f in fields(self) if f.name != "key"}}

    @classmethod
    def from_ray(cls, values):
        """The spec of :meth:`to_ray`'s values."""
        return cls(TrialKey(**values["key"]), **{k: v for k, v in values.items() if k != "key"})

    @property
    def params(self):
        return self.key.tuned_params

    def tuned(self, params):
        return replace(self, key=self.key.tuned(params))
