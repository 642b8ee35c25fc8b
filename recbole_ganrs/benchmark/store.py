"""Results on disk, written as each trial ends: ``results.csv``, ``failed.csv``, ``per_user/``.

A finished trial's rows are written at once to their own file, ``results.d/<trial key hash>.csv`` (constant
time a trial: rewriting one growing results.csv took 0.5 s a trial at 180 trials, and Ray warned), and merged
into results.csv when the run's trials are over (:meth:`ResultStore.consolidate`); reading merges both, so an
interrupted run loses nothing. A finished trial's rows are in results.csv (or its part file); a re-run with the same output skips
its (dataset, model, seed, protocol, tie order, dataset content sha1): a dataset whose content
changed under the same name (a source edited in place) is trained again. A failed
trial is in failed.csv with its error and is tried again by a re-run. Each ranked-
trial also leaves its relevant test users' metrics at the largest N in
``per_user/<dataset>-<sha1>/<protocol>-<ties>/<model>-seed<k>.npz``
(for the paired tests). Every file is written atomically.
"""
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from recbole_ganrs.errors import GanrsError
from recbole_ganrs.evaluation import METRICS, PER_USER
from recbole_ganrs.benchmark.trial_key import TrialKey
from recbole_ganrs.files import replaced_on_success

#: a trial is done when its key has results: its dataset *content* (sha1 of the .inter), not just its name
TRIAL_KEY = TrialKey.columns()
#: results.csv's columns by name; their order is the file's layout since before the content hash and tuning: the
#: key's first six (who ran what), q and N, the metrics and what explains them, then the rest of the key
RESULT_COLUMNS = [*TRIAL_KEY[:6], "q", "N", *METRICS, "test_users", "relevant_users", "share_full_n", "epochs_run",
                  "best_epoch", TRIAL_KEY[6], "grouping", "subset", *TRIAL_KEY[7:]]
#: columns a results file of an earlier version may lack, with the value its rows had ("grouping": see _read)
OPTIONAL_COLUMNS = {"subset": "all", **{f.name: f.default for f in fields(TrialKey)
                                        if f.name in ("split", "config", "params")}}
FAILED_COLUMNS = [*TRIAL_KEY, "error"]
#: key columns read as text, an empty cell being "" (pandas would read it as NaN)
TEXT_KEYS = ("dataset_sha1", "params")
#: per-user metrics of a trial, as stored (F1 of means has no per-user value of its own)
USER_METRICS = sorted(set(PER_USER.values()))


def _read(path, columns):
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    try:
        frame = pd.read_csv(path, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise GanrsError(f"{path} cannot be read as a results file ({type(exc).__name__}): use another --output "
                         "or delete it") from None
    for column, value in OPTIONAL_COLUMNS.items():
        if column in columns and column not in frame.columns:
            frame[column] = value
    if "grouping" in columns and "grouping" not in frame.columns and "subset" in frame.columns:
        frame["grouping"] = np.where(frame["subset"] == "all", "all", "cold-start")  # before groupings: cold only
    missing = set(columns) - set(frame.columns)
    if missing:
        if set(frame.columns) >= {"dataset", "model", "seed", "protocol"}:  # an older version's results or failures
            raise GanrsError(f"{path} was written by an older version (its f1 was the F1 of the averages, without "
                             f"{', '.join(sorted(missing))}): use another --output or delete it")
        raise GanrsError(f"{path} is not a results file of this tool (missing {sorted(missing)})")
    frame = frame[columns]
    return frame.assign(**{k: frame[k].fillna("").astype(str) for k in TEXT_KEYS if k in columns})


def _write(frame, path):
    with replaced_on_success(path) as tmp:
        frame.to_csv(tmp, index=False)


def keys_of(frame):
    """The :class:`TrialKey` of each row of a results or failures frame."""
    return [TrialKey.of_values(values) for values in frame[TRIAL_KEY].itertuples(index=False, name=None)]


class ResultStore:
    """results.csv and failed.csv of one output folder."""

    def __init__(self, output_dir):
        self.dir = Path(output_dir)
        self.results_path, self.failed_path = self.dir / "results.csv", self.dir / "failed.csv"
        self.parts_dir = self.dir / "results.d"

    def _part_path(self, key):
        return self.parts_dir / key.part_name

    def _parts(self):
        return sorted(self.parts_dir.glob("*.csv")) if self.parts_dir.is_dir() else []

    def results(self):
        """results.csv with the part files of trials finished since it was merged (a part replaces the
        results.csv rows of its trial)."""
        merged = _read(self.results_path, RESULT_COLUMNS)
        parts = [_read(p, RESULT_COLUMNS) for p in self._parts()]
        parts = [p for p in parts if len(p)]
        if not parts:
            return merged
        new = pd.concat(parts, ignore_index=True)
        keys = set(keys_of(new))
        merged = merged[[k not in keys for k in keys_of(merged)]]
        return pd.concat([merged, new], ignore_index=True) if len(merged) else new

    def consolidate(self):
        """Merge the part files into results.csv (written atomically first, the parts removed after: a crash
        between the two leaves parts whose rows results.csv already has, which reading replaces alike)."""
        parts = self._parts()
        if not parts:
            return
        _write(self.results(), self.results_path)
        for part in parts:
            part.unlink()

    def drop_superseded(self, tuned):
        """Remove the rows of tuned trials that a new choice replaced: those of a (dataset, content, model, seed,
        protocol, ties, split) of ``tuned`` (this run's tuned trial keys) with other ``params`` (a --tune 2 run on
        a --tune 1 output); returns how many rows went."""
        self.consolidate()
        results = self.results()
        if results.empty or not tuned:
            return 0
        current = set(tuned)
        trials = {replace(key, params="") for key in current}  # a trial less its params
        stale = [key not in current and replace(key, params="") in trials for key in keys_of(results)]
        if any(stale):
            _write(results[[not s for s in stale]], self.results_path)
        return sum(stale)

    def failed(self):
        return _read(self.failed_path, FAILED_COLUMNS)

    def done(self):
        """The :class:`TrialKey` of every trial with results."""
        return set(keys_of(self.results()))

    def add_rows(self, key, rows):
        """Store the rows of trial ``key`` (each a ``key.row(...)``)."""
        new = pd.DataFrame(rows).reindex(columns=RESULT_COLUMNS).fillna(
            {**OPTIONAL_COLUMNS, "grouping": "all", "split": key.split})
        new["params"] = new["params"].astype(str)
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        _write(new, self._part_path(key))
        self._drop_failure(key)

    def user_scores_path(self, key):
        return key.user_scores_path(self.dir)

    def add_user_scores(self, key, per_user):
        """Store ``{q: {"user": [...], metric: [...], "group:<grouping>": [...]}}`` of one trial (nothing when
        empty); users are the dataset's own ids; q "None": every test item relevant (stored as NaN)."""
        if not per_user:
            return
        qs = np.concatenate([np.full(len(v["user"]), np.nan if q == "None" else float(q)) for q, v in per_user.items()])
        arrays = {"q": qs, "user": np.concatenate([np.asarray(v["user"], str) for v in per_user.values()])}
        for grouping in sorted({k for v in per_user.values() for k in v if k.startswith("group:")}):
            if all(grouping in v for v in per_user.values()):
                arrays[grouping] = np.concatenate([np.asarray(v[grouping], str) for v in per_user.values()])
        for metric in USER_METRICS:
            if all(metric in v for v in per_user.values()):
                arrays[metric] = np.concatenate([np.asarray(v[metric], np.float64) for v in per_user.values()])
        path = self.user_scores_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with replaced_on_success(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez_compressed(f, **arrays)

    def user_scores(self, keys, metric):
        """Per-user values of ``metric`` (a results column) of the trials ``keys`` that have them: a frame
        (model, seed, q, user, value, and a ``group:<grouping>`` column per grouping stored), in ``keys`` order."""
        frames, column = [], PER_USER[metric]
        for key in keys:
            path = self.user_scores_path(key)
            if path.is_file():
                with np.load(path, allow_pickle=False) as data:
                    if column in data:
                        groups = {k: data[k] for k in data.files if k.startswith("group:")}
                        frames.append(pd.DataFrame({"model": key.model, "seed": key.seed, "q": data["q"],
                                                    "user": data["user"].astype(str), "value": data[column],
                                                    **groups}))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["model", "seed", "q", "user", "value"])

    def add_failure(self, key, error):
        self._drop_failure(key)
        failed = self.failed()
        entry = pd.DataFrame([{**key.as_dict(), "error": error}], columns=FAILED_COLUMNS)
        _write(pd.concat([failed, entry], ignore_index=True) if len(failed) else entry, self.failed_path)

    def _drop_failure(self, key):
        failed = self.failed()
        if len(failed):
            keep = [k != key for k in keys_of(failed)]
            if not all(keep):
                _write(failed[keep], self.failed_path)
