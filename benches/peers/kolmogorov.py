"""NumPy peer of pdd's Kolmogorov-flow solver: the same pseudo-spectral scheme (vorticity,
real 2-D FFTs, 2/3 square de-aliasing, midpoint RK2, f64/complex128), vectorised NumPy as in the
reference code. Layout [Ny, Nx], forcing −k_f cos(k_f y) along axis 0.
"""
import numpy as np


class Kolmogorov:
    def __init__(self, n, mu=0.1, nu=1e-3, kf=4, dt=1e-3):
        self.n, self.dt = n, dt
        ky = np.fft.fftfreq(n, 1.0 / n)[:, None]
        kx = np.fft.rfftfreq(n, 1.0 / n)[None, :]
        self.ikx = 1j * kx * np.ones_like(ky)
        self.iky = 1j * ky * np.ones_like(kx)
        k2 = kx**2 + ky**2
        self.inv_k2 = np.where(k2 > 0, 1.0 / np.where(k2 > 0, k2, 1.0), 0.0)
        self.lin = mu + nu * k2
        kmax = (n - 1) // 3
        self.mask = (np.abs(kx) <= kmax) & (np.abs(ky) <= kmax)
        y = 2 * np.pi * np.arange(n) / n
        f = -kf * np.cos(kf * y)[:, None] * np.ones((1, n))
        self.f_hat = np.fft.rfft2(f) * self.mask

    def rhs(self, w):
        psi = w * self.inv_k2
        u = np.fft.irfft2(self.iky * psi, s=(self.n, self.n))
        v = np.fft.irfft2(-self.ikx * psi, s=(self.n, self.n))
        wx = np.fft.irfft2(self.ikx * w, s=(self.n, self.n))
        wy = np.fft.irfft2(self.iky * w, s=(self.n, self.n))
        adv = np.fft.rfft2(u * wx + v * wy) * self.mask
        return self.f_hat - adv - self.lin * w

    def step(self, w):
        k1 = self.rhs(w)
        k2 = self.rhs(w + 0.5 * self.dt * k1)
        return w + self.dt * k2

    def initial(self, seed=0):
        rng = np.random.default_rng(seed)
        f = np.fft.irfft2(self.f_hat, s=(self.n, self.n))
        return np.fft.rfft2(f + 5.0 * rng.random((self.n, self.n))) * self.mask

    def ffts_only(self, w):
        """The 10 transforms of one step (8 inverse + 2 forward), nothing else."""
        for _ in range(2):
            for _ in range(4):
                g = np.fft.irfft2(w, s=(self.n, self.n))
            w = np.fft.rfft2(g)
        return w
