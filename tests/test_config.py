"""config.load(): the shipped file, and errors that name the key to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcher.config import load
from watcher.errors import ConfigError

SHIPPED = Path(__file__).resolve().parents[1] / "config.toml"
LIST_URL = (
    "https://www.letudiant.fr/palmares/liste-profils/palmares-des-ecoles-d-ingenieurs/"
    "palmares-general-des-ecoles-d-ingenieurs/home.html"
)

VALID = """\
database = "watcher.db"

[school]
name = "IMT Mines Alès"

[[rankings]]
name = "Palmarès général"
url = "https://example.org/palmares/home.html"

[email]
to = ["communication@example.org"]
from = "watcher@example.org"
smtp_port = 587
"""


def write(folder: Path, text: str) -> Path:
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(folder: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(write(folder, text))
    return str(info.value)


# --- Valid files ---------------------------------------------------------------------------------


def test_shipped_config_loads():
    config = load(SHIPPED)
    assert config.school.name == "IMT Mines Alès"
    assert config.school.slug is None
    assert config.school.aliases == ()
    assert len(config.rankings) == 1
    assert config.rankings[0].name == "Classement des écoles d'ingénieurs"
    # Today's site is the default, read by whichever built-in layout fits.
    assert config.rankings[0].url == "https://www.letudiant.fr/classements/classement-des-ecoles-d-ingenieurs.html"
    assert config.rankings[0].layout is None and config.layouts == ()
    # The busy season covers November to February by default.
    assert config.schedule.season is not None and config.schedule.season.months == (11, 12, 1, 2)
    assert config.email.to == ("communication@example.org",)
    assert config.email.from_ == "watcher@example.org"
    assert (config.email.smtp_host, config.email.smtp_port, config.email.starttls) == ("localhost", 25, None)
    assert config.database == SHIPPED.parent / "watcher.db"
    assert config.source == SHIPPED
    assert config.contact == "watcher@example.org"


def test_valid_minimal_file_and_defaults(tmp_path):
    config = load(write(tmp_path, VALID))
    assert config.email.smtp_port == 587
    assert config.email.use_starttls is True
    assert config.email.use_ssl is False
    assert config.fetch.delay_seconds == 2.0
    assert config.fetch.attempts == 4
    assert config.fetch.respect_robots_txt is True


def test_relative_database_is_resolved_against_the_config_folder(tmp_path, monkeypatch):
    folder = tmp_path / "etc" / "watcher"
    folder.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)  # not the config's folder
    config = load(write(folder, VALID.replace('"watcher.db"', '"data/rankings.db"')))
    assert config.database == folder.resolve() / "data" / "rankings.db"


def test_relative_config_path_gives_an_absolute_database(tmp_path, monkeypatch):
    write(tmp_path, VALID)
    monkeypatch.chdir(tmp_path)
    config = load(Path("config.toml"))
    assert config.database == tmp_path.resolve() / "watcher.db"
    assert config.database.is_absolute()


def test_absolute_database_is_kept(tmp_path):
    target = tmp_path / "elsewhere" / "w.db"
    config = load(write(tmp_path, VALID.replace('"watcher.db"', f'"{target.as_posix()}"')))
    assert config.database == target


def test_fragment_is_stripped_from_a_ranking_url(tmp_path):
    text = VALID.replace("home.html", "home.html#indicateurs=900701,900702")
    config = load(write(tmp_path, text))
    assert config.rankings[0].url == "https://example.org/palmares/home.html"


def test_slug_and_aliases(tmp_path):
    text = VALID.replace(
        'name = "IMT Mines Alès"', 'name = "IMT Mines Alès"\nslug = "imt-mines-ales"\naliases = ["Mines Alès"]'
    )
    school = load(write(tmp_path, text)).school
    assert (school.slug, school.aliases) == ("imt-mines-ales", ("Mines Alès",))


# --- Errors --------------------------------------------------------------------------------------


def test_missing_email_to(tmp_path):
    message = error_of(tmp_path, VALID.replace('to = ["communication@example.org"]\n', ""))
    assert '  - email.to: [email] to is required; add it, e.g. to = ["communication@example.org"]' in message
    assert str(tmp_path / "config.toml") in message


def test_unknown_key(tmp_path):
    message = error_of(tmp_path, VALID.replace("smtp_port = 587", 'smpt_host = "mail.example.org"'))
    assert "email.smpt_host: [email] smpt_host is not a key watcher knows; did you mean smtp_host?" in message


def test_unknown_top_level_section(tmp_path):
    message = error_of(tmp_path, VALID + "\n[fetchh]\ndelay_seconds = 5\n")
    assert "fetchh: fetchh is not a key watcher knows; did you mean fetch?" in message


def test_smtp_port_that_is_not_a_number(tmp_path):
    message = error_of(tmp_path, VALID.replace("smtp_port = 587", 'smtp_port = "twenty-five"'))
    assert "email.smtp_port: 'twenty-five' is not a whole number; write one, e.g. smtp_port = 25" in message


def test_smtp_port_in_quotes(tmp_path):
    message = error_of(tmp_path, VALID.replace("smtp_port = 587", 'smtp_port = "25"'))
    assert "email.smtp_port:" in message


def test_smtp_port_out_of_range(tmp_path):
    message = error_of(tmp_path, VALID.replace("smtp_port = 587", "smtp_port = 70000"))
    assert "email.smtp_port: 70000 is too large; write a number of at most 65535" in message


@pytest.mark.parametrize(
    ("old", "new", "key", "value"),
    [
        ('to = ["communication@example.org"]', 'to = ["not-an-email"]', "email.to[1]", "'not-an-email'"),
        (
            'to = ["communication@example.org"]',
            'to = ["communication@example.org", "comms at example.org"]',
            "email.to[2]",
            "'comms at example.org'",
        ),
        ('from = "watcher@example.org"', 'from = "watcher@localhost"', "email.from", "'watcher@localhost'"),
    ],
)
def test_bad_email_address(tmp_path, old, new, key, value):
    message = error_of(tmp_path, VALID.replace(old, new))
    assert f"{key}: {value} is not an email address (expected name@example.org)" in message


def test_bad_address_is_the_only_error(tmp_path):
    message = error_of(tmp_path, VALID.replace('"communication@example.org"', '"not-an-email"'))
    assert "at least 1 item" not in message


def test_empty_recipient_list(tmp_path):
    message = error_of(tmp_path, VALID.replace('["communication@example.org"]', "[]"))
    assert "email.to: give at least one address" in message


def test_ranking_url_must_be_http(tmp_path):
    message = error_of(tmp_path, VALID.replace("https://example.org", "ftp://example.org"))
    assert "rankings[1].url: must start with http:// or https://" in message


def test_two_rankings_with_one_name(tmp_path):
    second = '\n[[rankings]]\nname = "Palmarès général"\nurl = "https://example.org/other.html"\n'
    message = error_of(tmp_path, VALID.replace("\n[email]", second + "\n[email]"))
    assert "two [[rankings]] are named 'Palmarès général'" in message


def test_without_rankings_the_general_list_is_watched(tmp_path):
    text = VALID.replace(
        '[[rankings]]\nname = "Palmarès général"\nurl = "https://example.org/palmares/home.html"\n', ""
    )
    assert "[[rankings]]" not in text
    (ranking,) = load(write(tmp_path, text)).rankings
    assert ranking.url == "https://www.letudiant.fr/classements/classement-des-ecoles-d-ingenieurs.html"
    assert ranking.name == "Classement des écoles d'ingénieurs"
    assert "\n  - rankings: " in error_of(tmp_path, "rankings = []\n" + text)  # an empty list is still a mistake


def test_a_bad_ranking_is_not_also_reported_as_missing(tmp_path):
    message = error_of(tmp_path, VALID.replace("https://example.org", "ftp://example.org"))
    assert message.count("\n  - ") == 1, message


def test_invalid_toml(tmp_path):
    message = error_of(tmp_path, VALID.replace("smtp_port = 587", 'smtp_port = "oops'))
    assert "is not valid TOML" in message
    assert str(tmp_path / "config.toml") in message


def test_invalid_toml_names_the_line(tmp_path):
    message = error_of(tmp_path, 'database = "watcher.db"\n[email\nto = []\n')
    assert "is not valid TOML" in message
    assert "line 2" in message


def test_not_utf8(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(VALID.encode("latin-1"))
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load(tmp_path / "nowhere.toml")
    assert f"No config file at {tmp_path / 'nowhere.toml'}" in str(info.value)
    assert "--config PATH or the WATCHER_CONFIG variable" in str(info.value)


def test_a_folder_instead_of_a_file(tmp_path):
    with pytest.raises(ConfigError, match="Cannot read the config file"):
        load(tmp_path)


# --- Errors in the operator's words: each names the key, says what is wrong, and shows what to write ---------


def section(text: str, name: str, body: str) -> str:
    """VALID with `[name]` and its body appended."""
    return text + f"\n[{name}]\n{body}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            VALID.replace('to = ["communication@example.org"]', 'to = "communication@example.org"'),
            "  - email.to: [email] to is a list of addresses, even for one: write it in square brackets, "
            'e.g. to = ["communication@example.org"]',
            id="an-address-where-a-list-is-due",
        ),
        pytest.param(
            VALID.replace("smtp_port = 587", 'ops_to = "it@example.org"'),
            "  - email.ops_to: [email] ops_to is a list of addresses, even for one: write it in square brackets, "
            'e.g. ops_to = ["it@example.org"]',
            id="ops-to-not-a-list",
        ),
        pytest.param(
            VALID.replace("[[rankings]]", "[rankings]"),
            "  - rankings: [rankings] is written as one table, but rankings are a list: write [[rankings]] above "
            "each one, for example:\n        [[rankings]]\n        name = ",
            id="rankings-as-a-table",
        ),
        pytest.param(
            VALID.replace("[school]", "[[school]]"),
            "  - school: there is one [school], not a list of them: write [school] with single brackets, not "
            '[[school]], for example:\n        [school]\n        name = "IMT Mines Alès"',
            id="school-as-an-array-of-tables",
        ),
        pytest.param(
            VALID.replace('[school]\nname = "IMT Mines Alès"\n', ""),
            "  - school: the [school] section is missing; add it, for example:\n        [school]\n"
            '        name = "IMT Mines Alès"',
            id="no-school",
        ),
        pytest.param(
            VALID.replace('name = "IMT Mines Alès"\n', 'slug = "imt-mines-ales"\n'),
            '  - school.name: [school] name is required; add it, e.g. name = "IMT Mines Alès"',
            id="school-without-a-name",
        ),
        pytest.param(
            section(VALID, "alerts", "stale_after_days = inf"),
            "  - alerts.stale_after_days: inf is not a number watcher can count with; write an ordinary number, "
            "e.g. stale_after_days = 3.0",
            id="infinite-days",
        ),
        pytest.param(
            section(VALID, "alerts", "mail_failing_log_after_hours = nan"),
            "  - alerts.mail_failing_log_after_hours: nan is not a number watcher can count with",
            id="nan-hours",
        ),
        pytest.param(
            section(VALID, "alerts", "stale_after_days = 1e308"),
            "  - alerts.stale_after_days: 1e+308 is too large; write a number of at most 365, e.g. stale_after_days",
            id="days-beyond-any-date",
        ),
        pytest.param(
            section(VALID, "alerts", "failures_before_alert = 9223372036854775807"),
            "  - alerts.failures_before_alert: 9223372036854775807 is too large; write a number of at most 1000, "
            "e.g. failures_before_alert = 3",
            id="failures-never-reached",
        ),
        pytest.param(
            section(VALID, "alerts", "failures_before_alert = 2.5"),
            "  - alerts.failures_before_alert: 2.5 is not a whole number; write one, e.g. failures_before_alert = 3",
            id="failures-not-whole",
        ),
        pytest.param(
            section(VALID, "schedule", "jitter_seconds = inf"),
            "  - schedule.jitter_seconds: inf is not a number watcher can count with; write an ordinary number",
            id="infinite-jitter",
        ),
        pytest.param(
            section(VALID, "schedule", "jitter_seconds = 1e9"),
            "  - schedule.jitter_seconds: 1000000000.0 is too large; write a number of at most 3600",
            id="jitter-beyond-the-schedule",
        ),
        pytest.param(
            section(VALID, "schedule", 'every = "99999999999999999999999999999999999d"'),
            "  - schedule.every: '99999999999999999999999999999999999d' is longer than 31 days; for rarer checks "
            'use cron instead, e.g. cron = "0 7 1 * *"',
            id="an-interval-beyond-any-date",
        ),
        pytest.param(
            section(VALID, "schedule", 'season = { months = 11, every = "1h" }'),
            "  - schedule.season.months: [schedule] season.months is a list of month numbers, even for one: write "
            "it in square brackets, e.g. months = [11, 12, 1, 2]",
            id="season-month-not-a-list",
        ),
        pytest.param(
            section(VALID, "schedule", "season = true"),
            "  - schedule.season: [schedule] season is a table of settings, not a single value, e.g. season = { "
            'months = [11, 12, 1, 2], every = "1h", hours = "7-21" }, or season = false',
            id="season-true",
        ),
        pytest.param(
            VALID.replace('from = "watcher@example.org"', 'form = "watcher@example.org"'),
            "  - email.form: [email] form is not a key watcher knows; did you mean from?",
            id="misspelt-key",
        ),
        pytest.param(
            VALID.replace('name = "Palmarès général"', 'name = "Palmarès général"\nlayout = "palmares-tabel"'),
            "  - rankings: [[rankings]] number 1 ('Palmarès général') names the layout 'palmares-tabel', which does "
            "not exist; write one of: classements-cards, classements-table, palmares-table, or remove its",
            id="unknown-layout",
        ),
        pytest.param(
            VALID.replace('url = "https://example.org/palmares/home.html"', "url = 5"),
            '  - rankings[1].url: write some text, in double quotes, e.g. url = "https://www.letudiant.fr/',
            id="url-not-text",
        ),
        pytest.param(
            section(VALID, "fetch", "respect_robots_txt = 'maybe'"),
            "  - fetch.respect_robots_txt: 'maybe' is not true or false; write one, without quotes, "
            "e.g. respect_robots_txt = true",
            id="not-a-boolean",
        ),
    ],
)
def test_each_error_names_the_key_and_the_fix(tmp_path, text, expected):
    message = error_of(tmp_path, text)
    assert expected in message, message
    assert "Input should" not in message and "pydantic" not in message


def test_no_school_is_an_error_not_a_default(tmp_path):
    message = error_of(tmp_path, VALID.replace('[school]\nname = "IMT Mines Alès"\n', ""))
    assert message.splitlines()[1].startswith("  - school: the [school] section is missing; add it")


def test_infinite_or_huge_alert_figures_are_refused(tmp_path):
    for body in (
        "stale_after_days = inf",
        "stale_after_days = -inf",
        "stale_after_days = nan",
        "stale_after_days = 1e308",
    ):
        assert "alerts.stale_after_days:" in error_of(tmp_path, section(VALID, "alerts", body))
    assert "alerts.mail_failing_log_after_hours:" in error_of(
        tmp_path, section(VALID, "alerts", "mail_failing_log_after_hours = 1e300")
    )


def test_the_largest_accepted_values_still_make_dates(tmp_path):
    from datetime import UTC, datetime, timedelta

    body = "failures_before_alert = 1000\nstale_after_days = 365\nmail_failing_log_after_hours = 8760"
    config = load(
        write(tmp_path, section(VALID, "alerts", body) + '[schedule]\nevery = "31d"\njitter_seconds = 3600\n')
    )
    now = datetime.now(UTC)
    assert now + timedelta(days=config.alerts.stale_after_days) > now
    assert now + timedelta(hours=config.alerts.mail_failing_log_after_hours) > now


def test_a_file_starting_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode("utf-8"))
    assert load(path).school.name == "IMT Mines Alès"


def test_season_false_turns_the_busy_season_off(tmp_path):
    assert load(write(tmp_path, section(VALID, "schedule", "season = false"))).schedule.season is None
    assert load(write(tmp_path, VALID)).schedule.season is not None
