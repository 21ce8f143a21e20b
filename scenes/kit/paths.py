"""Many straight segments as one VMobject: Bezier points of polylines and closed paths, a bundle of
paths and the animation that grows them all at once."""
from __future__ import annotations

import numpy as np
from manim import Animation, VMobject


def straight_cubics(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The cubic Bezier control points of straight segments a -> b (arrays (..., d)): (..., 4, d).
    Many segments in one VMobject are drawn by one cairo path instead of a mobject each."""
    return np.stack([a, a + (b - a) / 3, a + 2 * (b - a) / 3, b], axis=-2)


def closed_paths(corners: np.ndarray, handles: np.ndarray | None = None) -> np.ndarray:
    """Cubic Bezier points of closed paths through `corners` (N, k, 2): straight edges, or arcs where
    `handles` (N, k, 2, 2) gives each edge's two control points. Returns (N * k * 4, 3) for set_points."""
    nxt = np.roll(corners, -1, axis=1)
    if handles is None:
        pts = straight_cubics(corners, nxt).reshape(-1, 2)
    else:
        pts = np.stack([corners, handles[:, :, 0], handles[:, :, 1], nxt], axis=2).reshape(-1, 2)
    return np.c_[pts, np.zeros(len(pts))]


class PolylineBundle(VMobject):
    """N polylines of K corners each (points (N, K, 3)) as ONE VMobject, one subpath each: drawing a
    hundred particle paths as a hundred VMobjects makes every frame of their Create a hundred partial
    copies; `GrowPaths` grows all of them at once from this one point array."""

    def __init__(self, corners: np.ndarray, **style_kw):
        super().__init__(**style_kw)
        corners = np.asarray(corners, dtype=np.float64)
        self.n_paths, self.n_segments = corners.shape[0], corners.shape[1] - 1
        a, b = corners[:, :-1], corners[:, 1:]
        self.set_points(straight_cubics(a, b).reshape(-1, 3))


class GrowPaths(Animation):
    """Create for a PolylineBundle: every path grows from its first corner at the same pace (as
    Create(VGroup(*paths), lag_ratio=0) does), by cutting one point array at alpha."""

    def __init__(self, bundle: PolylineBundle, **kwargs):
        super().__init__(bundle, introducer=True, **kwargs)

    def begin(self):
        self.full = self.mobject.points.copy().reshape(self.mobject.n_paths, self.mobject.n_segments, 4, 3)
        super().begin()

    def interpolate_mobject(self, alpha: float):
        s = self.mobject.n_segments
        a = self.rate_func(alpha) * s
        k = min(int(a), s - 1)
        f = a - k
        seg = self.full.copy()
        p0, p3 = seg[:, k, 0], seg[:, k, 3]
        end = p0 + (p3 - p0) * f                          # straight segments: the cut is a linear interpolation
        seg[:, k] = straight_cubics(p0, end)
        seg[:, k + 1:] = end[:, None, None, :]            # the rest waits, collapsed, at the growing end
        self.mobject.set_points(seg.reshape(-1, 3))

    def finish(self):
        self.mobject.set_points(self.full.reshape(-1, 3))
        super().finish()
