"""RecBole trainers whose checkpoints hold plain state dicts, loaded weights-only.

RecBole 1.2.1 pickles its Config into every checkpoint and loads it with a bare
``torch.load``, which torch >= 2.6 refuses (weights-only by default). Rather than
lowering torch's default for the whole process, the trainers made here save only
tensors and numbers and load them with ``weights_only=True``.
"""
import functools

import numpy as np
import scipy.sparse as sp
import torch


class SafeCheckpointMixin:
    """Overrides RecBole's checkpoint save/load on any Trainer subclass, and records the validation
    score of every epoch (``valid_curve``) so that convergence can be checked."""

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
        return score, result

    def load_best_model(self):
        """Load the best checkpoint saved by ``fit`` into the model."""
        checkpoint = self._load_checkpoint(self.saved_model_file)
        self.model.load_state_dict(checkpoint["state_dict"])
        self.model.load_other_parameter(decode_other(checkpoint.get("other_parameter")))

    def _save_checkpoint(self, epoch, verbose=True, **kwargs):
        if not self.config["single_spec"] and self.config["local_rank"] != 0:
            return
        path = kwargs.pop("saved_model_file", self.saved_model_file)
        state = {
            "model": self.config["model"],
            "epoch": epoch,
            "cur_step": self.cur_step,
            "best_valid_score": float(self.best_valid_score),
            "state_dict": self.model.state_dict(),
            "other_parameter": encode_other(self.model.other_parameter()),
            "optimizer": self.optimizer.state_dict(),
        }
        torch.save(state, path)
        if verbose:
            self.logger.info(f"Saving current: {path}")

    def _load_checkpoint(self, path):
        return torch.load(path, map_location=self.device, weights_only=True)

    def resume_checkpoint(self, resume_file):
        checkpoint = self._load_checkpoint(str(resume_file))
        if checkpoint["model"].lower() != self.config["model"].lower():
            raise ValueError(
                f"checkpoint {resume_file} is of model {checkpoint['model']}, not {self.config['model']}"
            )
        self.saved_model_file = str(resume_file)
        self.start_epoch = checkpoint["epoch"] + 1
        self.cur_step = checkpoint["cur_step"]
        self.best_valid_score = checkpoint["best_valid_score"]
        self.model.load_state_dict(checkpoint["state_dict"])
        self.model.load_other_parameter(decode_other(checkpoint.get("other_parameter")))
        self.optimizer.load_state_dict(checkpoint["optimizer"])

    def evaluate(self, eval_data, load_best_model=True, model_file=None, show_progress=False):
        if eval_data and load_best_model:
            if model_file:
                self.saved_model_file = model_file
            self.load_best_model()
        return super().evaluate(eval_data, load_best_model=False, show_progress=show_progress)


def encode_other(values):
    """A model's ``other_parameter()`` with scipy sparse matrices and numpy arrays as tensors (ItemKNN keeps
    its similarity matrix as scipy CSR), so that the checkpoint loads weights-only."""
    if not values:
        return values
    out = {}
    for key, value in values.items():
        if sp.issparse(value):
            csr = value.tocsr()
            out[key] = {"sparse_csr": torch.as_tensor(csr.data), "indices": torch.as_tensor(csr.indices),
                        "indptr": torch.as_tensor(csr.indptr), "shape": list(csr.shape)}
        elif isinstance(value, np.ndarray):
            out[key] = {"ndarray": torch.as_tensor(value)}
        else:
            out[key] = value
    return out


def decode_other(values):
    """The inverse of :func:`encode_other`."""
    if not values:
        return values
    out = {}
    for key, value in values.items():
        if isinstance(value, dict) and "sparse_csr" in value:
            out[key] = sp.csr_matrix((value["sparse_csr"].numpy(), value["indices"].numpy(), value["indptr"].numpy()),
                                     shape=tuple(value["shape"]))
        elif isinstance(value, dict) and "ndarray" in value:
            out[key] = value["ndarray"].numpy()
        else:
            out[key] = value
    return out


@functools.cache
def with_safe_checkpoints(trainer_class):
    """``trainer_class`` with weights-only checkpoints (one subclass per trainer class)."""
    return type(trainer_class.__name__, (SafeCheckpointMixin, trainer_class), {})
