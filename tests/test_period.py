import datetime as dt

import pytest

from fortnox_etl.period import Period, PeriodError, period_for_run


@pytest.mark.parametrize("text, last_day", [("2024-02", dt.date(2024, 2, 29)), ("2025-02", dt.date(2025, 2, 28)),
                                            ("2025-12", dt.date(2025, 12, 31)), ("2026-06", dt.date(2026, 6, 30))])
def test_a_period_is_a_month(text, last_day):
    period = Period.parse(text)
    assert (period.first_day, period.last_day, str(period)) == (last_day.replace(day=1), last_day, text)


@pytest.mark.parametrize("text", ["2025-13", "2025-6", "25-06", "juni", "", 202512])
def test_a_bad_period_says_how_to_write_it(text):
    with pytest.raises(PeriodError, match=f"^period '{text}' is not a month: write YYYY-MM, e.g. 2025-12$"):
        Period.parse(text)


def test_the_period_of_a_run():
    # A monthly data interval starts at midnight Swedish time: 22:00 or 23:00 UTC the day before.
    june_in_summer_time = dt.datetime(2025, 5, 31, 22, 0, tzinfo=dt.UTC)
    january_in_winter_time = dt.datetime(2024, 12, 31, 23, 0, tzinfo=dt.UTC)
    assert str(period_for_run(None, june_in_summer_time, dt.date(2026, 1, 1))) == "2025-06"
    assert str(period_for_run(None, january_in_winter_time, dt.date(2026, 1, 1))) == "2025-01"
    assert str(period_for_run("2024-03", june_in_summer_time, dt.date(2026, 1, 1))) == "2024-03"
    assert str(period_for_run(None, None, dt.date(2026, 1, 15))) == "2025-12"


@pytest.mark.parametrize("missing", [None, "", "  "])
def test_a_missing_period_is_the_month_of_the_runs_data_interval(missing):
    october = dt.datetime(2025, 9, 30, 22, 0, tzinfo=dt.UTC)
    assert str(period_for_run(missing, october, dt.date(2026, 1, 1))) == "2025-10"
    assert str(period_for_run(missing, october, dt.date(2026, 1, 1), backfill=True)) == "2025-10"


def test_a_backfill_run_given_another_month_than_its_own_is_refused_in_words():
    october = dt.datetime(2025, 9, 30, 22, 0, tzinfo=dt.UTC)
    assert str(period_for_run("2025-10", october, dt.date(2026, 1, 1), backfill=True)) == "2025-10"
    with pytest.raises(PeriodError, match="this backfill run is for 2025-10, but the period 2025-12 was given: "
                                          "a backfill syncs the month of each of its runs, so leave the period empty"):
        period_for_run("2025-12", october, dt.date(2026, 1, 1), backfill=True)
