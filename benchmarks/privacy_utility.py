"""What differential privacy costs: the benchmark (stand-in verdict, fidelity, detection, membership attacks) of GANRS
fitted at several epsilons, against the same sampling path without privacy and against the default whole users.

    python benchmarks/privacy_utility.py --out /tmp/pu                 # both sources, every configuration
    python benchmarks/privacy_utility.py --out /tmp/pu --sources ml-100k --configs eps4 paper

Each cell is one ``run_benchmark.py`` run (in this process, so that the card measures it computed are reused) at
``--users 2000 --privacy-holdout 0.4 --dataset-seeds 0 1 2``: three fits (dataset seeds) of the configuration, the
six paper models on each and on the source, the verdict over the three replicates. FilmTrust is converted as the CLI
does (``--duplicates first --min-user-ratings 2``). Printed: per cell, each measure's mean [min, max] over the three
fits, and the verdict's headline per q; ``--csv`` keeps every fit's row and every verdict row.
"""
import argparse
import sys
from pathlib import Path

import pandas as pd
from tabulate import tabulate

import recbole_ganrs  # noqa: F401
from recbole_ganrs.benchmark.verdict import HEADLINE
from recbole_ganrs.cli import main as cli
from recbole_ganrs.data.sidecar import read_sidecar

FILMTRUST = Path(__file__).resolve().parents[2] / "shared" / "data" / "filmtrust" / "ratings.txt"
PAPER_PATH = ("--pairing", "draws", "--rating-model", "distribution", "--no-match-shapes")
CONFIGS = {"eps1": ("--dp-epsilon", "1", *PAPER_PATH), "eps4": ("--dp-epsilon", "4", *PAPER_PATH),
           "eps10": ("--dp-epsilon", "10", *PAPER_PATH),
           "paper": PAPER_PATH,  # the same sampling without privacy: what the noise alone costs
           "default": (),  # whole users (two donors): what choosing privacy costs
           # the source's marginals only: a dataset that should not stand in (the verdict's negative control)
           "statistical": ("--generators", "statistical")}
MEASURES = ("rating TVD", "activity KS", "share >= 4 KS", "detection AUC", "MIA AUC", "MIA AUC low",
            "MIA TPR@1%FPR")
STRUCTURE = ("user-mean std", "activity-rating r")


def run(source, config, args):
    """(fit rows, verdict rows) of one cell."""
    from recbole_ganrs.stats.report import stats_rows

    label = "filmtrust" if source == args.filmtrust else source
    converted = ("--duplicates", "first", "--min-user-ratings", "2") if label == "filmtrust" else ()
    data = Path(args.out) / f"data-{label}-{config}"
    # one output per source: the source's and the ceiling's trials (keyed by content) run once for every config
    output = Path(args.out) / (label if args.one_output else f"{label}-{config}")
    argv = ["benchmark", "--source", str(source), *converted, "--users", str(args.users), "--privacy-holdout",
            f"{args.holdout:g}", "--dataset-seeds", *map(str, args.seeds), *CONFIGS[config],
            "--data-dir", str(data), "--output", str(output), "--quiet", *args.design]
    assert cli(argv) == 0, argv
    fits = []
    for folder in sorted(p for p in data.iterdir() if (p / "README.md").is_file()):
        meta = read_sidecar(folder)
        _, fidelity, structure = stats_rows([meta["source"], folder])
        dp = meta.get("differential privacy") or {}
        fits.append({"source": label, "config": config, "seed": meta["request"]["seed"],
                     "composed epsilon": dp.get("composed epsilon"),
                     **{k: fidelity[0].get(k) for k in MEASURES}, **{k: structure[-1].get(k) for k in STRUCTURE},
                     **{f"source {k}": structure[0].get(k) for k in STRUCTURE}})
    verdict = pd.read_csv(output / "verdict.csv").assign(source=label, config=config)
    return fits, verdict


def spread(values):
    values = pd.to_numeric(values, errors="coerce").dropna()
    if not len(values):
        return ""
    return f"{values.mean():.3f} [{values.min():.3f}, {values.max():.3f}]"


def headline(row):
    """A verdict row as the note reads it: the decision, the headline with its interval and share of the ceiling."""
    if pd.isna(row[HEADLINE]):
        return f"{row['decision']} (the source cannot separate the models)"
    share = "" if pd.isna(row["share of ceiling"]) else f", {row['share of ceiling']:.0%} of {row['ceiling']:.2f}"
    return f"{row['decision']}: {row[HEADLINE]:.2f} [{row['low']:.2f}, {row['high']:.2f}]{share}"


def summary(fits, verdicts):
    rows = []
    for (source, config), g in fits.groupby(["source", "config"], sort=False):
        v = verdicts[(verdicts.source == source) & (verdicts.config == config)]
        stand = {f"stand-in q={r['q']:g}": headline(r) for _, r in v.iterrows()}
        rows.append({"source": source, "config": config, **{k: spread(g[k]) for k in MEASURES + STRUCTURE},
                     **stand})
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--sources", nargs="+", default=["ml-100k", "filmtrust"])
    parser.add_argument("--filmtrust", default=str(FILMTRUST))
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--holdout", type=float, default=0.4)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--csv", default=None, help="prefix of <prefix>-fits.csv and <prefix>-verdicts.csv")
    parser.add_argument("--one-output", action="store_true",
                        help="the configurations of a source share one output folder (its source and ceiling "
                             "trials run once)")
    parser.add_argument("--design", nargs=argparse.REMAINDER, default=[],
                        help="benchmark flags added to every run, e.g. --protocol full --models paper+baselines "
                             "--ceiling-splits 1 (the design the verdict names when the source cannot separate the "
                             "models)")
    args = parser.parse_args(argv)
    if "filmtrust" in args.sources and not Path(args.filmtrust).is_file():
        parser.error(f"no FilmTrust ratings at {args.filmtrust}: give --filmtrust PATH")
    fits, verdicts = [], []
    for name in args.sources:
        source = args.filmtrust if name == "filmtrust" else name
        for config in args.configs:
            rows, verdict = run(source, config, args)
            fits += rows
            verdicts.append(verdict)
            print(f"{name} {config}: done", flush=True)
            if args.csv:  # kept after every cell: a long run's finished cells survive an interruption
                pd.DataFrame(fits).to_csv(f"{args.csv}-fits.csv", index=False)
                pd.concat(verdicts).to_csv(f"{args.csv}-verdicts.csv", index=False)
    fits, verdicts = pd.DataFrame(fits), pd.concat(verdicts)
    print(tabulate(summary(fits, verdicts), headers="keys", tablefmt="github", showindex=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
