#!/usr/bin/env python3
"""Build the sourced timeline: python build.py [check|build|serve] — see --help.

The pipeline, one stage a function (the code of each lives in timeline/):

    load    parse events.yaml, keeping every value's line and column
    check   validate everything, collecting every problem in one pass
"""

import sys

from timeline.cli import main

if __name__ == "__main__":
    sys.exit(main())
