"""The film and the lecture deck in a real headless Chromium (no network but the local server), on
tiny synthetic parts: the film's chapters track loads, seeking to a chapter shows its card's frame,
and the deck's first slides load and play their own clips offline."""
from __future__ import annotations

from pathlib import Path

import pytest

from browser import StaticServer
from test_film import LAYOUT, make_parts
from test_lecture import DECKS, write_deck

pytestmark = pytest.mark.slow

from publish import film, lecture  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    made = film.assemble(make_parts(root / "src"), root / "film")
    decks = [(n, write_deck(root / "decks-src", n, k, 40 * i)) for i, (n, k) in enumerate(DECKS)]
    deck = lecture.assemble(decks, root / "lecture")
    from publish.blog import gallery, series_block            # the gallery page, linking both
    (root / "blog").mkdir()
    (root / "blog" / "index.html").write_text(gallery([], "l", (), series_block(made, deck, "../film", "../lecture")))
    with StaticServer(root) as srv:
        yield root, srv.url


@pytest.fixture(scope="module")
def browser():
    from browser import Browser
    with Browser(800, 600) as b:
        yield b


GREY = """(v => { const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d'); g.drawImage(v, 0, 0);
  const d = g.getImageData(c.width - 1, 0, 1, c.height).data; let s = 0;
  for (let i = 0; i < d.length; i += 4) s += d[i]; return s / (d.length / 4); })"""


def test_film_chapters_track_loads_and_seeking_lands_on_the_card(site, browser):
    root, url = site
    browser.goto(f"{url}/film/index.html", "document.getElementById('film').readyState >= 1")
    cues = browser.eval("""new Promise(done => {
        const t = [...document.getElementById('film').textTracks].find(t => t.kind === 'chapters');
        t.mode = 'hidden';
        const poll = () => t.cues && t.cues.length ? done([...t.cues].map(c => [c.startTime, c.endTime, c.text]))
                                                  : setTimeout(poll, 50);
        poll(); })""")
    assert [c[2] for c in cues] == ["1. Title 1", "2. Title 2"]
    cards = [(l, start) for l, start in zip(LAYOUT, _starts()) if l[0] == "card"]
    for (cue, ((kind, name, ch, n, shade, _), start)) in zip(cues, cards):
        assert cue[0] == pytest.approx(start, abs=1e-3)
        # seek to the middle of the scene before, then to the chapter: the frame shown is the card's
        browser.eval("(() => { const v = document.getElementById('film'); v.currentTime = v.duration * 0.9; })()")
        grey = browser.eval(f"""new Promise(done => {{ const v = document.getElementById('film');
            v.addEventListener('seeked', () => setTimeout(() => done(({GREY})(v)), 200), {{once: true}});
            v.currentTime = {cue[0]} + 0.001; }})""")
        assert grey == pytest.approx(shade, abs=10), (name, grey)
    # the stream-copied MP4 alone (the page prefers the WebM): it seeks to the second card too
    grey = browser.eval(f"""new Promise(done => {{ const v = document.getElementById('film');
        v.src = 'film.mp4';
        v.addEventListener('loadeddata', () => {{
          v.addEventListener('seeked', () => setTimeout(() => done([v.currentSrc, ({GREY})(v)]), 200), {{once: true}});
          v.currentTime = {cues[1][0]} + 0.001; }}, {{once: true}});
        v.load(); }})""")
    assert grey[0].endswith("film.mp4") and grey[1] == pytest.approx(cards[1][0][4], abs=10), grey
    # the chapter list's links seek there too
    browser.eval("document.querySelectorAll('#chapters a')[1].click()")
    t = browser.eval("document.getElementById('film').currentTime")
    assert t == pytest.approx(cues[1][0], abs=0.1)


def _starts() -> list[float]:
    out, t = [], 0.0
    for l in LAYOUT:
        out.append(t)
        t += l[3] / 15
    return out


def test_deck_first_slides_render_offline(site, browser):
    root, url = site
    browser.goto(f"{url}/lecture/lecture.html", "window.Reveal && Reveal.isReady()")
    assert browser.eval("Reveal.getTotalSlides()") == sum(k for _, k in DECKS)
    resources = browser.eval("performance.getEntriesByType('resource').map(r => r.name)")
    assert resources and all(r.startswith(url) for r in resources)       # nothing from a CDN
    for index, (deck, shade) in enumerate([("Chapter01", 0), ("Alpha", 40), ("Alpha", 60)]):
        state = browser.eval(f"""new Promise(done => {{
            const poll = () => {{
              const v = document.querySelector('.slide-background.present video');
              if (v && v.readyState >= 2) done({{src: v.currentSrc, width: v.videoWidth, index: Reveal.getIndices().h}});
              else setTimeout(poll, 50); }};
            poll(); }})""")
        assert state["index"] == index and state["width"] == 64, state
        assert Path(state["src"]).name.endswith(".mp4") and f"/lecture_assets/s" in state["src"]
        browser.eval("Reveal.next()")


def test_gallery_film_loads_its_chapters_track_and_links_an_offline_deck(site, browser):
    root, url = site
    browser.goto(f"{url}/blog/index.html", "document.querySelector('#series video') !== null")
    cues = browser.eval("""new Promise(done => {
        const v = document.querySelector('#series video');
        const t = [...v.textTracks].find(t => t.kind === 'chapters'); t.mode = 'hidden';
        const poll = () => t.cues && t.cues.length && v.readyState >= 1 ? done([...t.cues].map(c => c.text))
                                                                         : setTimeout(poll, 50);
        poll(); })""")
    assert cues == ["1. Title 1", "2. Title 2"]
    href = browser.eval("document.getElementById('deck').href")
    browser.goto(href, "window.Reveal && Reveal.isReady()")
    assert browser.eval("Reveal.getTotalSlides()") == sum(k for _, k in DECKS)
