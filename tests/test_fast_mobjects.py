"""The cheap mobjects renders rely on: GlyphNumber (a per-frame number from glyphs typeset once) draws
what Text/MathTex would draw; arrow fields and point clouds are one VMobject whose arrows start and end
where they should; a copied Text shares its parsed SVG paths (scenes.kit.svg_cache)."""
import numpy as np
import pytest
from manim import MathTex, Text

import scenes.kit.svg_cache  # noqa: F401  (installed when scenes.kit.text is imported)
from scenes.kit.audit import _text_types, cap_px
from scenes.kit.numbers import GlyphNumber
from scenes.kit.plane import PlanePanel, arrow_field, point_cloud


def _points(mob):
    return np.concatenate([m.points for m in mob.family_members_with_points()])


def _same_drawing(a, b, tol=0.01):
    pa, pb = _points(a), _points(b)
    assert pa.shape == pb.shape
    pa = pa - pa.min(0)
    pb = pb - pb.min(0)
    return float(np.abs(pa - pb).max()) < tol


def plural(n):
    return "{} pair flipped" if n == 1 else "{} pairs flipped"


@pytest.mark.parametrize("value", [0, 1, 7, 53, 120, 1000])
def test_text_number_matches_text(value):
    g = GlyphNumber(3, plural, size=30).shift([2, -1, 0])
    g.set_value(value)
    assert g.text == str(value)
    assert _same_drawing(g, Text(plural(value).format(value), font_size=30))


@pytest.mark.parametrize("value,decimals,sign", [(0.5, 2, False), (0.937, 3, False), (-0.25, 2, True),
                                                 (0.03, 2, True), (417, 0, False)])
def test_tex_number_matches_mathtex(value, decimals, sign):
    g = GlyphNumber(1.0, decimals=decimals, size=36, kind="tex", sign=sign)
    g.set_value(value)
    text = f"{value:{'+' if sign else ''}.{decimals}f}"
    assert g.text == text
    assert _same_drawing(g, MathTex(text, font_size=36))


def test_set_value_keeps_left_edge_baseline_and_scale():
    g = GlyphNumber(5, "t = {}", size=24).scale(2).move_to([1, 1, 0])
    left, bottom, h = g.get_left()[0], g.get_bottom()[1], g.height
    g.set_value(9)                              # same glyph height class: bottom and height stay
    assert abs(g.get_left()[0] - left) < 1e-9
    assert abs(g.font_size - 48) < 1e-6
    g.set_value(123)
    assert abs(g.get_left()[0] - left) < 1e-9 and abs(g.height - h) < 0.02 and abs(g.get_bottom()[1] - bottom) < 0.02


def test_audit_reads_it_as_text_at_its_drawn_size():
    g = GlyphNumber(12, "{} edges", size=22)
    assert isinstance(g, _text_types())
    assert abs(cap_px(g) - cap_px(Text("12 edges", font_size=22))) < 0.05
    assert abs(cap_px(g.scale(0.5)) - cap_px(Text("12 edges", font_size=11))) < 0.05


def test_arrow_field_is_one_mobject_with_arrows_at_their_points():
    panel = PlanePanel(3.0, 6.0)
    pts = np.array([[0.0, 0.0], [1.0, 1.0], [-2.0, 1.0]])
    vec = np.array([[1.0, 0.0], [0.0, -1.0], [1e-6, 0.0]])           # the last is a dot
    f = arrow_field(panel, pts, vec, scale=0.5, color="#ffffff", cell=0.4)
    assert not f.submobjects
    per = len(f.points) // 3
    centres = panel.c2p(pts)
    first = f.points[:per]
    # the first arrow points along +x: its tip (the outline's right end) is half its length right
    assert np.isclose(first[:, 0].max(), centres[0, 0] + 0.95 * 0.4 / 2)
    assert np.isclose(first[:, 1].mean(), centres[0, 1], atol=1e-9)
    second = f.points[per:2 * per]
    assert np.isclose(second[:, 1].min(), centres[1, 1] - 0.95 * 0.4 / 2)
    dot = f.points[2 * per:]
    assert np.abs(dot[:, :2] - centres[2, :2]).max() < 0.02
    g = arrow_field(panel, pts, -vec, scale=0.5, color="#ffffff", cell=0.4)
    assert g.points.shape == f.points.shape                     # Transform moves arrow k into arrow k


def test_point_cloud_leaves_out_points_outside_the_window():
    panel = PlanePanel(2.0, 4.0)
    cloud = point_cloud(panel, np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 0.0]]), "#ffffff")
    assert len(cloud.points) == 2 * 4 * 4                      # two circles of four cubic arcs


def test_copied_text_shares_its_parsed_paths_but_not_its_points():
    t = Text("shared glyphs", font_size=30)
    c = t.copy()
    g, h = t.submobjects[0], c.submobjects[0]
    assert h.path_obj is g.path_obj                            # read-only after parsing: shared
    assert h is not g and h.points is not g.points
    c.shift([1, 0, 0])
    assert np.allclose(h.points[:, 0], g.points[:, 0] + 1)     # the copy moves, the original stays


def test_grow_paths_grows_every_path_at_the_same_pace():
    from scenes.kit.paths import GrowPaths, PolylineBundle
    corners = np.zeros((3, 5, 3))
    corners[:, :, 0] = np.arange(5)[None, :]                    # each path runs x = 0..4 along its own y
    corners[:, :, 1] = np.arange(3)[:, None]
    b = PolylineBundle(corners, stroke_width=2)
    assert len(b.points) == 3 * 4 * 4
    grow = GrowPaths(b, rate_func=lambda a: a)
    grow.begin()
    grow.interpolate(0.5)
    pts = b.points.reshape(3, 4, 4, 3)
    assert np.allclose(pts[..., 0].max(axis=(1, 2)), 2.0)        # every path halfway, none ahead
    assert np.allclose(pts[:, :, :, 1], np.arange(3)[:, None, None])
    grow.interpolate(0.0)
    assert np.allclose(b.points.reshape(3, -1, 3)[:, :, 0], 0.0)
    grow.finish()
    assert np.allclose(b.points.reshape(3, 4, 4, 3)[:, -1, -1, 0], 4.0)


def test_density_histogram_bars_have_unit_area_and_stand_on_the_axis():
    from manim import Axes
    from scenes.kit.plots import density_histogram
    ax = Axes(x_range=[-4, 4, 1], y_range=[0, 1, 0.5], x_length=8, y_length=4).shift([1, -1, 0])
    values = np.random.default_rng(0).normal(size=5000)
    edges = np.linspace(-4, 4, 33)
    bars = density_histogram(ax, values, edges)
    rects = bars.points.reshape(-1, 4, 4, 3)[:, :, 0, :2]            # the 4 corners of each bar
    w = np.ptp(rects[:, :, 0], axis=1) / (8 / 8)                      # axis units (1 unit = 1 x, 4 / 1 y)
    h = np.ptp(rects[:, :, 1], axis=1) / (4 / 1)
    inside = np.abs(values) < 4
    assert np.isclose((w * h).sum(), inside.mean(), atol=1e-3)
    assert np.allclose(rects[:, :, 1].min(axis=1), ax.c2p(0, 0)[1])
    clipped = density_histogram(ax, values, edges, y_max=0.2)
    assert np.ptp(clipped.points[:, 1]) <= 0.2 * 4 + 1e-9


def test_panel_maps_plane_points_as_its_axes_do():
    panel = PlanePanel(3.0, 5.0).shift([1, 2, 0]).scale(0.7)
    xy = np.random.default_rng(1).normal(size=(10, 2))
    assert np.allclose(panel.c2p(xy), [panel.axes.c2p(x, y) for x, y in xy])


def test_centred_number_keeps_its_centre_as_its_width_changes():
    g = GlyphNumber(7, "{} edges", size=22, align="centre").move_to([1.5, -2, 0])
    g.set_value(1234)
    assert abs(g.get_x() - 1.5) < 1e-9
    with pytest.raises(ValueError):
        GlyphNumber(1, align="right")
