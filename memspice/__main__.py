"""``python -m memspice``: the same commands as the ``memspice`` script."""

import sys

from memspice.cli import main

sys.exit(main())
