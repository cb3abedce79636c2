"""Regenerates the golden fixtures of tests/golden.rs: an independent PyTorch restatement of the
reference implementation's computations (docs/method.md, "Golden tests"), term by term, on a small network
whose weights both sides share.

    python3 tests/golden/make_golden.py          # needs torch, numpy, safetensors (not CI)

Writes tests/golden/line.safetensors (1-D, 32 points, 2 channels, α = 0.1, κ = 0.7) and
tests/golden/plane.safetensors (2-D, 40 × 40, 1 channel, α = 0.3, κ = 0.3). Each holds the
network's weights, the inputs (clean paths, indices, fixed white noise) and the outputs of

* the PDD training loss (docs/reference.md §4.1) and the SA-PDD loss (§4.2) with a fixed noise
  tensor;
* the PDD path score, by autograd of the path action (§3.3);
* one ETD1 predictor step with its noise fixed (§5.1–5.2: mean, frame-0 extrapolation, noise,
  space-time mean removal, clamp);
* one Langevin corrector step with its noise fixed (§5.3);
* SA-PDD's spectral score from the noise head (§3.4).

Everything on the network path is float32, as in the reference. The forward process's tables are
computed in float64 and rounded to float32, as pdd does: the reference evaluates
`exp(2ℓτ) − 1` in float32, which loses up to ~5e-4 relative accuracy in Q̂ for the lowest modes
at small λ (a documented difference, docs/method.md).
"""

import math
import pathlib

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

T = 1000  # diffusion steps
B2 = 2.0  # β², noise_amplitude_squared
WINDOW = 5
HIDDEN = 8
TIME_BASE = 1000.0


# ------------------------------------------------ forward process (docs/reference.md §2)
def eigenvalues(ny, nx, a, m=0.0):
    """ℓ = a μ − m on the (ny, nx) DFT grid of a 2π-periodic domain (discrete Laplacian)."""
    ky = torch.arange(ny, dtype=torch.float64)
    kx = torch.arange(nx, dtype=torch.float64)
    dy, dx = 2 * math.pi / ny, 2 * math.pi / nx
    mu = -4 * torch.sin(math.pi * ky / ny)[:, None] ** 2 / dy**2 - 4 * torch.sin(math.pi * kx / nx)[None, :] ** 2 / dx**2
    return a * mu - m


def tables(ell):
    """Â, B̂, P̂ (float32, (T, ny, nx)) and σ_t = √var_t (float32, (T,)), docs/reference.md §2.3."""
    i = torch.arange(T, dtype=torch.float64)
    lam = i / T
    tau = lam.clone()
    tau[0] = 1.0 / T
    two = 2 * ell[None]
    q = torch.where(two.abs() > 1e-14, B2 * torch.expm1(two * tau[:, None, None]) / two, B2 * tau[:, None, None])
    a_hat = torch.exp(ell[None] * lam[:, None, None])
    var = q.clamp(min=1e-12).mean(dim=(1, 2))
    b_hat = q.clamp(min=0).sqrt()
    p_hat = -1.0 / q.clamp(min=1e-12).sqrt()
    return a_hat.float(), b_hat.float(), p_hat.float(), var.sqrt().float()


def spectral(x, mult):
    """Re F⁻¹{ mult ⊙ F{x} } over the last two (spatial) axes, orthonormal DFT
    (docs/reference.md §2.4)."""
    return torch.fft.ifft2(torch.fft.fft2(x, norm="ortho") * mult, norm="ortho").real


def per_example(table, t):
    """Rows t of a (T, ny, nx) table as (B, 1, 1, ny, nx)."""
    return table[t][:, None, None]


def q_sample(x0, t, eps, a_hat, b_hat):
    """x_t = Re F⁻¹{ Â_t F{x0} + B̂_t F{ε} } (docs/reference.md §2.5)."""
    return spectral(x0, per_example(a_hat, t)) + spectral(eps, per_example(b_hat, t))


# ---------------------------------------------------------------- the shared small network
class Net(torch.nn.Module):
    """conv(k=3, circular) → + time FiLM-free shift (t/1000)·w + b → SiLU → conv heads.

    Input (N, C·w, ny, nx), time (N,) → drift (N, C, ny, nx) and noise (N, C, ny, nx)."""

    def __init__(self, c, ky, gen):
        super().__init__()
        cw = c * WINDOW

        def u(*shape, fan_in):
            bound = 1.0 / math.sqrt(fan_in)
            return torch.nn.Parameter((torch.rand(*shape, generator=gen) * 2 - 1) * bound)

        self.w_in = u(HIDDEN, cw, ky, 3, fan_in=cw * ky * 3)
        self.b_in = u(HIDDEN, fan_in=cw * ky * 3)
        self.t_w = u(HIDDEN, fan_in=1)
        self.t_b = u(HIDDEN, fan_in=1)
        self.w_drift = u(c, HIDDEN, ky, 3, fan_in=HIDDEN * ky * 3)
        self.b_drift = u(c, fan_in=HIDDEN * ky * 3)
        self.w_noise = u(c, HIDDEN, ky, 3, fan_in=HIDDEN * ky * 3)
        self.b_noise = u(c, fan_in=HIDDEN * ky * 3)

    @staticmethod
    def conv(x, w, b):
        py, px = w.shape[2] // 2, w.shape[3] // 2
        return F.conv2d(F.pad(x, (px, px, py, py), mode="circular"), w, b)

    def forward(self, x, t):
        h = self.conv(x, self.w_in, self.b_in)
        h = h + (t / TIME_BASE)[:, None, None, None] * self.t_w[None, :, None, None] + self.t_b[None, :, None, None]
        h = F.silu(h)
        return self.conv(h, self.w_drift, self.b_drift), self.conv(h, self.w_noise, self.b_noise)


def sliding_window(net, x, t):
    """Zero-pad w−1 frames, stack channel-major (c·w + k), fold frames into the batch
    (docs/reference.md §8.1)."""
    b, c, f, ny, nx = x.shape
    p = torch.cat([torch.zeros(b, c, WINDOW - 1, ny, nx, dtype=x.dtype), x], dim=2)
    slots = torch.stack([p[:, :, k : k + f] for k in range(WINDOW)], dim=2)  # (B, C, w, F, ny, nx)
    folded = slots.permute(0, 3, 1, 2, 4, 5).reshape(b * f, c * WINDOW, ny, nx)
    drift, noise = net(folded, t.float().repeat_interleave(f))
    unfold = lambda y: y.reshape(b, f, c, ny, nx).permute(0, 2, 1, 3, 4)
    return unfold(drift), unfold(noise)


# ------------------------------------------------ losses (docs/reference.md §4)
def losses(net, x0, t, eps, tab):
    a_hat, b_hat, _, sigma = tab
    xt = q_sample(x0, t, eps, a_hat, b_hat)
    f = xt.shape[2]
    v = xt[:, :, 1:] - xt[:, :, :-1]
    g, eps_hat = sliding_window(net, xt, t)
    d = (v - g[:, :, : f - 1]) / sigma[t][:, None, None, None, None]
    drift = (d**2).mean()
    noise = ((eps_hat - eps) ** 2).mean()
    return xt, drift, 0.1 * drift + 1.0 * noise


# ------------------------------------------------ scores (docs/reference.md §3.3, §3.4)
def pdd_score(net, x, t, sigma):
    """−∂S/∂x, S = ½ Σ ((x_{f+1} − x_f − g_f)/s_t)², closure on frames 0…F−2 as the reference."""
    x = x.detach().clone().requires_grad_(True)
    b = x.shape[0]
    tt = torch.full((b,), t, dtype=torch.long)
    g, _ = sliding_window(net, x[:, :, :-1], tt)
    r = (x[:, :, 1:] - x[:, :, :-1] - g) / sigma[t]
    s = 0.5 * (r**2).sum()
    (grad,) = torch.autograd.grad(s, x)
    return -grad


def sa_pdd_score(net, x, t, p_hat):
    b = x.shape[0]
    _, eps_hat = sliding_window(net, x, torch.full((b,), t, dtype=torch.long))
    return spectral(eps_hat, p_hat[t])


# ------------------------------------------------ sampler updates (docs/reference.md §5)
def extrapolate(m):
    m = m.clone()
    m[:, :, 0] = 2 * m[:, :, 1] - m[:, :, 2]
    return m


def post(x):
    x = x - x.mean(dim=(2, 3, 4), keepdim=True)
    return x.clamp(-3.0, 3.0)


def predictor_step(score, x, t, ell, xi):
    dt = 1.0 / T
    z = -ell * dt
    astep = torch.exp(z)
    phi1 = torch.where(z.abs() >= 1e-8, torch.expm1(z) / torch.where(z == 0, 1.0, z), torch.ones_like(z))
    coef = (dt * B2 * phi1).float()
    m = spectral(x, astep.float()) + spectral(score, coef)
    m = extrapolate(m)
    m = m + math.sqrt(B2) * math.sqrt(dt) * xi
    return post(m)


def corrector_step(score, x, snr, xi):
    b, c, f, ny, nx = x.shape
    d = f * ny * nx
    norm2 = (score**2).reshape(b, c, -1).sum(dim=2).clamp(min=1e-12)
    alpha = (2 * snr**2 * d / norm2)[:, :, None, None, None]
    m = extrapolate(x + alpha * score)
    m = m + torch.sqrt(2 * alpha) * xi
    return post(m)


# ---------------------------------------------------------------- one fixture file
def fixture(name, shape, a, snr, seed):
    b, c, f, ny, nx = shape
    gen = torch.Generator().manual_seed(seed)
    ky = 1 if ny == 1 else 3
    net = Net(c, ky, gen)
    ell = eigenvalues(ny, nx, a)
    tab = tables(ell)
    randn = lambda: torch.randn(*shape, generator=gen)
    x0, eps, eps2, xi, xi2 = randn(), randn(), randn(), randn(), randn()
    t_loss = torch.tensor([37, 912])[:b]
    xt, drift_loss, sa_loss = losses(net, x0, t_loss, eps, tab)
    t = 200
    x = q_sample(x0, torch.full((b,), t), eps2, tab[0], tab[1])
    score = pdd_score(net, x, t, tab[3])
    step = predictor_step(score, x, t, ell, xi)
    corr = corrector_step(pdd_score(net, step, t, tab[3]), step, snr, xi2)
    sa = sa_pdd_score(net, x, t, tab[2])
    out = {
        "w_in": net.w_in, "b_in": net.b_in, "t_w": net.t_w, "t_b": net.t_b,
        "w_drift": net.w_drift, "b_drift": net.b_drift, "w_noise": net.w_noise, "b_noise": net.b_noise,
        "x0": x0, "eps": eps, "t_loss": t_loss.float(), "x_t": xt,
        "pdd_loss": drift_loss.reshape(1), "sa_pdd_loss": sa_loss.reshape(1),
        "x": x, "score": score, "xi": xi, "step": step, "xi2": xi2, "corrector": corr, "sa_score": sa,
        "params": torch.tensor([a, snr, t], dtype=torch.float32),
    }
    path = pathlib.Path(__file__).with_name(f"{name}.safetensors")
    save_file({k: v.detach().contiguous().float() for k, v in out.items()}, str(path))
    print(f"{path}: pdd loss {drift_loss.item():.6f}, sa-pdd loss {sa_loss.item():.6f}, "
          f"|score| max {score.abs().max().item():.3f}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    fixture("line", (2, 2, 8, 1, 32), a=0.1, snr=0.7, seed=7)
    fixture("plane", (2, 1, 7, 40, 40), a=0.3, snr=0.3, seed=11)
