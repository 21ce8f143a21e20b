"""python -m scenes ...: the scenes' command line (scenes/kit/cli.py)."""
import sys

from scenes.kit.cli import main

sys.exit(main())
