"""The H.264 settings manim encodes every partial movie with: x264's "veryfast" preset at CRF 20, one
thread.

manim encodes with x264's default preset ("medium") at CRF 23 and as many threads as cores. On a
scene's raw frames (`python -m bench.encoder`, bench/reports/encoder.md), "veryfast" at CRF 20
takes far less CPU time for a file of about the same size and a picture within about a decibel of PSNR:
a scene's frames are flat colours and thin lines, where the slower presets' extra motion search finds
little, and encoding was a large share of every render. One thread: renders run two
at a time (`make all -j 2`), and threads add work to split and join the frames. And a frame that manim
writes many times over (every frame of a `wait()` without updaters) is converted from RGBA to the
encoder's yuv420p once, not once per copy: the same bytes, about 1 ms less per copy at 480p. manim
reuses a cached partial movie when a play's hash matches; the settings are part of that hash here, so
a movie encoded under other settings is never spliced into a new video.

`install()` is called when scenes.kit.scene is imported; importing this module changes nothing.
"""
from __future__ import annotations

import av
from manim.renderer import cairo_renderer
from manim.scene.scene_file_writer import SceneFileWriter, _PartialMovieEncodeJob

PRESET = "veryfast"
CRF = "20"
THREADS = 1
TAG = f"x264-{PRESET}-crf{CRF}"       # in every partial movie's name (its hash)

_ORIGINAL_OPEN = SceneFileWriter.open_partial_movie_stream
_ORIGINAL_ENCODE = _PartialMovieEncodeJob._encode_and_write_frame
_ORIGINAL_HASH = cairo_renderer.get_hash_from_play_call


def apply(stream) -> None:
    """Set the x264 options on a libx264 stream that has not encoded a frame yet (others unchanged)."""
    if stream.codec_context.name != "libx264":
        return
    stream.codec_context.options = {**stream.codec_context.options, "preset": PRESET, "crf": CRF}
    stream.codec_context.thread_count = THREADS


def open_partial_movie_stream(self, file_path=None) -> None:
    """manim's open_partial_movie_stream, then the x264 settings above (the codec opens at its first frame)."""
    _ORIGINAL_OPEN(self, file_path)
    apply(self._current_encode_job.stream)


def encode_and_write_frame(self, frame, num_frames: int) -> None:
    """manim's _encode_and_write_frame (`num_frames` copies of one RGBA frame), converting the frame to
    yuv420p once; each copy is still a frame of its own (x264 keeps the frames it is handed)."""
    stream = self.stream
    if (num_frames <= 1 or stream.codec_context.name != "libx264" or stream.pix_fmt != "yuv420p"
            or frame.shape[:2] != (stream.height, stream.width)):
        return _ORIGINAL_ENCODE(self, frame, num_frames)
    yuv = av.VideoFrame.from_ndarray(frame, format="rgba").reformat(format="yuv420p").to_ndarray()
    for _ in range(num_frames):
        for packet in stream.encode(av.VideoFrame.from_ndarray(yuv, format="yuv420p")):
            self.container.mux(packet)


def get_hash_from_play_call(*args, **kwargs) -> str:
    """manim's hash of a play call (what the partial movie is cached under), with the encoder settings."""
    return f"{_ORIGINAL_HASH(*args, **kwargs)}_{TAG}"


def install() -> None:
    """Encode manim's partial movies with the settings above (idempotent)."""
    SceneFileWriter.open_partial_movie_stream = open_partial_movie_stream
    _PartialMovieEncodeJob._encode_and_write_frame = encode_and_write_frame
    cairo_renderer.get_hash_from_play_call = get_hash_from_play_call     # imported by name there
