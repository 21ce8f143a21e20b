# Two commands for a newcomer:  make render   (set up, train, render the default scene)
#                                make test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# the first video: a real model (the 1D mixture's, about a minute of training) and the idea the series
# turns on (DDPM paths cross, DDIM paths flow); the digits scenes add about five minutes of training
SCENE ?= Trajectories1D
QUALITY ?= l
PRESET ?=
export PYTHONPATH := $(CURDIR)
ifneq ($(PRESET),)
export DIFFUSION_PRESET := $(PRESET)
endif
# a user's image for scenes that take one:  make render SCENE=MarkovChain IMAGE=photo.jpg CROP=x,y,w,h
ifneq ($(IMAGE),)
export IMAGE
endif
ifneq ($(CROP),)
export CROP
endif
APT_PKGS := libcairo2-dev libpango1.0-dev pkg-config texlive-latex-base texlive-latex-recommended \
            texlive-latex-extra texlive-fonts-recommended dvisvgm

.PHONY: setup setup-dev system-deps models render list test test-fast bench clean distclean gif claims

setup: system-deps $(VENV)/.installed

# Debian packages, installed only when missing (we run as root; sudo otherwise)
system-deps:
	@missing=$$(for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y --no-install-recommends $$missing || \
	  { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends $$missing; }; \
	fi

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

# the test-only packages (pytest, reference schedulers, the browser driver): not needed to render
setup-dev: setup $(VENV)/.installed-dev
$(VENV)/.installed-dev: requirements-dev.txt requirements.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# every registered model (python -m diffusion list) at $(PRESET), then what the scenes load
models: setup
	@for m in $$($(PY) -c "from diffusion.models import MODELS; print(*MODELS)"); do \
	  $(PY) -m diffusion train $$m || exit 1; done
	$(PY) -m scenes prepare --all

# builds only what SCENE loads (its `needs`, scenes/kit/registry.py) before rendering: the first
# Trajectories1D trains the 1D model and samples its paths, nothing else
render: setup
	$(PY) -m scenes render $(SCENE) --quality $(QUALITY)

# one looping GIF of a scene, e.g. make gif SCENE=DiscreteVsContinuous
gif: setup
	$(PY) -m scenes render --quality $(QUALITY) $(SCENE) --format gif
	@ls media/videos/*/*/$(SCENE)*.gif

list: setup
	@$(PY) -m scenes list

# every scene's narrated claims, measured on the models renders use; fails if any is false
claims: setup models
	$(PY) -m scenes claims

# everything (CI), two workers. A module's tests stay on one worker (they share its fixtures), except in the
# modules tests/conftest.py splits (a render or one scene's pass each); the groups go out longest first
XDIST := -n 2 --dist loadgroup --no-loadscope-reorder
test: setup-dev
	$(PY) -m pytest -q $(XDIST) --durations=15 tests

# the inner loop: no renders, no publishing, no subprocess training runs
test-fast: setup-dev
	$(PY) -m pytest -q $(XDIST) -m "not slow" tests

# every measured report: each bench script (python -m bench.NAME) rewrites bench/reports/NAME.md and exits 1
# on a missed bound; all of them run, then the status says whether any missed. One or a few:
#   make bench BENCH="toy1d graphs"      (NAME:ARGS passes arguments, e.g. hybrid:digits)
BENCH ?= toy1d toy2d experiments guidance graphs digits hybrid:graphs hybrid:digits graphs_sweep \
         digits_sweep:samplers digits_sweep:spacing flow solvers course engine:--steps=200 render encoder quality
bench: setup
	@failed=; for b in $(BENCH); do name=$${b%%:*}; args=$$( [ "$$name" = "$$b" ] || echo "$${b#*:}" | tr ':' ' '); \
	  echo "== python -m bench.$$name $$args"; $(PY) -m bench.$$name $$args || failed="$$failed $$b"; done; \
	test -z "$$failed" || { echo "bench: a bound missed or a run failed in:$$failed"; exit 1; }

clean:
	rm -rf media/videos media/images media/texts media/Tex media/blog media/slides
	rm -rf media/blog-light media/light
distclean: clean
	rm -rf cache

# --- Publishing: every scene, blog exports, lecture slides --------------------------
# Generic over the scene registry: `python -m scenes list` names the scenes, one make target each.
THEME ?=
ifneq ($(THEME),)
export THEME
endif
APT_PKGS += chromium

.PHONY: all blog blog-export figures slides slides-all present publish-deps film lecture
system-deps: publish-deps

# npm fetches reveal.js for offline HTML slides (a command check: nodejs may ship npm itself)
publish-deps:
	@command -v npm >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y --no-install-recommends npm || \
	  { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends npm; }; }

# every scene at QUALITY; `make -j N all` renders N at once, each in a process forked from one that has
# imported torch, manim and the scenes once (scenes/kit/rendering.py render_many). Each render builds
# what its scene needs (as `make render` does), and the cache's per-model file lock makes a second
# render that needs a model being trained wait for it instead of training it again; `make models` is
# not run first (it loads every model, about 40 s, even when all are cached).
# --if-stale: a scene whose video and slides were made from the same code and settings is not rendered
# again (scenes/kit/freshness.py), so a second `make all` (blog, film, lecture) with nothing changed takes seconds
JOBS = $(if $(filter -j%,$(MAKEFLAGS)),$(or $(patsubst -j%,%,$(filter -j%,$(MAKEFLAGS))),$(shell nproc)),1)
all: setup
	$(PY) -m scenes render --all --jobs $(JOBS) --quality $(QUALITY) --if-stale

# media/blog/ (THEME=light: media/blog-light/): MP4, WebM, GIF, poster, .srt/.vtt, index.html, figures/
blog: all
	@$(MAKE) --no-print-directory blog-export

# the blog from the videos already rendered (a missing one is rendered): CI's last job
blog-export: setup
	$(PY) -m publish blog --quality $(QUALITY)

# media/film/: ONE film of the series (chapter cards + every scene in series order), MP4 and WebM,
# merged subtitles (.srt/.vtt), a WebVTT chapters track and chapters.txt; stale scenes render first
film: all
	$(PY) -m publish film --quality $(QUALITY)

# media/lecture/: ONE deck of the series (a title slide per chapter, a slide per beat), offline HTML + PDF
lecture: all
	$(PY) -m publish lecture --quality $(QUALITY)

# media/blog/figures/ alone, no videos rendered: loads the cached models and trajectories the videos
# use (what is missing, the digits and 1D models and their trajectories only, is built on first use)
figures: setup
	$(PY) -m publish figures

# media/slides/SCENE.{json,pdf,html}: a slide per beat; PDF and HTML work without a network
slides: setup
	$(PY) -m publish slides $(SCENE) --quality $(QUALITY)

# every deck in series order + media/slides/index.html
slides-all: setup
	$(PY) -m publish slides --all --quality $(QUALITY)

present: slides
	$(PY) -m publish present $(SCENE)

# --- Layout audit: every scene in a dry run with quick models (no video); see scenes/kit/audit.py ------
# SCENE=Name audits one; SHEET=dir also writes a frame per beat as contact sheets.
.PHONY: audit
audit: setup
	DIFFUSION_PRESET=quick $(PY) -m scenes audit $(if $(filter command line,$(origin SCENE)),$(SCENE)) $(if $(SHEET),--sheet $(SHEET))
