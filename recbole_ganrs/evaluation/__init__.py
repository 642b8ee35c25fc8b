"""The paper's recommendation protocol (precision / recall / F1 at N, threshold q)."""
from recbole_ganrs.evaluation.predict import test_predictions
from recbole_ganrs.evaluation.protocol import default_thresholds, f1_score, paper_metrics, per_user_metrics

__all__ = ["default_thresholds", "f1_score", "paper_metrics", "per_user_metrics", "test_predictions"]
