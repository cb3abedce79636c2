"""PyTorch peer of pdd's U-Net + sliding window + PDD loss (docs/reference.md §8, §4.1), for
parameter counts and CPU training-step timing.

    python benches/peers/unet.py --counts            # parameter counts of the paper configs
    python benches/peers/unet.py --bench JSON           # seconds per Adam step (accum micro-batches)
    python benches/peers/unet.py --bench JSON --profile # ... and torch.profiler's breakdown by the
                                                        # layer kinds of `pdd bench train-step`

Written from docs/reference.md (no reference code copied). Uses torch's CPU build.
"""
import argparse, contextlib, math, time, json, sys
from collections import defaultdict
import torch
import torch.nn as nn
import torch.nn.functional as F


PROFILING = False


def part(name):
    """A torch.profiler scope naming one of pdd's layer kinds (src/nn/profile.rs); free when off."""
    return torch.autograd.profiler.record_function("pdd::" + name) if PROFILING else contextlib.nullcontext()


def conv(nd, cin, cout, k, stride=1, bias=True):
    C = nn.Conv1d if nd == 1 else nn.Conv2d
    return C(cin, cout, k, stride=stride, padding=k // 2, padding_mode="circular" if k > 1 else "zeros", bias=bias)


class RMSNorm(nn.Module):
    def __init__(self, nd, c):
        super().__init__()
        self.g = nn.Parameter(torch.ones(1, c, *([1] * nd)))

    def forward(self, x):
        return F.normalize(x, dim=1) * self.g * x.shape[1] ** 0.5


class LayerNormC(nn.Module):
    def __init__(self, nd, c):
        super().__init__()
        self.g = nn.Parameter(torch.ones(1, c, *([1] * nd)))

    def forward(self, x):
        var = torch.var(x, dim=1, unbiased=False, keepdim=True)
        mean = torch.mean(x, dim=1, keepdim=True)
        return (x - mean) * (var + 1e-5).rsqrt() * self.g


class Block(nn.Module):
    def __init__(self, nd, cin, cout):
        super().__init__()
        self.proj, self.norm = conv(nd, cin, cout, 3), RMSNorm(nd, cout)

    def forward(self, x, ss=None):
        x = self.norm(self.proj(x))
        if ss is not None:
            x = x * (ss[0] + 1) + ss[1]
        return F.silu(x)


class ResBlock(nn.Module):
    def __init__(self, nd, cin, cout, emb=None):
        super().__init__()
        self.nd = nd
        self.mlp = nn.Sequential(nn.SiLU(), nn.Linear(emb, 2 * cout)) if emb else None
        self.b1, self.b2 = Block(nd, cin, cout), Block(nd, cout, cout)
        self.res = conv(nd, cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, e=None):
        ss = None
        if self.mlp is not None:
            s = self.mlp(e)[(...,) + (None,) * self.nd]
            ss = s.chunk(2, dim=1)
        return self.b2(self.b1(x, ss)) + self.res(x)


class LinAttn(nn.Module):
    def __init__(self, nd, dim, heads=8, dh=32):
        super().__init__()
        self.h, self.dh = heads, dh
        self.norm = LayerNormC(nd, dim)
        self.qkv = conv(nd, dim, 3 * heads * dh, 1, bias=False)
        self.out = conv(nd, heads * dh, dim, 1)

    def forward(self, x):
        shp = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(shp[0], 3, self.h, self.dh, -1).unbind(1)
        q = q.softmax(dim=-2) * self.dh ** -0.5
        k = k.softmax(dim=-1)
        ctx = torch.einsum("bhdn,bhen->bhde", k, v)
        o = torch.einsum("bhde,bhdn->bhen", ctx, q).reshape(shp[0], -1, *shp[2:])
        return x + self.out(o)


class FullAttn(nn.Module):
    def __init__(self, dim, heads=8, dh=32):
        super().__init__()
        self.h, self.dh = heads, dh
        self.norm_g = nn.Parameter(torch.ones(dim))
        self.qkv = nn.Linear(dim, 3 * heads * dh, bias=False)
        self.out = nn.Linear(heads * dh, dim, bias=False)

    def forward(self, x):
        shp = x.shape
        t = x.flatten(2).transpose(1, 2)
        mean, var = t.mean(-1, keepdim=True), t.var(-1, unbiased=False, keepdim=True)
        t = (t - mean) * (var + 1e-5).rsqrt() * self.norm_g
        q, k, v = self.qkv(t).reshape(shp[0], -1, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
        a = (q * self.dh ** -0.5) @ k.transpose(-1, -2)
        o = (a.softmax(-1) @ v).transpose(1, 2).reshape(shp[0], -1, self.h * self.dh)
        return x + self.out(o).transpose(1, 2).reshape(shp)


class UNet(nn.Module):
    def __init__(self, nd, cin, cout, mults, att, dim=32, heads=8, dh=32, base=1000.0):
        super().__init__()
        self.nd, self.dim, self.base = nd, dim, base
        dims = [dim] + [dim * m for m in mults]
        n = len(mults)
        emb = 4 * dim
        self.init = conv(nd, cin, dim, 5)
        self.tmlp = nn.Sequential(nn.Linear(dim, emb), nn.GELU(), nn.Linear(emb, emb))
        self.down, self.up = nn.ModuleList(), nn.ModuleList()
        for i in range(n):
            self.down.append(nn.ModuleList([
                ResBlock(nd, dims[i], dims[i + 1], emb), ResBlock(nd, dims[i + 1], dims[i + 1], emb),
                LinAttn(nd, dims[i + 1], heads, dh) if i in att else nn.Identity(),
                conv(nd, dims[i + 1], dims[i + 1], 5, stride=2) if i < n - 1 else nn.Identity()]))
        mid = dims[n]
        self.m1, self.ma, self.m2 = ResBlock(nd, mid, mid, emb), FullAttn(mid, heads, dh), ResBlock(nd, mid, mid, emb)
        for i in reversed(range(n)):
            self.up.append(nn.ModuleList([
                ResBlock(nd, 2 * dims[i + 1], dims[i], emb), ResBlock(nd, dims[i], dims[i], emb),
                LinAttn(nd, dims[i], heads, dh) if i in att else nn.Identity(),
                conv(nd, dims[i], dims[i], 5) if i > 0 else nn.Identity()]))
        self.final = ResBlock(nd, 2 * dim, dim)
        self.head = conv(nd, dim, cout, 1)

    def embed(self, t):
        half = self.dim // 2
        f = self.base ** (-torch.arange(half, dtype=torch.float32, device=t.device) / (half - 1))
        a = t[:, None] * f[None]
        return torch.cat([a.sin(), a.cos()], -1)

    def forward(self, x, t):
        h0 = self.init(x)
        e = self.tmlp(self.embed(t))
        x, skips = h0, []
        for r1, r2, at, dn in self.down:
            x = at(r2(r1(x, e), e))
            skips.append(x)
            x = dn(x)
        x = self.m2(self.ma(self.m1(x, e)), e)
        for i, (r1, r2, at, upc) in enumerate(self.up):
            with part("resample"):
                x = torch.cat([x, skips.pop()], 1)
            x = at(r2(r1(x, e), e))
            if not isinstance(upc, nn.Identity):
                with part("resample"):
                    x = F.interpolate(x, scale_factor=2, mode="nearest-exact")
                x = upc(x)
        with part("resample"):
            x = torch.cat([x, h0], 1)
        return self.head(self.final(x))


def window(net, x, t, w):
    """x: (B, C, F, *space) → drift (B, C, F, *space); causal window of w slices."""
    b, c, f = x.shape[:3]
    sp = x.shape[3:]
    with part("window"):
        p = torch.cat([torch.zeros(b, c, w - 1, *sp, device=x.device), x], 2)
        s = torch.stack([p[:, :, k:k + f] for k in range(w)], 2)  # (B, C, w, F, *sp)
        s = s.movedim(3, 1).reshape(b * f, c * w, *sp)
    y = net(s, t.repeat_interleave(f))
    with part("window"):
        return y.reshape(b, f, c, *sp).movedim(1, 2)


def pdd_loss(net, xt, t, sig, w):
    g = window(net, xt, t, w)
    with part("loss"):
        v = xt[:, :, 1:] - xt[:, :, :-1]
        d = (v - g[:, :, :-1]) / sig.view(-1, *([1] * (xt.dim() - 1)))
        return d.pow(2).mean()


# The layer kinds of src/nn/profile.rs, by module class (inner scopes win, as in pdd).
KINDS = {nn.Conv1d: "conv", nn.Conv2d: "conv", "Block": "norm-film-silu", nn.SiLU: "silu",
         "LinAttn": "attention", "FullAttn": "attention", "ResBlock": "network-other",
         "UNet": "network-other"}


def instrument(net):
    """Opens a `part` scope around every module of a kind in KINDS (and the time MLP)."""
    def hook(name):
        def pre(mod, args):
            mod._pdd_scope = part(name)
            mod._pdd_scope.__enter__()

        def post(mod, args, out):
            mod._pdd_scope.__exit__(None, None, None)
        return pre, post

    for mod in net.modules():
        name = KINDS.get(type(mod)) or KINDS.get(type(mod).__name__)
        if mod is getattr(net, "tmlp", None):
            name = "time-embedding"
        if name:
            pre, post = hook(name)
            mod.register_forward_pre_hook(pre)
            mod.register_forward_hook(post)


def breakdown(prof, steps):
    """Seconds per step by (kind, pass) from a torch.profiler run: every event's self time goes
    to its innermost `pdd::` scope (forward) or, inside autograd's evaluate_function, to the
    scope of the forward op that made the node (matched by sequence number)."""
    events = list(prof.events())
    def ancestors(e):
        while e is not None:
            yield e
            e = e.cpu_parent
    seq_part = {}
    for e in events:
        if e.sequence_nr >= 0 and not e.name.startswith("autograd::") and "Backward" not in e.name:
            scope = next((a.name[5:] for a in ancestors(e) if a.name.startswith("pdd::")), "rest")
            seq_part.setdefault(e.sequence_nr, scope)
    out = defaultdict(float)
    for e in events:
        chain = list(ancestors(e))
        node = next((a for a in chain if a.name.startswith("autograd::engine::evaluate_function")), None)
        if any(a.name.startswith("Optimizer.") for a in chain):
            key = ("optimiser", "step")
        elif node is not None:
            seq = next((a.sequence_nr for a in [node] + node.cpu_children if a.sequence_nr >= 0), -1)
            key = (seq_part.get(seq, "rest"), "backward")
        else:
            key = (next((a.name[5:] for a in chain if a.name.startswith("pdd::")), "rest"), "forward")
        out[key] += e.self_cpu_time_total * 1e-6 / steps
    return out


CONFIGS = {
    # name: (nd, C, space, mults, att, dim, heads, dh, batch)
    "lorenz96-paper": (1, 2, (128,), [1, 2, 4, 4, 6], [4], 32, 8, 32, 64),
    "kolmogorov-paper": (2, 1, (40, 40), [1, 2, 4, 6], [3], 32, 8, 32, 40),
}


def build(name, w=5):
    nd, c, sp, mults, att, dim, heads, dh, f = CONFIGS[name]
    return UNet(nd, c * w, c, mults, att, dim, heads, dh), c, sp, f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--counts", action="store_true")
    ap.add_argument("--bench", help="JSON: {name, nd, C, space, mults, att, dim, heads, dh, frames, batch, accum, steps}")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--profile", action="store_true", help="with --bench: torch.profiler breakdown")
    ap.add_argument("--device", default="cpu", help="torch device: cpu or cuda (scripts/gpu-run.sh)")
    a = ap.parse_args()
    dev = torch.device(a.device)
    torch.set_num_threads(a.threads)
    if a.counts:
        for name in CONFIGS:
            net, *_ = build(name)
            print(name, sum(p.numel() for p in net.parameters()))
    if a.bench:
        cfg = json.loads(a.bench)
        torch.manual_seed(0)
        w = 5
        net = UNet(cfg["nd"], cfg["C"] * w, cfg["C"], cfg["mults"], cfg["att"], cfg["dim"], cfg["heads"], cfg["dh"]).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=2e-4, eps=1e-8)
        shape = (cfg["batch"], cfg["C"], cfg["frames"], *cfg["space"])
        x = torch.randn(shape, device=dev)
        t = torch.randint(0, 1000, (cfg["batch"],), device=dev).float()
        sig = torch.rand(cfg["batch"], device=dev) + 0.1
        sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

        def step():
            opt.zero_grad()
            for _ in range(cfg["accum"]):
                (pdd_loss(net, x, t, sig, w) / cfg["accum"]).backward()
            opt.step()

        step()  # warm-up
        sync()
        t0 = time.perf_counter()
        for _ in range(cfg["steps"]):
            step()
        sync()
        dt = (time.perf_counter() - t0) / cfg["steps"]
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # whole process, MiB
        print(json.dumps({"name": cfg["name"], "seconds_per_step": dt, "steps_per_second": 1 / dt,
                          "peak_rss_mib": round(peak, 1)}))
        if a.profile:
            profile(net, step, cfg["steps"], dt)


def profile(net, step, steps, dt):
    """Prints torch.profiler's breakdown of `steps` more steps by pdd's layer kinds."""
    global PROFILING
    PROFILING = True
    instrument(net)
    from torch.profiler import ProfilerActivity, profile as torch_profile
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        pt = (time.perf_counter() - t0) / steps
    parts = breakdown(prof, steps)
    total = sum(parts.values())
    print(f"profiled: {pt:.3f} s/step (unprofiled {dt:.3f}); self time by kind, s/step and share:")
    for (kind, phase), s in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<16} {phase:<9} {s:8.4f}  {100 * s / total:5.1f} %")


if __name__ == "__main__":
    main()
