"""Course tests: make `import helpers` work from tests/course/ and tests/course/mistakes/."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
