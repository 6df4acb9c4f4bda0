"""The database edge: one SQLite file (schema and migrations, snapshots, outbox, state) and its lock."""

from watcher.store.db import Store
from watcher.store.outbox import OutboxItem

__all__ = ["OutboxItem", "Store"]
