"""Per item group tables (evaluation/item_groups.py: each genre, each release-year band...), source vs synthetic.

From results.csv's item-group rows at the largest N, each (dataset, model, q, group)'s value averaged over
the trial seeds:
- per (q, grouping): a row per group (the source's test users with a relevant item of it), the mean over the
  models on the source and on each synthetic dataset, then, per synthetic dataset, Pearson r over the groups
  of those means (does it make the same genres easy and hard?) and the median over the groups of the models'
  Kendall tau (does it rank the models within a genre as the source does?);
- per (q, grouping): a row per model, r over the groups of its values, source vs each synthetic dataset.
No gap test: an item is in several groups (a comedy-drama), so a user's values on two groups are not
independent samples and a permutation of group labels has no meaning here.
"""
import numpy as np
import pandas as pd
from scipy.stats import kendalltau, pearsonr
from tabulate import tabulate

from recbole_ganrs.benchmark.analysis import at_q, q_label, q_levels
from recbole_ganrs.benchmark.group_report import group_order, plot_groups
from recbole_ganrs.benchmark.section import Section
from recbole_ganrs.evaluation import LABELS
from recbole_ganrs.evaluation.item_groups import PREFIX

MIN_GROUPS = 3  # fewer groups shared: no r


def item_group_means(rows, metric, n):
    """One row per (dataset, q, grouping, group, model): ``metric`` at N = ``n`` averaged over the trial seeds,
    its std, the seeds and the users with a relevant test item of the group (mean over seeds)."""
    part = rows[(rows["N"] == n) & rows["grouping"].astype(str).str.startswith(PREFIX)]
    if part.empty:
        return pd.DataFrame()
    keys = ["dataset", "q", "grouping", "subset", "model"]
    grouped = part.groupby(keys, sort=False, dropna=False)
    out = grouped[metric].agg(["mean", "std", "count"]).reset_index()
    out["relevant_users"] = grouped["relevant_users"].mean().to_numpy()
    return out.rename(columns={"subset": "group", "count": "seeds"})


def _r(a, b):
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    return float(pearsonr(a, b)[0]) if len(a) >= MIN_GROUPS and a.std() > 0 and b.std() > 0 else np.nan


def _tau(a, b):
    return float(kendalltau(a, b).statistic) if a.std() > 0 and b.std() > 0 else np.nan


def group_table(part, source, synthetic, models):
    """Rows of one (q, grouping): a row per group, the model means of each dataset; then r and median tau."""
    pivot = part.pivot_table(index=["group", "model"], columns="dataset", values="mean", dropna=False)
    users = part[part["dataset"] == source].groupby("group")["relevant_users"].max()
    names = group_order(set(part.loc[part["dataset"] == source, "group"]))
    shown = [d for d in [source, *synthetic] if d in pivot.columns]
    model_mean = {d: np.array([pivot[d].xs(g, level="group").reindex(models).mean() for g in names]) for d in shown}
    table = [{"group (source users)": f"{g} ({users.get(g, 0):.0f})",
              **{d: f"{model_mean[d][i]:.4f}" for d in shown}} for i, g in enumerate(names)]
    r_row, tau_row = {"group (source users)": "r with the source"}, {"group (source users)": "median tau of the models"}
    for d in shown[1:]:
        r_row[d] = f"{_r(model_mean[source], model_mean[d]):.3f}"
        taus = []
        for g in names:
            a = pivot[source].xs(g, level="group").reindex(models).to_numpy()
            b = pivot[d].xs(g, level="group").reindex(models).to_numpy() if g in set(
                pivot[d].dropna().index.get_level_values("group")) else np.full(len(models), np.nan)
            if not (np.isnan(a).any() or np.isnan(b).any()):
                taus.append(_tau(a, b))
        tau_row[d] = f"{np.nanmedian(taus):.3f}" if taus and not np.all(np.isnan(taus)) else "nan"
    return table + [r_row, tau_row]


def model_table(part, source, synthetic, models):
    """Rows of one (q, grouping): a row per model, r over the groups of its values, source vs each dataset."""
    pivot = part.pivot_table(index=["model", "group"], columns="dataset", values="mean", dropna=False)
    names = group_order(set(part.loc[part["dataset"] == source, "group"]))
    table = []
    for model in [m for m in models if m in set(part["model"])]:
        mine = pivot.xs(model, level="model").reindex(names)
        table.append({"model": model, **{d: f"{_r(mine[source].to_numpy(), mine[d].to_numpy()):.3f}"
                                         for d in synthetic if d in mine.columns}})
    return table


def plot_rows(means):
    """:func:`group_report.plot_groups`'s rows (one per dataset, q, grouping, model: its groups' means and users)."""
    rows = []
    for (dataset, q, grouping, model), part in means.groupby(["dataset", "q", "grouping", "model"], sort=False,
                                                               dropna=False):
        rows.append({"dataset": dataset, "q": q, "grouping": f"item {grouping[len(PREFIX):]}", "model": model,
                     "groups": {g: (m, n) for g, m, n in zip(part["group"], part["mean"], part["relevant_users"])}})
    return rows


def item_group_report(rows, source, synthetic, models, metric, n, output=None):
    """The item-group tables as a :class:`Section` with item_groups.csv and, given ``output``, the figure
    item-groups-<metric>.png (empty when the run has no item groups)."""
    means = item_group_means(rows, metric, n)
    if means.empty or source not in set(means["dataset"]):
        return Section()
    tables = []
    for q in q_levels(means):
        for grouping, part in at_q(means, q).groupby("grouping", sort=False):
            field = grouping[len(PREFIX):]
            tables.append((f"{LABELS[metric]}@{n} per item {field} group, {q_label(q)}: each user's test items of the "
                           "group ranked alone, mean over the models (source's users with a relevant item of it); "
                           "r over the groups and the median Kendall tau of the models within a group, synthetic "
                           "vs source", tabulate(group_table(part, source, synthetic, models), headers="keys",
                                                 tablefmt="github", disable_numparse=True)))
            if synthetic and part["group"].nunique() >= MIN_GROUPS:
                tables.append((f"{LABELS[metric]}@{n} per item {field} group, {q_label(q)}: each model's r over the "
                               "groups, synthetic vs source", tabulate(model_table(part, source, synthetic, models),
                                                                      headers="keys", tablefmt="github",
                                                                      disable_numparse=True)))
    figures = ()
    if output is not None:
        figure = plot_groups(plot_rows(means), [source, *synthetic], metric, output / f"item-groups-{metric}.png")
        figures = (figure,) if figure else ()
    return Section(tuple(tables), (("item_groups.csv", means),), figures)
