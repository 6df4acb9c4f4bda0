"""The `watcher` command: a thin shell over the pipeline. Exit 0 done, 1 a ranking failed, 2 bad config or usage.

Heavy modules are imported inside the commands, so `watcher --help` starts fast.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

from watcher.cli_base import config_of as _config
from watcher.cli_base import open_store as _open_store
from watcher.repair import cmd_accept_edition, cmd_capture, cmd_forget, cmd_parse

CONFIG_HELP = "config file (default: $WATCHER_CONFIG, else ./config.toml)"
VERBOSE_HELP = "-v: log watcher's own steps; -vv: also every HTTP exchange and the scheduler's"

COMMANDS = {
    "check": "check every ranking once: fetch, compare with the last snapshot, email the alerts",
    "history": "print the watched school's rank in each edition of each ranking",
    "parse": "print what the parser reads from saved list pages (to check a page by hand)",
    "demo": "run the whole pipeline offline on the bundled fixture pages; needs no config",
    "capture": "save every page of a ranking (and the watched schools' pages) with their headers, to hand over",
    "import": "load saved pages (files, or an archived URL) of a list as the snapshot of a past edition",
    "report": "write a self-contained HTML report: history chart, neighbourhood, peers, criteria, sources",
    "daemon": "run checks on the schedule of [schedule], in the foreground, until SIGTERM or Ctrl-C",
    "status": "show each ranking's last check, change and error, pending alerts and the next run",
    "test-email": "send a test email with the [email] settings and explain any failure",
    "forget": "remove an edition of a ranking recorded by mistake (and its unsent alerts); --dry-run shows it first",
    "accept-edition": "let the next check take an edition that looked too far ahead to be believed",
    "lists": "show the lists the rankings link to: edition, the school's rank there, whether each is watched",
}


def _path(text: str) -> Path:
    """A path argument (argparse also passes string defaults through it); pathlib is loaded with the first one,
    so `watcher --help` does without it."""
    from pathlib import Path

    return Path(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="watcher",
        description="Watches L'Étudiant's ranking pages and emails the school's comms team when its rank moves.",
        epilog="Exit codes: 0 done (changed or not), 1 at least one ranking failed, 2 bad config or usage.",
    )
    parser.add_argument("--config", type=_path, help=CONFIG_HELP)
    parser.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)
    parser.add_argument("--version", action=_Version, help="show the installed version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("check", help=COMMANDS["check"], description=COMMANDS["check"])
    history = sub.add_parser("history", help=COMMANDS["history"], description=COMMANDS["history"])
    history.add_argument("--format", choices=("table", "csv", "json"), default="table")
    history.add_argument("--chart", type=_path, metavar="FILE.png", help="also draw the rank by edition as a PNG")
    parse = sub.add_parser("parse", help=COMMANDS["parse"], description=COMMANDS["parse"])
    parse.add_argument(
        "files", nargs="+", type=_path, metavar="FILE", help="saved page(s) of one list, in order, or a capture folder"
    )
    parse.add_argument("--url", help="the URL the first page was saved from (default: the file itself)")
    parse.add_argument("--layout", metavar="NAME", help="read with this layout only (built-in or from the config)")
    suggest = "propose a [[layouts]] table for pages no layout reads, inferred from the ranking's last list"
    parse.add_argument("--suggest", action="store_true", help=suggest)
    parse.add_argument("--ranking", metavar="NAME", help="with --suggest: whose last list (default: the first)")
    cap = sub.add_parser("capture", help=COMMANDS["capture"], description=COMMANDS["capture"])
    cap.add_argument("url", help="the list's first page, e.g. https://www.letudiant.fr/classements/….html")
    cap.add_argument("folder", type=_path, metavar="DIR", help="the folder to write (capture.json and the pages)")
    demo = sub.add_parser("demo", help=COMMANDS["demo"], description=COMMANDS["demo"])
    demo.add_argument("--output", type=_path, default="demo-output", help="folder for the database and .eml")
    imp = sub.add_parser("import", help=COMMANDS["import"], description=COMMANDS["import"])
    imp.add_argument("pages", nargs="+", metavar="PAGE", help="saved page file(s) of one list in order, or one URL")
    imp.add_argument("--edition", type=int, required=True, help="the palmarès year, e.g. 2019")
    imp.add_argument("--ranking", required=True, help="the ranking's name, as in the config")
    imp.add_argument(
        "--url", help="the address the first saved page came from: its pagination then proves the pages whole"
    )
    report = sub.add_parser("report", help=COMMANDS["report"], description=COMMANDS["report"])
    report.add_argument("--output", type=_path, default="report.html", help="the HTML file to write")
    forget = sub.add_parser("forget", help=COMMANDS["forget"], description=COMMANDS["forget"])
    forget.add_argument("ranking", help="the ranking's name, as in the config")
    forget.add_argument("edition", type=int, help="the edition to remove, e.g. 2031")
    forget.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    accept = sub.add_parser("accept-edition", help=COMMANDS["accept-edition"], description=COMMANDS["accept-edition"])
    accept.add_argument("ranking", help="the ranking's name, as in the config")
    accept.add_argument("edition", type=int, help="the edition the refusal named, e.g. 2027")
    for name in ("daemon", "status", "test-email", "lists"):
        sub.add_parser(name, help=COMMANDS[name], description=COMMANDS[name])
    for command in sub.choices.values():  # after the command too: `watcher check --config x.toml`
        command.add_argument("--config", type=_path, default=argparse.SUPPRESS, help=CONFIG_HELP)
        command.add_argument("-v", "--verbose", action="count", dest="verbose_after", default=0, help=VERBOSE_HELP)
    return parser


class _Version(argparse.Action):
    """`--version`, whose number is looked up only when asked: reading the package's metadata slows every start."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"{parser.prog} {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("watcher")
    except PackageNotFoundError:
        return "(version unknown: watcher is not installed; run `pip install .` in its folder)"


def _logging(verbosity: int, daemon: bool) -> None:
    """watcher's own lines from -v; the libraries' (httpx logs every connection step) only from -vv."""
    import logging  # here, not above: `watcher --help` needs none of it

    logging.basicConfig(
        level=logging.DEBUG if verbosity >= 2 else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("watcher").setLevel(logging.DEBUG if verbosity else logging.INFO if daemon else logging.WARNING)


def cmd_check(args: argparse.Namespace) -> int:
    from watcher import run_once
    from watcher.views import print_run

    result = run_once(_config(args))
    print_run(result)
    return result.exit_code


def cmd_import(args: argparse.Namespace) -> int:
    from watcher.importer import import_pages
    from watcher.pages.fetch import Fetcher
    from watcher.store.lock import check_lock

    cfg = _config(args)
    with check_lock(cfg.database), Fetcher(cfg.fetch, cfg.contact) as fetcher:
        store = _open_store(cfg)
        try:
            snapshot, stored = import_pages(
                args.pages,
                edition=args.edition,
                ranking=args.ranking,
                config=cfg,
                store=store,
                fetcher=fetcher,
                first_url=args.url,
            )
        finally:
            store.close()
    verb = "Imported" if stored else "Already in the database:"
    print(f"{verb} {args.ranking}, edition {snapshot.edition}: {snapshot.count} schools.")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from watcher.views import write_report

    cfg = _config(args)
    store = _open_store(cfg)
    try:
        path = write_report(cfg, store, args.output)
    except OSError as exc:
        print(f"error: cannot write the report to {args.output}: {exc.strerror}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(f"Report written to {path}")
    return 0


def cmd_daemon(args: argparse.Namespace) -> int:
    from watcher.daemon import run_daemon

    return run_daemon(_config(args))


def cmd_status(args: argparse.Namespace) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from watcher.status import format_status, gather

    cfg = _config(args)
    if not cfg.database.exists():
        print(f"No database yet at {cfg.database}: run `watcher check` (or start the daemon) first.")
        return 1
    tz = ZoneInfo(cfg.schedule.timezone)
    store = _open_store(cfg)
    try:
        status = gather(cfg, store, datetime.now(tz))
    finally:
        store.close()
    print(format_status(status, tz))
    return 1 if status.needs_attention else 0


def cmd_lists(args: argparse.Namespace) -> int:
    from watcher.views import lists_table

    cfg = _config(args)
    with _open_store(cfg) as store:
        print(lists_table(cfg, store), end="")
    return 0


def cmd_test_email(args: argparse.Namespace) -> int:
    from watcher.mail import SmtpMailer, test_message

    cfg = _config(args)
    mailer = SmtpMailer.from_env(cfg.email)
    recipients = tuple(dict.fromkeys((*cfg.email.to, *cfg.email.operators)))
    accepted = mailer.send(test_message(cfg.email.from_, recipients))
    mode = "no encryption" if accepted.encryption == "none" else accepted.encryption
    print(
        f"Test email accepted by {cfg.email.smtp_host}:{cfg.email.smtp_port} ({mode}) "
        f"for {', '.join(accepted.recipients)}. If it does not arrive, check the spam folder."
    )
    if accepted.refused:  # one unreachable address is a failure: alerts to it would be lost
        print(f"mail not sent: {accepted.refusals()}", file=sys.stderr)
        return 1
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from watcher.french.history import history_records, to_csv, to_json
    from watcher.views import histories, history_table

    cfg = _config(args)
    store = _open_store(cfg)
    try:
        known = [r.name for r in cfg.rankings]
        names = known + [n for n in store.rankings() if n not in known]
        series = histories(cfg, store, names)
        table = history_table(cfg, store, names) if args.format == "table" else ""
    finally:
        store.close()
    if args.format == "table":
        print(table, end="")
    else:
        records = [r for name, entries in series.items() for r in history_records(name, entries, cfg.school.name)]
        print(to_csv(records) if args.format == "csv" else to_json(records), end="")
    if args.chart:
        from watcher.french.chart import rank_chart_png

        png = rank_chart_png(series[names[0]])
        if png is None:
            print(f"No chart: {cfg.school.name} is ranked in fewer than two editions of {names[0]}.", file=sys.stderr)
            return 1
        try:
            args.chart.write_bytes(png)
        except OSError as exc:
            print(f"error: cannot write the chart to {args.chart}: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"Chart written to {args.chart}", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from watcher.demo import run_demo

    return run_demo(args.output)


HANDLERS = {
    "check": cmd_check,
    "history": cmd_history,
    "parse": cmd_parse,
    "capture": cmd_capture,
    "demo": cmd_demo,
    "import": cmd_import,
    "report": cmd_report,
    "daemon": cmd_daemon,
    "status": cmd_status,
    "test-email": cmd_test_email,
    "forget": cmd_forget,
    "accept-edition": cmd_accept_edition,
    "lists": cmd_lists,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `watcher` console script."""
    from watcher.errors import Busy, ConfigError, MailError, ParseRefused, StoreError, WatcherError

    args = _parser().parse_args(argv)
    # -v shows watcher.fetch's line per request; httpx and httpcore's line per socket event only come with -vv.
    _logging(args.verbose + args.verbose_after, daemon=args.command == "daemon")
    try:
        code = HANDLERS[args.command](args)
        sys.stdout.flush()  # so that a closed pipe shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:
        # `watcher history | head`: the reader has read enough. Python would still flush stdout on exit, and fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE  # what a shell reports for a command that stopped on a closed pipe
    except (ConfigError, StoreError, Busy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except MailError as exc:
        print(f"mail not sent: {exc}", file=sys.stderr)
        return 1
    except ParseRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except WatcherError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
