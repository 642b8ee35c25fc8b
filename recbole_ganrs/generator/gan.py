"""Stage 2 of GANRS: a GAN over dense <user emb, item emb, normalised rating> vectors.

Architectures follow the reference notebooks: generator noise(100) -> Dense(10)
LeakyReLU(0.2) BatchNorm -> Dense(20) LeakyReLU(0.2) Dropout(0.2) -> Dense(d)
linear; discriminator Dense(4) LeakyReLU(0.2) -> Dense(1). ``kind="gan"`` trains
with BCE and Adam(2e-4, beta1 0.5); ``kind="wgan"`` is a Wasserstein GAN with
gradient penalty (5 critic steps per generator step, Adam(1e-4, betas 0.5/0.9)).

Conditional (CGANRS, as the authors' CGANRS notebook): with ``labels`` (a class per row) the generator
multiplies a learnt embedding of the class (noise size) element-wise into its noise and the discriminator
one (sample size) into its input; D sees real rows with their classes and fake rows made with the same
classes, G trains through D with classes drawn at random (uniformly, as the notebook's randint).
"""
import torch
from torch import nn
from tqdm.auto import tqdm

from recbole_ganrs.seeds import stream, torch_generator

NOISE_SIZE = 100
#: the GAN variants: the papers' BCE GAN, and a Wasserstein GAN with gradient penalty
GAN_KINDS = ("gan", "wgan")
#: the BCE GAN's Adam (the reference's, at its batch of 32; private.py's DP discriminator uses it too)
GAN_LR, GAN_BETAS = 2e-4, (0.5, 0.999)


class Generator(nn.Module):
    """``n_classes`` > 0: conditional, a class embedding multiplied into the noise."""

    def __init__(self, out_size, noise_size=NOISE_SIZE, n_classes=0):
        super().__init__()
        self.noise_size = noise_size
        self.net = nn.Sequential(
            nn.Linear(noise_size, 10), nn.LeakyReLU(0.2), nn.BatchNorm1d(10),
            nn.Linear(10, 20), nn.LeakyReLU(0.2), nn.Dropout(0.2),
            nn.Linear(20, out_size),
        )
        if n_classes:
            self.label = nn.Embedding(n_classes, noise_size)

    def forward(self, noise, label=None):
        return self.net(noise if label is None else noise * self.label(label))


class Discriminator(nn.Module):
    """Outputs a logit (GAN) or a critic score (WGAN): the sigmoid lives in the loss. ``n_classes`` > 0:
    conditional, a class embedding multiplied into the input."""

    def __init__(self, in_size, n_classes=0):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_size, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
        if n_classes:
            self.label = nn.Embedding(n_classes, in_size)

    def forward(self, x, label=None):
        return self.net(x if label is None else x * self.label(label)).squeeze(-1)


def _gradient_penalty(critic, real, fake, label=None):
    alpha = torch.rand(len(real), 1, device=real.device)
    mix = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mix, label).sum(), mix, create_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


def train_gan(data, kind="gan", steps=20000, batch_size=32, seed=0, progress=True, lr_scale=1.0, device="cpu",
              labels=None, n_classes=0):
    """Train a generator on the rows of ``data`` (float tensor [n, d]); returns it on the CPU, in eval mode.
    ``lr_scale`` multiplies the reference learning rates (larger batches take larger steps); ``labels`` (a class
    in 0..n_classes-1 per row) makes it conditional."""
    if kind not in GAN_KINDS:
        raise ValueError(f"gan kind must be one of {GAN_KINDS}, not '{kind}'")
    torch.manual_seed(stream(seed, "fit", "gan_init"))
    data = data.to(device)
    n_classes = n_classes if labels is not None else 0
    labels = labels.to(device) if labels is not None else None
    gen = Generator(data.shape[1], n_classes=n_classes).to(device)
    disc = Discriminator(data.shape[1], n_classes=n_classes).to(device)
    drawn = torch_generator(seed, "fit", "gan_labels")
    if kind == "gan":
        opt_g = torch.optim.Adam(gen.parameters(), lr=GAN_LR * lr_scale, betas=GAN_BETAS)
        opt_d = torch.optim.Adam(disc.parameters(), lr=GAN_LR * lr_scale, betas=GAN_BETAS)
        bce, critic_steps = nn.BCEWithLogitsLoss(), 1
        ones, zeros = torch.ones(batch_size, device=device), torch.zeros(batch_size, device=device)
    else:
        opt_g = torch.optim.Adam(gen.parameters(), lr=1e-4 * lr_scale, betas=(0.5, 0.9))
        opt_d = torch.optim.Adam(disc.parameters(), lr=1e-4 * lr_scale, betas=(0.5, 0.9))
        critic_steps = 5
    sampler, noise = torch_generator(seed, "fit", "gan_batches"), torch_generator(seed, "fit", "gan_noise")
    bar = tqdm(range(steps), desc=f"{kind.upper()} training", disable=None if progress else True, leave=False)
    for step in bar:
        for _ in range(critic_steps):
            rows = torch.randint(len(data), (batch_size,), generator=sampler).to(device)
            real, label = data[rows], (labels[rows] if n_classes else None)
            with torch.no_grad():
                fake = gen(torch.randn(batch_size, gen.noise_size, generator=noise).to(device), label)
            if kind == "gan":
                d_loss = bce(disc(real, label), ones) + bce(disc(fake, label), zeros)
            else:
                d_loss = (disc(fake, label).mean() - disc(real, label).mean()
                          + 10 * _gradient_penalty(disc, real, fake, label))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
        label = torch.randint(n_classes, (batch_size,), generator=drawn).to(device) if n_classes else None
        fake = gen(torch.randn(batch_size, gen.noise_size, generator=noise).to(device), label)
        g_loss = bce(disc(fake, label), ones) if kind == "gan" else -disc(fake, label).mean()
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        if step % 500 == 0:
            bar.set_postfix(d_loss=f"{d_loss.item():.3f}", g_loss=f"{g_loss.item():.3f}")
    return gen.cpu().eval()
