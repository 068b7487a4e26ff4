"""Permission rows for the public site and its two staff pages.

Public pages answer 200 to everyone, signed in or not. The staff pages follow the
capabilities: applications are enrollment work (coordinator, director), topics are for those
who plan workshops and the public catalogue (coordinator, director, communications).
"""

from __future__ import annotations

import datetime as dt

from mamapro.core.tests.rows import ALL_OK, Rows, WebRow, World, table

ENROLLERS = dict(director=200, coordinator=200, outsider=200)
ENROLLERS_POST = table(403, director=302, coordinator=302, outsider=404)
TOPIC_READERS = dict(director=200, coordinator=200, comms=200, outsider=200)
TOPIC_READERS_POST = table(403, director=302, coordinator=302, comms=302, outsider=404)


def _build(w: World) -> None:
    from django.utils import timezone

    from mamapro.programs.models import Course, Run, TopicRequest
    from mamapro.public.services import applications, topics

    today = timezone.localdate()
    course = Course.objects.create(title="Копирайтинг", category="copywriting", language="ru")
    run = Run.objects.create(
        course=course,
        centre=w["almaty"],
        starts_on=today + dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=40),
        price="20000.00",
    )
    application = applications.apply(
        run,
        applications.ApplicationInput(
            given_name="Жанар",
            family_name="Омарова",
            phone="+7 705 111 22 33",
            language="kk",
            seat_wanted="free",
            circumstances=("stay_at_home",),
            contact_channels=("sms",),
        ),
    )
    open_topic = TopicRequest.objects.create(centre=w["almaty"], title="Как открыть ИП")
    held = topics.propose_topic(
        w["almaty"], title="Фотосъёмка для Instagram", details="", phone="+7 705 111 22 33"
    )
    w.update(
        public_run=run,
        application=application,
        open_topic=open_topic,
        held_topic=held,
    )


def _run(w: World) -> dict[str, int]:
    return {"pk": w["public_run"].pk}


ROWS = Rows(
    web={
        "public:catalogue": WebRow("get", ALL_OK, public=True),
        "public:run_detail": WebRow("get", ALL_OK, _run, public=True),
        "public:apply": WebRow("get", ALL_OK, _run, public=True),
        "public:applied": WebRow("get", ALL_OK, _run, public=True),
        "public:topics": WebRow("get", ALL_OK, public=True),
        "public:topic_propose": WebRow("get", ALL_OK, public=True),
        "public:topic_vote": WebRow(
            "get", ALL_OK, lambda w: {"pk": w["open_topic"].pk}, public=True
        ),
        "public:safety": WebRow("get", ALL_OK, public=True),
        "public:staff_applications": WebRow("get", table(403, **ENROLLERS)),
        "public:application_handled": WebRow(
            "post", ENROLLERS_POST, lambda w: {"pk": w["application"].pk}
        ),
        "public:application_confirm": WebRow(
            "post", ENROLLERS_POST, lambda w: {"pk": w["application"].pk}
        ),
        "public:application_release": WebRow(
            "post", ENROLLERS_POST, lambda w: {"pk": w["application"].pk}
        ),
        "public:staff_topics": WebRow("get", table(403, **TOPIC_READERS)),
        "public:topic_review": WebRow(
            "post",
            TOPIC_READERS_POST,
            lambda w: {"pk": w["held_topic"].pk},
            data=lambda w: {"decision": "publish"},
        ),
    },
    build=_build,
)
