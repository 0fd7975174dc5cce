import sys

from node.chaos.cli import main

sys.exit(main())
