import sys

from cclab.cli import main

sys.exit(main())
