"""Membership inference on real sources: every attack of stats/membership.py against the generators and the two
controls, over dataset seeds, with each release's fidelity.

    python benchmarks/membership.py                               # ml-100k and FilmTrust, 2,000 users, seeds 0-2
    python benchmarks/membership.py --sources ml-100k --seeds 0 --shadows 0
    python benchmarks/membership.py --generators ganrs-mix1 ganrs ganrs-mix4 ganrs-draws --no-controls

FilmTrust is converted as elsewhere (``--duplicates first --min-user-ratings 2``). Per source and dataset seed: a
share of the source's users held out (``--privacy-holdout``: they are the non-members and the attacker's
reference), each generator fitted on the rest and sampled at ``--users`` users as ``recbole-ganrs generate`` does
(``ganrs-draws``: GANRS on the paper's path, ``--pairing draws --rating-model distribution``, whose users take no
donor's histogram; ``ganrs`` takes the default ``--donor-mix 2``; ``ganrs-mix1`` / ``ganrs-mix4``: one donor's
profile, or the re-spread mean of four), with the release's fidelity (detection AUC, share KS, user-mean std, activity-rating r, beside the
source's); then the controls on the same split: ``copy 10%`` (a tenth of the release's users verbatim copies of
members, the rest the statistical generator's) and ``copy all`` (every member copied once) must be found, the
statistical generator must not. Prints one row per (source, seed, generator, attack), then the mean AUC and TPR
at 1% FPR over seeds with their range, then the fidelity, and writes the rows as CSV (``--csv``).
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.cli import main as cli
from recbole_ganrs.data import load_ratings
from recbole_ganrs.data.prepare import HOLDOUT
from recbole_ganrs.data.sidecar import read_sidecar
from recbole_ganrs.datasets.membership_generators import copying_release, refit_like
from recbole_ganrs.stats.membership import audit

FILMTRUST = str(Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "filmtrust" / "ratings.txt")


#: the generators by the name the tables give them: generate's flags
GENERATORS = {"ganrs": ("--generators", "ganrs"), "cfgan": ("--generators", "cfgan"),
              "statistical": ("--generators", "statistical"),
              # the paper's own path: no donor profiles (the whole users' histograms)
              "ganrs-draws": ("--generators", "ganrs", "--pairing", "draws", "--rating-model", "distribution"),
              # whole users from one donor (as before 2026-12-06) or the mean of four (the default: two)
              "ganrs-mix1": ("--generators", "ganrs", "--donor-mix", "1"),
              "ganrs-mix4": ("--generators", "ganrs", "--donor-mix", "4")}


def released(source, name, users, holdout, seed, out, converted=()):
    """(the release, its sidecar, the training users' ratings, the held-out users') of ``generate``; ``converted``:
    the flags that convert the source (FilmTrust's)."""
    folder = out / f"{Path(source).stem}-{name}-seed{seed}"
    assert cli(["generate", "--source", source, *GENERATORS[name], "--users", str(users), "--privacy-holdout",
                f"{holdout:g}", "--seed", str(seed), "--out", str(folder), "--quiet", *converted]) == 0
    (dataset,) = [d for d in folder.iterdir() if d.is_dir() and (d / "README.md").is_file()]
    meta = read_sidecar(dataset)
    return (load_ratings(dataset), meta, load_ratings(meta["source"]), load_ratings(Path(meta["source"]) / HOLDOUT),
            fidelity_of(dataset, meta))


#: what each row says of the release's fidelity beside the attacks (the card's measures: docs/fidelity.md)
FIDELITY = ("detection AUC", "share >= 4 KS")
STRUCTURE = ("user-mean std", "activity-rating r")


def fidelity_of(dataset, meta):
    """The release's detection AUC, share KS, user-mean std and activity-rating r (and the source's), as its card
    measured them (stats/report.py keeps them per content in this process)."""
    from recbole_ganrs.stats.report import stats_rows

    _, fidelity, structure = stats_rows([meta["source"], dataset])
    source, synthetic = structure[0], structure[-1]
    return {**{k: fidelity[0].get(k) for k in FIDELITY}, **{k: synthetic.get(k) for k in STRUCTURE},
            **{f"source {k}": source.get(k) for k in STRUCTURE}}


def audited(source, name, seed, result, seconds, fidelity=None):
    return [{"source": source, "seed": seed, "generator": name, **r.row(), "seconds": round(seconds, 1),
             **(fidelity or {})} for r in result.results]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", nargs="+", default=["ml-100k", "filmtrust"])
    parser.add_argument("--filmtrust", default=FILMTRUST)
    parser.add_argument("--generators", nargs="+", default=["ganrs", "ganrs-mix1", "ganrs-draws", "cfgan", "statistical"],
                        choices=list(GENERATORS))
    parser.add_argument("--no-controls", action="store_true", help="skip the copy controls")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--holdout", type=float, default=0.4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--shadows", type=int, default=2, help="shadow fits per audit (0: no shadow-model attack)")
    parser.add_argument("--csv", default=None)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sources:
            source = args.filmtrust if name == "filmtrust" else name
            converted = ("--duplicates", "first", "--min-user-ratings", "2") if name == "filmtrust" else ()
            for seed in args.seeds:
                for kind in args.generators:
                    release, meta, train, holdout, fidelity = released(source, kind, args.users, args.holdout, seed,
                                                                        Path(tmp), converted)
                    start = time.perf_counter()
                    result = audit(release, train, holdout, seed, refit_like(meta), args.shadows)
                    rows += audited(name, kind, seed, result, time.perf_counter() - start, fidelity)
                    print(f"{name} seed {seed} {kind}: {result.sentence()}", flush=True)
                members = train["user_id"].nunique()
                controls = () if args.no_controls else (("copy 10%", 0.1), ("copy all", members / args.users))
                for control, share in controls:
                    start = time.perf_counter()
                    result = audit(copying_release(train, share, args.users, seed), train, holdout, seed)
                    rows += audited(name, control, seed, result, time.perf_counter() - start)
                    print(f"{name} seed {seed} {control}: {result.sentence()}", flush=True)
    table = pd.DataFrame(rows)
    print(tabulate(table, headers="keys", tablefmt="github", showindex=False))
    summary = (table.groupby(["source", "generator", "attack"], sort=False)
               .agg(AUC=("AUC", "mean"), AUC_min=("AUC", "min"), AUC_max=("AUC", "max"),
                    TPR=("TPR at 1% FPR", "mean"), TPR_min=("TPR at 1% FPR", "min"),
                    TPR_max=("TPR at 1% FPR", "max"), seeds=("seed", "nunique")).round(3).reset_index())
    print()
    print(tabulate(summary, headers="keys", tablefmt="github", showindex=False))
    measured = [c for c in table.columns if c in FIDELITY + STRUCTURE or c.startswith("source ")]
    if measured:  # one value per release: the mean over seeds of the generators' fidelity
        fidelity = table.dropna(subset=measured).groupby(["source", "generator"], sort=False)[measured].mean()
        print()
        print(tabulate(fidelity.round(3).reset_index(), headers="keys", tablefmt="github", showindex=False))
    if args.csv:
        table.to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
