"""``python -m catalog``: serve the catalog on HOST/PORT."""

from __future__ import annotations

import sys

from catalog import create_app
from catalog.server import serve

if __name__ == "__main__":
    sys.exit(serve(create_app(), "catalog"))
