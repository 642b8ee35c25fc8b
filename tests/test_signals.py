"""One signal policy: SIGINT and SIGTERM end any command with one line, exit 128 + the signal, no traceback and
nothing half-written. The signal is sent once the command holds its folder's lock (taken after the handlers are
installed), so the tests do not race the handler installation."""
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import make_ratings, write_dataset

ROOT = Path(__file__).resolve().parents[1]


def stop_when_locked(cmd, lock, signum, cwd):
    """Run ``cmd``, send ``signum`` once ``lock`` exists; (returncode, stderr)."""
    run = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    deadline = time.time() + 120
    while time.time() < deadline and not lock.exists() and run.poll() is None:
        time.sleep(0.05)
    time.sleep(0.5)  # into the fit
    run.send_signal(signum)
    _, stderr = run.communicate(timeout=120)
    return run.returncode, stderr


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_generate_stops_with_one_line(tmp_path, signum):
    source = write_dataset(tmp_path, "small", make_ratings(n_users=60, n_items=40, per_user=15))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "recbole_ganrs", "generate", "--source", str(source), "--users", "50", "--items",
           "30", "--samples", "5000", "--gan-steps", "1000000", "--out", str(out), "--quiet"]
    returncode, stderr = stop_when_locked(cmd, out / ".lock", signum, tmp_path)
    assert returncode == 128 + signum, stderr[-2000:]
    assert "Traceback" not in stderr and stderr.count("\n") == 1
    assert stderr.startswith(f"error: stopped by {signal.Signals(signum).name} during generate")
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.suffix in (".inter", ".pt")]


@pytest.mark.slow
def test_the_benchmark_dataset_stage_stops_with_one_line(tmp_path):
    source = write_dataset(tmp_path, "small", make_ratings(n_users=60, n_items=40, per_user=15))
    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "run_benchmark.py"), "--source", str(source), "--users", "50", "--items", "30",
           "--samples", "5000", "--gan-steps", "1000000", "--output", str(out), "--data-dir", str(tmp_path / "d"),
           "--no-progress"]
    returncode, stderr = stop_when_locked(cmd, out / ".lock", signal.SIGTERM, tmp_path)
    assert returncode == 143, stderr[-2000:]
    assert "Traceback" not in stderr and stderr.splitlines()[-1].startswith("error: stopped by SIGTERM during benchmark")
    assert not (out / "results.csv").exists() and not (out / "tables.md").exists()


def test_a_deferred_signal_is_raised_when_the_block_ends_not_inside_it():
    """signals.deferred: native code that checks for signals mid-call (scipy's cKDTree.query with workers=-1)
    must not see the handler raise, or it leaves its threads running as the process exits (SIGSEGV)."""
    from recbole_ganrs.signals import deferred

    class Raised(Exception):
        pass

    def handler(signum, frame):
        raise Raised(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        finished = False
        with pytest.raises(Raised):
            with deferred():
                signal.raise_signal(signal.SIGTERM)  # the handler would raise here: held instead
                finished = True
        assert finished and signal.getsignal(signal.SIGTERM) is handler
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_handlers_set_before_ray_init_are_set_again_after_it():
    from recbole_ganrs.signals import own_handlers

    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        with own_handlers():
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as ray.init puts its own
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_a_sigterm_that_other_code_turned_into_ctrl_c_still_reads_as_sigterm(monkeypatch):
    """Ray's ray.get turns the Stopped raised by the SIGTERM handler into a plain KeyboardInterrupt."""
    from recbole_ganrs import cli

    def command(args, extra):
        try:
            signal.raise_signal(signal.SIGTERM)
        except KeyboardInterrupt:
            raise KeyboardInterrupt from None

    monkeypatch.setattr(cli, "cmd_stats", command)
    monkeypatch.setattr(cli, "RECEIVED", [])
    assert cli.main(["stats", "ml-100k"]) == 143


def test_a_signal_wrapped_by_a_lazy_import_still_stops_with_one_line(capsys, monkeypatch):
    """A SIGTERM that lands inside a class body's __set_name__ (torch's lazy imports during a fit) reaches main as
    a RuntimeError whose cause is the Stopped: it must still end as a stop, with its one line and status."""
    from recbole_ganrs import cli

    class Descriptor:
        def __set_name__(self, owner, name):
            raise cli.Stopped(signal.SIGTERM)

    def stats_during_an_import(args, extra):
        class Imported:  # noqa: F841 (a module's class, as torch's)
            field = Descriptor()

    monkeypatch.setattr(cli, "cmd_stats", stats_during_an_import)
    assert cli.main(["stats", "ml-100k"]) == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert err.startswith("error: stopped by SIGTERM during stats") and err.count("\n") == 1
