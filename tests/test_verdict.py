"""The verdict (benchmark/verdict.py): decisions from the stand-in headline, the source that cannot separate
the models, the claims kept and the measures outside tolerance, on frames made by hand."""
import numpy as np
import pandas as pd
import pytest

from recbole_ganrs.benchmark.report import summarise
from recbole_ganrs.benchmark.verdict import RULES, build_verdict, separating_design
from recbole_ganrs.models import PAPER_MODELS

GEN = "ganrs u800"


def headline(generator, q, mean, low, high):
    return {"q": q, "generator": generator, "measure": "gap concordance", "mean": mean, "low": low, "high": high}


def summary_of(f1):
    """{(dataset, model): F1 at N=2 and N=10 at q 4 and 5} as a summary frame (precision and recall follow the
    paper's trends on every dataset, so that each claim holds)."""
    rows = []
    for (dataset, model), value in f1.items():
        for q, shift in ((4.0, 0.0), (5.0, -0.2)):
            for n, step in ((2, 0.0), (10, 0.1)):
                rows.append({"dataset": dataset, "model": model, "seed": 0, "protocol": "paper", "q": q, "N": n,
                             "precision": 0.8 - step + 2 * shift, "recall": 0.2 + step - shift,
                             "f1": value + step + shift})
    return summarise(pd.DataFrame(rows))


def significance_of(dataset, p):
    return pd.DataFrame([{"dataset": dataset, "q": q, "model_a": "A", "model_b": "B", "users": 100, "mean_diff": 0.1,
                          "p_wilcoxon": p, "p_holm": p} for q in (4.0, 5.0)])


def verdict_of(standin, tests, fidelity=(), structure=(), models=("A", "B"), protocol="paper"):
    summary = summary_of({("src", "A"): 0.5, ("src", "B"): 0.4, ("syn", "A"): 0.55, ("syn", "B"): 0.45})
    return build_verdict(source="src", groups={GEN: ["syn"]}, standin=pd.DataFrame(standin), tests=tests,
                         summary=summary, claims_models=list(models), fidelity_rows=list(fidelity),
                         structure_rows=list(structure), qs=[4.0, 5.0], metric="f1", n=10, protocol=protocol)


def test_decisions_follow_the_share_of_the_ceiling_and_the_interval():
    standin = [headline("split-half ceiling", 4.0, 0.8, 0.3, 0.95), headline("split-half ceiling", 5.0, 0.8, 0.3, 0.95),
               headline(GEN, 4.0, 0.7, 0.5, 0.9),    # 87.5% of the ceiling, interval above 0
               headline(GEN, 5.0, 0.2, -0.3, 0.6)]   # 25%, interval reaching 0
    verdict = verdict_of(standin, significance_of("src", 0.001))
    decisions = {d.q: d for d in verdict.generators[0].decisions}
    assert decisions[4.0].decision == "stands in" and decisions[4.0].share == pytest.approx(0.875)
    assert decisions[5.0].decision == "does not"
    assert decisions[4.0].level == pytest.approx(0.05)  # both models 0.05 above the source
    assert verdict.design is None and all(s.separable for s in verdict.separation)
    text = verdict.text()
    assert text.startswith("VERDICT") and "q=4: STANDS IN: gap concordance 0.70 [0.50, 0.90], 87% of the ceiling" in text
    assert "q=5: DOES NOT" in text and f"{RULES.stands_in:.0%} of the split-half ceiling" in text


def test_partly_between_the_thresholds_and_against_a_perfect_one_without_a_ceiling():
    verdict = verdict_of([headline(GEN, 4.0, 0.6, 0.1, 0.8), headline(GEN, 5.0, 0.9, 0.7, 0.95)],
                         significance_of("src", 0.001))
    decisions = {d.q: d for d in verdict.generators[0].decisions}
    assert decisions[4.0].decision == "partly" and decisions[5.0].decision == "stands in"
    assert np.isnan(decisions[4.0].ceiling) and "of a perfect 1 (no ceiling run)" in verdict.text()


def test_a_source_that_cannot_separate_the_models_gets_no_share_and_a_design():
    standin = [headline("split-half ceiling", q, 0.3, -0.5, 0.7) for q in (4.0, 5.0)]
    standin += [headline(GEN, q, 0.9, 0.8, 0.95) for q in (4.0, 5.0)]
    verdict = verdict_of(standin, significance_of("src", 0.4), models=PAPER_MODELS)
    assert {d.decision for d in verdict.generators[0].decisions} == {"cannot tell"}
    assert not any(s.separable for s in verdict.separation)
    reason = verdict.separation[0].reason
    assert "0.30 [-0.50, 0.70], an interval reaching 0" in reason and "none of its 1 model pairs" in reason
    assert "span 0.1000" in reason  # A 0.6 vs B 0.5 at N=10
    assert verdict.design == "--protocol full --models paper+baselines"
    assert "STANDS IN" not in verdict.text() and "A design that could: --protocol full" in verdict.text()


def test_the_design_names_only_what_the_run_lacks():
    assert separating_design("full", PAPER_MODELS) == "--models paper+baselines"
    assert separating_design("paper", ["DeepMF", "Pop", "ItemKNN", "BPR", "LightGCN", "MultiVAE"]) == "--protocol full"
    assert separating_design("full", ["Pop", "ItemKNN", "BPR", "LightGCN", "MultiVAE"]) is None
    assert separating_design("full", ["DeepMF", "BPR"]) == "--models DeepMF BPR Pop ItemKNN LightGCN MultiVAE"


def test_measures_outside_tolerance_are_named_with_the_sources_value():
    fidelity = [{"dataset": "syn", "detection AUC": 0.75, "rating TVD": 0.01, "activity KS": 0.05,
                 "share >= 4 KS": 0.2, "copies": 0}]
    structure = [{"dataset": "src (source)", "activity-rating r": -0.08, "user-mean std": 0.45, "MF RMSE": 0.94},
                 {"dataset": "syn", "activity-rating r": 0.24, "user-mean std": 0.44, "MF RMSE": 0.80}]
    verdict = verdict_of([headline(GEN, q, 0.9, 0.8, 0.95) for q in (4.0, 5.0)], significance_of("src", 0.001),
                         fidelity, structure)
    named = {f.measure: f for f in verdict.generators[0].findings}
    assert set(named) == {"detection AUC", "share >= 4 KS", "activity-rating r", "MF RMSE"}
    assert named["activity-rating r"].text().startswith("activity-rating r 0.24 vs -0.08")
    assert "detection AUC 0.75 (a classifier tells" in verdict.text()
    title, rows, headers = verdict.fidelity_table()
    by_measure = {r[0]: r for r in rows}
    assert by_measure["user-mean std"][1:3] == ["0.45", "0.44"] and by_measure["MF RMSE"][2] == "0.8 (outside)"
    frame = verdict.frame()
    assert list(frame["decision"]) == ["stands in", "stands in"] and "detection AUC" in frame["outside tolerance"][0]


def test_claims_held_on_the_source_and_lost_on_a_replicate():
    standin = [headline(GEN, q, 0.9, 0.8, 0.95) for q in (4.0, 5.0)]
    summary = summary_of({("src", "A"): 0.5, ("src", "B"): 0.4, ("syn", "A"): 0.5, ("syn", "B"): 0.4})
    # on syn, recall is higher at the lower q: the paper's "recall higher at higher q" fails there
    summary.loc[(summary["dataset"] == "syn") & (summary["q"] == 4.0), "recall_mean"] += 0.5
    verdict = build_verdict(source="src", groups={GEN: ["syn"]}, standin=pd.DataFrame(standin),
                            tests=significance_of("src", 0.001), summary=summary, claims_models=["A", "B"],
                            fidelity_rows=[], structure_rows=[], qs=[4.0, 5.0], metric="f1", n=10, protocol="paper")
    g = verdict.generators[0]
    assert "recall higher at higher q" in g.claims_held
    assert g.claims_lost == (("recall higher at higher q", "0/4"),)
    assert "paper claims: 3 of the 4 that hold on the source hold here; lost: recall higher at higher q (0/4)" \
        in verdict.text()


def test_the_metrics_direction_with_n_is_compared_with_the_sources():
    standin = [headline(GEN, q, 0.9, 0.8, 0.95) for q in (4.0, 5.0)]
    summary = summary_of({("src", "A"): 0.5, ("src", "B"): 0.4, ("syn", "A"): 0.5, ("syn", "B"): 0.4})
    falls = (summary["dataset"] == "syn") & (summary["q"] == 5.0) & (summary["N"] == 10)
    summary.loc[falls, "f1_mean"] -= 0.3  # F1 falls with N at q=5 on syn, rises on the source
    verdict = build_verdict(source="src", groups={GEN: ["syn"]}, standin=pd.DataFrame(standin),
                            tests=significance_of("src", 0.001), summary=summary, claims_models=["A", "B"],
                            fidelity_rows=[], structure_rows=[], qs=[4.0, 5.0], metric="f1", n=10, protocol="paper")
    assert verdict.generators[0].trend == (2, 4, (5.0,))
    assert "F1 with N: the same direction as on the source in 2 of 4 (model, q) cells; not at q=5" in verdict.text()
    assert verdict.frame()["trend with N kept"].tolist() == ["2/4", "2/4"]


def test_ratings_per_user_are_checked_against_the_sources():
    table = [{"dataset": "src", "#users": 943, "#ratings": 100_000}, {"dataset": "syn", "#users": 8000,
                                                                       "#ratings": 440_418}]
    standin = [headline(GEN, q, 0.9, 0.8, 0.95) for q in (4.0, 5.0)]
    summary = summary_of({("src", "A"): 0.5, ("src", "B"): 0.4, ("syn", "A"): 0.5, ("syn", "B"): 0.4})
    structure = [{"dataset": "src (source)", "MF RMSE": 0.94}, {"dataset": "syn", "MF RMSE": 0.94}]
    verdict = build_verdict(source="src", groups={GEN: ["syn"]}, standin=pd.DataFrame(standin),
                            tests=significance_of("src", 0.001), summary=summary, claims_models=["A", "B"],
                            fidelity_rows=[], structure_rows=structure, qs=[4.0, 5.0], metric="f1", n=10,
                            protocol="paper", table_rows=table)
    (finding,) = verdict.generators[0].findings
    assert finding.measure == "ratings per user" and finding.text().startswith("ratings per user 55.1 vs 106")


def test_a_membership_leak_is_named_and_its_absence_is_not():
    structure = [{"dataset": "src (source)", "MF RMSE": 0.94}, {"dataset": "syn", "MF RMSE": 0.94}]
    for low, named in ((0.868, True), (0.47, False)):
        fidelity = [{"dataset": "syn", "detection AUC": 0.5, "MIA AUC": low + 0.03, "MIA AUC low": low}]
        verdict = verdict_of([headline(GEN, q, 0.9, 0.8, 0.95) for q in (4.0, 5.0)], significance_of("src", 0.001),
                             fidelity, structure)
        found = {f.measure for f in verdict.generators[0].findings}
        assert ("MIA AUC low" in found) == named
        assert ("MIA AUC low 0.868 (a membership-inference attack tells" in verdict.text()) == named
        assert ("membership (--privacy-holdout): a leak" in verdict.text()) == named
        assert ("membership (--privacy-holdout): no signal found by the attacks (their AUC intervals' highest lower "
                "bound 0.470" in verdict.text()) == (not named)


def test_a_private_fits_guarantee_is_said_and_a_plain_fit_says_none():
    standin, tests = [headline(GEN, q, 0.9, 0.8, 0.95) for q in (4.0, 5.0)], significance_of("src", 0.001)
    plain = verdict_of(standin, tests)
    assert "differential privacy" not in plain.text()
    summary = summary_of({("src", "A"): 0.5, ("src", "B"): 0.4, ("syn", "A"): 0.55, ("syn", "B"): 0.45})
    private = build_verdict(source="src", groups={GEN: ["syn"]}, standin=pd.DataFrame(standin), tests=tests,
                            summary=summary, claims_models=["A", "B"], fidelity_rows=[], structure_rows=[],
                            qs=[4.0, 5.0], metric="f1", n=10, protocol="paper",
                            guarantees={GEN: "The fit is user-level (4, 1e-05)-differentially private (...)"})
    assert "  differential privacy: the fit is user-level (4, 1e-05)-differentially private" in private.text()
