"""``python -m purernn``: the same as the ``purernn`` command."""

import sys

from .cli import main

sys.exit(main())
