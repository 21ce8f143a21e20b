"""python -m publish blog [--quality l] [--scenes A B] | figures [--only A B] [--out DIR] | slides NAME|--all [--quality l]
| film [--quality l] [--scenes A B] [--no-webm] | lecture [--quality l] [--scenes A B]"""
from __future__ import annotations

import argparse
import sys


def present(scene: str) -> int:
    import os
    import subprocess

    from .slides import slides_dir
    try:
        import qtpy.QtCore  # noqa: F401   (manim-slides present is a Qt application)
    except Exception:
        print("error: manim-slides present needs a Qt binding: .venv/bin/pip install 'manim-slides[pyside6]==5.7.0'\n"
              f"       Without one, open the offline deck {slides_dir() / (scene + '.html')} in a browser "
              "(arrow keys step through the beats) or use the PDF.", file=sys.stderr)
        return 2
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and sys.platform.startswith("linux"):
        print("error: no display (DISPLAY/WAYLAND_DISPLAY unset): present runs on a desktop; "
              f"the offline deck {slides_dir() / (scene + '.html')} works in any browser", file=sys.stderr)
        return 2
    return subprocess.call([sys.executable, "-m", "manim_slides", "present", scene, "--folder", str(slides_dir())])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m publish")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("blog", help="MP4, WebM, GIF, poster, subtitles and a gallery for every scene")
    b.add_argument("--quality", "-q", default="l")
    b.add_argument("--scenes", nargs="*", help="only these scenes (default: every scene)")
    f = sub.add_parser("figures", help="the interactive figures alone (no videos rendered) into media/blog/figures/")
    f.add_argument("--only", nargs="*", help="only these figures (default: every figure)")
    f.add_argument("--out", help="output folder (default: media/blog/figures, or blog-light with THEME=light)")
    s = sub.add_parser("slides", help="manim-slides deck of one scene, with offline PDF and HTML")
    s.add_argument("scene", nargs="?")
    s.add_argument("--all", action="store_true", help="every scene's deck in series order, with an index.html")
    s.add_argument("--quality", "-q", default="l")
    fi = sub.add_parser("film", help="one MP4/WebM of the series with chapter cards, subtitles and chapters")
    fi.add_argument("--quality", "-q", default="l")
    fi.add_argument("--scenes", nargs="*", help="only these scenes and their chapters (default: the series)")
    fi.add_argument("--no-webm", action="store_true", help="the MP4 alone (the WebM encodes every part once)")
    le = sub.add_parser("lecture", help="one manim-slides deck of the series: chapter slides, then every beat")
    le.add_argument("--quality", "-q", default="l")
    le.add_argument("--scenes", nargs="*", help="only these scenes and their chapters (default: the series)")
    pr = sub.add_parser("present", help="present built slides with manim-slides (needs a desktop and Qt)")
    pr.add_argument("scene")
    args = p.parse_args(argv)
    if args.cmd == "present":
        return present(args.scene)
    from diffusion.core.presets import active_preset
    from scenes.kit.preset import use_preset
    use_preset(active_preset())          # the models the figures and renders load are of this preset
    if args.cmd == "figures":
        from pathlib import Path

        from .blog import out_dir
        from .figures import build as build_figures
        build_figures(Path(args.out) if args.out else out_dir() / "figures", args.only)
        return 0
    if args.cmd == "film":
        from .film import build as build_film
        build_film(args.quality, args.scenes, webm=not args.no_webm)
        return 0
    if args.cmd == "lecture":
        from .lecture import build as build_lecture
        build_lecture(args.quality, args.scenes)
        return 0
    if args.cmd == "blog":
        from .blog import build
        build(args.quality, args.scenes)
    elif args.all:
        from .slides import build_series
        build_series(args.quality)
    elif args.scene:
        from .slides import build
        build(args.scene, args.quality)
    else:
        p.error("slides: name a scene, or --all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
