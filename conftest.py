"""Root conftest: makes the example services importable for their suites."""

import sys
from pathlib import Path

pytest_plugins = ["pytester"]

_SERVICES = Path(__file__).parent / "services"
for _service in sorted(_SERVICES.iterdir()):
    if (_service / "Dockerfile").exists() and str(_service) not in sys.path:
        sys.path.insert(0, str(_service))
