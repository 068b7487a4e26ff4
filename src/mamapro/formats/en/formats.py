# English: Django's formats, but for a date with a time on the 24-hour clock, as in Kazakhstan and
# in our messages: "3 December 2026, 19:47" (Django's "Dec. 3, 2026, 7:47 p.m." also ended a
# sentence with "p.m.." on the offer page).
DATETIME_FORMAT = "j F Y, H:i"
