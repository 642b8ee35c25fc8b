"""Tables (tabulate) and plots of a benchmark's results; the checks behind them are in analysis.py."""
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from tabulate import tabulate  # noqa: E402

from recbole_ganrs.benchmark.analysis import (  # noqa: E402
    at_q, gap_profile, q_label, q_levels, ranking_agreement, ranking_with_tests, significance,
    significant_agreement,
)
from recbole_ganrs.benchmark.claims import claims_table, size_claims_table  # noqa: E402
from recbole_ganrs.evaluation import LABELS, METRICS  # noqa: E402
from recbole_ganrs.benchmark.section import Section  # noqa: E402
from recbole_ganrs.files import replaced_on_success  # noqa: E402


def summarise(results):
    """Mean and std over seeds of every metric of each (dataset, model, protocol, q, N) (q NaN: no q), with
    the mean share of test users that have at least max(N) test items."""
    keys = ["dataset", "model", "protocol", "q", "N"]
    frame = results
    grouped = frame.groupby(keys, sort=False, dropna=False)
    out = grouped[[m for m in METRICS if m in frame]].agg(["mean", "std"])
    out.columns = [f"{m}_{s}" for m, s in out.columns]
    out = out.reset_index()
    out["seeds"] = grouped.size().to_numpy()
    out["share_full_n"] = grouped["share_full_n"].mean().to_numpy() if "share_full_n" in frame else np.nan
    return out


def _full_n_note(part):
    """What the N axis can show on a dataset: the share of test users with at least max(N) test items."""
    share = part["share_full_n"].dropna()
    return f"; {share.mean():.0%} of test users have >= {part['N'].max()} test items" if len(share) else ""


def _cell(row, metric):
    if f"{metric}_mean" not in row:
        return "-"
    mean, std = row[f"{metric}_mean"], row[f"{metric}_std"]
    return f"{mean:.3f}" if row["seeds"] < 2 or np.isnan(std) else f"{mean:.3f}±{std:.3f}"


def _shown(metric):
    """The metrics of a per-N table cell: precision, recall and the report's metric."""
    return ("precision", "recall") + (() if metric in ("precision", "recall") else (metric,))


def metric_tables(summary, datasets, models, metric="f1"):
    """One table per dataset and q: rows model, columns N, cells precision / recall / the report's metric."""
    tables = []
    shown = _shown(metric)
    for dataset in datasets:
        groups = summary[summary["dataset"] == dataset].groupby(["protocol", "q"], sort=False, dropna=False)
        for (protocol, q), group in groups:
            ns = sorted(group["N"].unique())
            rows = []
            for model in models:
                by_n = group[group["model"] == model].set_index("N")
                if len(by_n):
                    rows.append([model] + [" / ".join(_cell(by_n.loc[n], m) for m in shown)
                                           if n in by_n.index else "-" for n in ns])
            title = (f"{dataset}, {q_label(q)} ({protocol} protocol): {' / '.join(LABELS[m] for m in shown)}"
                     f"{_full_n_note(group)}")
            tables.append((title, tabulate(rows, headers=["model"] + [f"N={n}" for n in ns], tablefmt="github")))
    return tables


def all_metrics_tables(summary, datasets, models):
    """One table per dataset and q at the largest N: rows model, columns every metric of results.csv."""
    tables = []
    n = summary["N"].max()
    for dataset in datasets:
        part = summary[(summary["dataset"] == dataset) & (summary["N"] == n)]
        for (protocol, q), group in part.groupby(["protocol", "q"], sort=False, dropna=False):
            by_model = group.set_index("model")
            rows = [[m] + [_cell(by_model.loc[m], metric) for metric in METRICS] for m in models if m in by_model.index]
            tables.append((f"{dataset}, {q_label(q)} ({protocol} protocol): every metric at N={n} (F1 = CF4J's mean "
                           "of per-user F1; NDCG with binary gains)",
                           tabulate(rows, headers=["model", *(LABELS[m] for m in METRICS)], tablefmt="github")))
    return tables


def side_by_side(summary, datasets, models, group="", metric="f1"):
    """Per q: rows model, columns the metric at N_max of each dataset (real first)."""
    tables = []
    parts = summary[summary["dataset"].isin(datasets)].groupby(["protocol", "q"], sort=False, dropna=False)
    for (protocol, q), part in parts:
        n = part["N"].max()
        at_n = part[part["N"] == n].set_index(["model", "dataset"])[f"{metric}_mean"]
        rows = [[m] + [f"{at_n[(m, d)]:.3f}" if (m, d) in at_n.index else "-" for d in datasets] for m in models]
        shares = part[part["N"] == n].groupby("dataset")["share_full_n"].mean()
        rows.append([f"(test users with >= {n} test items)"]
                    + [f"{shares[d]:.0%}" if d in shares.index and not np.isnan(shares[d]) else "-" for d in datasets])
        tables.append((f"{LABELS[metric]}@{n}, {q_label(q)} ({protocol} protocol): real vs synthetic"
                       + (f" ({group})" if group else ""),
                       tabulate(rows, headers=["model", *datasets], tablefmt="github")))
    return tables


def ranking_table(agreement, noise_aware, metric="f1", gaps=None):
    """Kendall tau / Spearman rho at each N, and beside them the gap profile over all N and the significant-pair
    agreement."""
    if agreement.empty:
        return []
    gap = {} if gaps is None or gaps.empty else {
        f"{t['dataset']}, {q_label(t['q'])}": t for t in gaps.to_dict("records")}
    agreement = agreement.assign(row=[f"{d}, {q_label(q)}" for d, q in zip(agreement["dataset"], agreement["q"])])
    tau = agreement.pivot_table(index="row", columns="N", values="kendall_tau", sort=False, dropna=False)
    label = LABELS[metric]
    rho = agreement.pivot_table(index="row", columns="N", values="spearman_rho", sort=False, dropna=False)
    pairs = {} if noise_aware.empty else {
        f"{t['dataset']}, {q_label(t['q'])}": t for t in noise_aware.to_dict("records")}
    rows, tied = [], False
    for r in tau.index:
        tied = tied or bool(tau.loc[r].isna().any())
        cells = ["tied" if np.isnan(t) else f"{t:.2f} / {p:.2f}" for t, p in zip(tau.loc[r], rho.loc[r])]
        t = pairs.get(r)
        same = "-" if t is None or not t["significant on source"] else (
            f"{t['same order']}/{t['significant on source']} ({t['share same']:.0%}), "
            f"{t['significantly reversed']} reversed")
        g = gap.get(r)
        profile = "-" if g is None or np.isnan(g["gap_r"]) else f"{g['gap_r']:.2f} (spread x{g['gap_spread']:.2f})"
        rows.append([r, *cells, f"{np.nanmean(tau.loc[r]):.2f}", profile, same])
    headers = (["dataset"] + [f"N={n}" for n in tau.columns]
               + ["mean tau", "gap r, all N", "source's significant pairs kept"])
    return [(f"Ranking agreement vs the source: Kendall tau / Spearman rho of the {label} ranking at each N; "
             "the gap profile (r of the models' centred means over all N, and the ratio of their spreads); "
             "of the model pairs significantly ordered on the source (paired Wilcoxon over (seed, user), Holm), "
             "those in the same order here and those significantly reversed"
             + ("; 'tied': every model scores the same on one side at that N, so no ranking exists to compare "
                "(e.g. all see every test item when N exceeds them)" if tied else ""),
             tabulate(rows, headers=headers, tablefmt="github"))]


def frame_table(title, frame, floatfmt=".3f"):
    if frame.empty:
        return []
    if "q" in frame:  # q as on its scale: 4, not 4.000
        frame = frame.assign(q=["-" if pd.isna(q) else f"{q:g}" for q in frame["q"]])
    return [(title, tabulate(frame.values.tolist(), headers=list(frame.columns), tablefmt="github",
                             floatfmt=floatfmt))]


def failed_table(failed):
    if failed.empty:
        return []
    return [("Failed trials (re-run the same command to retry them)",
             tabulate(failed.values.tolist(), headers=list(failed.columns), tablefmt="github"))]


def plot_curves(summary, datasets, models, path, metric="f1"):
    """Figures 4-7 of the paper: one row per dataset; columns the report's metric (F1), precision and recall
    at each q; x = N, one line per model."""
    qs = q_levels(summary)
    panels = [(m, q) for q in qs for m in dict.fromkeys((metric, "precision", "recall"))]
    fig, axes = plt.subplots(len(datasets), len(panels), figsize=(3.2 * len(panels), 2.8 * len(datasets)),
                             squeeze=False, sharex=True)
    for r, dataset in enumerate(datasets):
        for c, (shown, q) in enumerate(panels):
            ax = axes[r][c]
            sel = at_q(summary[summary["dataset"] == dataset], q)
            for model in models:
                line = sel[sel["model"] == model].sort_values("N")
                if len(line):
                    ax.plot(line["N"], line[f"{shown}_mean"], marker="o", ms=3, label=model)
            ax.set_title(f"{LABELS[shown]} {q_label(q)}" if r == 0 else "", fontsize=9)
            if c == 0:
                ax.set_ylabel(textwrap.fill(dataset, 24), fontsize=7)
            if r == len(datasets) - 1:
                ax.set_xlabel("N")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6) or 1, fontsize=8)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    with replaced_on_success(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return Path(path)


def plot_model_curves(summary, source, datasets, models, path, metric="f1"):
    """The metric (F1) at each N of each model, real vs synthetic: one panel per model (columns) and q (rows),
    one line per dataset in the same panel, the source solid black, each synthetic dataset dashed."""
    qs = q_levels(summary)
    fig, axes = plt.subplots(len(qs), len(models), figsize=(3.0 * len(models), 2.6 * len(qs)),
                             squeeze=False, sharex=True)
    for r, q in enumerate(qs):
        for c, model in enumerate(models):
            ax = axes[r][c]
            for dataset in datasets:
                line = at_q(summary[(summary["dataset"] == dataset) & (summary["model"] == model)], q)
                line = line.sort_values("N")
                if len(line):
                    style = dict(color="black", lw=2.2) if dataset == source else dict(lw=1.2, ls="--")
                    ax.plot(line["N"], line[f"{metric}_mean"], marker="o", ms=3, label=dataset, **style)
            ax.set_title(f"{model}, {q_label(q)}", fontsize=8)
            if c == 0:
                ax.set_ylabel(LABELS[metric])
            if r == len(qs) - 1:
                ax.set_xlabel("N")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3) or 1, fontsize=7)
    fig.tight_layout(rect=(0, 0.04 + 0.03 * ((len(labels) + 2) // 3), 1, 1))
    with replaced_on_success(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return Path(path)


def plot_scatter(summary, source, synthetic, models, path, metric="f1"):
    """Real vs synthetic: a panel per (synthetic dataset, q), a point per (model, N) at (the source's value, the
    synthetic one), a colour per model, the marker growing with N, and the line y = x where a perfect stand-in
    would put them (a constant offset is a level difference; a scrambled cloud is a different ranking)."""
    qs = q_levels(summary)
    panels = [(d, q) for d in synthetic for q in qs]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.8 * len(panels), 3.9), squeeze=False)
    src = summary[summary["dataset"] == source]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (dataset, q) in zip(axes[0], panels):
        keys = ["model", "N"]
        both = at_q(src, q).set_index(keys)[f"{metric}_mean"].rename("source").to_frame().join(
            at_q(summary[summary["dataset"] == dataset], q).set_index(keys)[f"{metric}_mean"].rename("synthetic"),
            how="inner").reset_index()
        for i, model in enumerate(models):
            part = both[both["model"] == model]
            ax.scatter(part["source"], part["synthetic"], s=6 + 3 * part["N"], color=colours[i % len(colours)],
                       label=model, alpha=0.85)
        values = both[["source", "synthetic"]].to_numpy()
        if values.size:
            lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
            pad = 0.05 * (hi - lo or 1)
            ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="grey", lw=1, ls=":", label="y = x")
        ax.set_xlabel(f"{LABELS[metric]} on {textwrap.shorten(source, 30)}", fontsize=8)
        ax.set_ylabel(f"{LABELS[metric]}, synthetic", fontsize=8)
        ax.set_title(textwrap.fill(f"{dataset}, {q_label(q)}", 38), fontsize=8)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(labels), 4),
               fontsize=7, title="model (marker size: N)", title_fontsize=7)
    fig.tight_layout()
    with replaced_on_success(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return Path(path)


def build_report(results, failed, datasets, models, source, groups=None, size_series=(), scores_of=None, metric="f1"):
    """The metric, ranking and claims tables as a :class:`Section` (with ranking_agreement.csv, significance.csv
    and claims.csv), and the frames the other sections build on: (section, summary, tests).

    groups: {group: [dataset names]} for the side-by-side tables (default: all in one);
    size_series: [(label, [names, fewest ratings per user first], {name: ratings per user})] for the size
    claims; scores_of(dataset): per-user frame of ``metric`` for the tests; metric: the results column that the
    tables, agreement, tests and the model-order claim are about (F1, CF4J's, by default).
    """
    summary = summarise(results) if len(results) else None
    tables = []
    agreement, tests, claims = pd.DataFrame(), pd.DataFrame(), pd.DataFrame()
    if summary is not None:
        present = [d for d in datasets if d in set(summary["dataset"])]
        synthetic = [d for d in present if d != source]
        model_order = [m for m in models if m in set(summary["model"])]
        tables += metric_tables(summary, present, model_order, metric)
        tables += all_metrics_tables(summary, present, model_order)
        for group, names in (groups or {"": present}).items():
            tables += side_by_side(summary, [source] + [d for d in names if d in present and d != source],
                                   model_order, group, metric)
        if scores_of is not None:
            tests = significance(scores_of, present)
        agreement = ranking_agreement(summary, source, synthetic, metric)
        tables += ranking_table(agreement, significant_agreement(tests, source, synthetic), metric,
                                gap_profile(summary, source, synthetic, metric))
        claims = claims_table(summary, tests, present, model_order, metric)
        tables += frame_table("Paper claims, checked on every dataset (holds only when k = m cells agree)", claims)
        tables += frame_table("Paper claims: dataset size (every model, q and N, between consecutive datasets)",
                              size_claims_table(summary, size_series))
        if not tests.empty:
            n_max = summary["N"].max()
            label = LABELS[metric]
            tables += frame_table(f"Model ranking by {label}@{n_max} with paired Wilcoxon tests of per-user "
                                  f"{label}@{n_max} (Holm-corrected over the model pairs)",
                                  ranking_with_tests(summary, tests, metric))
    tables += failed_table(failed)
    frames = (("ranking_agreement.csv", agreement), ("significance.csv", tests), ("claims.csv", claims))
    return Section(tuple(tables), frames), summary, tests
