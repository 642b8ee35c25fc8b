"""One NCF training step for K seeds at once against K steps, one thread: does stacking trials pay on CPU?

    python benchmarks/stacked_step.py 3 9

NCF at ml-100k's sizes (944 users, 1,683 items, embeddings of 10, MLP 70-30 with dropout .5/.4), batch 1,024,
Adam. Three ways: a loop over K models; one stacked model through ``torch.func.stack_module_state`` + ``vmap``
(randomness "different": each member its own dropout mask); the same written as batched matrix products
(``baddbmm``). Prints milliseconds a step of K models and per model.
"""
import copy
import sys
import time

import torch
from torch.func import functional_call, stack_module_state, vmap

from recbole_ganrs.models.base import Dropout


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ue, self.ie = torch.nn.Embedding(944, 10), torch.nn.Embedding(1683, 10)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(20, 70), torch.nn.ReLU(), Dropout(0.5), torch.nn.Linear(70, 30),
                                       torch.nn.ReLU(), Dropout(0.4), torch.nn.Linear(30, 1))

    def forward(self, u, i):
        return self.mlp(torch.cat([self.ue(u), self.ie(i)], -1)).squeeze(-1)


def steps(k):
    nets = [Net() for _ in range(k)]
    optimizers = [torch.optim.Adam(n.parameters(), lr=3e-3) for n in nets]
    users, items = torch.randint(0, 944, (k, 1024)), torch.randint(0, 1683, (k, 1024))
    ratings = torch.rand(k, 1024) * 4 + 1

    def loop():
        for j in range(k):
            optimizers[j].zero_grad()
            ((nets[j](users[j], items[j]) - ratings[j]).square().mean()).backward()
            optimizers[j].step()

    params, _ = stack_module_state(nets)
    params = {name: p.detach().requires_grad_() for name, p in params.items()}
    base = copy.deepcopy(nets[0]).to("meta")
    stacked = torch.optim.Adam(params.values(), lr=3e-3)

    def one(p, u, i, r):
        return (functional_call(base, p, (u, i)) - r).square().mean()

    def vmapped():
        stacked.zero_grad()
        vmap(one, randomness="different")(params, users, items, ratings).sum().backward()
        stacked.step()

    def batched():
        stacked.zero_grad()
        rows = torch.arange(k)[:, None]
        x = torch.cat([params["ue.weight"][rows, users], params["ie.weight"][rows, items]], -1)
        for layer, p in ((0, 0.5), (3, 0.4)):
            x = torch.baddbmm(params[f"mlp.{layer}.bias"][:, None, :], x,
                              params[f"mlp.{layer}.weight"].transpose(1, 2)).relu()
            x = x * ((torch.rand_like(x) >= p) * (1 / (1 - p)))
        out = torch.baddbmm(params["mlp.6.bias"][:, None, :], x, params["mlp.6.weight"].transpose(1, 2)).squeeze(-1)
        (out - ratings).square().mean(1).sum().backward()
        stacked.step()

    return {"loop": loop, "vmap": vmapped, "baddbmm": batched}


def main(ks):
    torch.set_num_threads(1)
    for k in ks:
        for name, step in steps(k).items():
            for _ in range(10):
                step()
            start = time.perf_counter()
            for _ in range(200):
                step()
            ms = (time.perf_counter() - start) / 200 * 1e3
            print(f"K={k} {name}: {ms:.2f} ms a step of {k} models, {ms / k:.2f} ms a model", flush=True)


if __name__ == "__main__":
    main([int(k) for k in sys.argv[1:]] or [3, 9])
