"""Private time integrator and Ornstein-Uhlenbeck forcing of the CR-fluid simulator.

See :mod:`crsbi.maps.crfluid` for the equations, units and approximations. Fields enter
and leave in the ``[x, y(, z)]`` layout; inside, the state is stored ``(n_var, nz, ny, nx)``
(x contiguous, so the field-aligned implicit solve runs along contiguous rows).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from crsbi.maps._kernels import (
    diffuse_rows,
    hll_rows,
    max_signal_speed,
    primitives,
    stream_rows,
    synthesise_2d,
)

__all__ = [
    "INJECTION_CONSTANT",
    "STREAMING_LENGTH",
    "STREAMING_MAX_ITER",
    "STREAMING_SCHEME",
    "STREAMING_TOL",
    "OUForcing",
    "Solver",
    "injection_rate",
]

INJECTION_CONSTANT = 1.6
"""``C`` in the energy injection rate ``epsilon = C rho_0 (M c_s)^3 / L`` (per unit volume)."""

STREAMING_LENGTH = 1.0e4
"""Regularisation length ``ell_st`` of the streaming velocity, in ``L``: the streaming flux is
``(4/3) E_c v_A tanh(ell_st d ln E_c/dx)``, so only faces with ``|d ln E_c/dx| < 1/ell_st``
(the extrema) are regularised. Results no longer change above ~1e3 L (``bench_streaming.py``);
the former 10 L made 95-99 % of the faces in saturated turbulence diffusive."""

STREAMING_TOL = 1.0e-3
"""Picard tolerance of the nonlinear streaming step, relative to each row's range of E_c."""

STREAMING_SCHEME = "implicit"
"""``"implicit"``: nonlinear backward Euler with Picard iterations (:func:`stream_rows`);
``"lagged"``: the former TR-BDF2 step with coefficients frozen at the start of the step (kept
for benchmarks against the solver before the change)."""

STREAMING_MAX_ITER = 50
"""Most Picard iterations per row and step (rows that reach it are counted in
``streaming_unconverged``)."""

_LIMITERS = {"minmod": 0, "mc": 1, "none": 2}


def injection_rate(mach: float) -> float:
    """Energy injection rate per unit volume, ``C M^3`` in ``rho_0 c_s^3 / L``."""
    return INJECTION_CONSTANT * mach**3


class OUForcing:
    """Compressive Ornstein-Uhlenbeck acceleration field on the modes ``1 < |n| < 3``.

    Parameters
    ----------
    shape : tuple of int
        Grid shape ``(N,) * ndim``.
    box_size : float
        Side of the periodic box [``L``, code units] (``2L``); mode ``n`` has wavenumber
        ``2 pi n / box_size``.
    correlation_time : float
        OU correlation time [``L / c_s``, code units].
    epsilon : float
        Energy injection rate per unit volume (used by :class:`Solver`).
    rng : numpy.random.Generator
        The only source of randomness.
    """

    def __init__(
        self,
        shape: tuple[int, ...],
        box_size: float,
        *,
        correlation_time: float,
        epsilon: float,
        rng: np.random.Generator,
    ) -> None:
        self.ndim = len(shape)
        self.n = shape[0]
        self.correlation_time = correlation_time
        self.epsilon = epsilon
        self.rng = rng
        span = np.arange(-3, 4)
        grids = np.meshgrid(*([span] * self.ndim), indexing="ij")
        vectors = np.stack([g.ravel() for g in grids], axis=1)
        norm = np.sqrt((vectors**2).sum(axis=1))
        keep = (norm > 1.0) & (norm < 3.0)
        self.modes = vectors[keep]
        norm = norm[keep]
        self.unit = self.modes / norm[:, None]
        self.weight = np.sqrt(1.0 - (norm - 2.0) ** 2)
        self.amplitude = self._noise()
        if self.ndim == 2:
            # separable phase tables exp(2 pi i n x / N) for the 2-D matrix-product synthesis
            cells = np.arange(self.n)
            phase_x = np.exp(2j * np.pi * np.outer(self.modes[:, 0], cells) / self.n)
            self._phase_x = (np.ascontiguousarray(phase_x.real), np.ascontiguousarray(phase_x.imag))
            self._phase_y = np.exp(2j * np.pi * np.outer(self.modes[:, 1], cells) / self.n)
        # FFT-grid index of each mode, internal (z, y, x) axis order
        self.index = tuple((self.modes[:, ::-1] % self.n).T)

    def _noise(self) -> np.ndarray:
        shape = (self.modes.shape[0], self.ndim)
        xi = self.rng.standard_normal(shape) + 1j * self.rng.standard_normal(shape)
        return xi * (self.weight[:, None] / math.sqrt(2.0))

    def advance(self, dt: float) -> None:
        """Advance the OU amplitudes by ``dt`` (exact OU update)."""
        decay = math.exp(-dt / self.correlation_time)
        self.amplitude = decay * self.amplitude + math.sqrt(1.0 - decay**2) * self._noise()

    def field(self) -> np.ndarray:
        """Return the compressive acceleration, shape (ndim, N, ..., N), internal axis order.

        The amplitudes are projected on their wave vectors (``a_k || k``), so the field is
        curl-free to round-off.
        """
        projected = self.unit * np.sum(self.unit * self.amplitude, axis=1)[:, None]
        if self.ndim == 2:  # rank-n_modes synthesis: far cheaper than an FFT
            coef = projected[:, :, None] * self._phase_y[:, None, :]
            out = np.empty((2, self.n, self.n))
            synthesise_2d(
                np.ascontiguousarray(coef.real),
                np.ascontiguousarray(coef.imag),
                *self._phase_x,
                out,
            )
            return out
        spectrum = np.zeros((self.ndim,) + (self.n,) * self.ndim, dtype=complex)
        for a in range(self.ndim):
            spectrum[(a, *self.index)] = projected[:, a]
        axes = tuple(range(1, self.ndim + 1))
        return np.fft.ifftn(spectrum, axes=axes).real * self.n**self.ndim


class Solver:
    """State and time stepping of the CR-fluid model (see module docstring).

    Fields are given indexed ``[x, y(, z)]``; ``velocity`` has shape (ndim, *shape).
    """

    def __init__(
        self,
        density: np.ndarray,
        velocity: np.ndarray,
        cr_energy: np.ndarray,
        *,
        box_size: float,
        kappa: float,
        streaming: bool,
        beta: float,
        limiter: str = "mc",
        cfl: float = 0.4,
        n_threads: int = 1,
    ) -> None:
        self.n_threads = max(1, int(n_threads))
        if limiter not in _LIMITERS:
            raise ValueError(
                f"The 'limiter' parameter must be one of {sorted(_LIMITERS)}; got {limiter!r}."
            )
        if not 0.0 < cfl <= 0.5:
            raise ValueError(f"The 'cfl' parameter must be in (0, 0.5]; got {cfl!r}.")
        self.ndim = density.ndim
        self.n = density.shape[0]
        self.internal = (1,) * (3 - self.ndim) + (self.n,) * self.ndim
        nz, ny, nx = self.internal
        nv = self.ndim + 2
        self.U = np.empty((nv, nz, ny, nx))
        self.U[0] = density.T.reshape(self.internal)
        for a in range(self.ndim):
            self.U[1 + a] = (density * velocity[a]).T.reshape(self.internal)
        self.U[-1] = cr_energy.T.reshape(self.internal)
        self.W = np.empty_like(self.U)
        self.dU = np.empty_like(self.U)
        self.U1 = np.empty_like(self.U)
        self.dx = box_size / self.n
        self.dV = self.dx**self.ndim
        self.volume = box_size**self.ndim
        self.kappa = float(kappa)
        self.streaming = bool(streaming)
        self.va0 = math.sqrt(2.0 / beta)
        self.limiter = _LIMITERS[limiter]
        self.cfl = cfl
        self.forcing: OUForcing | None = None
        self.t = 0.0
        self.n_steps = 0
        self.injected = 0.0
        self.cr_gain = 0.0
        self.streaming_heating = 0.0
        self.streaming_iterations = 0
        self.streaming_rows = 0
        self.streaming_unconverged = 0
        self.has_cr = bool(np.any(self.U[-1] > 0))
        # axis a > 0 is swept on a copy transposed so that its lines are contiguous:
        # (axis, permutation of (var, z, y, x), inverse permutation)
        transposes = [(1, (0, 1, 3, 2), (0, 1, 3, 2)), (2, (0, 2, 3, 1), (0, 3, 1, 2))]
        self._transposes = transposes[: self.ndim - 1]
        self._buffers = {
            a: (
                np.empty(tuple(self.U.shape[i] for i in order)),
                np.empty(tuple(self.U.shape[i] for i in order)),
            )
            for a, order, _ in self._transposes
        }
        self._bar: Any = None
        self._pending = 0.0
        self._energy0 = self._gas_energy()

    # ------------------------------------------------------------------ operators
    def _rhs(self, U: np.ndarray) -> float:
        nv = U.shape[0]
        nx = self.internal[2]
        primitives(U.reshape(nv, -1), self.W.reshape(nv, -1))
        self.dU[...] = 0.0
        args = (1.0 / self.dx, 1.0, self.limiter)
        # x: lines are contiguous rows of the state
        total = hll_rows(self.W.reshape(nv, -1, nx), self.dU.reshape(nv, -1, nx), 1, *args)
        # y (and z): sweep a transposed copy whose lines are contiguous, add the result back
        for a, order, back in self._transposes:
            Wt, dUt = self._buffers[a]
            np.copyto(Wt, self.W.transpose(order))
            dUt[...] = 0.0
            n_line = Wt.shape[-1]
            total += hll_rows(Wt.reshape(nv, -1, n_line), dUt.reshape(nv, -1, n_line), 1 + a, *args)
            self.dU += dUt.transpose(back)
        return total

    def _hydro(self, dt: float) -> None:
        gain1 = self._rhs(self.U)
        np.multiply(self.dU, dt, out=self.U1)
        self.U1 += self.U
        gain2 = self._rhs(self.U1)
        self.U1 += dt * self.dU
        self.U += self.U1
        self.U *= 0.5
        self.cr_gain += 0.5 * dt * (gain1 + gain2) * self.dV

    def _transport(self, dt: float) -> None:
        if not self.has_cr or (self.kappa == 0.0 and not self.streaming):
            return
        nx = self.internal[2]
        energy = self.U[-1].reshape(-1, nx)
        heating = np.zeros(energy.shape[0])
        if not self.streaming or STREAMING_SCHEME == "lagged":
            diffuse_rows(
                energy,
                self.U[0].reshape(-1, nx),
                dt,
                self.dx,
                self.kappa,
                self.va0,
                STREAMING_LENGTH,
                self.streaming,
                heating,
            )
            self.streaming_heating += heating.sum() * self.dV
            return
        iterations = np.zeros(energy.shape[0], dtype=np.int64)
        stream_rows(
            energy,
            self.U[0].reshape(-1, nx),
            dt,
            self.dx,
            self.kappa,
            self.va0,
            STREAMING_LENGTH,
            STREAMING_TOL,
            STREAMING_MAX_ITER,
            heating,
            iterations,
        )
        self.streaming_heating += heating.sum() * self.dV
        self.streaming_iterations += int(iterations.sum())
        self.streaming_rows += iterations.size
        self.streaming_unconverged += int(np.count_nonzero(iterations >= STREAMING_MAX_ITER))

    def _kick(self, dt: float) -> None:
        forcing = self.forcing
        if forcing is None:
            return
        forcing.advance(dt)
        acc = forcing.field().reshape(self.ndim, *self.internal)
        rho = self.U[0]
        mass = rho.sum()
        for a in range(self.ndim):
            acc[a] -= (rho * acc[a]).sum() / mass
        quad = 0.5 * dt**2 * float(np.sum(rho * acc**2)) * self.dV
        lin = dt * float(np.sum(self.U[1 : 1 + self.ndim] * acc)) * self.dV
        target = forcing.epsilon * dt * self.volume
        if quad <= 0.0:
            return
        disc = math.sqrt(lin**2 + 4.0 * quad * target)
        scale = (disc - lin) / (2.0 * quad) if lin < 0 else 2.0 * target / (disc + lin)
        self.U[1 : 1 + self.ndim] += (scale * dt) * rho * acc
        self.injected += quad * scale**2 + lin * scale

    def time_step(self) -> float:
        """CFL time step from the current state."""
        nv = self.U.shape[0]
        primitives(self.U.reshape(nv, -1), self.W.reshape(nv, -1))
        return self.cfl * self.dx / max_signal_speed(self.W.reshape(nv, -1), 1.0)

    def step(self, dt: float) -> None:
        """One Strang-split step: transport(dt/2), hydro(dt), forcing kick, transport(dt/2).

        The closing half step is deferred and merged with the opening half of the next step
        (exact for the linear diffusion operator, half the cost); :meth:`flush` applies it.
        """
        self._transport(self._pending + 0.5 * dt)
        self._hydro(dt)
        self._kick(dt)
        self._pending = 0.5 * dt
        self.t += dt
        self.n_steps += 1
        if self._bar is not None:
            self._bar.update(dt)

    def advance_to(self, t_stop: float) -> None:
        """Step until ``t == t_stop`` (the last step is shortened to land on it)."""
        import numba

        previous = numba.get_num_threads()
        numba.set_num_threads(min(self.n_threads, numba.config.NUMBA_NUM_THREADS))
        try:
            self._advance_to(t_stop)
        finally:
            numba.set_num_threads(previous)

    def flush(self) -> None:
        """Apply the deferred closing transport half step (before any output)."""
        if self._pending > 0.0:
            self._transport(self._pending)
            self._pending = 0.0

    def _advance_to(self, t_stop: float) -> None:
        while self.t < t_stop * (1.0 - 1e-12) - 1e-300:
            dt = min(self.time_step(), t_stop - self.t)
            self.step(dt)
            if not np.all(np.isfinite(self.U[:, 0, 0])) or self.U[0].min() <= 0.0:
                raise FloatingPointError(
                    f"crfluid: the state became unphysical at t = {self.t:.4g} "
                    "(negative density or NaN); lower cfl or the Mach number."
                )
        self.flush()

    @contextlib.contextmanager
    def progress(self, total: float, verbose: int, description: str) -> Iterator[None]:
        """Show a tqdm bar over simulated time while inside the block."""
        from tqdm.auto import tqdm

        with tqdm(total=total, desc=description, disable=verbose == 0, leave=False) as bar:
            self._bar = bar
            try:
                yield
            finally:
                self._bar = None

    # ------------------------------------------------------------------ outputs
    def _gas_energy(self) -> float:
        rho = self.U[0]
        kinetic = 0.5 * float(np.sum(self.U[1 : 1 + self.ndim] ** 2 / rho)) * self.dV
        return kinetic + float(np.sum(rho * np.log(rho))) * self.dV

    def diagnostics(self) -> dict[str, float]:
        """Energies, rms Mach number and cumulative budget terms at the current time."""
        rho = self.U[0]
        kinetic = 0.5 * float(np.sum(self.U[1 : 1 + self.ndim] ** 2 / rho)) * self.dV
        iso = float(np.sum(rho * np.log(rho))) * self.dV
        speed2 = np.sum((self.U[1 : 1 + self.ndim] / rho) ** 2, axis=0)
        return {
            "time": self.t,
            "mach": float(np.sqrt(speed2.mean())),
            "mass": float(rho.sum()) * self.dV,
            "kinetic_energy": kinetic,
            "isothermal_energy": iso,
            "cr_energy": float(self.U[-1].sum()) * self.dV,
            "injected": self.injected,
            "cr_gain": self.cr_gain,
            "streaming_heating": self.streaming_heating,
            "streaming_iterations": self.streaming_iterations / max(self.streaming_rows, 1),
            "streaming_unconverged": float(self.streaming_unconverged),
            "gas_dissipation": self.injected - self.cr_gain - (kinetic + iso - self._energy0),
        }

    def fields(self, names: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Return copies of the requested fields (density, velocity, cr_energy), ``[x, y(, z)]``."""
        shape = (self.n,) * self.ndim
        rho = self.U[0].reshape(shape)
        out: dict[str, np.ndarray] = {}
        for name in names:
            if name == "density":
                out["density"] = rho.T.copy()
            elif name == "cr_energy":
                out["cr_energy"] = self.U[-1].reshape(shape).T.copy()
            elif name == "velocity":
                for a in range(self.ndim):
                    out[f"velocity_{'xyz'[a]}"] = (self.U[1 + a].reshape(shape) / rho).T.copy()
        return out
