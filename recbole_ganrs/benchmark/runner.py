"""Running the trials with Ray Tune: local Ray by default, an existing cluster with --address.

One trial per model x dataset x seed. A callback stores each trial's rows (or its
error) in the output folder as soon as it ends, so a failure loses nothing else
and a re-run resumes: trials already in results.csv are not run again.
"""
import contextlib
import logging
import os
import signal
import socket
import time
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

# Ray 2.6's new console output ignores verbose=0; the legacy reporter honours it
os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
# Tune's own CSV / JSON / TensorBoard logs of every trial: the store keeps what a run reads, and on a full disk
# tensorboardX's exit hooks printed a traceback each after the one-line error
os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")
# ...which Tune's analysis of a finished experiment then misses, a warning per run: nothing here reads it
logging.getLogger("ray.tune.analysis.experiment_analysis").setLevel(logging.ERROR)

from recbole_ganrs.benchmark.store import ResultStore
from recbole_ganrs.signals import own_handlers
from recbole_ganrs.benchmark.trial_key import TrialKey, TrialSpec
from recbole_ganrs.compat import ray_runtime_env
from recbole_ganrs.data.items import parse_fields
from recbole_ganrs.data.sources import resolve_source
from recbole_ganrs.evaluation.item_groups import item_file, item_groupings
from recbole_ganrs.errors import GanrsError, Interrupted
from recbole_ganrs.files import replaced_on_success

CONNECT_TIMEOUT = 5  # seconds to reach --address


def trial_specs(opts, datasets, qs):
    """The trials of the run, in a stable order: dataset by dataset, seed by seed, so that a trial worker's
    consecutive trials share the split it keeps (quick_start.built_dataset)."""
    scenario = opts.scenario_grid
    groupings = [g.to_plain() for g in run_item_groupings(opts)] or None
    fields = list(parse_fields(opts.item_attributes)) if getattr(opts, "item_attributes", None) else None
    return [
        TrialSpec(TrialKey(d.name, model, seed, opts.protocol, opts.ties, opts.split, d.sha1 or ""),
                  dataset_config=d.recbole_config(), ns=list(opts.ns), qs=dataset_qs(d, qs), epochs=opts.epochs,
                  recbole=dict(opts.recbole), user_file=user_file(d), condition=opts.condition,
                  item_file=item_file(d.data_path, d.name) if fields else None, item_groupings=groupings,
                  item_fields=fields,
                  cold_k=scenario.cold_k(d.request) if scenario and d.request else None,
                  predictions_dir=predictions_dir(opts, d),
                  save_split=str((opts.output_dir / "splits").resolve()) if opts.save_splits else None,
                  threads=opts.cpus_per_trial, device=opts.device)
        for d in datasets for seed in opts.seeds for model in opts.models  # a worker keeps a (dataset, seed)'s split
    ]


def run_item_groupings(opts):
    """The item groupings of the run (evaluation/item_groups.py): the fields its items carry
    (``--item-attributes``), banded at the source's values; none without them."""
    fields = getattr(opts, "item_attributes", None)
    return item_groupings(resolve_source(opts.source).inter_path, parse_fields(fields)) if fields else []


def user_file(dataset):
    """The dataset's ``.user`` file (its users' attributes, the groups of evaluation/groups.py), or None."""
    path = Path(dataset.data_path) / dataset.name / f"{dataset.name}.user"
    return str(path.resolve()) if path.is_file() else None


def predictions_dir(opts, dataset):
    """Where a trial on ``dataset`` writes its predictions (absolute: a Ray trial runs in its own folder);
    None without --save-predictions."""
    if not opts.save_predictions:
        return None
    return str((opts.predictions_dir / f"{dataset.name}-{(dataset.sha1 or '')[:12]}").resolve())


def dataset_qs(dataset, qs):
    """The q values of a dataset: the run's, or 1 for a like / dislike (0/1) dataset."""
    return [1.0] if dataset.request is not None and dataset.request.binary is not None else list(qs)


def check_address(address, timeout=CONNECT_TIMEOUT):
    """Refuse an unreachable ``--address`` (host:port or ray://host:port) in ``timeout`` seconds, before any
    work (Ray's own connect retries for minutes). ``auto`` is left to Ray."""
    if not address or address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise GanrsError(f"--address must be host:port or ray://host:port, got '{address}'")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as conn:
            speaks_grpc = answers_http2(conn)
    except OSError as exc:
        raise GanrsError(f"cannot reach a Ray cluster at {address} within {timeout:g} s "
                         f"({exc.strerror or exc}): is `ray start --head` running there?") from None
    if not speaks_grpc:
        raise GanrsError(f"something answers at {address}, but not a Ray cluster (no gRPC reply): give the port "
                         "`ray start --head` printed")


#: an HTTP/2 client's opening (the connection preface and an empty SETTINGS frame)
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def answers_http2(conn):
    """Whether the server on ``conn`` answers an HTTP/2 preface with a SETTINGS frame, as Ray's GCS (a gRPC
    server) does; anything else there (another service, a closed reply) would make ray.init retry for a
    minute with tracebacks."""
    conn.sendall(HTTP2_PREFACE)
    head = b""
    while len(head) < 9:
        try:
            part = conn.recv(9 - len(head))
        except socket.timeout:
            return False
        if not part:
            return False
        head += part
    return head[3] == 0x04  # frame type SETTINGS


#: the only address a local run listens on
LOOPBACK = "127.0.0.1"


def start_ray(address=None, cpus=None):
    """Connect to ``address`` or start a local Ray with ``cpus`` CPUs (workers get the compat patches)."""
    import ray

    if ray.is_initialized():
        return
    kwargs = dict(include_dashboard=False, runtime_env=ray_runtime_env(), logging_level=logging.WARNING,
                  log_to_driver=False)
    with own_handlers():  # not Ray's: see signals.py
        if address:
            try:
                ray.init(address=address, **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise GanrsError(f"cannot connect to the Ray cluster at {address}: {str(exc).splitlines()[0]}") from None
        else:  # a private local instance, whatever cluster address a `ray start` left on this machine
            with loopback_node():
                ray.init(address="local", num_cpus=cpus, _node_ip_address=LOOPBACK, **kwargs)


@contextlib.contextmanager
def loopback_node():
    """A local Ray started within the block advertises, and so listens on, 127.0.0.1 only. Ray has no
    authentication, and its GCS, raylet, workers and agents bind every interface unless the node's address is
    127.0.0.1; Ray 2.6's ``ray.init`` turns a 127.0.0.1 it is given into the machine's address, except in its
    single-machine mode (macOS, Windows), whose switch this sets while the node starts (tests/test_ray_loopback.py
    lists the sockets)."""
    from ray._private import ray_constants

    clusters = ray_constants.ENABLE_RAY_CLUSTER
    ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = clusters


def make_callback(store, specs, progress):
    from ray import tune

    by_name = {s.key.name: s.key for s in specs}

    class StoreResults(tune.Callback):
        """Write each trial's rows, or its error, the moment it ends."""

        def __init__(self):
            self.bar = tqdm(total=len(specs), desc="trials", disable=None if progress else True)
            self.failed, self.errors, self.started, self.timings = [], {}, {}, []

        def on_trial_start(self, iteration, trials, trial, **info):
            self.started[str(trial)] = time.perf_counter()

        def on_trial_result(self, iteration, trials, trial, result, **info):
            import json

            if result.get("error"):
                self.errors[str(trial)] = result["error"]
            else:
                key = by_name[str(trial)]
                store.add_user_scores(key, json.loads(result.get("per_user", "{}")))
                store.add_rows(key, json.loads(result["rows"]))
                wall = time.perf_counter() - self.started.get(str(trial), time.perf_counter())
                self.timings.append({"trial": str(trial), "wall": wall, **json.loads(result.get("seconds", "{}"))})

        def on_trial_complete(self, iteration, trials, trial, **info):
            self.bar.update()

        def on_trial_error(self, iteration, trials, trial, **info):
            error = self.errors.get(str(trial)) or last_error_line(trial)
            store.add_failure(by_name[str(trial)], error)
            self.failed.append((str(trial), error))
            self.bar.update()
            self.bar.write(f"trial {trial} failed: {error}")

    return StoreResults()


def last_error_line(trial):
    """The last line of a failed trial's traceback (Ray writes it to error.txt)."""
    path = getattr(trial, "error_file", None)
    try:
        lines = [line for line in Path(path).read_text().splitlines() if line.strip()]
        return lines[-1].strip() if lines else "unknown error"
    except (OSError, TypeError):
        return "trial process failed (killed or crashed before reporting)"


def trial_resources(opts):
    """Ray resources of one trial: its CPUs and, on cuda, a share of a GPU (as many trials share one GPU as
    run at once on the CPUs)."""
    resources = {"cpu": opts.cpus_per_trial}
    if opts.device == "cuda":
        resources["gpu"] = opts.cpus_per_trial / opts.cpus if opts.cpus else 1
    return resources


@contextlib.contextmanager
def stop_on_signals():
    """Yields {"signal": number or None}: the signal that stopped the trials. Ray Tune stops gracefully on a
    first SIGINT and then puts back the handler it found (this one); SIGTERM is turned into that SIGINT."""
    caught = {"signal": None}

    def handler(signum, frame):
        caught["signal"] = caught["signal"] or signum
        if signum == signal.SIGTERM:
            signal.raise_signal(signal.SIGINT)
        else:
            raise KeyboardInterrupt

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield caught
    finally:
        if caught["signal"] is None and signal.getsignal(signal.SIGINT) is handler:
            caught["signal"] = signal.SIGINT  # Tune's handler ran and restored this one
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_tuner(opts, trainable, output_dir, experiment, callback, name_of, param_space=None, **tune_config):
    """Run one Ray Tune experiment (a local Ray, or the cluster at --address) under ``output_dir``/ray/
    ``experiment``, each trial named by ``name_of(its config)`` and reported to ``callback`` (whose progress bar
    it closes); returns the signal that stopped it, or None."""
    from ray import air, tune

    start_ray(opts.address, opts.cpus)
    tuner = tune.Tuner(
        tune.with_resources(trainable, trial_resources(opts)), param_space=param_space,
        tune_config=tune.TuneConfig(trial_name_creator=lambda t: name_of(t.config),
                                    trial_dirname_creator=lambda t: name_of(t.config), **tune_config),
        run_config=air.RunConfig(name=experiment, storage_path=str(Path(output_dir).resolve() / "ray"),
                                 callbacks=[callback], verbose=0, failure_config=air.FailureConfig(max_failures=0)),
    )
    with stop_on_signals() as caught:
        try:
            tuner.fit()
        except KeyboardInterrupt:  # a second Ctrl-C, or one outside Tune's own handler
            caught["signal"] = caught["signal"] or signal.SIGINT
        except tune.TuneError as exc:  # an OS error of the driver's (a full disk) wrapped twice by Tune
            cause = os_error_under(exc)
            if cause is None:
                raise
            raise cause from None
    callback.bar.close()
    return caught["signal"]


def os_error_under(exc):
    """The OSError a Tune error was raised while handling (Tune raises ``TuneError(traceback)`` from its except
    blocks, so the cause is in the ``__context__`` chain), or None."""
    while exc is not None:
        if isinstance(exc, OSError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def run_trials(opts, all_specs, output_dir):
    """Run every trial of ``all_specs`` not yet in ``output_dir``; returns (n run, n skipped, [(trial, error)]).
    Raises :class:`Interrupted` when a signal or Tune stopped before every trial had results or an error: what
    finished is in results.csv, and a re-run of the same command resumes. Each trial's seconds (Tune's wall from
    start to result; inside it: preparing the data, training, evaluating) go to ``timings.csv``."""
    from ray import tune

    from recbole_ganrs.benchmark.trial import tune_trainable

    store = ResultStore(output_dir)
    done = store.done()
    specs = [s for s in all_specs if s.key not in done]
    if not specs:
        return 0, len(all_specs), []
    callback = make_callback(store, specs, opts.progress)
    signum = run_tuner(opts, tune_trainable, output_dir, "trials", callback,
                       lambda config: TrialSpec.from_ray(config["spec"]).key.name,
                       param_space={"spec": tune.grid_search([s.to_ray() for s in specs])})
    store.consolidate()
    if callback.timings:
        with replaced_on_success(Path(output_dir) / "timings.csv") as tmp:
            pd.DataFrame(callback.timings).to_csv(tmp, index=False, float_format="%.3f")
    check_all_read(store, specs, callback.failed, signum)
    return len(specs), len(all_specs) - len(specs), callback.failed


def check_all_read(store, specs, failed, signum):
    """Raise :class:`Interrupted` naming the trials that have neither results nor an error."""
    done, failed_names = store.done(), {name for name, _ in failed}
    missing = [s.key.name for s in specs if s.key not in done and s.key.name not in failed_names]
    if not missing:
        return
    how = f"stopped by {signal.Signals(signum).name}" if signum else "stopped before every trial was read"
    status = 128 + signum if signum else 1
    raise Interrupted(f"{how}: {len(missing)} of {len(specs)} trial(s) did not finish (e.g. {', '.join(missing[:3])}); "
                      f"results.csv holds the {len(specs) - len(missing) - len(failed)} that did and no tables were "
                      "written: re-run the same command to resume", exit_status=status)
