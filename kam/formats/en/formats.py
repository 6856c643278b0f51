"""English dates that no reader can take for another day: 2 Oct 2027, not 10/02/2027
(Django's English short format is the US month/day/year). Times on a 24-hour clock,
weeks start on Monday. Input stays ISO first; the US forms are not accepted, since
10/02/2027 means 2 October to most of our users and 10 February to Django."""

DATE_FORMAT = "j F Y"  # 2 October 2027
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"  # 2 Oct 2027
SHORT_DATETIME_FORMAT = "j M Y, H:i"
FIRST_DAY_OF_WEEK = 1

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2027-10-02
    "%d %b %Y",  # 2 Oct 2027
    "%d %B %Y",  # 2 October 2027
    "%d.%m.%Y",  # 02.10.2027
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",  # <input type="datetime-local">
    "%d %b %Y %H:%M",
    "%d.%m.%Y %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
