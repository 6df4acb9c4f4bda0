"""The operator's repairs, as `watcher` commands: read saved pages (`parse`, `parse --suggest`), copy a live list
(`capture`), and undo an edition recorded by mistake (`forget`, `accept-edition`). A shell, like `cli`."""

from __future__ import annotations

import argparse
import sys

from watcher.cli_base import config_of as _config
from watcher.cli_base import open_store as _open_store


def cmd_parse(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from watcher.config import default_path
    from watcher.french.words import number, ordinal
    from watcher.layouts import assemble, builtin_layouts, read_saved
    from watcher.pages.capture import is_capture, parse_capture, read_capture

    # The config's own [[layouts]] are tried too, so an operator can write one and try it here.
    path = args.config or default_path()
    layouts = _config(args).site_layouts if args.config or path.exists() else builtin_layouts()
    if len(args.files) == 1 and is_capture(args.files[0]):
        if args.suggest:
            saved = read_capture(args.files[0])
            return _suggest_layout(args, [(p.content, p.url, p.encoding) for p in saved if p.kind == "list"])
        pages = parse_capture(args.files[0], layouts=layouts)
    else:
        contents = []
        for file in args.files:
            try:
                contents.append(file.read_bytes())
            except OSError as exc:
                print(f"error: cannot read {file}: {exc.strerror}", file=sys.stderr)
                return 2
        uris = [file.resolve().as_uri() for file in args.files]
        if args.suggest:
            return _suggest_layout(args, [(c, u, None) for c, u in zip(contents, uris, strict=True)])
        pages = read_saved(contents, uris, first_url=args.url, layouts=layouts, layout=args.layout)
    snapshot = assemble(pages, ranking="(parse)", fetched_at=datetime.now(UTC))
    how = "derived from the list order (the page shows none)" if snapshot.ranks_derived else "as published"
    print(
        f"Layout {snapshot.layout}: edition {snapshot.edition}, {snapshot.count} schools read from {len(pages)} page(s)"
    )
    print(f"Ranks {how}")
    for row in snapshot.rows:
        scores = " ".join(number(v) for _, v in row.scores)
        total = number(row.total) + (f"/{number(row.total_max)}" if row.total_max is not None else "")
        print(
            f"{ordinal(row.rank, row.tied):>13}  {row.group or '-':<3} {row.name:<45.45} "
            f"{row.city or '':<24.24} {scores:<24} {total:>9}  {row.slug or ''}"
        )
    return 0


def _suggest_layout(args: argparse.Namespace, pages: list[tuple[bytes, str, str | None]]) -> int:
    """`watcher parse --suggest`: a layout inferred from the pages and the ranking's last list, to paste."""
    from watcher.layouts.infer import ListCopy, propose, render
    from watcher.news.series import latest

    cfg = _config(args)
    ranking = args.ranking or cfg.rankings[0].name
    known = None
    if cfg.database.exists():  # opening it would create an empty database
        with _open_store(cfg) as store:
            known = latest(store.snapshots(ranking))
    if known is None:
        print(
            f"error: the database {cfg.database} holds no list of {ranking!r}, so there is nothing to infer a layout "
            "from: load the last edition first (`watcher import` a saved copy a layout reads)",
            file=sys.stderr,
        )
        return 1
    copies = [ListCopy(*page) for page in pages]
    taken = {layout.name for layout in cfg.site_layouts}
    print(render(propose(copies, known, cfg.school.name, taken=taken, first_url=args.url)))
    return 0


def cmd_capture(args: argparse.Namespace) -> int:
    from watcher.pages.capture import capture
    from watcher.pages.fetch import Fetcher

    cfg = _config(args)
    with Fetcher(cfg.fetch, cfg.contact) as fetcher:
        saved, refused = capture(args.url, args.folder, config=cfg, fetcher=fetcher)
    print(f"{saved} page(s) saved in {args.folder} (the list of pages and their headers: {args.folder}/capture.json)")
    if refused:
        print(f"note: the list could not be read whole, so what was fetched is saved as it is: {refused}")
        return 1
    return 0


def _known(names: list[str]) -> str:
    return "the rankings it holds: " + ", ".join(repr(n) for n in names) if names else "it holds none yet"


def cmd_forget(args: argparse.Namespace) -> int:
    from watcher.french.words import paris_time
    from watcher.store.lock import check_lock

    cfg = _config(args)
    # Under the check lock: a check in flight would write back the edition (or its state) being removed.
    with check_lock(cfg.database), _open_store(cfg) as store:
        stored = store.rankings()
        if args.ranking not in stored:
            print(f"error: no ranking named {args.ranking!r} in the database; {_known(stored)}", file=sys.stderr)
            return 2
        gone = store.forget(args.ranking, args.edition, dry_run=args.dry_run)
    if not gone:
        print(f"No snapshot of edition {args.edition} of {args.ranking!r}: nothing to remove.")
        return 0
    verb = "Would remove" if args.dry_run else "Removed"
    for snapshot in gone:
        read = paris_time(snapshot.fetched_at)
        print(f"{verb}: {args.ranking!r} edition {snapshot.edition}, {snapshot.count} schools, read {read}")
    if args.dry_run:
        print("Nothing was changed: run again without --dry-run to remove them.")
    else:
        print(
            "Comms alerts of this ranking queued since then and not yet sent were cancelled; where one was to be told "
            "in one email with other lists of the same publication, that email was cancelled too, and those lists' "
            "own alerts are sent instead."
        )
    return 0


def cmd_accept_edition(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if args.ranking not in {r.name for r in cfg.rankings}:
        print(f"error: no ranking named {args.ranking!r} in the config", file=sys.stderr)
        return 2
    from watcher.store.lock import check_lock

    # Under the check lock: a check in flight writes the ranking's state, and would undo the acceptance.
    with check_lock(cfg.database), _open_store(cfg) as store:
        store.accept_edition(args.ranking, args.edition)
    print(f"The next check of {args.ranking!r} takes edition {args.edition} if the list says so.")
    return 0
