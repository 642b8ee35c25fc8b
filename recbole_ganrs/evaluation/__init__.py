"""Top-N evaluation: protocols (which candidates, which relevance), ranking and tie orders, metrics."""
from recbole_ganrs.evaluation.metrics import (
    LABELS, METRICS, PER_USER, TopLists, evaluate_lists, per_user, test_items_share,
)
from recbole_ganrs.evaluation.predict import TestPredictions, full_scores, test_predictions
from recbole_ganrs.evaluation.protocols import PROTOCOLS, Protocol, Ranking, default_thresholds, get_protocol
from recbole_ganrs.evaluation.ranking import (
    TIES, first_appearance, preference, recommendable, tie_keys, top_k_columns, within_user_rank,
)


__all__ = ["LABELS", "METRICS", "PER_USER", "PROTOCOLS", "Protocol", "Ranking", "TIES", "TestPredictions",
           "TopLists", "default_thresholds", "evaluate_lists", "first_appearance", "full_scores", "get_protocol",
           "per_user", "preference", "recommendable", "test_items_share", "test_predictions", "tie_keys",
           "top_k_columns", "within_user_rank"]
