"""The scenario table and plot: each model's F1@N (mean ± std over seeds) against the scenario's setting,
at each q; for a cold-start scenario also over the cold test users alone, for a conditioned run also over each
group's test users (how a model's F1 on a group moves as the group's share does)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from tabulate import tabulate  # noqa: E402

from recbole_ganrs.benchmark.section import Section  # noqa: E402
from recbole_ganrs.evaluation import LABELS  # noqa: E402
from recbole_ganrs.files import replaced_on_success  # noqa: E402


def scenario_frame(results, value_of, n, metric="f1"):
    """``metric`` (a results column) at ``n``: one row per (subset, q, model, value) with mean, std and seeds;
    ``value_of``: {dataset name: the scenario label of that dataset}."""
    rows = results[(results["N"] == n) & results["dataset"].isin(list(value_of))]
    rows = rows.assign(value=rows["dataset"].map(value_of))
    grouped = rows.groupby(["grouping", "subset", "q", "model", "value"], sort=False)[metric]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    return out.rename(columns={"count": "seeds"})


def scenario_table(frame, scenario, models, n, tablefmt="github", metric="f1"):
    """(title, text) tables: rows model, columns the scenario's values, one table per subset and q."""
    tables = []
    for (grouping, subset, q), part in frame.groupby(["grouping", "subset", "q"], sort=False):
        rows = []
        for model in models:
            cells = part[part["model"] == model].set_index("value")
            if not len(cells):
                continue
            rows.append([model] + [_cell(cells, label) for label in scenario.labels])
        who = _who(grouping, subset)
        title = f"Scenario {scenario.name}: {LABELS[metric]}@{n} against {scenario.name}, q={q:g}, {who}"
        tables.append((title, tabulate(rows, headers=["model", *scenario.labels], tablefmt=tablefmt)))
    return tables


def _who(grouping, subset):
    if grouping == "all":
        return "all test users"
    return "cold test users only" if grouping == "cold-start" else f"{grouping} {subset} test users only"


def _cell(cells, label):
    if label not in cells.index:
        return "-"
    mean, std, seeds = cells.loc[label, ["mean", "std", "seeds"]]
    return f"{mean:.3f}" if seeds < 2 or np.isnan(std) else f"{mean:.3f}±{std:.3f}"


def plot_scenario(frame, scenario, models, n, path, metric="f1"):
    """One panel per (subset, q): F1 against the setting, one line per model, error bars = std over seeds."""
    panels = list(frame.groupby(["grouping", "subset", "q"], sort=False))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    x = np.arange(len(scenario.labels))
    for ax, ((grouping, subset, q), part) in zip(axes[0], panels):
        for model in models:
            cells = part[part["model"] == model].set_index("value").reindex(list(scenario.labels))
            if cells["mean"].notna().any():
                ax.errorbar(x, cells["mean"], yerr=cells["std"].fillna(0), marker="o", capsize=3, label=model)
        ax.set_xticks(x, scenario.labels)
        ax.set_xlabel(scenario.name)
        ax.set_ylabel(f"{LABELS[metric]}@{n}")
        ax.set_title(f"q={q:g}, {_who(grouping, subset)}", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    with replaced_on_success(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return path


def scenario_report(results, datasets, scenario, models, n, output, metric="f1"):
    """The scenario :class:`Section` (its tables, scenario.csv, scenario.png): ``datasets`` the run's
    BenchmarkDatasets."""
    value_of = {d.name: label for d in datasets if d.request is not None
                for value, label in zip(scenario.values, scenario.labels) if getattr(d.request, scenario.field) == value}
    frame = scenario_frame(results, value_of, n, metric)
    if frame.empty:
        return Section()
    tables = scenario_table(frame, scenario, models, n, metric=metric)
    return Section(tuple(tables), (("scenario.csv", pd.DataFrame(frame)),),
                   (plot_scenario(frame, scenario, models, n, output / "scenario.png", metric),))
