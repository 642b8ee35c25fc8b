"""The verdict: does each synthetic dataset stand in for its source, and why (docs/verdict.md argues the rules).

Per generator (its dataset replicates pooled) and q, one decision from the stand-in headline (standin.py: the
gap concordance of the models' mean metric, its 95% bootstrap interval, its share of the split-half ceiling):

- ``stands in``: the headline reaches ``Rules.stands_in`` of the ceiling and its interval lies above 0;
- ``partly``: it reaches ``Rules.partly`` of the ceiling, or its interval lies above 0;
- ``does not``: neither;
- ``cannot tell``: the source itself cannot separate the models at that q (the ceiling's interval reaches 0,
  or no model pair is significantly ordered on the source), so no synthetic dataset can be judged on it.

Beside it: the paper claims that hold on the source and on every replicate, and the fidelity and structure
measures outside their tolerance, each named with its value and the source's. Without a ceiling (no
``--ceiling-splits``) the share is taken of 1, a perfect concordance, and the verdict says so.
"""
import re
from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np
import pandas as pd

from recbole_ganrs.benchmark.analysis import ALPHA, q_label
from recbole_ganrs.benchmark.claims import claim_counts
from recbole_ganrs.benchmark.standin import HEADLINE
from recbole_ganrs.evaluation import LABELS
from recbole_ganrs.models import BASELINE_MODELS, PAPER_MODELS
from recbole_ganrs.stats.report import source_label

CEILING = "split-half ceiling"


@dataclass(frozen=True)
class Tolerance:
    """A fidelity or structure measure's tolerance: ``kind`` 'at most' (the synthetic value alone), 'difference'
    (|synthetic - source|) or 'ratio' (synthetic / source within 1 ± limit); ``measure`` the stats columns it
    applies to, as a regular expression (the per-q columns: 'share >= Q KS' matches 'share >= 4 KS')."""
    measure: str
    kind: str
    limit: float
    meaning: str

    def applies(self, column):
        return re.fullmatch(self.measure.replace(" Q", r" [\d.]+"), column) is not None

    def fails(self, synthetic, source):
        if synthetic is None or np.isnan(synthetic):
            return False
        if self.kind == "at most":
            return synthetic > self.limit
        if source is None or np.isnan(source):
            return False
        if self.kind == "difference":
            return abs(synthetic - source) > self.limit
        return source != 0 and abs(synthetic / source - 1) > self.limit

    def text(self):
        return {"at most": f"at most {self.limit:g}", "difference": f"within {self.limit:g} of the source",
                "ratio": f"within {self.limit:.0%} of the source"}[self.kind]


#: the membership attacks' figure (stats/membership.py: the highest lower bound of their AUC intervals)
MEMBERSHIP = "MIA AUC low"

#: the measures of the stats tables the verdict checks, and their tolerances (argued in docs/verdict.md)
TOLERANCES = (
    Tolerance("detection AUC", "at most", 0.6, "a classifier tells its users from the source's"),
    Tolerance("rating TVD", "at most", 0.05, "the rating values are not shared as in the source"),
    Tolerance("activity KS", "at most", 0.1, "users' numbers of ratings differ from the source's"),
    Tolerance("popularity KS", "at most", 0.1, "items' numbers of ratings differ from the source's"),
    Tolerance("share >= Q KS", "at most", 0.1, "users' shares of relevant ratings differ from the source's"),
    Tolerance("copies", "at most", 0, "synthetic users copy real ones"),
    Tolerance(MEMBERSHIP, "at most", 0.5, "a membership-inference attack tells the users the generator learnt "
              "from users it never saw (--privacy-holdout; the interval's lower bound)"),
    Tolerance("user share >= Q", "difference", 0.05, "users' shares of relevant ratings average differently"),
    Tolerance("activity-rating r", "difference", 0.1, "heavy users rate differently than in the source"),
    Tolerance("user-mean std", "ratio", 0.2, "users' rating levels spread differently"),
    Tolerance("item-mean std", "ratio", 0.2, "items' rating levels spread differently"),
    Tolerance("within-user std", "ratio", 0.2, "users spread their ratings differently"),
    Tolerance("MF RMSE", "ratio", 0.05, "a matrix factorisation predicts it more (or less) easily"),
    Tolerance("ratings per user", "ratio", 0.2, "precision, recall and their curves with N follow the ratings per "
              "user (the paper's size claim): --ratings <users x the source's ratings per user> matches it"),
)


@dataclass(frozen=True)
class Rules:
    """The verdict's thresholds, declared once and printed with it."""
    stands_in: float = 0.8  # share of the ceiling's gap concordance
    partly: float = 0.5
    tolerances: tuple = TOLERANCES

    def text(self):
        return (f"stands in: the models' gap concordance reaches {self.stands_in:.0%} of the split-half ceiling "
                f"with its 95% interval above 0; partly: {self.partly:.0%}, or the interval above 0; measures "
                "outside tolerance are named (docs/verdict.md)")


RULES = Rules()


@dataclass(frozen=True)
class Separation:
    """Whether the source separates the models at ``q``: ``reason`` says what was measured."""
    q: Optional[float]
    separable: bool
    reason: str


@dataclass(frozen=True)
class Check:
    """A measure checked against its tolerance (the synthetic value averaged over the replicates)."""
    measure: str
    synthetic: float
    source: Optional[float]
    tolerance: Tolerance

    @property
    def fails(self):
        return self.tolerance.fails(self.synthetic, self.source)

    def text(self):
        source = "" if self.source is None or self.tolerance.kind == "at most" else f" vs {self.source:.3g}"
        return f"{self.measure} {self.synthetic:.3g}{source} ({self.tolerance.meaning}; {self.tolerance.text()})"


@dataclass(frozen=True)
class Decision:
    """One generator at one q."""
    q: Optional[float]
    decision: str
    headline: float = np.nan
    low: float = np.nan
    high: float = np.nan
    share: float = np.nan  # of the ceiling (of 1 without one)
    ceiling: float = np.nan
    level: float = np.nan  # the models' mean metric minus the source's (the stand-in is about gaps, not level)

    def text(self, metric):
        level = "" if np.isnan(self.level) else f"; its {metric} is {self.level:+.3f} from the source's"
        if self.decision == "cannot tell":
            return f"{q_label(self.q)}: CANNOT TELL: the source cannot separate the models (above){level}"
        if np.isnan(self.headline):
            return f"{q_label(self.q)}: {self.decision}"
        of = f"of the ceiling {self.ceiling:.2f}" if not np.isnan(self.ceiling) else "of a perfect 1 (no ceiling run)"
        return (f"{q_label(self.q)}: {self.decision.upper()}: {HEADLINE} {self.headline:.2f} "
                f"[{self.low:.2f}, {self.high:.2f}], {self.share:.0%} {of}{level}")


@dataclass(frozen=True)
class GeneratorVerdict:
    label: str
    datasets: tuple
    decisions: tuple
    claims_held: tuple  # the claims that hold on the source
    claims_lost: tuple  # of those, the ones failing on some replicate: (claim, "k/m" per replicate)
    checks: tuple
    trend: tuple = ()  # (cells whose metric moves with N as on the source, cells, [q where some cell does not])
    guarantee: Optional[str] = None  # a private fit's (datasets/card.privacy_guarantee); None: not private

    @property
    def findings(self):
        """The checks outside tolerance."""
        return tuple(c for c in self.checks if c.fails)

    def lines(self, metric):
        replicates = f"{len(self.datasets)} replicate{'s' if len(self.datasets) > 1 else ''}"
        out = [f"{self.label} ({replicates}):"]
        out += [f"  {d.text(metric)}" for d in self.decisions]
        kept = len(self.claims_held) - len(self.claims_lost)
        claims = f"  paper claims: {kept} of the {len(self.claims_held)} that hold on the source hold here"
        if self.claims_lost:
            claims += "; lost: " + "; ".join(f"{c} ({counts})" for c, counts in self.claims_lost)
        out.append(claims)
        if self.trend:
            same, total, qs = self.trend
            out.append(f"  {metric.split('@')[0]} with N: the same direction as on the source in {same} of {total} "
                       f"(model, q) cells" + (f"; not at {', '.join(q_label(q) for q in qs)}" if qs else ""))
        membership = next((c for c in self.checks if c.measure == MEMBERSHIP), None)
        if membership is not None:  # --privacy-holdout: say what the attacks found either way (docs/privacy.md)
            out.append("  membership (--privacy-holdout): " + (
                "a leak: an attack tells the users the generator learnt from held-out ones (below)" if membership.fails
                else f"no signal found by the attacks (their AUC intervals' highest lower bound "
                     f"{membership.synthetic:.3f}, at most 0.5)"))
        if self.guarantee:  # --dp-epsilon: what the datasets guarantee, beside what they keep
            out.append(f"  differential privacy: {self.guarantee[0].lower()}{self.guarantee[1:]}")
        out.append("  outside tolerance: " + ("; ".join(f.text() for f in self.findings) if self.findings
                                               else "none of the measures checked"))
        return out


@dataclass(frozen=True)
class Verdict:
    source: str
    metric: str  # e.g. "F1@10"
    separation: tuple
    generators: tuple
    design: Optional[str]  # a design that could separate the models, when the source cannot
    rules: Rules = field(default=RULES)

    def lines(self):
        out = [f"VERDICT: does each synthetic dataset stand in for {self.source}, ranking the models by {self.metric} "
               "as it does?", f"({self.rules.text()})"]
        for s in self.separation:
            if not s.separable:
                out.append(f"The source cannot separate the models at {q_label(s.q)}: {s.reason}.")
        if self.design:
            out.append(f"A design that could: {self.design} (docs/verdict.md says why).")
        for g in self.generators:
            out += g.lines(self.metric)
        return out

    def text(self):
        return "\n".join(self.lines())

    def fidelity_table(self):
        """(title, rows, headers): every checked measure, the source's value, each generator's (marked when
        outside tolerance) and the tolerance."""
        measures = list(dict.fromkeys(c.measure for g in self.generators for c in g.checks))
        rows = []
        for measure in measures:
            checks = [next((c for c in g.checks if c.measure == measure), None) for g in self.generators]
            tolerance = next(c.tolerance for c in checks if c is not None)
            source = next((c.source for c in checks if c is not None and c.source is not None), None)
            rows.append([measure, "-" if source is None else f"{source:.3g}",
                         *["-" if c is None else f"{c.synthetic:.3g}" + (" (outside)" if c.fails else "")
                           for c in checks], tolerance.text()])
        return ("Fidelity summary: the measures the verdict checks (synthetic values averaged over replicates)",
                rows, ["measure", self.source, *[g.label for g in self.generators], "tolerance"])

    def frame(self):
        """verdict.csv: one row per generator and q."""
        rows = []
        for g in self.generators:
            for d in g.decisions:
                rows.append({"generator": g.label, "q": d.q, "decision": d.decision, HEADLINE: d.headline,
                             "low": d.low, "high": d.high, "share of ceiling": d.share, "ceiling": d.ceiling,
                             "level difference": d.level,
                             "claims kept": f"{len(g.claims_held) - len(g.claims_lost)}/{len(g.claims_held)}",
                             "trend with N kept": f"{g.trend[0]}/{g.trend[1]}" if g.trend else "",
                             "outside tolerance": "; ".join(f.measure for f in g.findings)})
        return pd.DataFrame(rows)


def separation(standin, tests, summary, source, q, metric):
    """Can the source separate the models at ``q``? No when the ceiling's headline interval reaches 0, or no
    model pair is significantly ordered on the source (Holm); the reason names the measured values."""
    reasons = []
    ceiling = _headline(standin, CEILING, q)
    if ceiling is not None and ceiling["low"] <= 0:
        reasons.append(f"two halves of its users agree on the models' gaps only at {HEADLINE} "
                       f"{ceiling['mean']:.2f} [{ceiling['low']:.2f}, {ceiling['high']:.2f}], an interval "
                       "reaching 0")
    mine = tests[(tests["dataset"] == source) & _same_q(tests["q"], q)] if len(tests) else tests
    if len(mine) and not (mine["p_holm"] < ALPHA).any():
        reasons.append(f"none of its {len(mine)} model pairs is significantly ordered (paired Wilcoxon, Holm, "
                       f"alpha {ALPHA})")
    if reasons and summary is not None:
        at = summary[(summary["dataset"] == source) & (summary["N"] == summary["N"].max()) & _same_q(summary["q"], q)]
        means = at[f"{metric}_mean"]
        if len(means):
            reasons.append(f"the models' {LABELS[metric]}@{summary['N'].max()} span {means.max() - means.min():.4f} "
                           f"({means.min():.3f} to {means.max():.3f})")
    return Separation(q, not reasons, "; ".join(reasons))


def separating_design(protocol, models):
    """Flags that make the source's models differ more (docs/verdict.md): a full-sort protocol, where a model
    must find the relevant items among all unrated ones rather than order a user's few test items, and the
    baselines, whose gaps are large; None when the run has both already."""
    changes = []
    if protocol != "full":
        changes.append("--protocol full")
    if any(m not in models for m in BASELINE_MODELS):
        paper = all(m in models for m in PAPER_MODELS) and len(models) == len(PAPER_MODELS)
        extra = [m for m in BASELINE_MODELS if m not in models]
        changes.append("--models paper+baselines" if paper else "--models " + " ".join([*models, *extra]))
    return " ".join(changes) or None


def build_verdict(*, source, groups, standin, tests, summary, claims_models, fidelity_rows, structure_rows,
                  qs, metric, n, protocol, table_rows=(), rules=RULES, guarantees=None):
    """The run's :class:`Verdict`. ``groups``: {generator label: [its replicate dataset names]}; ``standin``:
    standin.py's frame; ``tests``: analysis.significance's frame; ``summary``: report.summarise's frame;
    ``table_rows``: Table IV's rows (#users, #ratings), for the ratings per user; ``guarantees``: {generator
    label: its private fit's guarantee (one sentence)}."""
    structure_rows = [*structure_rows, *_per_user_rows(table_rows, source)]
    seps = tuple(separation(standin, tests, summary, source, q, metric) for q in qs)
    generators = []
    for label, names in groups.items():
        decisions = tuple(replace(_decision(standin, label, s.q, s.separable, rules),
                                  level=_level(summary, source, names, s.q, metric)) for s in seps)
        held, lost = _claims(summary, tests, source, names, claims_models, metric)
        generators.append(GeneratorVerdict(label, tuple(names), decisions, held, lost,
                                           _checks(names, source, fidelity_rows, structure_rows, rules),
                                           _trend(summary, source, names, metric),
                                           (guarantees or {}).get(label)))
    design = separating_design(protocol, claims_models) if not all(s.separable for s in seps) else None
    return Verdict(source, f"{LABELS[metric]}@{n}", seps, tuple(generators), design, rules)


def _same_q(column, q):
    return column.isna() if pd.isna(q) else column == q


def _headline(standin, label, q):
    if standin.empty:
        return None
    rows = standin[(standin["generator"] == label) & (standin["measure"] == HEADLINE) & _same_q(standin["q"], q)]
    return None if rows.empty else rows.iloc[0]


def _decision(standin, label, q, separable, rules):
    if not separable:
        return Decision(q, "cannot tell")
    row = _headline(standin, label, q)
    if row is None:
        return Decision(q, "not measured (no model scored on both)")
    ceiling = _headline(standin, CEILING, q)
    reference = ceiling["mean"] if ceiling is not None else 1.0
    share = row["mean"] / reference if reference > 0 else np.nan
    above_zero = row["low"] > 0
    if share >= rules.stands_in and above_zero:
        decision = "stands in"
    elif share >= rules.partly or above_zero:
        decision = "partly"
    else:
        decision = "does not"
    return Decision(q, decision, row["mean"], row["low"], row["high"], share,
                    np.nan if ceiling is None else ceiling["mean"])


def _level(summary, source, names, q, metric):
    """The models' mean metric at the largest N on the replicates minus on the source (models on both)."""
    at = summary[(summary["N"] == summary["N"].max()) & _same_q(summary["q"], q)]
    src = at[at["dataset"] == source].set_index("model")[f"{metric}_mean"]
    diffs = [(part.set_index("model")[f"{metric}_mean"] - src).dropna().mean()
             for _, part in at[at["dataset"].isin(names)].groupby("dataset")]
    diffs = [d for d in diffs if not np.isnan(d)]
    return float(np.mean(diffs)) if diffs else np.nan


def _trend(summary, source, names, metric):
    """(cells, of the replicates' (model, q) cells, whose metric moves from the smallest to the largest N in the
    source's direction; cells; the q values where some cell does not): the paper's figures read these curves."""
    if summary is None:
        return ()
    ends = summary[summary["N"].isin([summary["N"].min(), summary["N"].max()])].sort_values("N")
    change = ends.groupby(["dataset", "model", "q"], dropna=False)[f"{metric}_mean"].agg(lambda v: v.iloc[-1] - v.iloc[0])
    if source not in change.index.get_level_values(0):
        return ()
    src = np.sign(change.xs(source, level="dataset"))
    same = total = 0
    differing = []
    for name in names:
        if name not in change.index.get_level_values(0):
            continue
        mine = np.sign(change.xs(name, level="dataset")).reindex(src.index).dropna()
        agree = mine == src.reindex(mine.index)
        same, total = same + int(agree.sum()), total + len(agree)
        differing += [q for (_, q), ok in agree.items() if not ok]
    return (same, total, tuple(sorted(set(differing), key=lambda q: (pd.isna(q), q)))) if total else ()


def _claims(summary, tests, source, names, models, metric):
    """(claims holding on the source, [(claim, counts on each replicate)] of those failing on some replicate)."""
    if summary is None:
        return (), ()
    on_source = claim_counts(summary, tests, source, models, metric)
    held = tuple(c for c, (k, m, *_) in on_source.items() if m and k == m)
    present = [n for n in names if n in set(summary["dataset"])]
    counts = {n: claim_counts(summary, tests, n, models, metric) for n in present}
    lost = tuple((c, ", ".join(f"{counts[n][c][0]}/{counts[n][c][1]}" for n in present)) for c in held
                 if any(counts[n][c][0] != counts[n][c][1] for n in present))
    return held, lost


def _per_user_rows(table_rows, source):
    """{dataset, "ratings per user"} of Table IV's rows, the source's named as the structure table names it."""
    return [{"dataset": source_label(source) if r["dataset"] == source else r["dataset"],
             "ratings per user": r["#ratings"] / r["#users"]} for r in table_rows if r.get("#users")]


def _checks(names, source, fidelity_rows, structure_rows, rules):
    """Every measure with a tolerance, each averaged over the replicates."""
    mine = [r for r in [*fidelity_rows, *structure_rows] if r.get("dataset") in names]
    src = {k: v for r in structure_rows if r.get("dataset") == source_label(source) for k, v in r.items()}
    checks = []
    for tolerance in rules.tolerances:
        for column in dict.fromkeys(c for r in mine for c in r if tolerance.applies(c)):
            values = [float(r[column]) for r in mine if isinstance(r.get(column), (int, float))]
            if not values:
                continue
            value = float(np.mean(values))
            reference = src.get(column)
            reference = float(reference) if isinstance(reference, (int, float)) else None
            checks.append(Check(column, value, reference, tolerance))
    return tuple(checks)
