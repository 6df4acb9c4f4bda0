"""What every command needs: the config it names and the database, opened the same way for all."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watcher.config import Config
    from watcher.store.db import Store


def config_of(args: argparse.Namespace) -> Config:
    import logging  # here, not above: `watcher --help` needs none of it

    from watcher import config

    cfg = config.load(args.config or config.default_path())
    logging.getLogger("watcher.cli").debug(
        "config %s: %s, %d ranking(s), database %s", cfg.source, cfg.school.name, len(cfg.rankings), cfg.database
    )
    return cfg


def open_store(cfg: Config) -> Store:
    from watcher.store.db import Store

    return Store.open(cfg.database)
