"""What the scenes' H.264 settings (scenes/kit/encoder.py) cost and give, against manim's own.

    python -m bench.encoder                      # ProbabilityFlow's frames 300-899, every setting
    python -m bench.encoder --scene Guidance --frames 300

The scene is rendered at -ql in this process and its raw frames (before any encoder) are kept; each
setting then encodes the same frames with PyAV, as manim does (RGBA frames to yuv420p). CPU time is the
process's (the encoder's threads included); PSNR is against the raw frames. Writes
bench/reports/encoder.md; a missed bound exits 1.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.report import Report
from diffusion.core.presets import active_preset

# (name, x264 preset, CRF, threads: 0 = as many as cores); manim's own settings first
SETTINGS = [
    ("manim's default", "medium", "23", 0),
    ("veryfast, CRF 23", "veryfast", "23", 1),
    ("scenes (veryfast, CRF 20)", None, None, None),     # filled from scenes.kit.encoder
]
MAX_CPU_SHARE = 0.7       # of manim's default
MAX_SIZE_SHARE = 1.1
MAX_PSNR_LOSS_DB = 1.5


def raw_frames(name: str, skip: int, count: int) -> list[np.ndarray]:
    """Frames skip .. skip+count-1 of scene `name` rendered at -ql, as the renderer handed them to the encoder."""
    from manim import tempconfig
    from manim.scene.scene_file_writer import SceneFileWriter

    from scenes.kit.registry import check_scene, discover, prepare

    scenes = discover()
    check_scene(name, scenes)
    prepare(name, scenes)
    _, cls = scenes[name]
    kept, seen = [], [0]
    original = SceneFileWriter.write_frame

    def write_frame(self, frame, num_frames=1):
        for _ in range(num_frames):
            if skip <= seen[0] < skip + count:
                kept.append(np.array(frame, copy=True))
            seen[0] += 1
        return original(self, frame, num_frames)

    SceneFileWriter.write_frame = write_frame
    try:
        with tempconfig(dict(quality="low_quality", media_dir=tempfile.mkdtemp(prefix="bench-encoder-"),
                             disable_caching=True, progress_bar="none")):
            cls().render()
    finally:
        SceneFileWriter.write_frame = original
    if len(kept) < count:
        raise SystemExit(f"{name} has {seen[0]} frames; frames {skip}..{skip + count - 1} asked")
    return kept


def encode(frames: list[np.ndarray], path: Path, preset: str, crf: str, threads: int) -> float:
    """Encode `frames` as manim does, with these x264 settings; returns the CPU seconds it took."""
    import av

    c0 = time.process_time()
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=15, options={"an": "1", "crf": crf, "preset": preset})
        stream.codec_context.thread_count = threads
        stream.pix_fmt = "yuv420p"
        stream.height, stream.width = frames[0].shape[:2]
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgba")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return time.process_time() - c0


def psnr(frames: list[np.ndarray], path: Path) -> float:
    import av

    err, n = 0.0, 0
    with av.open(str(path)) as c:
        for raw, decoded in zip(frames, c.decode(video=0)):
            d = decoded.to_ndarray(format="rgb24").astype(np.float64) - raw[..., :3]
            err += float(np.mean(d * d))
            n += 1
    if n != len(frames):
        raise SystemExit(f"{path.name}: {n} frames decoded of {len(frames)}")
    return 10 * np.log10(255.0 ** 2 / (err / n))


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--scene", default="ProbabilityFlow")
    p.add_argument("--skip", type=int, default=300, help="frames left out at the start (the title card)")
    p.add_argument("--frames", type=int, default=600)
    args = p.parse_args(argv)
    if args.frames < 1 or args.skip < 0:
        raise SystemExit("--frames must be >= 1 and --skip >= 0")
    from scenes.kit import encoder
    from scenes.kit.preset import use_preset
    use_preset(active_preset())

    frames = raw_frames(args.scene, args.skip, args.frames)
    settings = [s if s[1] else (s[0], encoder.PRESET, encoder.CRF, encoder.THREADS) for s in SETTINGS]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-encoder-") as tmp:
        for label, preset, crf, threads in settings:
            out = Path(tmp) / f"{preset}-{crf}-{threads}.mp4"
            cpu = encode(frames, out, preset, crf, threads)
            rows.append(dict(setting=label, preset=preset, crf=crf, threads=threads or "all",
                             cpu_ms_per_frame=round(1000 * cpu / len(frames), 2),
                             kib=round(os.path.getsize(out) / 1024), psnr_db=round(psnr(frames, out), 2)))
            print(rows[-1], flush=True)
    base, ours = rows[0], rows[-1]
    rep = Report("encoder", "What the scenes' H.264 settings cost and give, against manim's own", argv=argv)
    rep.text(f"{args.frames} raw frames of {args.scene} at -ql (854x480, frames {args.skip}-"
             f"{args.skip + args.frames - 1}, as the renderer hands them to the encoder), each encoded with PyAV as "
             "manim encodes its partial movies. CPU: the process's CPU time (encoder threads included) per frame; "
             "PSNR against the raw frames.")
    rep.table(["setting", "x264 preset", "CRF", "threads", "CPU ms / frame", "size KiB", "PSNR dB"],
              [[r["setting"], r["preset"], r["crf"], r["threads"], r["cpu_ms_per_frame"], r["kib"], r["psnr_db"]]
               for r in rows])
    cpu_share = ours["cpu_ms_per_frame"] / base["cpu_ms_per_frame"]
    size_share = ours["kib"] / base["kib"]
    loss = base["psnr_db"] - ours["psnr_db"]
    rep.check("scenes' CPU / manim's default", round(cpu_share, 2), f"<= {MAX_CPU_SHARE}", cpu_share <= MAX_CPU_SHARE)
    rep.check("scenes' size / manim's default", round(size_share, 2), f"<= {MAX_SIZE_SHARE}",
              size_share <= MAX_SIZE_SHARE)
    rep.check("PSNR lost against manim's default (dB)", round(loss, 2), f"<= {MAX_PSNR_LOSS_DB}",
              loss <= MAX_PSNR_LOSS_DB)
    return rep.finish()


if __name__ == "__main__":
    raise SystemExit(main())
