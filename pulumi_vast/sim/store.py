"""SQLite persistence of the simulator's world, so successive processes see one world.

The serving process keeps the world in memory and writes every change through to
`<data>/sim.db` (WAL, one small transaction per change). Records are JSON documents keyed
by id; the schema is a handful of tables, not an ORM, because only the simulator reads it.
Each object's backend declares its tables (`models`); `ensure` creates the missing ones, so
a world written before an object existed opens with that object's table empty.
Other processes (e.g. `pulumi-vast sim ledger --data DIR`) may read it concurrently.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["DB_NAME", "Store", "Table"]

DB_NAME = "sim.db"
Table = str
"""A table's name: one per kind of record, declared by the backend that keeps them."""
_NAME = re.compile(r"^[a-z_]+$")


class Store:
    def __init__(self, data_dir: Path, *, readonly: bool = False) -> None:
        self.path = data_dir / DB_NAME
        self.readonly = readonly
        if readonly:
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        else:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # Deleted and overwritten content is zeroed, not left in free pages.
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self._tables: set[Table] = set()

    def ensure(self, tables: Iterable[Table]) -> None:
        """Make `tables` known (and, unless read-only, create the missing ones)."""
        for table in tables:
            if not _NAME.match(table):
                raise ValueError(f"not a table name: {table!r}")
            if not self.readonly:
                self._db.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY, data TEXT NOT NULL)"
                )
            self._tables.add(table)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def meta(self) -> dict[str, Any]:
        rows = self._db.execute("SELECT key, value FROM meta").fetchall()
        return {key: json.loads(value) for key, value in rows}

    def set_meta(self, key: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    def _exists(self, table: Table) -> bool:
        found = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        return found is not None

    def load(self, table: Table) -> list[dict[str, Any]]:
        """Every record of `table` (none when a read-only world predates the table)."""
        if self.readonly and not self._exists(table):
            return []
        rows = self._db.execute(f"SELECT data FROM {table}").fetchall()
        return [json.loads(data) for (data,) in rows]

    def put(self, table: Table, key: str | int, data: dict[str, Any]) -> None:
        self._db.execute(
            f"INSERT INTO {table} (id, data) VALUES (?, ?) "
            "ON CONFLICT(id) DO UPDATE SET data = excluded.data",
            (str(key), json.dumps(data)),
        )

    def delete(self, table: Table, key: str | int) -> None:
        self._db.execute(f"DELETE FROM {table} WHERE id = ?", (str(key),))

    def clear(self) -> None:
        with self.transaction():
            for table in sorted(self._tables):
                self._db.execute(f"DELETE FROM {table}")

    def compact(self) -> None:
        """Rewrite the database file whole and empty the write-ahead log, so no page keeps
        content that was overwritten."""
        self._db.execute("VACUUM")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
