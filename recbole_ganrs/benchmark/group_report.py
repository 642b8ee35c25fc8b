"""Per-group tables, gap tests, plots and per-group ranking agreement (evaluation/groups.py's groupings).

From the per-user values at the largest N (``per_user/``, each user's value averaged over the trial
seeds): per dataset, q, grouping and model, each group's mean and users, the gap (largest minus smallest
group mean) and its permutation p-value, Holm-corrected over the models of one (dataset, q, grouping).
Agreement: per group shared by the source and a synthetic dataset (activity quartiles, cold / warm), the
models' gap concordance and Kendall tau of the group's model means (benchmark/standin.py's measures).
"""
import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from tabulate import tabulate  # noqa: E402

from recbole_ganrs.benchmark.analysis import ALPHA, at_q, holm, q_label, q_levels, significance  # noqa: E402
from recbole_ganrs.benchmark.section import Section  # noqa: E402
from recbole_ganrs.benchmark.standin import measures  # noqa: E402
from recbole_ganrs.evaluation import LABELS  # noqa: E402
from recbole_ganrs.evaluation.groups import gap_test  # noqa: E402
from recbole_ganrs.files import replaced_on_success  # noqa: E402

PREFIX = "group:"


def group_order(names):
    """Groups in reading order: numeric bands by their start (7-25 before 26-31), the rest by name."""
    def key(name):
        head = name.split("-")[0]
        return (0, float(head), name) if head.replace(".", "", 1).isdigit() else (1, 0.0, name)
    return sorted(names, key=key)


def user_means(scores, q, column):
    """Each (model, user, group)'s value averaged over the trial seeds in which the user was in that group
    (a cold split draws its cold users per trial seed, and the activity quartiles follow the split)."""
    part = at_q(scores, q).astype({column: str})
    return part.groupby(["model", "user", column], sort=False)["value"].mean().reset_index()


def group_frame(scores, dataset, models, qs):
    """One row per (q, grouping, model): each group's mean and users, the gap and its p (Holm over models)."""
    rows = []
    for q in qs:
        for column in [c for c in scores.columns if c.startswith(PREFIX)]:
            means, block = user_means(scores, q, column), []
            for model in models:
                mine = means[means["model"] == model]
                if mine.empty:
                    continue
                gap, p = gap_test(mine["value"], mine[column])
                by = mine.groupby(column)["value"]
                block.append({"dataset": dataset, "q": q, "grouping": column[len(PREFIX):], "model": model,
                              "groups": {g: (float(m), int(n)) for (g, m), n in zip(by.mean().items(), by.size())},
                              "gap": gap, "p": p})
            for r, adjusted in zip(block, holm([r["p"] for r in block])):
                r["p_holm"] = float(adjusted)
            rows += block
    return rows


def group_tables(rows, metric):
    """(title, markdown) per (dataset, q, grouping): a row per group (its users), a column per model, then
    the gap and its p."""
    tables = []
    frame = pd.DataFrame(rows)
    if frame.empty:
        return tables
    for (dataset, q, grouping), part in frame.groupby(["dataset", "q", "grouping"], sort=False, dropna=False):
        records = part.to_dict("records")
        names = group_order({g for r in records for g in r["groups"]})
        table = [{"group (users)": f"{g} ({max(r['groups'].get(g, (0, 0))[1] for r in records)})",
                  **{r["model"]: f"{r['groups'][g][0]:.4f}" if g in r["groups"] else "" for r in records}}
                 for g in names]
        table += [{"group (users)": "gap", **{r["model"]: f"{r['gap']:.4f}" for r in records}},
                  {"group (users)": "p (Holm)", **{r["model"]: f"{r.get('p_holm', np.nan):.3g}" for r in records}}]
        tables.append((f"{dataset}, {q_label(q)}: {LABELS[metric]} per {grouping} group at the largest N (users with a "
                       "relevant test item; gap = largest minus smallest group mean, permutation test, Holm over "
                       "the models)",
                       tabulate(table, headers="keys", tablefmt="github")))
    return tables


def group_agreement(source_rows, synthetic_rows, dataset):
    """Per (q, grouping, group) both datasets have: the models' gap concordance and Kendall tau."""
    out = []
    src, syn = pd.DataFrame(source_rows), pd.DataFrame(synthetic_rows)
    if src.empty or syn.empty:
        return out
    for (q, grouping), part in src.groupby(["q", "grouping"], sort=False, dropna=False):
        other = at_q(syn, q)
        other = other[other["grouping"] == grouping]
        models = [m for m in part["model"] if m in set(other["model"])]
        if len(models) < 3:
            continue
        a_rows, b_rows = part.set_index("model").loc[models], other.set_index("model").loc[models]
        for group in group_order(set.intersection(*(set(g) for g in [*a_rows["groups"], *b_rows["groups"]]))):
            a = np.array([g[group][0] for g in a_rows["groups"]])
            b = np.array([g[group][0] for g in b_rows["groups"]])
            values = measures(a, b)
            out.append({"dataset": dataset, "q": q, "grouping": grouping, "group": group,
                        "gap concordance": values["gap concordance"], "Kendall tau": values["Kendall tau"],
                        "gap spread": values["gap spread"]})
    return out


def signed_gap(row):
    """(gap, direction) of a group_frame row: with two groups the first's mean less the second's (group
    order, e.g. F - M), signed; with more, the largest less the smallest and which groups they are."""
    names = group_order([g for g, (_, n) in row["groups"].items() if n >= 2])
    if len(names) < 2:
        return float("nan"), ""
    means = {g: row["groups"][g][0] for g in names}
    if len(names) == 2:
        return means[names[0]] - means[names[1]], f"{names[0]} - {names[1]}"
    high, low = max(means, key=means.get), min(means, key=means.get)
    return means[high] - means[low], f"{high} > {low}"


def gap_kept(source_rows, synthetic_rows, dataset):
    """Per (q, grouping, model) both datasets have: the source's and the synthetic dataset's gap and p (Holm),
    whether the synthetic gap has the source's sign (two groups) or order (more), and whether its significance
    (p_holm < ALPHA) is the source's."""
    out = []
    level = lambda q: None if pd.isna(q) else float(q)  # noqa: E731  (the recbole protocol's q is NaN: NaN != NaN)
    syn = {(level(r["q"]), r["grouping"], r["model"]): r for r in synthetic_rows}
    for a in source_rows:
        b = syn.get((level(a["q"]), a["grouping"], a["model"]))
        if b is None:
            continue
        (ga, da), (gb, db) = signed_gap(a), signed_gap(b)
        if not da or not db:
            continue
        same = da == db and (np.sign(ga) == np.sign(gb) if " - " in da else True)
        sig_a, sig_b = a.get("p_holm", np.nan) < ALPHA, b.get("p_holm", np.nan) < ALPHA
        out.append({"dataset": dataset, "q": a["q"], "grouping": a["grouping"], "model": a["model"],
                    "direction": da, "source gap": ga, "source p": a.get("p_holm", np.nan), "synthetic gap": gb,
                    "synthetic p": b.get("p_holm", np.nan), "same direction": bool(same),
                    "same significance": bool(sig_a == sig_b)})
    return out


def gap_kept_tables(kept, metric):
    """(title, markdown) per (grouping, q): a row per model, the source's gap (p) and each synthetic
    dataset's gap (p) marked kept (same direction and significance) or not."""
    tables, frame = [], pd.DataFrame(kept)
    if frame.empty:
        return tables
    frame = frame[~frame["grouping"].isin(["activity"])]  # a dataset's own quartiles: not the same users' groups
    for (grouping, q), part in frame.groupby(["grouping", "q"], sort=False, dropna=False):
        table = []
        for model, rows in part.groupby("model", sort=False):
            first = rows.iloc[0]
            line = {"model": model,
                    f"source {first['direction']}": f"{first['source gap']:+.4f} ({first['source p']:.2g})"}
            for r in rows.to_dict("records"):
                mark = ("kept" if r["same significance"] else "direction kept") if r["same direction"] else "not kept"
                line[r["dataset"]] = f"{r['synthetic gap']:+.4f} ({r['synthetic p']:.2g}) {mark}"
            table.append(line)
        tables.append((f"{grouping} gap of {LABELS[metric]} at the largest N, {q_label(q)}: source vs each synthetic "
                       f"dataset (gap (Holm p); kept = same direction and the same significance at alpha {ALPHA})",
                       tabulate(table, headers="keys", tablefmt="github")))
    return tables


def plot_groups(rows, datasets, metric, path):
    """A panel per (q, grouping) (a row per q): bars per group, one per dataset side by side (the source first,
    solid; synthetic datasets hatched), each the mean over the models with the models' range as its whisker.
    A grouping only the source has (e.g. occupations of an unconditioned run) shows the source alone."""
    frame = pd.DataFrame([r for r in rows if r["dataset"] in datasets])
    if frame.empty:
        return None
    qs, groupings = q_levels(frame), list(dict.fromkeys(frame["grouping"]))
    widths = [1.2 + 0.3 * _groups(frame, g) for g in groupings]  # a panel as wide as its groups need
    fig, axes = plt.subplots(len(qs), len(groupings), figsize=(max(6.0, sum(widths)), 3.4 * len(qs)),
                             squeeze=False, gridspec_kw={"width_ratios": widths})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (row, q), (col, grouping) in itertools.product(enumerate(qs), enumerate(groupings)):
        part, ax = at_q(frame, q), axes[row][col]
        part = part[part["grouping"] == grouping]
        names = group_order({g for groups in part["groups"] for g in groups})
        shown = [d for d in datasets if d in set(part["dataset"])]
        width = 0.8 / max(len(shown), 1)
        for i, dataset in enumerate(shown):
            mine = part[part["dataset"] == dataset]
            values = np.array([[r["groups"].get(g, (np.nan,))[0] for g in names] for r in mine.to_dict("records")])
            mean = np.nanmean(values, axis=0)
            whisker = np.nan_to_num(np.clip([mean - np.nanmin(values, axis=0), np.nanmax(values, axis=0) - mean],
                                            0, None))  # rounding can make a one-model range a hair negative
            x = np.arange(len(names)) + (i - (len(shown) - 1) / 2) * width
            ax.bar(x, mean, width, color=colours[i % len(colours)], hatch=None if i == 0 else "//",
                   edgecolor="black", lw=0.4, label=dataset if row == 0 and col == 0 else None,
                   yerr=whisker, capsize=2,
                   error_kw={"lw": 0.6})
        ax.set_xticks(np.arange(len(names)), names, rotation=60, ha="right", fontsize=7)
        ax.set_title(f"{grouping}, {q_label(q)}", fontsize=9)
        ax.set_ylabel(f"{LABELS[metric]} (mean over models)", fontsize=8)
    fig.legend(loc="lower center", ncol=min(len(datasets), 2), fontsize=7)
    fig.tight_layout(rect=(0, 0.04 + 0.03 * ((len(datasets) + 1) // 2), 1, 1))
    with replaced_on_success(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return path


def _groups(frame, grouping):
    """How many groups ``grouping`` has (its panel widens with them so that labels do not overlap)."""
    return len({g for groups in frame[frame["grouping"] == grouping]["groups"] for g in groups})


def cold_pairs(scores, names, metric):
    """(title, markdown) of the model pairs on the cold users alone (paired Wilcoxon over (seed, user), Holm
    over the pairs of a dataset and q), or None when no dataset has a cold-start grouping."""
    column = f"{PREFIX}cold-start"
    cold = {n: scores[n][scores[n][column] == "cold"] for n in names if column in scores[n]}
    if not cold:
        return None
    tests = significance(lambda n: cold[n], list(cold))
    rows = []
    for (dataset, q), part in tests.groupby(["dataset", "q"], sort=False, dropna=False):
        hits = part[part["p_holm"] < ALPHA]
        rows.append({"dataset": dataset, "q": q, "(seed, cold user) pairs": int(part["users"].max()),
                     "significant pairs": f"{len(hits)} / {len(part)}",
                     "which (better > worse)": "; ".join(
                         f"{t.model_a} > {t.model_b}" if t.mean_diff > 0 else f"{t.model_b} > {t.model_a}"
                         for t in hits.itertuples())})
    return (f"Cold users only: model pairs by {LABELS[metric]} at the largest N (paired Wilcoxon over (seed, cold "
            f"user), Holm over the pairs, alpha {ALPHA})", tabulate(rows, headers="keys", tablefmt="github"))


def group_report(scores_of, source, synthetic, models, qs, metric, output):
    """The per-group tables of the source and the synthetic datasets as a :class:`Section`, with groups.csv,
    group_agreement.csv, group_gaps.csv and the group figure."""
    scores = {name: scores_of(name) for name in [source, *synthetic]}
    rows = {name: group_frame(scores[name], name, models, qs) for name in scores}
    tables = group_tables(rows[source], metric)
    pairs = cold_pairs(scores, list(scores), metric)
    tables += [pairs] if pairs else []
    kept = [k for name in synthetic for k in gap_kept(rows[source], rows[name], name)]
    tables += gap_kept_tables(kept, metric)
    agreement = [a for name in synthetic for a in group_agreement(rows[source], rows[name], name)]
    if agreement:
        table = pd.DataFrame(agreement).round(3)
        tables.append((f"Ranking agreement per group with {source} ({LABELS[metric]} model means of each group)",
                       tabulate(table, headers="keys", tablefmt="github", showindex=False)))
    every = [r for name in rows for r in rows[name]]
    written = [p for p in [plot_groups(every, [source, *synthetic], metric, output / f"groups-{metric}.png")] if p]
    flat = [{**{k: v for k, v in r.items() if k != "groups"}, "group": g, "mean": m, "users": n}
            for name in rows for r in rows[name] for g, (m, n) in r["groups"].items()]
    frames = (("groups.csv", pd.DataFrame(flat)), ("group_agreement.csv", pd.DataFrame(agreement)),
              ("group_gaps.csv", pd.DataFrame(kept)))
    return Section(tuple(tables), frames, tuple(written))
