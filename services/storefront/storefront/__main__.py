"""``python -m storefront``: serve the storefront on HOST/PORT.

Reads ``CATALOG_URL`` and ``ORDERS_URL`` (both required).
"""

from __future__ import annotations

import logging
import os
import sys

from storefront import create_app
from storefront.server import configure_logging, serve

log = logging.getLogger("storefront")


def main() -> int:
    configure_logging()
    urls = {name: os.environ.get(name, "") for name in ("CATALOG_URL", "ORDERS_URL")}
    missing = [name for name, url in urls.items() if not url]
    if missing:
        log.error("%s not set; set each to that service's base URL", ", ".join(missing))
        return 2
    return serve(create_app(urls["CATALOG_URL"], urls["ORDERS_URL"]), "storefront")


if __name__ == "__main__":
    sys.exit(main())
