"""Layout inference: on the pages of every shipped layout, taken as unknown, and of a markup no layout describes,
the inferred `[[layouts]]` table reads the list as the built-in layout does; a teaser, a cut or shuffled list and
pages of something else get no proposal, and the refusal says how far inference got."""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from watcher.cli import main
from watcher.errors import InferenceRefused, ParseRefused
from watcher.layouts import Layout, assemble, layout_from_table, parse_list_page, read_saved
from watcher.layouts.infer import NAMES_FOUND, ListCopy, Proposal, propose
from watcher.model import Row, Snapshot, normalize_name

from .conftest import FIXTURES, classements_files

AT = datetime(2026, 12, 15, 6, 0, tzinfo=UTC)
SCHOOL = "IMT Mines Alès"
Transform = Callable[[str], str]


def palmares_files(year: int) -> list[Path]:
    second = FIXTURES / f"palmares-general-{year}-page2.html"
    return [FIXTURES / f"palmares-general-{year}.html", *([second] if second.exists() else [])]


def files(year: int) -> list[Path]:
    return palmares_files(year) if year < 2023 else classements_files(year)


def copies(paths: list[Path], transform: Transform | None = None) -> list[ListCopy]:
    """The saved pages as `watcher parse` receives them: bytes and the file's address."""
    out = []
    for path in paths:
        content = path.read_bytes()
        if transform is not None:
            content = transform(content.decode("utf-8")).encode("utf-8")
        out.append(ListCopy(content, path.resolve().as_uri()))
    return out


def read(pages: list[ListCopy], layouts: tuple[Layout, ...] | None = None, layout: str | None = None) -> Snapshot:
    """The pages through the real engine and gate, as `watcher parse` reads them."""
    parsed = read_saved([p.content for p in pages], [p.url for p in pages], layouts=layouts, layout=layout)
    return assemble(parsed, ranking="test", fetched_at=AT)


def edition(year: int) -> Snapshot:
    """One edition as the built-in layouts read it: the knowledge inference starts from."""
    return read(copies(files(year)))


def pasted(proposal: Proposal) -> Layout:
    """The proposed table as the config reads it: TOML text, then the validator of `[[layouts]]`."""
    (table,) = tomllib.loads(proposal.toml)["layouts"]
    return layout_from_table(table)


def reading(rows: Sequence[Row], cities: bool = True) -> list[tuple[object, ...]]:
    """What a layout reads of each school (the city only where the last list knew cities to look for)."""
    return [
        (r.rank, r.tied, r.name, r.total, r.total_max, r.slug, r.link, r.group, r.city if cities else None)
        for r in rows
    ]


def assert_reads_like(proposal: Proposal, pages: list[ListCopy], builtin: Snapshot, known: Snapshot) -> None:
    layout = pasted(proposal)
    assert layout == proposal.layout
    mine = read(pages, layouts=(layout,), layout=layout.name)
    cities = any(r.city for r in known.rows)
    assert mine.count == builtin.count
    assert mine.edition == builtin.edition
    assert reading(mine.rows, cities) == reading(builtin.rows, cities)
    assert reading(proposal.snapshot.rows, cities) == reading(builtin.rows, cities)


@pytest.mark.parametrize(
    ("layout", "year"),
    [("palmares-table", 2020), ("palmares-table", 2021), ("classements-table", 2024), ("classements-cards", 2026)],
)
def test_each_shipped_layout_taken_as_unknown_is_inferred_from_the_previous_edition(layout: str, year: int) -> None:
    pages = copies(files(year))
    builtin = read(pages)
    assert builtin.layout == layout
    known = edition(year - 1)
    proposal = propose(pages, known, SCHOOL)
    assert proposal.name == f"inferred-{year}-01"
    assert_reads_like(proposal, pages, builtin, known)
    assert proposal.preview.count == builtin.count
    cities = any(r.city for r in known.rows)
    assert reading(proposal.preview.first, cities) == reading(builtin.rows[:5], cities)
    school = next(r for r in builtin.rows if r.bare_name == SCHOOL)
    assert proposal.preview.school is not None
    assert reading([proposal.preview.school], cities) == reading([school], cities)
    assert proposal.found == len(
        {normalize_name(r.name) for r in known.rows} & {normalize_name(r.name) for r in builtin.rows}
    )
    assert builtin.ranks_derived == ("rank" not in tomllib.loads(proposal.toml)["layouts"][0])


def test_the_change_from_the_palmares_to_the_classements_is_inferred_from_the_last_palmares() -> None:
    pages = copies(files(2023))
    builtin = read(pages)
    proposal = propose(pages, edition(2021), SCHOOL)  # names gained their city: "IMT Mines Alès - Alès"
    mine = read(pages, layouts=(pasted(proposal),), layout=proposal.name)
    ids = [row.slug for row in builtin.rows]
    assert reading(mine.rows) == reading([replace(row, slug=None) for row in builtin.rows])
    assert all(ids) and not any(row.slug for row in mine.rows)
    assert any("matched by name" in note for note in proposal.notes)


def test_the_proposal_name_is_one_the_config_does_not_use_yet() -> None:
    pages = copies(files(2026))
    proposal = propose(pages, edition(2025), taken={"inferred-2026-01", "inferred-2026-02"})
    assert proposal.name == "inferred-2026-03"
    assert proposal.preview.school is None


def unknown_markup(html: str) -> str:
    """A markup no layout describes: every class renamed, tables turned into divs, headings and link texts changed."""

    def rename(match: re.Match[str]) -> str:
        names = ("k" + hashlib.sha1(c.encode()).hexdigest()[:6] for c in match.group(1).split())
        return f'class="{" ".join(names)}"'

    html = re.sub(r'class="([^"]*)"', rename, html)
    html = re.sub(r"<(/?)(?:table|thead|tbody|tr)\b", r"<\1div", html)
    html = re.sub(r"<(/?)(?:td|th)\b", r"<\1span", html)
    html = re.sub(r"<(/?)h3\b", r"<\1p", html)
    return html.replace("Voir la fiche complète", "Découvrir l'école")


@pytest.mark.parametrize("year", [2021, 2024, 2026])
def test_a_markup_no_layout_describes_is_inferred_and_read_right(year: int) -> None:
    pages = copies(files(year), unknown_markup)
    for page in pages:
        with pytest.raises(ParseRefused, match="no known layout fits this page"):
            parse_list_page(page.content, page.url)
    known = edition(year - 1)
    proposal = propose(pages, known, SCHOOL)
    assert_reads_like(proposal, pages, read(copies(files(year))), known)


def teaser(html: str) -> str:
    """The first page cut to its first twelve cards, without its pagination: a teaser of the list."""
    cards = [i for i, line in enumerate(html.splitlines()) if "Voir la fiche complète" in line]
    kept = [line for i, line in enumerate(html.splitlines()) if i not in cards[12:]]
    return re.sub(r'<nav aria-label="Pagination".*?</nav>', "", "\n".join(kept), flags=re.DOTALL)


def test_a_teaser_of_the_list_gets_no_proposal_and_the_refusal_says_how_far_it_got() -> None:
    pages = copies(files(2026)[:1], teaser)
    shown = parse_list_page(pages[0].content, pages[0].url).rows
    assert len(shown) == 12
    known = edition(2025)
    held = len({normalize_name(r.name) for r in shown} & {normalize_name(r.name) for r in known.rows})
    with pytest.raises(InferenceRefused) as refused:
        propose(pages, known, SCHOOL)
    message = str(refused.value)
    assert f"held {held} of {known.count} known names" in message
    assert f"where a whole list holds at least {math.ceil(NAMES_FOUND * known.count)}" in message


def test_pages_of_something_else_are_refused_before_any_inference() -> None:
    pages = copies([FIXTURES / "directory" / "imt-mines-ales-2026.html"])
    with pytest.raises(InferenceRefused, match="too few to infer a layout from"):
        propose(pages, edition(2025), SCHOOL)


def test_a_list_far_longer_than_the_last_one_is_refused() -> None:
    last, count = edition(2023), edition(2024).count
    known = replace(last, rows=last.rows[: int(last.count * 0.8)])
    with pytest.raises(InferenceRefused, match=f"read {count} schools where the last list had {known.count}"):
        propose(copies(files(2024)), known)


def test_pages_out_of_order_are_refused_by_the_gate() -> None:
    paths = files(2024)
    with pytest.raises(InferenceRefused, match=r"not a whole list: .* not in the order of its notes"):
        propose(copies([paths[1], paths[0], *paths[2:]]), edition(2023))


# --- `watcher parse --suggest` ---------------------------------------------------------------------------------

RANKING = "Classement des écoles d'ingénieurs"
LIST_URL = "https://www.letudiant.fr/classements/classement-des-ecoles-d-ingenieurs.html"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""database = "watcher.db"
[school]
name = "{SCHOOL}"
[[rankings]]
name = "{RANKING}"
url = "{LIST_URL}"
[email]
to = ["communication@example.org"]
from = "watcher@example.org"
smtp_host = "127.0.0.1"
""",
        encoding="utf-8",
    )
    return path


def saved(folder: Path, year: int, transform: Transform, capture: bool) -> list[str]:
    """The pages of an edition saved in another markup: as files, or as a folder `watcher capture` writes."""
    folder.mkdir()
    entries = []
    for number, path in enumerate(files(year), start=1):
        (folder / path.name).write_text(transform(path.read_text(encoding="utf-8")), encoding="utf-8")
        url = LIST_URL + (f"?page={number}" if number > 1 else "")
        entries.append({"file": path.name, "kind": "list", "url": url, "status": 200, "headers": {}})
    if not capture:
        return [str(folder / e["file"]) for e in entries]
    manifest = {"format": 1, "url": LIST_URL, "captured_at": AT.isoformat(), "refused": None, "pages": entries}
    (folder / "capture.json").write_text(json.dumps(manifest), encoding="utf-8")
    return [str(folder)]


@pytest.mark.parametrize("capture", [False, True], ids=["files", "capture"])
def test_parse_suggest_prints_a_table_that_pasted_into_the_config_reads_the_list(
    capture: bool, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    last = [str(p) for p in files(2025)]
    assert main(["--config", str(config), "import", *last, "--edition", "2025", "--ranking", RANKING]) == 0
    pages = saved(tmp_path / "copy", 2026, unknown_markup, capture)
    capsys.readouterr()
    assert main(["--config", str(config), "parse", *pages, "--suggest"]) == 0
    out = capsys.readouterr().out
    school = next(r for r in edition(2026).rows if r.bare_name == SCHOOL)
    assert re.search(rf"^Your school:\n +{school.rank} +{re.escape(school.name)} ", out, re.MULTILINE)
    table = out[out.index("# Inferred") :]
    (name,) = re.findall(r'^name = "(.+)"$', table, re.MULTILINE)
    with config.open("a", encoding="utf-8") as file:
        file.write(table)
    assert main(["--config", str(config), "parse", *pages, "--layout", name]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    count = len(files(2026))
    assert first == f"Layout {name}: edition 2026, {edition(2026).count} schools read from {count} page(s)"


def test_parse_suggest_without_a_list_in_the_database_says_so(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pages = [str(p) for p in files(2026)]
    assert main(["--config", str(config), "parse", *pages, "--suggest"]) == 1
    assert f"holds no list of {RANKING!r}" in capsys.readouterr().err
    assert not (config.parent / "watcher.db").exists()
