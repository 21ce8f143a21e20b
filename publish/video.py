"""Video exports with PyAV (no system ffmpeg): fast-start MP4, VP9 WebM, looping GIF, poster PNG.

One decode of the rendered MP4 feeds the WebM encoder, the GIF frames and the poster choice.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from .files import atomic_path
from .poster import PosterPicker

GIF_MAX_WIDTH = 480
GIF_MAX_FPS = 10
GIF_MAX_BYTES = 8 * 1024 * 1024
GIF_COLORS = 128
# VP9 at constant quality; 'good' deadline with a fast cpu-used: small files at a few x real time
WEBM_OPTIONS = {"crf": "33", "b": "0", "deadline": "good", "cpu-used": "5", "row-mt": "1"}
# the WebM (Matroska) muxer writes a random segment ID into every file unless told to be bit-exact:
# the same command twice then gives the same bytes
WEBM_CONTAINER = {"fflags": "+bitexact"}


@dataclass
class Info:
    width: int
    height: int
    fps: float
    seconds: float
    codec: str
    pix_fmt: str


def probe(path: Path) -> Info:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        seconds = float(c.duration / av.time_base) if c.duration else float(s.duration * s.time_base)
        return Info(s.codec_context.width, s.codec_context.height, float(s.average_rate or s.guessed_rate),
                    seconds, s.codec_context.name, s.codec_context.format.name if s.codec_context.format else "")


def export_mp4(src: Path, dest: Path) -> None:
    """H.264 yuv420p with the moov atom first (+faststart), so browsers start playing at once.
    manim already encodes H.264 yuv420p, so the stream is copied, not re-encoded."""
    info = probe(src)
    if info.codec != "h264" or info.pix_fmt != "yuv420p":
        return _transcode_h264(src, dest, info)
    with atomic_path(dest) as tmp, av.open(str(src)) as inp:
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            ins = inp.streams.video[0]
            outs = out.add_stream_from_template(ins)
            for packet in inp.demux(ins):
                if packet.dts is None:       # the demuxer's flush packet
                    continue
                packet.stream = outs
                out.mux(packet)


def _transcode_h264(src: Path, dest: Path, info: Info) -> None:
    with atomic_path(dest) as tmp, av.open(str(src)) as inp:
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            rate = Fraction(inp.streams.video[0].average_rate)
            s = out.add_stream("libx264", rate=rate)
            s.width, s.height, s.pix_fmt = info.width, info.height, "yuv420p"
            s.options = {"crf": "20", "preset": "medium"}
            encode_frames(inp.decode(video=0), s, out, rate)


def encode_frames(frames, stream, out, rate: Fraction) -> None:
    """Encode decoded frames as yuv420p at a constant `rate` (frame i at time i / rate), then flush."""
    for i, frame in enumerate(frames):
        frame = frame.reformat(format="yuv420p")
        frame.pts, frame.time_base = i, 1 / rate
        for p in stream.encode(frame):
            out.mux(p)
    for p in stream.encode(None):
        out.mux(p)


def _gif_frame(rgb: np.ndarray, width: int) -> Image.Image:
    h, w = rgb.shape[:2]
    width = min(width, w)
    height = max(2, round(h * width / w / 2) * 2)
    return Image.fromarray(rgb).resize((width, height), Image.LANCZOS)


def _write_gif(frames: list[Image.Image], times: list[float], end: float, dest: Path) -> int:
    """One shared palette (from frames spread over the video): small files, no palette flicker.
    Frame durations follow the frame times (GIF counts in 1/100 s), so the GIF keeps real time."""
    picks = frames[:: max(1, len(frames) // 12)][:12]
    w, h = picks[0].size
    sheet = Image.new("RGB", (w, h * len(picks)))
    for i, f in enumerate(picks):
        sheet.paste(f, (0, i * h))
    palette = sheet.quantize(colors=GIF_COLORS, method=Image.Quantize.MEDIANCUT)
    pal_frames = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]
    cs = [round(t * 100) for t in times] + [round(end * 100)]
    durations = [max(2, b - a) * 10 for a, b in zip(cs, cs[1:])]
    buf = io.BytesIO()
    pal_frames[0].save(buf, format="GIF", save_all=True, append_images=pal_frames[1:],
                       duration=durations, loop=0, optimize=False, disposal=1)
    with atomic_path(dest) as tmp:
        tmp.write_bytes(buf.getvalue())
    return len(buf.getvalue())


def export_derived(src: Path, webm: Path, gif: Path, poster: Path, bg_hex: str,
                   poster_time: float | None = None, beat_ends=(), poster_beat: int | None = None) -> dict:
    """WebM (VP9), looping GIF (<= GIF_MAX_WIDTH px wide, <= GIF_MAX_FPS fps, <= GIF_MAX_BYTES) and
    poster PNG (a beat's settled end state, publish/poster.py) from one decode of `src`."""
    bg = np.array([int(bg_hex[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    gif_frames: list[Image.Image] = []
    gif_times: list[float] = []
    with atomic_path(webm) as tmp_webm, av.open(str(src)) as inp:
        ins = inp.streams.video[0]
        rate = Fraction(ins.average_rate)
        step = -(-rate.numerator // (rate.denominator * GIF_MAX_FPS))   # every step-th frame: <= 10 fps
        with av.open(str(tmp_webm), "w", format="webm", options=WEBM_CONTAINER) as out:
            s = out.add_stream("libvpx-vp9", rate=rate)
            s.width, s.height, s.pix_fmt = ins.codec_context.width, ins.codec_context.height, "yuv420p"
            s.options = dict(WEBM_OPTIONS, g=str(int(round(float(rate) * 5))))
            picker = PosterPicker(float(rate), bg, beat_ends, poster_beat, poster_time)
            last = {}                                   # the last frame, its index and end time

            def frames_seen():
                """The decoded frames, each on its way to the encoder also read for the GIF and the poster."""
                for i, frame in enumerate(inp.decode(ins)):
                    t = float(frame.time)
                    if i % step == 0 or picker.wants(i):
                        rgb = frame.to_ndarray(format="rgb24")
                        if i % step == 0:
                            gif_frames.append(_gif_frame(rgb, GIF_MAX_WIDTH))
                            gif_times.append(t)
                        if picker.wants(i):
                            picker.feed(i, rgb)
                    last.update(i=i, frame=frame, end=t + 1 / float(rate))
                    yield frame

            encode_frames(frames_seen(), s, out, rate)
    end = last["end"]
    picker.last = (last["i"], last["frame"].to_ndarray(format="rgb24"))   # should no poster have been found
    picture, chosen = picker.result()
    with atomic_path(poster) as tmp:
        Image.fromarray(picture).save(tmp, format="PNG", optimize=True)
    # bound the GIF's size: shrink width and frame rate until it fits
    width, frames, times = gif_frames[0].size[0], gif_frames, gif_times
    fps = float(rate) / step
    while True:
        size = _write_gif(frames, times, end, gif)
        if size <= GIF_MAX_BYTES or width <= 160:
            break
        width = int(width * 0.75)
        keep = 2 if fps > 6 else 1
        frames = [f.resize((width, max(2, round(f.size[1] * width / f.size[0] / 2) * 2)), Image.LANCZOS)
                  for f in frames[::keep]]
        times, fps = times[::keep], fps / keep
    return dict(gif_width=width, gif_fps=round(fps, 3), gif_bytes=size, gif_frames=len(frames), **chosen)
