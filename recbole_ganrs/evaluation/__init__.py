"""Top-N protocols (the paper's CF4J protocol, the thresholded one) and the predictions they rank."""
from recbole_ganrs.evaluation.predict import TestPredictions, test_predictions
from recbole_ganrs.evaluation.protocol import (
    PROTOCOLS, RANKED_PROTOCOLS, default_thresholds, f1_score, per_user_metrics, ranked_metrics, test_items_share,
    tie_keys, within_user_rank,
)

__all__ = ["PROTOCOLS", "RANKED_PROTOCOLS", "TestPredictions", "default_thresholds", "f1_score",
           "per_user_metrics", "ranked_metrics", "test_items_share", "test_predictions", "tie_keys",
           "within_user_rank"]
