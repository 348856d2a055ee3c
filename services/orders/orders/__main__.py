"""``python -m orders``: serve the orders service on HOST/PORT.

Reads ``CATALOG_URL`` (required) and ``ORDERS_DATABASE_URL`` (default
``sqlite:///orders.sqlite``).
"""

from __future__ import annotations

import logging
import os
import sys

from orders import DatabaseConfigError, create_app
from orders.repository import mask_password
from orders.server import configure_logging, serve

log = logging.getLogger("orders")


def main() -> int:
    configure_logging()
    catalog_url = os.environ.get("CATALOG_URL", "")
    if not catalog_url:
        log.error("CATALOG_URL is not set; set it to the catalog's base URL")
        return 2
    database_url = os.environ.get("ORDERS_DATABASE_URL", "sqlite:///orders.sqlite")

    try:
        app = create_app(catalog_url, database_url)
    except DatabaseConfigError as error:
        log.error("ORDERS_DATABASE_URL: %s", error)
        return 2
    except Exception:
        log.exception("cannot open the database %s", mask_password(database_url))
        return 1
    log.info("orders database %s", mask_password(database_url))
    return serve(app, "orders")


if __name__ == "__main__":
    sys.exit(main())
