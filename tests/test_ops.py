"""Operator notices, as pure functions: when `after_check` calls for one, and what `render_notice` writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest

from watcher.french.notice import render_notice
from watcher.model import RankingState
from watcher.news.ops import OpsNotice, after_check

RANKING = "Palmarès général des écoles d'ingénieurs"
T0 = datetime(2021, 12, 14, 7, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SENDER = "watcher@example.org"


def step(
    state: RankingState,
    now: datetime,
    *,
    ok: bool,
    changed: bool = False,
    error: str | None = None,
    threshold: int = 3,
    stale_after: timedelta = timedelta(days=3),
) -> tuple[RankingState, list[OpsNotice]]:
    if not ok and error is None:
        error = f"no ranking table at {now:%H:%M}"
    return after_check(
        state,
        ok=ok,
        changed=changed,
        error=None if ok else error,
        now=now,
        failures_before_alert=threshold,
        stale_after=stale_after,
    )


def baseline(at: datetime = T0) -> RankingState:
    """A ranking whose last check, at `at`, succeeded and recorded a snapshot."""
    state, notices = step(RankingState(RANKING), at, ok=True, changed=True)
    assert notices == []
    return state


def kinds(notices: list[OpsNotice]) -> list[str]:
    return [n.kind for n in notices]


# Failures and the "failing" notice


def test_failures_count_up_and_keep_the_first_failure_time_and_the_last_error() -> None:
    state = baseline()
    for i in range(1, 5):
        state, _ = step(state, T0 + i * HOUR, ok=False, error=f"error {i}", threshold=10)
        assert state.failures == i
        assert state.failing_since == T0 + HOUR
        assert state.last_check_at == T0 + i * HOUR
        assert state.last_error == f"error {i}"
        assert state.last_ok_at == T0  # a failure does not move the last success
    assert state.failing_alerted is False


@pytest.mark.parametrize("threshold", [1, 2, 3, 5])
def test_exactly_one_failing_notice_when_failures_reach_the_threshold(threshold: int) -> None:
    state = baseline()
    per_check = []
    for i in range(1, threshold + 4):
        state, notices = step(state, T0 + i * HOUR, ok=False, threshold=threshold)
        per_check.append(kinds(notices))
    assert per_check == [[]] * (threshold - 1) + [["failing"]] + [[]] * 3
    assert state.failing_alerted is True
    assert state.failures == threshold + 3


def test_failing_notice_carries_the_count_the_start_and_the_error_of_the_check_that_crossed() -> None:
    state = baseline()
    state, _ = step(state, T0 + HOUR, ok=False, error="HTTP 503", threshold=2)
    state, notices = step(state, T0 + 2 * HOUR, ok=False, error="no ranking table", threshold=2)
    [notice] = notices
    assert notice == OpsNotice("failing", RANKING, T0 + HOUR, 2, "no ranking table", T0 + 2 * HOUR)


def test_the_first_ever_check_failing_counts_too() -> None:
    state, notices = step(RankingState(RANKING), T0, ok=False, threshold=1)
    assert kinds(notices) == ["failing"]
    assert state.failing_since == T0 and state.last_ok_at is None and state.last_check_at == T0


# Recovery


def test_one_recovered_notice_on_the_first_ok_check_after_an_alerted_failure() -> None:
    state = baseline()
    for i in range(1, 5):
        state, _ = step(state, T0 + i * HOUR, ok=False, threshold=3)
    state, notices = step(state, T0 + 5 * HOUR, ok=True)
    assert notices == [OpsNotice("recovered", RANKING, T0 + HOUR, 4, None, T0 + 5 * HOUR)]
    assert state == RankingState(RANKING, last_check_at=T0 + 5 * HOUR, last_ok_at=T0 + 5 * HOUR, last_change_at=T0)
    state, notices = step(state, T0 + 6 * HOUR, ok=True)
    assert notices == []


def test_no_recovered_notice_after_failures_that_never_reached_the_threshold() -> None:
    state = baseline()
    state, _ = step(state, T0 + HOUR, ok=False, threshold=3)
    state, _ = step(state, T0 + 2 * HOUR, ok=False, threshold=3)
    state, notices = step(state, T0 + 3 * HOUR, ok=True)
    assert notices == []
    assert state.failures == 0 and state.failing_since is None and state.last_error is None
    # The count starts again from zero: two more failures still do not alert.
    state, first = step(state, T0 + 4 * HOUR, ok=False, threshold=3)
    state, second = step(state, T0 + 5 * HOUR, ok=False, threshold=3)
    assert first == second == []
    assert state.failures == 2 and state.failing_since == T0 + 4 * HOUR


def test_a_new_episode_alerts_again_after_a_recovery() -> None:
    state = baseline()
    state, failing1 = step(state, T0 + HOUR, ok=False, threshold=1)
    state, recovered1 = step(state, T0 + 2 * HOUR, ok=True)
    state, failing2 = step(state, T0 + 3 * HOUR, ok=False, threshold=1)
    state, recovered2 = step(state, T0 + 4 * HOUR, ok=True)
    assert [kinds(failing1), kinds(recovered1), kinds(failing2), kinds(recovered2)] == [
        ["failing"],
        ["recovered"],
        ["failing"],
        ["recovered"],
    ]
    assert failing2[0].since == T0 + 3 * HOUR and recovered2[0].since == T0 + 3 * HOUR


# Staleness


def test_stale_notice_once_when_no_success_for_stale_after_then_recovery() -> None:
    state = baseline(T0)
    stale_after = timedelta(days=3)
    seen = []
    for at in (T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY - timedelta(seconds=1), T0 + 3 * DAY, T0 + 4 * DAY):
        state, notices = step(state, at, ok=False, threshold=100, stale_after=stale_after)
        seen.append(kinds(notices))
    assert seen == [[], [], [], ["stale"], []]
    assert state.stale_alerted is True and state.failing_alerted is False
    state, notices = step(state, T0 + 5 * DAY, ok=True, threshold=100, stale_after=stale_after)
    assert notices == [OpsNotice("recovered", RANKING, T0 + DAY, 5, None, T0 + 5 * DAY)]
    assert state.stale_alerted is False


def test_stale_notice_names_the_last_success_and_the_error() -> None:
    state = baseline(T0)
    state, _ = step(state, T0 + DAY, ok=False, threshold=100)
    state, notices = step(state, T0 + 3 * DAY, ok=False, error="HTTP 503", threshold=100)
    assert notices == [OpsNotice("stale", RANKING, T0, 2, "HTTP 503", T0 + 3 * DAY)]


def test_stale_without_any_success_counts_from_the_first_failure() -> None:
    state, _ = step(RankingState(RANKING), T0, ok=False, threshold=100)
    state, notices = step(state, T0 + 3 * DAY - timedelta(minutes=1), ok=False, threshold=100)
    assert notices == []
    state, notices = step(state, T0 + 3 * DAY, ok=False, threshold=100)
    assert kinds(notices) == ["stale"] and notices[0].since == T0


def test_ok_check_after_a_long_gap_is_not_stale() -> None:
    state = baseline(T0)
    state, notices = step(state, T0 + 30 * DAY, ok=True)
    assert notices == []
    assert state.last_ok_at == T0 + 30 * DAY


def test_failing_and_stale_in_the_same_check_give_both_notices_and_one_recovery() -> None:
    state = baseline(T0)
    state, notices = step(state, T0 + 4 * DAY, ok=False, threshold=1)
    assert kinds(notices) == ["failing", "stale"]
    state, notices = step(state, T0 + 5 * DAY, ok=False, threshold=1)
    assert notices == []
    state, notices = step(state, T0 + 6 * DAY, ok=True, threshold=1)
    assert kinds(notices) == ["recovered"]


# last_change_at


def test_last_change_at_moves_only_when_the_check_changed_something() -> None:
    state = baseline(T0)
    assert state.last_change_at == T0
    state, _ = step(state, T0 + HOUR, ok=True, changed=False)
    assert state.last_change_at == T0 and state.last_ok_at == T0 + HOUR
    state, _ = step(state, T0 + 2 * HOUR, ok=False)
    assert state.last_change_at == T0
    state, _ = step(state, T0 + 3 * HOUR, ok=True, changed=True)
    assert state.last_change_at == T0 + 3 * HOUR
    state, _ = step(state, T0 + 4 * HOUR, ok=True, changed=False)
    assert state.last_change_at == T0 + 3 * HOUR


# Message-IDs


def message_id(notice: OpsNotice) -> str:
    return str(render_notice(notice, sender=SENDER, recipients=("ops@example.org",))["Message-ID"])


def test_message_ids_are_stable_within_an_episode_and_new_for_the_next() -> None:
    state = baseline()
    state, _ = step(state, T0 + HOUR, ok=False, threshold=2)
    before_threshold = state
    state, [failing] = step(state, T0 + 2 * HOUR, ok=False, threshold=2)
    # The same check redone later (say, rolled back and run again) queues the same Message-ID.
    _, [again] = step(before_threshold, T0 + 2 * HOUR + timedelta(minutes=7), ok=False, error="other", threshold=2)
    assert again.at != failing.at and message_id(again) == message_id(failing)
    state, [recovered] = step(state, T0 + 3 * HOUR, ok=True)
    state, _ = step(state, T0 + 4 * HOUR, ok=False, threshold=2)
    state, [failing2] = step(state, T0 + 5 * HOUR, ok=False, threshold=2)
    state, [recovered2] = step(state, T0 + 6 * HOUR, ok=True)
    ids = [message_id(n) for n in (failing, recovered, failing2, recovered2)]
    assert len(set(ids)) == 4
    for mid in ids:
        assert mid.startswith("<") and mid.endswith("@example.org>")


def test_stale_message_ids_differ_between_episodes() -> None:
    state = baseline(T0)
    state, [stale1] = step(state, T0 + 3 * DAY, ok=False, threshold=100)
    state, _ = step(state, T0 + 4 * DAY, ok=True)
    state, [stale2] = step(state, T0 + 7 * DAY, ok=False, threshold=100)
    assert stale1.since == T0 and stale2.since == T0 + 4 * DAY
    assert message_id(stale1) != message_id(stale2)


# Rendering


RECIPIENTS = ("ops@example.org", "oncall@example.org")


def test_failing_email_goes_to_the_given_recipients_and_names_the_ranking_and_the_error() -> None:
    notice = OpsNotice("failing", RANKING, T0, 3, "no ranking table (table.c-pmd-table)", T0 + 2 * HOUR)
    message = render_notice(notice, sender=SENDER, recipients=RECIPIENTS)
    assert message["To"] == "ops@example.org, oncall@example.org"
    assert message["From"] == SENDER
    assert message["Subject"] == f"[watcher] {RANKING}: 3 failed checks in a row"
    assert message["X-Watcher-Kind"] == "ops"
    assert message["Date"] == "Tue, 14 Dec 2021 09:00:00 +0000"
    body = message.get_content()
    assert f"“{RANKING}”" in body
    assert "failed 3 checks in a row, since 2021-12-14 07:00 UTC" in body
    assert "Last error:\n  no ranking table (table.c-pmd-table)\n" in body


def test_recovered_email() -> None:
    notice = OpsNotice("recovered", RANKING, T0, 4, None, T0 + DAY)
    message = render_notice(notice, sender=SENDER, recipients=("ops@example.org",))
    assert message["To"] == "ops@example.org"
    assert message["Subject"] == f"[watcher] {RANKING}: recovered"
    body = message.get_content()
    assert f"“{RANKING}”" in body and "after 4 failed checks since 2021-12-14 07:00 UTC" in body
    assert "None" not in body


def test_stale_email_names_the_last_success_and_the_error() -> None:
    notice = OpsNotice("stale", RANKING, T0, 6, "HTTP 503 Service Unavailable", T0 + 3 * DAY)
    message = render_notice(notice, sender=SENDER, recipients=RECIPIENTS)
    assert message["To"] == "ops@example.org, oncall@example.org"
    assert message["Subject"] == f"[watcher] {RANKING}: no successful check since 2021-12-14 07:00 UTC"
    body = message.get_content()
    assert f"“{RANKING}”" in body and "HTTP 503 Service Unavailable" in body


def test_message_id_uses_the_sender_domain() -> None:
    notice = OpsNotice("failing", "x", T0, 3, "e", T0)
    message = render_notice(notice, sender="robot@mail.school.example", recipients=("a@example.org",))
    assert message["Message-ID"] == f"<{notice.key}@mail.school.example>"


def test_subject_survives_being_sent() -> None:
    notice = OpsNotice("failing", RANKING, T0, 2, "e", T0)
    message = render_notice(notice, sender=SENDER, recipients=("ops@example.org",))
    received = message_from_bytes(bytes(message), policy=policy.default)
    assert received["Subject"] == f"[watcher] {RANKING}: 2 failed checks in a row"
