import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The tests import the package behind build.py from the checkout itself.
sys.path.insert(0, str(ROOT))
