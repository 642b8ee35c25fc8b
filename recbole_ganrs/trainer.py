"""RecBole trainers that record each epoch's validation score, for the plugin's flows.

Checkpoints are RecBole's own (saved and loaded weights-only by ``checkpoints.patch_recbole``), so a model the
plugin trained loads with RecBole's ``load_data_and_model`` like any other.
"""
import functools
import math

from recbole_ganrs import checkpoints


class ValidCurveMixin:
    """On any Trainer subclass: the validation score of every epoch (``valid_curve``), so that convergence can be
    checked; the model told when it is validated; and ``load_best_model``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.valid_curve = []

    def _valid_epoch(self, *args, **kwargs):
        # a model may validate on another prediction than the one it recommends with (see NCFClassification)
        self.model.validating = True
        try:
            score, result = super()._valid_epoch(*args, **kwargs)
        finally:
            self.model.validating = False
        self.valid_curve.append(float(score))
        if math.isnan(score):  # undefined (AUC of a validation part with one class): the worst score, so that the
            # first epoch is still kept as the checkpoint (RecBole saves on "at least the best", and NaN never is)
            score = -math.inf if self.valid_metric_bigger else math.inf
        return score, result

    def load_best_model(self):
        """Load the best checkpoint saved by ``fit`` into the model."""
        checkpoint = checkpoints.load(self.saved_model_file, map_location=self.device)
        self.model.load_state_dict(checkpoint["state_dict"])
        self.model.load_other_parameter(checkpoint.get("other_parameter"))


@functools.cache
def with_valid_curve(trainer_class):
    """``trainer_class`` with :class:`ValidCurveMixin` (one subclass per trainer class)."""
    return type(trainer_class.__name__, (ValidCurveMixin, trainer_class), {})
