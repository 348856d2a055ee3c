"""Where orders are kept: a SQLite file or a PostgreSQL database.

All SQL lives here. The two dialects differ only in the placeholder, the
identity column and how an insert hands back its id.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orders.pricing import from_cents

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id {id_column},
    product_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price_cents BIGINT NOT NULL,
    total_cents BIGINT NOT NULL,
    status TEXT NOT NULL
)
"""
_COLUMNS = "id, product_id, quantity, unit_price_cents, total_cents, status"
_INSERT = (
    "INSERT INTO orders (product_id, quantity, unit_price_cents, total_cents, status)"
    " VALUES ({p}, {p}, {p}, {p}, {p})"
)
_SELECT_ONE = f"SELECT {_COLUMNS} FROM orders WHERE id = {{p}}"
_SELECT_ALL = f"SELECT {_COLUMNS} FROM orders ORDER BY id"

SQLITE_PREFIX = "sqlite:///"
# SQLAlchemy-style URLs name a driver (postgresql+psycopg2://); psycopg
# reads only the plain scheme.
_POSTGRES_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


class DatabaseConfigError(Exception):
    """The database URL cannot be used; the message names the fix."""


def mask_password(url: str) -> str:
    """``url`` with any password replaced by ``***``, for logs and errors."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def sqlite_path(url: str) -> str:
    """The file path of a ``sqlite:///path`` URL (``:memory:`` stays as is).

    ``sqlite:///orders.sqlite`` is relative to the working directory and
    ``sqlite:////var/data/orders.sqlite`` is absolute.
    """
    path = url[len(SQLITE_PREFIX) :]
    if not path:
        raise DatabaseConfigError(
            f"{url!r} names no file; use sqlite:///orders.sqlite or sqlite:////abs/path"
        )
    return path


def order_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """An order as the API shows it, from a row in ``_COLUMNS`` order."""
    order_id, product_id, quantity, unit_cents, total_cents, status = row
    return {
        "id": int(order_id),
        "product_id": int(product_id),
        "quantity": int(quantity),
        "unit_price": from_cents(int(unit_cents)),
        "total": from_cents(int(total_cents)),
        "status": str(status),
    }


class OrderRepository:
    """Stores and reads orders.

    Args:
        database_url: ``sqlite:///path`` (SQLite through the standard
            library) or ``postgresql://user:password@host/db`` (needs the
            ``psycopg`` package). The table is created when missing.

    Raises:
        DatabaseConfigError: the URL's scheme is unsupported, or psycopg is
            missing for a PostgreSQL URL.
    """

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        if database_url.startswith(SQLITE_PREFIX):
            self._db: _Sqlite | _Postgres = _Sqlite(sqlite_path(database_url))
        elif _POSTGRES_SCHEME.match(database_url):
            self._db = _Postgres(_POSTGRES_SCHEME.sub("postgresql://", database_url))
        else:
            raise DatabaseConfigError(
                f"unsupported database URL {mask_password(database_url)!r}; use "
                "sqlite:///path/orders.sqlite or postgresql://user:pass@host/db"
            )
        with self._db.cursor() as cursor:
            cursor.execute(_SCHEMA.format(id_column=self._db.id_column))

    def add(
        self, product_id: int, quantity: int, unit_price_cents: int, total_cents: int
    ) -> dict[str, Any]:
        """Store a placed order and return it with its new id."""
        values = (product_id, quantity, unit_price_cents, total_cents, "placed")
        with self._db.cursor() as cursor:
            cursor.execute(self._db.sql(_INSERT) + self._db.returning, values)
            order_id = self._db.inserted_id(cursor)
        return order_from_row((order_id, *values))

    def get(self, order_id: int) -> dict[str, Any] | None:
        """The order with ``order_id``, or None."""
        with self._db.cursor() as cursor:
            cursor.execute(self._db.sql(_SELECT_ONE), (order_id,))
            row = cursor.fetchone()
        return order_from_row(row) if row is not None else None

    def all(self) -> list[dict[str, Any]]:
        """Every order, oldest first."""
        with self._db.cursor() as cursor:
            cursor.execute(_SELECT_ALL)
            rows = cursor.fetchall()
        return [order_from_row(row) for row in rows]

    def close(self) -> None:
        """Release the database connection (SQLite); safe to call twice."""
        self._db.close()


class _Sqlite:
    id_column = "INTEGER PRIMARY KEY AUTOINCREMENT"
    returning = ""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection shared by the server's threads, used under a lock:
        # SQLite serialises writers anyway, and ":memory:" lives only as long
        # as its connection.
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()

    @staticmethod
    def sql(template: str) -> str:
        return template.format(p="?")

    @contextmanager
    def cursor(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cursor = self._connection.cursor()
            try:
                yield cursor
                self._connection.commit()
            except BaseException:
                self._connection.rollback()
                raise
            finally:
                cursor.close()

    @staticmethod
    def inserted_id(cursor: sqlite3.Cursor) -> int:
        return int(cursor.lastrowid or 0)

    def close(self) -> None:
        self._connection.close()


class _Postgres:
    id_column = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    returning = " RETURNING id"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise DatabaseConfigError(
                f"{mask_password(url)!r} is a PostgreSQL URL but psycopg is not "
                "installed; pip install 'psycopg[binary]' or use a sqlite:/// URL"
            ) from None
        self._psycopg = psycopg
        self._url = url

    @staticmethod
    def sql(template: str) -> str:
        return template.format(p="%s")

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        # A connection per operation keeps threads independent; the
        # connection's context manager commits, or rolls back on error.
        with self._psycopg.connect(self._url, connect_timeout=5) as connection:
            with connection.cursor() as cursor:
                yield cursor

    @staticmethod
    def inserted_id(cursor: Any) -> int:
        return int(cursor.fetchone()[0])

    def close(self) -> None:
        pass
