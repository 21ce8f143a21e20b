"""python -m publish blog [--quality l] [--scenes A B] | slides NAME [--quality l]"""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m publish")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("blog", help="MP4, WebM, GIF, poster, subtitles and a gallery for every scene")
    b.add_argument("--quality", "-q", default="l")
    b.add_argument("--scenes", nargs="*", help="only these scenes (default: every scene)")
    s = sub.add_parser("slides", help="manim-slides deck of one scene, with offline PDF and HTML")
    s.add_argument("scene")
    s.add_argument("--quality", "-q", default="l")
    args = p.parse_args(argv)
    if args.cmd == "blog":
        from .blog import build
        build(args.quality, args.scenes)
    else:
        from .slides import build
        build(args.scene, args.quality)
    return 0


if __name__ == "__main__":
    sys.exit(main())
