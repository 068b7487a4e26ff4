"""What the kids' room tells the apps above it.

- `restricted_adult_named(alert)`: a tutor chose or named an adult who must never receive
  the child. Sent inside the transaction that writes the alert; `notify` records a
  notification for the centre's coordinators and the directors.
"""

from django.dispatch import Signal

restricted_adult_named = Signal()
