"""RecBole trainers that record each epoch's validation score, for the plugin's flows.

Checkpoints are RecBole's own (saved and loaded weights-only by ``checkpoints.patch_recbole``), so a model the
plugin trained loads with RecBole's ``load_data_and_model`` like any other.
"""
import functools
import math

import torch

from recbole.trainer import Trainer

from recbole_ganrs import checkpoints
from recbole_ganrs.batches import epoch_batches


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


class LeanTrainer(Trainer):
    """RecBole's Trainer, its epochs iterating the training loader's batches without torch's DataLoader machinery
    (batches.LeanBatches: the same batches in the same order, so the same training): the plugin's rating models'
    trainer. Loss, optimizer, validation, early stopping and checkpoints are the Trainer's own."""

    def _build_optimizer(self, **kwargs):
        optimizer = super()._build_optimizer(**kwargs)
        if type(optimizer) is torch.optim.Adam and optimizer.defaults["fused"] is None:
            # RecBole's Adam as one fused kernel per step: the same update (to float rounding), half the optimizer's
            # time on CPU for these small models (0.13 vs 0.28 ms a step, benchmarks/README.md)
            optimizer = torch.optim.Adam(optimizer.param_groups, **{**optimizer.defaults, "foreach": None,
                                                                    "fused": True})
        return optimizer

    def _train_epoch(self, train_data, epoch_idx, loss_func=None, show_progress=False):
        return super()._train_epoch(epoch_batches(train_data), epoch_idx, loss_func=loss_func,
                                    show_progress=show_progress)


class AdversarialTrainer(Trainer):
    """RecBole's Trainer for a GAN recommender, its parts alternating as their authors alternate them, each part
    with its own optimizer (learning rate and weight decay ``<part>_learning_rate`` / ``<part>_weight_decay``), as
    RecBole's RecVAETrainer alternates its encoder and decoder. Validation, early stopping and checkpoints are the
    Trainer's own.

    The model provides ``parts`` ({name: module}, in update order) and ``part_loss(name, batch)``, and says how they
    alternate (``alternate``): ``"epoch"`` (CFGAN): ``<part>_steps`` passes of each part in turn over the model's
    own batches (``start_epoch()`` first, then ``part_batches(name)``: a list of batches with ``.to(device)``);
    ``"batch"`` (LARA): one step of each part in turn on every batch of RecBole's training loader."""

    def __init__(self, config, model):
        super().__init__(config, model)
        self.part_optimizers = {
            name: self._build_optimizer(params=module.parameters(), learning_rate=config[f"{name}_learning_rate"],
                                        weight_decay=config[f"{name}_weight_decay"])
            for name, module in model.parts.items()}

    def _train_epoch(self, train_data, epoch_idx, loss_func=None, show_progress=False):
        if self.model.alternate == "batch":
            return self._train_epoch_by_batch(train_data)
        self.model.start_epoch()
        loss = 0.0
        for name in self.model.parts:
            self.optimizer = self.part_optimizers[name]
            for _ in range(self.config[f"{name}_steps"]):
                # RecBole's epoch loop over the part's batches (the model's rows, not the interaction loader)
                loss = super()._train_epoch(self.model.part_batches(name), epoch_idx,
                                            loss_func=functools.partial(self.model.part_loss, name))
        return loss  # the generator's last pass

    def _train_epoch_by_batch(self, train_data):
        self.model.train()
        total = 0.0
        for interaction in train_data:
            interaction = interaction.to(self.device)
            for name, optimizer in self.part_optimizers.items():
                optimizer.zero_grad()
                loss = self.model.part_loss(name, interaction)
                self._check_nan(loss)
                loss.backward()
                optimizer.step()
            total += loss.item()
        return total  # the generator's losses
