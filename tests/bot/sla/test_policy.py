"""The SLA policy from socialdesk.toml: targets, overrides, business time, quiet hours, the reminder rhythm."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.settings import ConfigError, parse_config
from bot.sla import policy as sla

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {"timezone": "Europe/Berlin", "holidays": ["2026-12-25"]}


def policy(**sla_keys):
    return parse_config({"brand": {"name": "Acme"}, "routes": [{"channel": "#desk"}], "sla": sla_keys}).sla


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_defaults_cover_every_priority_and_kind():
    config = policy()
    assert config.target("first_response", "urgent", "x", "complaint") == timedelta(minutes=15)
    assert config.target("first_response", "low", "x", "praise") == timedelta(hours=24)
    assert config.target("next_response", "high", "x", "question") == timedelta(hours=2)
    assert config.target("resolution", "normal", "x", "question") == timedelta(hours=24)
    assert config.warn_at == 0.75 and config.remind_after == timedelta(minutes=30)


def test_overrides_by_network_and_intent_first_match_wins_per_priority():
    config = policy(overrides=[
        {"network": "x", "intent": "complaint", "first_response": {"high": "20m"}},
        {"network": "x", "first_response": {"high": "45m", "normal": "2h"}},
        {"intent": "sales_lead", "resolution": {"normal": "2d"}},
    ])
    assert config.target("first_response", "high", "x", "complaint") == timedelta(minutes=20)
    assert config.target("first_response", "high", "x", "question") == timedelta(minutes=45)
    assert config.target("first_response", "normal", "x", "complaint") == timedelta(hours=2)  # falls through to rule 2
    assert config.target("first_response", "high", "mastodon", "complaint") == timedelta(hours=1)  # the default
    assert config.target("resolution", "normal", "reddit", "sales_lead") == timedelta(days=2)
    assert config.target("next_response", "normal", "x", "complaint") == timedelta(hours=8)


@pytest.mark.parametrize("keys,message", [
    ({"overrides": [{"first_response": {"high": "1h"}}]}, "needs `network` and/or `intent`"),
    ({"overrides": [{"network": "x"}]}, "needs at least one of first_response"),
    ({"overrides": [{"intent": "angry", "first_response": {"high": "1h"}}]}, "sla.overrides.0.intent"),
    ({"next_response": {"urgent": "1h"}}, "missing a target for high, normal, low"),
    ({"warn_at": 1.5}, "sla.warn_at"),
    ({"escalation": {"slack": {"on_call": "U0123"}}}, "expected a user group id like S0123ABCD"),
    ({"escalation": {"teams": {"channel": "x"}}}, "sla.escalation.teams"),
    ({"quiet_hours": {"start": "22:00", "end": "22:00"}}, "start and end are equal"),
    ({"quiet_hours": {"start": "22:00", "end": "07:00", "timezone": "Mars/Olympus"}}, "unknown time zone"),
])
def test_bad_policies_name_the_key(keys, message):
    with pytest.raises(ConfigError, match=message):
        policy(**keys)


def test_business_time_counts_only_working_hours_and_urgent_runs_around_the_clock():
    config = policy(business_hours=OFFICE)
    friday_4pm = berlin(2026, 11, 6, 16)
    assert sla.add(config, "high", friday_4pm, timedelta(hours=2)) == berlin(2026, 11, 9, 10)
    assert sla.add(config, "urgent", friday_4pm, timedelta(hours=2)) == berlin(2026, 11, 6, 18)
    assert sla.elapsed(config, "high", friday_4pm, berlin(2026, 11, 9, 10)) == timedelta(hours=2)
    assert sla.elapsed(config, "urgent", friday_4pm, berlin(2026, 11, 9, 10)) == timedelta(hours=66)


def test_a_pause_extends_a_due_time_by_the_working_time_it_covered():
    config = policy(business_hours=OFFICE)
    due = berlin(2026, 11, 9, 11)  # Monday 11:00
    # paused Friday 16:00 -> Monday 10:00: one working hour Friday, one Monday
    assert sla.extend(config, "normal", due, berlin(2026, 11, 6, 16), berlin(2026, 11, 9, 10)) == berlin(2026, 11, 9, 13)
    # a pause over the weekend only moves nothing
    assert sla.extend(config, "normal", due, berlin(2026, 11, 7, 9), berlin(2026, 11, 8, 20)) == due
    # Christmas Day is a holiday and the 26th-27th a weekend: 24 Dec 16-17 and 28 Dec 9-10 count
    christmas = sla.extend(config, "high", berlin(2026, 12, 28, 12), berlin(2026, 12, 24, 16), berlin(2026, 12, 28, 10))
    assert christmas == berlin(2026, 12, 28, 14)
    # across the spring-forward night the window keeps its eight hours
    spring = sla.extend(config, "normal", berlin(2026, 3, 30, 10), berlin(2026, 3, 27, 16), berlin(2026, 3, 30, 9, 30))
    assert spring == berlin(2026, 3, 30, 11, 30)


def test_reminders_grow_and_stop_growing_at_the_cap():
    config = policy(remind_after="30m", remind_cap="4h")
    waits = [sla.reminder_interval(config, sent) for sent in range(7)]
    assert waits == [timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)] + [timedelta(hours=4)] * 4
    assert sla.reminder_interval(config, 10_000) == timedelta(hours=4)  # no overflow after weeks of reminders


def test_quiet_hours_span_midnight_in_the_team_zone_and_spare_urgent():
    config = policy(business_hours=OFFICE, quiet_hours={"start": "20:00", "end": "08:00"})
    evening = berlin(2026, 11, 2, 21, 30)
    assert sla.quiet_until(config, "high", evening) == berlin(2026, 11, 3, 8).astimezone(UTC)
    assert sla.quiet_until(config, "high", berlin(2026, 11, 3, 7, 59)) == berlin(2026, 11, 3, 8)
    assert sla.quiet_until(config, "high", berlin(2026, 11, 3, 8)) is None
    assert sla.quiet_until(config, "high", berlin(2026, 11, 2, 19, 59)) is None
    assert sla.quiet_until(config, "urgent", evening) is None
    # the night the clocks go back (Berlin, 25 Oct 2026) still ends at 08:00 local time
    assert sla.quiet_until(config, "low", berlin(2026, 10, 25, 1, 30)) == berlin(2026, 10, 25, 8)


def test_quiet_hours_within_a_day_and_in_their_own_zone():
    config = policy(quiet_hours={"start": "12:00", "end": "13:00", "timezone": "America/New_York"})
    noon_in_new_york = datetime(2026, 11, 2, 17, 30, tzinfo=UTC)
    assert sla.quiet_until(config, "normal", noon_in_new_york) == datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
    assert sla.quiet_until(config, "normal", datetime(2026, 11, 2, 12, 30, tzinfo=UTC)) is None


# Public holidays from [sla.business_hours] country/subdivision, written out from the official calendars of 2027
# (Bavaria's public holidays law; the US federal calendar with its Friday/Monday observance, plus California's
# Cesar Chavez Day, the day after Thanksgiving and, from 2025, Diwali), merged with the dates typed in `holidays`.
BAVARIA_2027_WEEKDAYS_OFF = ["2027-01-01", "2027-01-06", "2027-03-26", "2027-03-29", "2027-05-06", "2027-05-17",
                             "2027-05-27", "2027-11-01", "2027-12-27"]  # the last one typed by hand
CALIFORNIA_2027_WEEKDAYS_OFF = ["2027-01-01", "2027-01-18", "2027-02-15", "2027-03-31", "2027-05-31", "2027-06-18",
                                "2027-07-05", "2027-09-06", "2027-10-29", "2027-11-11", "2027-11-25", "2027-11-26",
                                "2027-12-24", "2027-12-31"]


@pytest.mark.parametrize("hours,weekdays_off", [
    ({"timezone": "Europe/Berlin", "country": "DE", "subdivision": "BY", "holidays": ["2027-12-27"]},
     BAVARIA_2027_WEEKDAYS_OFF),
    ({"timezone": "America/Los_Angeles", "country": "US", "subdivision": "CA"}, CALIFORNIA_2027_WEEKDAYS_OFF),
])
def test_a_country_calendar_takes_every_public_holiday_of_a_year(hours, weekdays_off):
    from datetime import date

    config = policy(business_hours=hours)
    calendar = sla.calendar(config, "normal")
    year = [date(2027, 1, 1) + timedelta(days=n) for n in range(365)]
    closed_weekdays = [day.isoformat() for day in year if day.weekday() < 5 and calendar.window(day) is None]
    assert closed_weekdays == weekdays_off
    zone = ZoneInfo(hours["timezone"])
    worked = calendar.between(datetime(2027, 1, 1, tzinfo=zone), datetime(2028, 1, 1, tzinfo=zone))
    assert worked == timedelta(hours=8) * (261 - len(weekdays_off))  # 2027 has 261 weekdays
    # A target set on the eve of a holiday weekend runs on after it (Bavaria: Easter; California: Independence Day)
    eve = {"DE": datetime(2027, 3, 25, 16, 0, tzinfo=zone), "US": datetime(2027, 7, 2, 16, 0, tzinfo=zone)}[hours["country"]]
    after = {"DE": datetime(2027, 3, 30, 10, 0, tzinfo=zone), "US": datetime(2027, 7, 6, 10, 0, tzinfo=zone)}[hours["country"]]
    assert sla.add(config, "normal", eve, timedelta(hours=2)) == after
    assert sla.add(config, "urgent", eve, timedelta(hours=2)) == eve + timedelta(hours=2)  # around the clock


def test_the_next_holidays_have_their_names_typed_ones_too():
    from datetime import date

    hours = policy(business_hours={"timezone": "Europe/Berlin", "country": "DE", "holidays": ["2027-04-30"]}).business_hours
    upcoming = sla.days_off(hours).upcoming(date(2027, 3, 27), 4)
    assert upcoming == [(date(2027, 3, 29), "Easter Monday"), (date(2027, 4, 30), "holiday"),
                        (date(2027, 5, 1), "Labor Day"), (date(2027, 5, 6), "Ascension Day")]


@pytest.mark.parametrize("hours,message", [
    ({"country": "XX"}, "country 'XX' has no holiday calendar"),
    ({"country": "DE", "subdivision": "ZZ"}, "DE has no subdivision 'ZZ'; it has BB, BE, BW, BY"),
    ({"subdivision": "BY"}, "subdivision needs a country"),
])
def test_an_unknown_country_or_region_is_refused_with_what_exists(hours, message):
    with pytest.raises(ConfigError, match=message):
        policy(business_hours={"timezone": "Europe/Berlin", **hours})
