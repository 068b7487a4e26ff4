"""What programmes tell the apps above them (DESIGN: a lower app never imports a higher one).

Every signal here is sent inside the transaction that changed the state, under the run's
lock, so whatever a receiver writes (the messages app's outbox row) commits or rolls back
with the change itself: a rolled-back enrollment sends nothing.

For the kids' room (sent only for an enrollment that asked for it, the only listener, so an
ordinary enrollment pays nothing for them):

- `seat_confirmed(enrollment, now)`: her seat is confirmed (enrolled, or an offer accepted).
- `seat_ended(enrollment, now)`: she withdrew, declined, dropped out or her offer lapsed.

For the messages to her (notify/receivers.py):

- `offer_made(enrollment, now)`: a freed seat is offered to her from the waitlist (with
  `offered_at`/`offer_expires_at` set). Not sent for a seat held on the public form
  (`enroll(..., hold_hours=...)`): that hold is the centre's, not an offer to her; the
  coordinator calls her on a safe channel first (public/services/applications.py).
- `enrollment_confirmed(enrollment, now)`: her seat is confirmed (enrolled on a free seat,
  an offer accepted, or a held seat confirmed by the coordinator).
- `first_session_no_show(enrollment, session, released, now)`: absent at her first session,
  when the coordinator's call-her task is opened (once per open task); `released` says
  whether her seat passes to the waitlist (the run's `no_show_releases_seat`).
- `absences_in_a_row(enrollment, session, task, now)`: two unexcused absences in a row, when
  the coordinator's follow-up task is opened.
- `certificate_issued(certificate, now)`: she completed the run; the certificate exists.
- `workshop_published_for_topic(topic, run, now)`: a topic was marked scheduled naming a
  published workshop run (the one link between topics, their votes and runs:
  `TopicRequest.workshop`); the women who voted for it, and the one who proposed it, hear.
"""

from django.dispatch import Signal

seat_confirmed = Signal()
seat_ended = Signal()

offer_made = Signal()
enrollment_confirmed = Signal()
first_session_no_show = Signal()
absences_in_a_row = Signal()
certificate_issued = Signal()
workshop_published_for_topic = Signal()
