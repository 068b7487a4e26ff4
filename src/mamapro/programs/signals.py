"""What programmes tell the apps above them (DESIGN: a lower app never imports a higher one).

Both are sent inside the transaction that changed the seat, under the run's lock, and only
for an enrollment that asked for the kids' room (the only listener today), so an ordinary
enrollment pays nothing for them.

- `seat_confirmed(enrollment, now)`: her seat is confirmed (enrolled, or an offer accepted).
- `seat_ended(enrollment, now)`: she withdrew, declined, dropped out or her offer lapsed.
"""

from django.dispatch import Signal

seat_confirmed = Signal()
seat_ended = Signal()
