"""The scenes' partial movies are encoded with scenes/kit/encoder.py's x264 settings, not manim's own."""
import re

import av
import numpy as np
from manim.scene.scene_file_writer import SceneFileWriter, _PartialMovieEncodeJob

import scenes.kit.scene  # noqa: F401  (installs the encoder settings)
from scenes.kit import encoder


def x264_options(path) -> dict:
    """The options x264 wrote into the stream (its SEI text: "... options: cabac=1 ref=1 ...")."""
    text = path.read_bytes().split(b"options: ", 1)[1].split(b"\x00", 1)[0].decode("ascii", "replace")
    return dict(kv.split("=", 1) for kv in text.split() if "=" in kv)


def encode_three(path, codec="libx264", settings=True):
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=15, options={"crf": "23"} if codec == "libx264" else {})
        stream.pix_fmt, stream.width, stream.height = "yuv420p", 64, 48
        before = dict(stream.codec_context.options)
        if settings:
            encoder.apply(stream)
        after = dict(stream.codec_context.options)
        for i in range(3):
            frame = np.full((48, 64, 4), 40 * i, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgba")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return before, after


def test_scenes_open_their_partial_movies_with_the_settings():
    assert SceneFileWriter.open_partial_movie_stream is encoder.open_partial_movie_stream


def test_x264_encodes_with_the_preset_crf_and_threads(tmp_path):
    encode_three(tmp_path / "ours.mp4")
    encode_three(tmp_path / "manim.mp4", settings=False)
    ours, manims = x264_options(tmp_path / "ours.mp4"), x264_options(tmp_path / "manim.mp4")
    assert float(ours["crf"]) == float(encoder.CRF) and float(manims["crf"]) == 23.0
    assert ours["threads"] == str(encoder.THREADS)
    # the preset shows in the motion search it sets: veryfast's subpixel refinement 2, medium's 7
    assert (ours["subme"], manims["subme"]) == ("2", "7")


def test_other_codecs_are_left_alone(tmp_path):
    before, after = encode_three(tmp_path / "other.mp4", codec="mpeg4")
    assert before == after


def test_a_frame_written_many_times_gives_the_same_bytes_as_manims_encode(tmp_path):
    """A wait's frame converted once gives the file manim's own per-copy conversion gives."""
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (48, 64, 4), dtype=np.uint8) for _ in range(3)]
    digests = []
    for name, write in (("manim", encoder._ORIGINAL_ENCODE), ("ours", encoder.encode_and_write_frame)):
        path = tmp_path / f"{name}.mp4"
        with av.open(str(path), "w") as out:
            stream = out.add_stream("libx264", rate=15, options={"crf": "23"})
            stream.pix_fmt, stream.width, stream.height = "yuv420p", 64, 48
            encoder.apply(stream)
            job = SimpleNamespace(stream=stream, container=out)
            for frame, copies in zip(frames, (4, 1, 6)):
                write(job, frame, copies)
            for packet in stream.encode():
                out.mux(packet)
        digests.append(path.read_bytes())
        with av.open(str(path)) as c:
            assert sum(1 for _ in c.decode(video=0)) == 11
    assert digests[0] == digests[1]
    assert _PartialMovieEncodeJob._encode_and_write_frame is encoder.encode_and_write_frame


def test_cached_partial_movies_are_named_with_the_settings(tmp_path):
    """A partial movie encoded under other settings (another preset, CRF, or manim's own) has another
    name, so a render never splices it into a new video."""
    from manim import Circle, Create, Scene, tempconfig
    from manim.renderer import cairo_renderer

    assert cairo_renderer.get_hash_from_play_call is encoder.get_hash_from_play_call

    class OnePlay(Scene):
        def construct(self):
            self.play(Create(Circle()), run_time=0.2)

    with tempconfig({"media_dir": str(tmp_path), "quality": "low_quality", "progress_bar": "none"}):
        scene = OnePlay()
        scene.render()
    names = [p.stem for p in tmp_path.rglob("partial_movie_files/OnePlay/*.mp4")]
    assert len(names) == 1 and names[0].endswith(f"_{encoder.TAG}")
    assert names[0].removesuffix(f"_{encoder.TAG}").count("_") == 2        # manim's own three-part hash before it
