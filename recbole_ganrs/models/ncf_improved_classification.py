"""Improved NCF classification: the same network, the vote is sum_r r * p(r)."""
from recbole_ganrs.models.ncf_classification import NCFClassification


class NCFImprovedClassification(NCFClassification):
    """Classifier whose prediction is the expected rating under its class probabilities."""

    def score(self, user, item):
        return self.probabilities(user, item) @ self.rating_values

    def tie_break(self, interaction):
        return None  # the expected rating is continuous: no vote to be sure of
