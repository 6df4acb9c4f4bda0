"""The database edge: one SQLite file (schema and migrations, snapshots, outbox, state) and its lock."""

from watcher.store.db import OutboxItem, Store

__all__ = ["OutboxItem", "Store"]
