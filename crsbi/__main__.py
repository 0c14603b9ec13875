"""``python -m crsbi`` runs the command line."""

import sys

from crsbi.cli import main

if __name__ == "__main__":
    sys.exit(main())
