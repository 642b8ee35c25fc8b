"""A RecBole training loader's batches without torch's DataLoader machinery: the same rows in the same order.

RecBole's ``TrainDataLoader`` is a torch ``DataLoader`` over ``range(len(dataset))``: each epoch it draws a seed
for its workers and a permutation from its own generator (seeded by the config's seed), fetches the indices one
by one, collates them into a Python list, and indexes every field of the interaction table with it. For the
plugin's small models that bookkeeping is a large share of a training step (benchmarks/README.md, issue 44).
:class:`LeanBatches` draws the same numbers from the same generator, in the same order, and slices the
permutation instead: batch for batch the tensors RecBole's loader gives, so training is unchanged to the last bit
(tests/test_batches.py checks both).

It applies where RecBole's loader does nothing else: no negative sampling, no batch transform, one process,
workers in the main process. Elsewhere the loader itself is iterated (:func:`epoch_batches`).
"""
import torch
from recbole.data.dataloader import TrainDataLoader
from recbole.data.interaction import Interaction
from recbole.data.transform import Equal


def lean_applies(loader):
    """Whether :class:`LeanBatches` gives what iterating ``loader`` gives."""
    return (type(loader) is TrainDataLoader and loader.neg_sample_args["distribution"] == "none"
            and isinstance(loader.transform, Equal) and loader.config["single_spec"] and loader.num_workers == 0
            and isinstance(loader.sampler, (torch.utils.data.RandomSampler, torch.utils.data.SequentialSampler)))


class LeanBatches:
    """One epoch's batches of a RecBole ``TrainDataLoader`` (see the module's docstring); iterate once per epoch,
    as the loader is."""

    def __init__(self, loader):
        self.loader = loader
        self.dataset = loader._dataset
        self.fields = dict(self.dataset.inter_feat.interaction)  # the table's tensors, indexed per batch
        self.size = len(self.dataset)

    def __len__(self):
        return -(-self.size // self.loader.step)

    def order(self):
        """This epoch's row order, drawn as torch's DataLoader and RandomSampler draw it."""
        generator = self.loader.generator
        # _BaseDataLoaderIter draws its workers' base seed first, whatever the number of workers
        torch.empty((), dtype=torch.int64).random_(generator=generator)
        if not isinstance(self.loader.sampler, torch.utils.data.RandomSampler):
            return torch.arange(self.size)
        order = torch.randperm(self.size, generator=generator)
        # RandomSampler then yields randperm(n)[:num_samples % n], an empty slice of one more permutation, drawn
        # when the epoch's indices run out
        torch.randperm(self.size, generator=generator)
        return order

    def __iter__(self):
        order, step = self.order(), self.loader.step
        for start in range(0, self.size, step):
            index = order[start:start + step]
            yield self.dataset.join(Interaction({name: values[index] for name, values in self.fields.items()}))


def epoch_batches(loader):
    """What a training epoch iterates: :class:`LeanBatches` where it applies, else ``loader`` itself."""
    return LeanBatches(loader) if lean_applies(loader) else loader
