"""The --tune tables: each (dataset, model)'s chosen configuration and validation score, the metric at the
largest N with the default and the tuned configurations, and the ranking agreement of each (tuned synthetic vs
tuned source beside default vs default)."""
import json

import numpy as np
import pandas as pd
from tabulate import tabulate

from recbole_ganrs.benchmark.section import Section
from recbole_ganrs.benchmark.analysis import (
    at_q, q_label, q_levels, ranking_agreement, significance, significant_agreement,
)
from recbole_ganrs.benchmark.report import summarise
from recbole_ganrs.benchmark.trial import params_text
from recbole_ganrs.evaluation import LABELS


def tuned_rows(results, chosen):
    """The rows of the tuned trials whose configuration is the one chosen now (a re-tune leaves older rows)."""
    wanted = {(d, m): params_text(json.loads(r["params"])) for (d, m), r in chosen.items()}
    keep = [(d, m) in wanted and p == wanted[(d, m)]
            for d, m, p in zip(results["dataset"], results["model"], results["params"])]
    return results[(results["config"] == "tuned").to_numpy() & np.asarray(keep, bool)]


def choice_table(chosen, tried, datasets, models, metric, n, tuned_at):
    """One row per (dataset, model): the chosen candidate, its configuration and validation score, the
    defaults' score, and how many candidates trained to their early stop or were stopped by ASHA."""
    rows = []
    for dataset in datasets:
        for model in models:
            best = chosen.get((dataset, model))
            if best is None:
                continue
            records = tried[(dataset, model)]
            default = records[records["candidate"] == 0]
            params = json.loads(best["params"])
            rows.append([dataset, model, "defaults" if not params else
                         ", ".join(f"{k}={v}" for k, v in params.items()),
                         f"{best['score']:.3f}",
                         f"{default['score'].iloc[0]:.3f}" if len(default) and default["status"].iloc[0] == "completed"
                         else "-",
                         f"{int((records['status'] == 'completed').sum())} / {int((records['status'] == 'stopped').sum())}"])
    return (f"Tuning: the configuration chosen for each model on each dataset (the best of its defaults and "
            f"{n} draws from its search space, by {LABELS[metric]}@{tuned_at} on the validation part of the first "
            "seed's split)",
            tabulate(rows, headers=["dataset", "model", "chosen", "validation", "defaults' validation",
                                    "completed / stopped early"], tablefmt="github"))


def default_vs_tuned(default, tuned, datasets, models, metric):
    """Per q: the metric at the largest N of each model on each dataset, default / tuned."""
    tables = []
    for q in q_levels(default):
        cells = []
        for frame in (default, tuned):
            part = at_q(frame, q)
            part = part[part["N"] == part["N"].max()]
            cells.append(part.set_index(["model", "dataset"])[f"{metric}_mean"])
        n = int(default["N"].max())
        rows = [[m] + [" / ".join(f"{c[(m, d)]:.3f}" if (m, d) in c.index else "-" for c in cells)
                       for d in datasets] for m in models]
        tables.append((f"{LABELS[metric]}@{n}, {q_label(q)}: default / tuned configuration (mean over seeds)",
                       tabulate(rows, headers=["model", *datasets], tablefmt="github")))
    return tables


def agreement_rows(summary, tests, source, synthetic, metric, label):
    agreement = ranking_agreement(summary, source, synthetic, metric)
    kept = significant_agreement(tests, source, synthetic)
    kept = {} if kept.empty else {(t["dataset"], t["q"]): t for t in kept.to_dict("records")}
    rows = []
    for (dataset, q), part in agreement.groupby(["dataset", "q"], sort=False, dropna=False):
        at_max = part[part["N"] == part["N"].max()]
        t = kept.get((dataset, None if pd.isna(q) else q))
        pairs = "-" if t is None or not t["significant on source"] else (
            f"{t['same order']}/{t['significant on source']}, {t['significantly reversed']} reversed")
        rows.append({"dataset": dataset, "q": q_label(q), "configurations": label,
                     "mean tau": part["kendall_tau"].mean(), "tau at max N": at_max["kendall_tau"].mean(),
                     "source's significant pairs kept": pairs})
    return rows


def tuning_report(results, chosen, tried, scores_of, datasets, models, metric, n, tuned_at):
    """The --tune :class:`Section` (its tables and tuning_agreement.csv). ``results``: the rows of both
    configurations; ``scores_of(dataset, tuned)``: per-user frames for the paired tests."""
    source, synthetic = datasets[0], datasets[1:]
    tables = [choice_table(chosen, tried, datasets, models, metric, n, tuned_at)]
    default = results[results["config"] == "default"]
    tuned = tuned_rows(results, chosen)
    if default.empty or tuned.empty:
        return Section(tuple(tables))
    summaries = {"default": summarise(default), "tuned": summarise(tuned)}
    tables += default_vs_tuned(summaries["default"], summaries["tuned"], datasets, models, metric)
    rows = []
    for label, summary in summaries.items():
        tests = significance(lambda d: scores_of(d, label == "tuned"), datasets)
        rows += agreement_rows(summary, tests, source, synthetic, metric, label)
    frame = pd.DataFrame(rows)
    if len(frame):
        frame = frame.sort_values(["dataset", "q"], kind="stable")
        tables.append((f"Ranking agreement vs the source, default vs tuned configurations (tuned synthetic vs tuned "
                       f"source): Kendall tau of the {LABELS[metric]} ranking (mean over N, and at the largest N), "
                       "and of the model pairs significantly ordered on the source (paired Wilcoxon, Holm), those "
                       "in the same order here and those significantly reversed",
                       tabulate(frame.values.tolist(), headers=list(frame.columns), tablefmt="github",
                                floatfmt=".2f")))
    return Section(tuple(tables), (("tuning_agreement.csv", frame),))
