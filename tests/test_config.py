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
    assert "email.to: this key is required (add it)" in message
    assert str(tmp_path / "config.toml") in message


def test_unknown_key(tmp_path):
    message = error_of(tmp_path, VALID.replace("smtp_port = 587", 'smpt_host = "mail.example.org"'))
    assert "email.smpt_host: this key is not known (remove it or check its spelling)" in message


def test_unknown_top_level_section(tmp_path):
    message = error_of(tmp_path, VALID + "\n[fetchh]\ndelay_seconds = 5\n")
    assert "fetchh: this key is not known" in message


def test_smtp_port_that_is_not_a_number(tmp_path):
    message = error_of(tmp_path, VALID.replace("smtp_port = 587", 'smtp_port = "twenty-five"'))
    assert "email.smtp_port:" in message
    assert "(write a whole number without quotes)" in message


def test_smtp_port_in_quotes(tmp_path):
    message = error_of(tmp_path, VALID.replace("smtp_port = 587", 'smtp_port = "25"'))
    assert "email.smtp_port:" in message


def test_smtp_port_out_of_range(tmp_path):
    message = error_of(tmp_path, VALID.replace("smtp_port = 587", "smtp_port = 70000"))
    assert "email.smtp_port: Input should be less than or equal to 65535" in message


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


def test_missing_rankings(tmp_path):
    text = VALID.replace(
        '[[rankings]]\nname = "Palmarès général"\nurl = "https://example.org/palmares/home.html"\n', ""
    )
    assert "rankings: this key is required (add it)" in error_of(tmp_path, text)


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
