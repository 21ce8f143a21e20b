# Two commands for a newcomer:  make render   (set up, train, render the default scene)
#                                make test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SCENE ?= ReverseProcess
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

.PHONY: setup system-deps models render list test bench clean distclean gif claims

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

models: setup
	$(PY) -m diffusion train digits
	$(PY) -c "from diffusion.models.graphs.discrete import get_graph_model; get_graph_model()"
	$(PY) -m diffusion.prepare

render: setup models
	$(PY) -m scenes render $(SCENE) --quality $(QUALITY)

# one looping GIF of a scene, e.g. make gif SCENE=DiscreteVsContinuous
gif: setup models
	$(PY) -m scenes render --quality $(QUALITY) $(SCENE) --format gif
	@ls media/videos/*/*/$(SCENE)*.gif

list: setup
	@$(PY) -m scenes list

# every scene's narrated claims, measured on the models renders use; fails if any is false
claims: setup models
	$(PY) -m scenes claims

test: setup
	$(PY) -m pytest -q tests

bench: setup
	$(PY) bench/digits.py
	$(PY) bench/graphs.py
	$(PY) bench/toy1d.py
	$(PY) bench/experiments.py
	$(PY) bench/render.py

clean:
	rm -rf media/videos media/images media/texts media/Tex media/blog media/slides
	rm -rf media/blog-light media/light
distclean: clean
	rm -rf cache

# --- Publishing (issue 8): every scene, blog exports, lecture slides --------------------------
# Generic over the scene registry: `python -m scenes list` names the scenes, one make target each.
THEME ?=
ifneq ($(THEME),)
export THEME
endif
APT_PKGS += chromium

.PHONY: all blog slides present publish-deps
system-deps: publish-deps

# npm fetches reveal.js for offline HTML slides (a command check: nodejs may ship npm itself)
publish-deps:
	@command -v npm >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y --no-install-recommends npm || \
	  { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends npm; }; }

# every scene at QUALITY; `make -j N all` renders N at once. Models are trained first (and the
# cache's per-model file lock makes a second process wait instead of training again).
all: setup models
	@names=$$($(PY) -m scenes list | awk '{print $$1}'); test -n "$$names" || { echo "no scenes found"; exit 2; }; \
	$(MAKE) --no-print-directory $$(for n in $$names; do printf 'render-%s ' $$n; done)

render-%:
	$(PY) -m scenes render $* --quality $(QUALITY)

# media/blog/ (THEME=light: media/blog-light/): MP4, WebM, GIF, poster, .srt/.vtt, index.html
blog: all
	$(PY) -m publish blog --quality $(QUALITY)

# media/slides/SCENE.{json,pdf,html}: a slide per beat; PDF and HTML work without a network
slides: setup models
	$(PY) -m publish slides $(SCENE) --quality $(QUALITY)

present: slides
	$(PY) -m publish present $(SCENE)
