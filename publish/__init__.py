"""Publishing: blog exports (MP4, WebM, GIF, poster, subtitles, gallery) and lecture slides.

  python -m publish blog   [--quality l] [--scenes A B ...]    -> media/blog/ (THEME=light: media/blog-light/)
  python -m publish slides NAME [--quality l]                  -> media/slides/NAME.{json,pdf,html}
  python -m publish film   [--quality l]                       -> media/film/film.{mp4,webm,srt,vtt}, chapters
  python -m publish lecture [--quality l]                      -> media/lecture/lecture.{html,pdf}

Generic over the scene registry (scenes/kit/registry.py): every scene joins without being listed here.
"""
