"""``--tune N``: an equal-budget hyper-parameter search per (dataset, model) with Ray Tune, before the trials.

A model's search space is the ``search_space`` of its ``properties/model/<Model>.yaml`` (Tune's ``choice``,
``uniform``, ``loguniform``, ``randint``). Every search of a model tries the same candidates: its defaults
(candidate 0, so that the choice is never worse on validation than the defaults) and N draws from the space with
Tune's own samplers on the seed plan's ``tune/candidates`` stream of the first ``--seeds`` seed (random search:
with N of about 8 a model-based searcher would still be in its random start-up draws). So the source and every
synthetic dataset see the same configurations, and the choice differs only by the data.

A candidate trains on the training part of the first seed's split (the trials' own split) and is scored on its
validation part with the protocol's metric (``--metric``, F1 by default) at the smallest N (:func:`tuning_n`) and
the run's first q;
the test part is never ranked. Tune's ASHA scheduler, one per search, stops a candidate whose score after
3, 6, 12... epochs is in the lower half of the earlier candidates' at that epoch. A search's candidates run one
after another (the searches side by side, one a CPU): so ASHA's stops do not depend on which trial reported first,
and the same seed gives the same choice. Each candidate's scores are written when it ends (``tuning.d/``, merged
into ``tuning.csv``): a re-run trains no finished candidate again and replays its scores into ASHA.
"""
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from recbole_ganrs.benchmark.trial_key import TrialSpec
from recbole_ganrs.config import SEARCH_SPACE, model_defaults, properties_dir, recbole_setting_names, search_space
from recbole_ganrs.errors import GanrsError, Interrupted
from recbole_ganrs.evaluation import get_protocol
from recbole_ganrs.files import json_digest, replaced_on_success
from recbole_ganrs.seeds import rng

METRIC = "score"  # what a candidate reports: the protocol's metric on the validation part
GRACE_EPOCHS = 3  # ASHA's first rung: every candidate trains at least this many epochs
REDUCTION = 2  # ASHA keeps the better half at each rung (3, 6, 12... epochs)
MAX_ITERATIONS = 100_000  # above any model's epochs: a candidate ends by its own early stopping
DOMAINS = {"choice": 1, "uniform": 2, "loguniform": 2, "randint": 2}  # Tune sampler: number of arguments
#: the columns of tuning.csv: a search's key, then one candidate
SEARCH_KEY = ["dataset", "dataset_sha1", "model", "protocol", "ties", "split", "metric", "n", "q", "seed", "space"]
TUNING_COLUMNS = [*SEARCH_KEY, "candidate", "params", "status", "score", "epochs", "curve"]


def domain(model, key, entry, default=None):
    """The Tune sampler of one ``search_space`` entry, e.g. ``{loguniform: [0.001, 0.05]}``, checked against the
    setting's ``default``: an integer setting takes integers, a positive one positive values."""
    from ray import tune

    where = f"{properties_dir() / 'model' / f'{model}.yaml'}: {SEARCH_SPACE}.{key}"
    if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in DOMAINS:
        raise GanrsError(f"{where} must be one of {{{', '.join(f'{k}: [...]' for k in DOMAINS)}}}, got {entry!r}")
    kind, args = next(iter(entry.items()))
    if not isinstance(args, list) or not args or (DOMAINS[kind] == 2 and len(args) != 2):
        raise GanrsError(f"{where}: {kind} takes a list of {'values' if kind == 'choice' else 'two bounds'}, "
                         f"got {args!r}")
    if kind == "choice":
        check_values(where, kind, args, default)
        return tune.choice(args)
    low, high = args
    if not all(is_number(v) and math.isfinite(v) for v in args) or not low < high or (
            kind == "loguniform" and low <= 0):
        raise GanrsError(f"{where}: {kind} needs finite numeric bounds low < high"
                         f"{' and low > 0' * (kind == 'loguniform')}, got {args!r}")
    if kind == "randint" and not all(isinstance(v, int) for v in args):
        raise GanrsError(f"{where}: randint takes integer bounds (Tune draws low..high-1), got {args!r}")
    check_values(where, kind, args, default)
    return getattr(tune, kind)(low, high)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_values(where, kind, args, default):
    """Refuse values of another type than the setting's default (a float for an integer size) or, for a setting
    whose default is positive (a learning rate, a size), values <= 0: a 0-dimensional candidate is no candidate."""
    if not is_number(default):
        return  # a list (MLP widths, dropouts) or a setting without a numeric default: Tune's values as written
    if isinstance(default, int) and (kind in ("uniform", "loguniform")
                                     or not all(isinstance(v, int) and not isinstance(v, bool) for v in args)):
        raise GanrsError(f"{where}: an integer setting (default {default}) takes integers (choice or randint), "
                         f"got {kind} {args!r}")
    if not all(is_number(v) for v in args):
        raise GanrsError(f"{where}: a numeric setting (default {default}) takes numbers, got {args!r}")
    if default > 0 and min(args) <= 0:
        raise GanrsError(f"{where}: a positive setting (default {default}) takes values > 0, got {args!r}")


def model_space(model):
    """{setting: Tune sampler} of ``model``; refuses a model with no search space, a key that is no setting of
    RecBole's or the plugin's (a typo would tune nothing) and values the setting cannot take, in one line."""
    space = search_space(model)
    if not space:
        raise GanrsError(f"--tune: {model} has no {SEARCH_SPACE} in properties/model/{model}.yaml: add one, or drop "
                         "it from --models")
    if not isinstance(space, dict):
        raise GanrsError(f"properties/model/{model}.yaml: {SEARCH_SPACE} must map settings to ranges")
    unknown = sorted(set(space) - recbole_setting_names())
    if unknown:
        raise GanrsError(f"properties/model/{model}.yaml: {SEARCH_SPACE}.{unknown[0]} is not a setting of RecBole or "
                         "the plugin (misspelt?): it would tune nothing")
    defaults = model_defaults(model)
    return {key: domain(model, key, entry, defaults.get(key)) for key, entry in sorted(space.items())}


def plain(value):
    """A sampled value as JSON takes it (numpy scalars to Python; floats to 4 significant digits)."""
    value = value.item() if isinstance(value, np.generic) else value
    return float(f"{value:.4g}") if isinstance(value, float) else value


def candidates(model, n, seed):
    """[{}, then ``n`` draws]: the defaults and ``n`` configurations of ``model``, the same for every dataset (one
    stream; the first k of N are the k of a run with --tune k)."""
    space, draws = model_space(model), rng(seed, "tune", "candidates")
    return [{}] + [{key: plain(sampler.sample(random_state=draws)) for key, sampler in space.items()}
                   for _ in range(n)]


@dataclass(frozen=True)
class Search:
    """One (dataset, model) search: the trial spec its candidates train with, and its key in tuning.csv."""

    spec: TrialSpec
    key: tuple

    @property
    def name(self):
        return f"{self.spec.key.model}-{self.spec.key.dataset}"


def tuning_n(ns):
    """The N a candidate is scored at: the smallest of --ns. At the largest, a user with no more validation items
    than N is recommended all of them whatever the model (the paper protocol's candidates are the user's own
    items), and a 10% validation part leaves most users there: on FilmTrust, F1@10 of six candidates spread over
    0.0008-0.0015, F1@2 over 0.008-0.012; on ml-100k 0.0025-0.006 against 0.0034-0.012 (65% of its users have at
    most 10 validation items)."""
    return int(min(ns))


def searches(opts, specs):
    """A :class:`Search` per (dataset, model): from the trial specs of the first seed (the runner's)."""
    first = [s for s in specs if s.key.seed == opts.seeds[0] and not s.params]
    out = []
    for spec in first:
        q = get_protocol(spec.key.protocol).levels(spec.qs)[0]
        spec = replace(spec, tune_q=q, tune_n=tuning_n(spec.ns), metric=opts.metric_column)
        k = spec.key
        key = (k.dataset, k.dataset_sha1, k.model, k.protocol, k.ties, k.split, opts.metric_column, spec.tune_n,
               "" if q is None else float(q), int(k.seed), json_digest(search_space(k.model))[:12])
        out.append(Search(spec, key))
    return out


class TuningStore:
    """tuning.csv of an output folder, and the part files of candidates finished since it was merged."""

    def __init__(self, output_dir):
        self.path, self.parts_dir = Path(output_dir) / "tuning.csv", Path(output_dir) / "tuning.d"

    def records(self):
        frames = [pd.read_csv(p, dtype={"dataset_sha1": str, "params": str, "curve": str}, keep_default_na=False)
                  for p in ([self.path] if self.path.is_file() else []) + sorted(self.parts_dir.glob("*.csv"))
                  if p.is_file()]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame(columns=TUNING_COLUMNS)
        frame = pd.concat(frames, ignore_index=True)
        frame["q"] = [("" if v == "" else float(v)) for v in frame["q"]]
        return frame.drop_duplicates([*SEARCH_KEY, "candidate"], keep="last")

    def add(self, search, candidate, params, status, curve):
        """Write one candidate's record (its own part file, atomically)."""
        score = curve[-1] if curve else float("nan")
        record = {**dict(zip(SEARCH_KEY, search.key)), "candidate": candidate, "params": json.dumps(params),
                  "status": status, "score": score, "epochs": max(len(curve) - (status == "completed"), 0),
                  "curve": json.dumps([round(s, 6) for s in curve])}
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        path = self.parts_dir / f"{json_digest([*map(str, search.key), candidate])[:16]}.csv"
        with replaced_on_success(path) as tmp:
            pd.DataFrame([record], columns=TUNING_COLUMNS).to_csv(tmp, index=False)

    def consolidate(self):
        parts = sorted(self.parts_dir.glob("*.csv")) if self.parts_dir.is_dir() else []
        if not parts:
            return
        with replaced_on_success(self.path) as tmp:
            self.records().to_csv(tmp, index=False)
        for part in parts:
            part.unlink()


def search_records(records, search):
    """The rows of ``search`` in ``records`` (a :meth:`TuningStore.records` frame), by candidate."""
    if records.empty:
        return records
    match = np.ones(len(records), bool)
    for column, value in zip(SEARCH_KEY, search.key):
        match &= records[column].astype(str).to_numpy() == str(value)
    return records[match].sort_values("candidate")


def finished(records):
    """{candidate: record} of the candidates that ended (trained to their early stop, or stopped by ASHA)."""
    return {int(r["candidate"]): r for r in records.to_dict("records") if r["status"] in ("completed", "stopped")}


def choice(records, n):
    """The record of the best completed candidate among 0..n (ties: the lower candidate), or None."""
    done = [r for c, r in finished(records).items() if c <= n and r["status"] == "completed"]
    return max(done, key=lambda r: (r["score"], -r["candidate"])) if done else None


def new_asha():
    from ray.tune.schedulers import AsyncHyperBandScheduler

    return AsyncHyperBandScheduler(time_attr="training_iteration", metric=METRIC, mode="max", max_t=MAX_ITERATIONS,
                                   grace_period=GRACE_EPOCHS, reduction_factor=REDUCTION, brackets=1)


def search_scheduler(replayed):
    """A Tune scheduler running one ASHA per search (``trial.config['search']``): a candidate is compared with
    the earlier candidates of its own (dataset, model) only. ``replayed``: {search: [score curves]} of the
    candidates a previous run finished, fed to their search's ASHA first."""
    from ray.tune.schedulers import FIFOScheduler

    class SearchASHA(FIFOScheduler):
        def __init__(self):
            super().__init__()
            self.by_search, self.stopped = {}, set()  # stopped: the trials ASHA stopped (not an interrupt)
            for search, curves in replayed.items():
                for i, curve in enumerate(curves):
                    trial = SimpleNamespace(trial_id=f"replayed-{search}-{i}")
                    self.of(search).on_trial_add(None, trial)
                    for iteration, score in enumerate(curve, start=1):
                        self.of(search).on_trial_result(None, trial, {"training_iteration": iteration, METRIC: score})

        def of(self, search):
            return self.by_search.setdefault(search, new_asha())

        def on_trial_add(self, runner, trial):
            self.of(trial.config["search"]).on_trial_add(runner, trial)

        def on_trial_result(self, runner, trial, result):
            decision = self.of(trial.config["search"]).on_trial_result(runner, trial, result)
            if decision == self.STOP:
                self.stopped.add(trial.trial_id)
            return decision

        def on_trial_complete(self, runner, trial, result):
            self.of(trial.config["search"]).on_trial_complete(runner, trial, result)

        def on_trial_remove(self, runner, trial):
            self.of(trial.config["search"]).on_trial_remove(runner, trial)

    return SearchASHA()


def candidate_searcher(queues):
    """A Tune searcher that suggests each search's candidates in order, one at a time per search:
    ``queues`` = {search: [trial config, ...]}."""
    from ray.tune.search import Searcher

    class Candidates(Searcher):
        def __init__(self):
            super().__init__(metric=METRIC, mode="max")
            self.queues, self.running = {k: list(v) for k, v in queues.items()}, {}

        def suggest(self, trial_id):
            busy = set(self.running.values())
            for search, queue in self.queues.items():
                if queue and search not in busy:
                    self.running[trial_id] = search
                    return queue.pop(0)
            return Searcher.FINISHED if not any(self.queues.values()) else None

        def on_trial_complete(self, trial_id, result=None, error=False):
            self.running.pop(trial_id, None)

        def save(self, checkpoint_path):  # Tune's experiment checkpoint; a re-run resumes from tuning.csv
            with open(checkpoint_path, "w", encoding="utf-8") as f:
                json.dump({"queues": self.queues, "running": self.running}, f)

        def restore(self, checkpoint_path):
            with open(checkpoint_path, encoding="utf-8") as f:
                state = json.load(f)
            self.queues, self.running = state["queues"], state["running"]

    return Candidates()


def tuning_trainable(config):
    """Ray Tune function trainable: trains one candidate, reporting its validation score every epoch."""
    import recbole_ganrs  # noqa: F401  (compat patches inside the Ray worker)
    from ray.air import session

    from recbole_ganrs.benchmark.trial import error_line, tune_candidate

    def report(score, final=False):
        session.report({METRIC: score, "final": final})

    try:
        tune_candidate(TrialSpec.from_ray(config["spec"]).tuned(config["params"]), report)
    except Exception as exc:
        session.report({"error": error_line(exc)})
        raise


def recording_callback(store, by_search, total, progress, scheduler):
    from ray import tune

    class Record(tune.Callback):
        """Each candidate's scores, written the moment it ends: completed (its final score, at the checkpoint a
        trial keeps) or stopped by ``scheduler``'s ASHA; a candidate ended by an interrupt is not written, so a
        re-run trains it again."""

        def __init__(self):
            self.curves, self.final, self.errors, self.ended = {}, set(), {}, 0
            self.bar = tqdm(total=total, desc="tuning", disable=None if progress else True)

        def on_trial_result(self, iteration, trials, trial, result, **info):
            if result.get("error"):
                self.errors[trial.trial_id] = result["error"]
            elif METRIC in result:
                self.curves.setdefault(trial.trial_id, []).append(float(result[METRIC]))
                if result.get("final"):
                    self.final.add(trial.trial_id)

        def _write(self, trial, status):
            search = by_search[trial.config["search"]]
            store.add(search, trial.config["candidate"], trial.config["params"], status,
                      self.curves.get(trial.trial_id, []))
            self.ended += 1
            self.bar.update()

        def on_trial_complete(self, iteration, trials, trial, **info):
            if trial.trial_id in self.final:
                self._write(trial, "completed")
            elif trial.trial_id in scheduler.stopped:
                self._write(trial, "stopped")

        def on_trial_error(self, iteration, trials, trial, **info):
            error = self.errors.get(trial.trial_id, "trial process failed")
            self._write(trial, "failed")
            self.bar.write(f"tuning trial failed: {error}")

    return Record()


def run_searches(opts, specs, output_dir):
    """Run every candidate not yet in ``output_dir``/tuning.csv; returns ({(dataset, model): chosen record},
    {(dataset, model): the records of its candidates 0..N}). Raises :class:`GanrsError` when a search has no
    completed candidate."""
    from recbole_ganrs.benchmark.runner import run_tuner

    store = TuningStore(output_dir)
    all_searches = searches(opts, specs)
    by_search = {s.name: s for s in all_searches}
    queues, replayed, records = {}, {}, store.records()
    for search in all_searches:
        done = finished(search_records(records, search))
        replayed[search.name] = [json.loads(done[c]["curve"]) for c in sorted(done) if c <= opts.tune]
        todo = [(c, p) for c, p in enumerate(candidates(search.spec.key.model, opts.tune, opts.seeds[0]))
                if c not in done]
        queues[search.name] = [{"search": search.name, "candidate": c, "params": p, "spec": search.spec.to_ray()}
                               for c, p in todo]
    total = sum(map(len, queues.values()))
    if total:
        scheduler = search_scheduler(replayed)
        callback = recording_callback(store, by_search, total, opts.progress, scheduler)
        signum = run_tuner(opts, tuning_trainable, output_dir, "tuning", callback,
                           lambda config: f"tune-{config['search']}-c{config['candidate']}",
                           search_alg=candidate_searcher(queues), scheduler=scheduler, num_samples=total)
        store.consolidate()
        missing = total - callback.ended
        if missing:
            status = 128 + signum if signum else 1
            raise Interrupted(f"--tune stopped with {missing} of {total} candidate(s) unfinished: the finished ones "
                              "are in tuning.csv; re-run the same command to resume", exit_status=status)
    chosen, tried, records = {}, {}, store.records()
    for search in all_searches:
        mine = search_records(records, search)
        mine = mine[mine["candidate"] <= opts.tune] if len(mine) else mine
        best = choice(mine, opts.tune)
        if best is None:
            raise GanrsError(f"--tune: no candidate of {search.name} trained to the end (see tuning.csv): the "
                             "tuned trials cannot run")
        pair = (search.spec.key.dataset, search.spec.key.model)
        chosen[pair], tried[pair] = best, mine
    return chosen, tried


def tuned_specs(specs, chosen):
    """The trials again, each with its (dataset, model)'s chosen configuration."""
    return [s.tuned(json.loads(chosen[(s.key.dataset, s.key.model)]["params"])) for s in specs]
