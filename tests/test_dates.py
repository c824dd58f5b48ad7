import pytest

from timeline.dates import DAY, MONTH, YEAR, DateError, PartialDate


@pytest.mark.parametrize(
    ("value", "iso", "display", "precision"),
    [
        ("2014-03-04", "2014-03-04", "4 March 2014", DAY),
        ("2014-03", "2014-03", "March 2014", MONTH),
        ("2014", "2014", "2014", YEAR),
        (2014, "2014", "2014", YEAR),  # YAML reads a bare year as a number
        ("2024-02-29", "2024-02-29", "29 February 2024", DAY),
        ("1945-08", "1945-08", "August 1945", MONTH),
    ],
)
def test_valid_dates_keep_their_precision(value, iso, display, precision):
    date = PartialDate.parse(value)
    assert (date.iso, date.display, date.precision) == (iso, display, precision)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2023-02-30", "is not a real date: February 2023 has 28 days"),
        ("2023-02-29", "is not a real date: February 2023 has 28 days"),
        ("2021-13", "is not a real date: there is no month 13"),
        ("2021-00", "is not a real date: there is no month 0"),
        ("2021-04-31", "is not a real date: April 2021 has 30 days"),
        ("2021-04-00", "is not a real date: April 2021 has 30 days"),
        ("23-1-1", "is not a date"),
        ("2014-3-4", "is not a date"),
        ("yesterday", "is not a date"),
        ("2014-03-04T10:00", "is not a date"),
        ("", "is not a date"),
        (True, "is not a date"),
        (14.5, "is not a date"),
        ("0999", "has a year before 1000"),
    ],
)
def test_impossible_dates_are_refused_with_a_reason(value, message):
    with pytest.raises(DateError) as raised:
        PartialDate.parse(value)
    assert str(raised.value).startswith(message)


def test_partial_dates_span_their_whole_period():
    assert PartialDate.parse("2014").first_day == (2014, 1, 1)
    assert PartialDate.parse("2014").last_day == (2014, 12, 31)
    assert PartialDate.parse("2024-02").last_day == (2024, 2, 29)
    assert PartialDate.parse("2014-03-04").last_day == (2014, 3, 4)
