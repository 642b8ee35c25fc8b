"""The plugin's lean training path (batches.py, trainer.LeanTrainer, models.base.Dropout): RecBole's batches to
the bit, and the dropout and optimizer it keeps."""
import pytest
import torch

from recbole_ganrs.batches import LeanBatches, epoch_batches, lean_applies
from recbole_ganrs.models.base import Dropout
from recbole_ganrs.quick_start import prepare, run
from recbole_ganrs.trainer import LeanTrainer


def loaders(tiny_config, model, **extra):
    return prepare(model, config_dict={**tiny_config, "train_batch_size": 64, **extra})


@pytest.mark.parametrize("shuffle", [True, False])
def test_lean_batches_are_the_loaders_batches_epoch_after_epoch(tiny_config, shuffle):
    _, _, loader, _, _ = loaders(tiny_config, "NCF", shuffle=shuffle)
    _, _, twin, _, _ = loaders(tiny_config, "NCF", shuffle=shuffle)  # the same seed: the same generator state
    assert lean_applies(twin)
    for _ in range(3):  # each epoch draws from the loader's generator: the draws must stay in step
        ours, theirs = list(LeanBatches(twin)), list(loader)
        assert len(ours) == len(theirs) == len(LeanBatches(twin)) > 1
        for a, b in zip(ours, theirs):
            assert a.columns == b.columns and all(torch.equal(a[c], b[c]) for c in a.columns)
    assert torch.equal(twin.generator.get_state(), loader.generator.get_state())
    orders = [LeanBatches(twin).order() for _ in range(2)]
    assert not torch.equal(*orders) if shuffle else torch.equal(*orders)


def test_a_loader_with_negative_sampling_keeps_its_own_iteration(tiny_config):
    _, _, loader, _, _ = loaders(tiny_config, "BPR")
    assert not lean_applies(loader) and epoch_batches(loader) is loader


def test_the_plugin_models_train_with_lean_epochs_and_fused_adam(tiny_config):
    from recbole_ganrs.models import DeepMF

    result = run("DeepMF", config_dict=tiny_config)
    assert type(result["model"]).trainer_class is LeanTrainer
    trainer = LeanTrainer(result["config"], result["model"])
    assert type(trainer.optimizer) is torch.optim.Adam and trainer.optimizer.defaults["fused"]
    config, _, train, _, _ = loaders(tiny_config, "DeepMF", learner="sgd")
    assert type(LeanTrainer(config, DeepMF(config, train._dataset)).optimizer) is torch.optim.SGD  # left as it is


def test_dropout_keeps_each_unit_with_one_minus_p_and_keeps_the_mean():
    torch.manual_seed(0)
    x = torch.rand(400, 500) + 0.5
    layer = Dropout(0.4)
    out = layer(x)
    dropped = (out == 0).float().mean().item()
    assert abs(dropped - 0.4) < 0.005  # 200,000 units: the share's standard error is 0.0011
    kept = out != 0
    assert torch.allclose(out[kept], x[kept] / 0.6)
    assert abs(out.mean().item() / x.mean().item() - 1) < 0.01
    layer.eval()
    assert torch.equal(layer(x), x)
    assert torch.equal(Dropout(0.0).train()(x), x)
    with pytest.raises(ValueError):
        Dropout(1.0)
