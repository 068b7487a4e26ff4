"""Message templates: kinds × variants (standard/discreet) × kk/ru/en, versioned, rendered
when a message is sent (not when queued).

Where the words come from: the newest `MessageTemplate` version of (kind, variant, language),
or the shipped words in `notify/default_templates.py` when nobody has edited that one yet
(there is no seed migration: see that module). Saving in the editor adds a version; nothing
is ever overwritten, so what a delivery was rendered from stays on record.

Placeholders are `{name}` and nothing else: no attribute access, indexing, conversion or
format spec (`{name.__class__}`, `{name[0]}`, `{name!r}`, `{name:>999999}` are refused when
saved and when rendered). Values are substituted by walking the parsed text ourselves, so no
template text ever reaches `str.format` with an object it could reach into.

What a placeholder says:
- `{name}` — the name she chose for rosters when she has one, else her given name; never
  her family name (a message is read by whoever holds her phone);
- `{course}`, `{when}`, `{room}`, `{until}`, `{topic}` — from the delivery's subject
  (an enrollment, session, run or certificate), `{when}` and `{until}` in her centre's time
  zone and her language's date format;
- `{link}` — `SITE_URL` + `context["path"]`;
- `{kids_room}` — `context["kids_room"]`, the number of her children booked (a sentence);
- `{centre}` — the centre's name; `{message}` — the delivery's body (a roster message).
A discreet message may use only those that carry nothing of the centre's purpose
(`NOT_DISCREET` are refused), and its filled text must pass `safe_contact.is_discreet`.

The worker renders thousands: `Renderer` loads every newest template in one query and, with
`prefetch(deliveries)`, each kind of subject in one query for the whole batch. `render`
works on its own for one delivery (one query for its template, one for its subject).
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max, OuterRef
from django.urls import reverse
from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from mamapro.centres import clock
from mamapro.centres.models import Centre
from mamapro.core import audit
from mamapro.core.models import AuditEntry, User
from mamapro.notify import default_templates, offer_links
from mamapro.notify.models import Delivery, MessageKind, MessageTemplate
from mamapro.people import safe_contact
from mamapro.programs.models import Certificate, Enrollment, Run, Session, TopicRequest

STANDARD = MessageTemplate.Variant.STANDARD.value
DISCREET = MessageTemplate.Variant.DISCREET.value
VARIANTS = (STANDARD, DISCREET)
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
KINDS = tuple(MessageKind.values)
TEXT_MAX = 1000

PLACEHOLDERS: dict[str, Promise] = {
    "name": gettext_lazy(
        "her name: the name she chose for rosters if she has one, otherwise her given name "
        "(never her family name)"
    ),
    "course": gettext_lazy("the course"),
    "when": gettext_lazy("when the session starts, in her centre's time"),
    "room": gettext_lazy("the room"),
    "until": gettext_lazy("until when the offered seat is kept for her"),
    "link": gettext_lazy("her link (the full address)"),
    "kids_room": gettext_lazy("her children's kids' room booking"),
    "centre": gettext_lazy("the centre's name"),
    "message": gettext_lazy("the coordinator's message to the course's women"),
    "topic": gettext_lazy("the workshop's topic"),
}
# What would tell whoever reads her phone what the centre is for (its name, the course, the
# kids' room, the topic, the room, e.g. "Кабинет психолога").
NOT_DISCREET = frozenset({"course", "room", "kids_room", "centre", "topic"})
# WhatsApp refuses an empty body parameter; an empty value goes as a dash.
_EMPTY_PARAM = "—"


class NotDiscreet(ValueError):
    """A discreet message whose filled text (or subject) names what the centre is for: it
    must not go. A ValueError, and its message says "names what the centre is for"."""


@dataclass(frozen=True)
class Rendered:
    text: str
    subject: str
    template: MessageTemplate | None
    # WhatsApp: approved template name and its body parameters in order.
    whatsapp_name: str = ""
    whatsapp_params: tuple[str, ...] = ()


# --- Checking a text -------------------------------------------------------------------------


def _token(field_name: str, spec: str | None, conversion: str | None) -> str:
    conv = f"!{conversion}" if conversion else ""
    fmt = f":{spec}" if spec else ""
    return "{" + field_name + conv + fmt + "}"


def _parse(text: str) -> list[tuple[str, str | None]]:
    """(literal, placeholder token or None) pairs; ValueError on an unclosed brace."""
    return [
        (literal, None if name is None else _token(name, spec, conversion))
        for literal, name, spec, conversion in string.Formatter().parse(text)
    ]


def validate(text: str, variant: str) -> list[str]:
    """The placeholders `text` uses, in order; a ValidationError naming each problem: an
    unknown (or decorated) placeholder, a placeholder a discreet message may not use, a
    discreet text that names what the centre is for."""
    problems: list[str] = []
    known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    try:
        parsed = _parse(text)
    except ValueError:
        raise ValidationError(
            _(
                "A brace is not closed. Write a placeholder as {name}; for a brace itself "
                "write {{ or }}."
            )
        ) from None
    used: list[str] = []
    for _literal, token in parsed:
        if token is None:
            continue
        name = token[1:-1]
        if name not in PLACEHOLDERS:
            problems.append(
                _("Unknown placeholder %(placeholder)s. Known: %(known)s.")
                % {"placeholder": token, "known": known}
            )
            continue
        used.append(name)
        if variant == DISCREET and name in NOT_DISCREET and used.count(name) == 1:
            problems.append(
                _(
                    "%(placeholder)s may not be used in a discreet message: it would tell "
                    "whoever reads her phone what the centre is for."
                )
                % {"placeholder": token}
            )
    if variant == DISCREET and not safe_contact.is_discreet(text):
        problems.append(
            _("A discreet message may not contain: %(words)s.")
            % {"words": ", ".join(f"“{w}”" for w in revealing_words(text))}
        )
    if problems:
        raise ValidationError(problems)
    return used


def revealing_words(text: str, extra: Iterable[str] = ()) -> list[str]:
    """The words of `safe_contact.REVEALING` (and of `extra`) that `text` says, however it
    is spelled (hyphens, look-alike letters, spaced-out letters), to name them."""
    return safe_contact.revealing(text, extra)


def discreet_extras(facts: Facts, centre: Centre | None) -> list[str]:
    """What a discreet message about this subject must not say either: its course, room and
    topic, the centre's name and address (`safe_contact.subject_words`)."""
    return safe_contact.subject_words(
        facts.course,
        facts.room,
        facts.topic,
        centre.name if centre is not None else "",
        centre.address if centre is not None else "",
    )


def fill(text: str, value_of: Callable[[str], str]) -> tuple[str, tuple[str, ...]]:
    """`text` with each placeholder replaced by `value_of(name)`, and the values in order
    (WhatsApp's body parameters). ValueError on anything but a known bare placeholder."""
    out: list[str] = []
    params: list[str] = []
    for literal, token in _parse(text):
        out.append(literal)
        if token is None:
            continue
        name = token[1:-1]
        if name not in PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {token}")
        value = value_of(name)
        out.append(value)
        params.append(value or _EMPTY_PARAM)
    return _tidy("".join(out)), tuple(params)


def _tidy(text: str) -> str:
    """What an empty value leaves behind: doubled spaces, ", ." and a space before a stop."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r",\s*([.,!?])", r"\1", text)
    text = re.sub(r"[ \t]+([.,!?])", r"\1", text)
    return text.strip()


# --- The values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What a message can say about its subject (an enrollment, session, run, certificate)."""

    course: str = ""
    when: dt.datetime | dt.date | None = None
    room: str = ""
    until: dt.datetime | None = None
    topic: str = ""
    run_id: int | None = None


def moment(value: dt.datetime | dt.date | None, centre: Centre | ZoneInfo | str | None) -> str:
    """A date and time as a message says it, in the active language and her centre's zone:
    "2 желтоқсан 18:30", "2 декабря 18:30", "2 December 18:30".

    Not the locale's MONTH_DAY_FORMAT: Russian's is the nominative ("2 Декабрь") and
    Kazakh's capitalises the month, where running text writes "2 декабря", "2 желтоқсан";
    and a 24-hour clock in every language (English "10 a.m." ends a sentence with "..").
    """
    if value is None:
        return ""
    english = translation.get_language() == "en"
    local = clock.local(value, centre) if isinstance(value, dt.datetime) else value
    day = formats.date_format(local, "j F" if english else "j E")
    if not english:
        day = day.lower()
    if not isinstance(local, dt.datetime):
        return day
    return f"{day} {formats.date_format(local, 'H:i')}"


def kids_room_sentence(children: int) -> str:
    if children <= 0:
        return ""
    return ngettext(
        "Kids' room booked for %(n)s child.", "Kids' room booked for %(n)s children.", children
    ) % {"n": children}


def link(path: str, *, discreet: bool = False) -> str:
    """The absolute address of `path`. A discreet message's link uses `DISCREET_SITE_URL`
    when it is set: a neutral address for the same site, because a domain like
    "mamapro.kz" in her SMS would tell whoever reads her phone what the centre is for (and
    `is_discreet` refuses such a text: the message is then not sent, never sent revealing)."""
    if not path:
        return ""
    base = (settings.DISCREET_SITE_URL if discreet else "") or settings.SITE_URL
    return f"{base}{path}" if path.startswith("/") else path


def offer_path(enrollment: Any) -> str:
    """Her offer link's path, made from the enrollment at render time ("" once the offer is
    gone: such a message is cancelled before it is rendered)."""
    if not isinstance(enrollment, Enrollment) or enrollment.offered_at is None:
        return ""
    return reverse("notify_offer", kwargs={"token": offer_links.make_token(enrollment)})


def her_name(participant: Any) -> str:
    if participant is None:
        return ""
    return participant.alias or participant.given_name


def _iso(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


SUBJECT_QUERIES: dict[str, Callable[[], models.QuerySet[Any]]] = {
    "programs.enrollment": lambda: Enrollment.objects.select_related("run__course"),
    "programs.session": lambda: Session.objects.select_related("run__course", "room"),
    "programs.run": lambda: Run.objects.select_related("course"),
    "programs.certificate": lambda: Certificate.objects.select_related("enrollment__run__course"),
    "programs.topicrequest": lambda: TopicRequest.objects.all(),
}


def facts_of(subject: Any) -> Facts:
    if isinstance(subject, Enrollment):
        return Facts(
            course=subject.run.display_title,
            until=subject.offer_expires_at,
            run_id=subject.run_id,
        )
    if isinstance(subject, Session):
        return Facts(
            course=subject.run.display_title,
            when=subject.starts_at,
            room=subject.room.name if subject.room is not None else "",
            topic=subject.topic,
            run_id=subject.run_id,
        )
    if isinstance(subject, Run):
        return Facts(course=subject.display_title, topic=subject.display_title, run_id=subject.pk)
    if isinstance(subject, Certificate):
        return Facts(course=subject.enrollment.run.display_title, run_id=subject.enrollment.run_id)
    if isinstance(subject, TopicRequest):
        return Facts(topic=subject.title)
    return Facts()


# --- Rendering -------------------------------------------------------------------------------

Key = tuple[str, str, str]


def newest_templates() -> models.QuerySet[MessageTemplate]:
    """The newest version of every (kind, variant, language) that has one: one query."""
    newest = (
        MessageTemplate.objects.filter(
            kind=OuterRef("kind"), variant=OuterRef("variant"), language=OuterRef("language")
        )
        .values("kind")
        .annotate(top=Max("version"))
        .values("top")
    )
    return MessageTemplate.objects.filter(version=models.Subquery(newest)).select_related(
        "created_by"
    )


@dataclass
class Renderer:
    """Renders many deliveries with one query for the templates and one per kind of subject
    (call `prefetch(deliveries)` first). Not shared between batches: a template saved in
    between is picked up by the next batch's renderer."""

    _templates: dict[Key, MessageTemplate] | None = None
    _one: dict[Key, MessageTemplate | None] = field(default_factory=dict)
    _subjects: dict[tuple[str, str], Any] = field(default_factory=dict)
    _first_starts: dict[int, dt.datetime | None] = field(default_factory=dict)
    _topics: dict[int, str] = field(default_factory=dict)
    _centres: dict[int, Centre] = field(default_factory=dict)

    def load_templates(self) -> None:
        self._templates = {(t.kind, t.variant, t.language): t for t in newest_templates()}

    def template(self, kind: str, variant: str, language: str) -> MessageTemplate | None:
        """The newest saved version, or None (the shipped words apply)."""
        key = (kind, variant, language)
        if self._templates is not None:
            return self._templates.get(key)
        if key not in self._one:
            self._one[key] = (
                MessageTemplate.objects.filter(kind=kind, variant=variant, language=language)
                .order_by("-version")
                .first()
            )
        return self._one[key]

    def prefetch(self, deliveries: Iterable[Delivery]) -> None:
        """Load the templates and every delivery's subject, centre, its run's first session
        and its workshop topic, in one query each for the whole batch."""
        rows = list(deliveries)
        if self._templates is None:
            self.load_templates()
        wanted: dict[str, set[str]] = defaultdict(set)
        topic_ids: set[int] = set()
        for d in rows:
            if d.subject_type in SUBJECT_QUERIES and d.subject_id:
                wanted[d.subject_type].add(d.subject_id)
            topic_id = (d.context or {}).get("topic_id")
            if isinstance(topic_id, int):
                topic_ids.add(topic_id)
        for subject_type, ids in wanted.items():
            # Ids that no longer exist stay None: no second look per row.
            self._subjects.update({(subject_type, i): None for i in ids})
            for obj in SUBJECT_QUERIES[subject_type]().filter(pk__in=ids):
                self._subjects[(subject_type, str(obj.pk))] = obj
        run_ids = {
            f.run_id
            for f in (facts_of(s) for s in self._subjects.values())
            if f.run_id is not None and f.when is None
        } - set(self._first_starts)
        if run_ids:
            self._first_starts.update({run_id: None for run_id in run_ids})
            self._first_starts.update(
                Session.objects.filter(run_id__in=run_ids, cancelled=False)
                .values("run_id")
                .annotate(first=models.Min("starts_at"))
                .values_list("run_id", "first")
            )
        topic_ids -= set(self._topics)
        if topic_ids:
            self._topics.update({topic_id: "" for topic_id in topic_ids})
            self._topics.update(
                TopicRequest.objects.filter(pk__in=topic_ids).values_list("pk", "title")
            )
        centre_ids = {d.centre_id for d in rows} - set(self._centres)
        if centre_ids:
            self._centres.update(Centre.objects.in_bulk(centre_ids))

    def _subject(self, delivery: Delivery) -> Any:
        if delivery.subject_type not in SUBJECT_QUERIES or not delivery.subject_id:
            return None
        key = (delivery.subject_type, delivery.subject_id)
        if key not in self._subjects:
            query = SUBJECT_QUERIES[delivery.subject_type]()
            self._subjects[key] = query.filter(pk=delivery.subject_id).first()
        return self._subjects.get(key)

    def _first_start(self, run_id: int) -> dt.datetime | None:
        if run_id not in self._first_starts:
            self._first_starts[run_id] = (
                Session.objects.filter(run_id=run_id, cancelled=False)
                .order_by("starts_at")
                .values_list("starts_at", flat=True)
                .first()
            )
        return self._first_starts[run_id]

    def _topic(self, topic_id: Any) -> str:
        if not isinstance(topic_id, int):
            return ""
        if topic_id not in self._topics:
            title = TopicRequest.objects.filter(pk=topic_id).values_list("title", flat=True)
            self._topics[topic_id] = title.first() or ""
        return self._topics.get(topic_id, "")

    def _centre(self, delivery: Delivery) -> Centre:
        centre = self._centres.get(delivery.centre_id)
        if centre is None:
            centre = delivery.centre
            self._centres[delivery.centre_id] = centre
        return centre

    def values(
        self, delivery: Delivery, subject: Any = None, *, discreet: bool = False
    ) -> Callable[[str], str]:
        """The value of each placeholder for this delivery, computed when asked for."""
        context = delivery.context or {}
        found = subject if subject is not None else self._subject(delivery)
        facts = facts_of(found)
        centre = self._centre(delivery)

        def when() -> str:
            at: dt.datetime | dt.date | None = facts.when or _iso(context.get("when"))
            if at is None and facts.run_id is not None:
                at = self._first_start(facts.run_id)
                if at is None and isinstance(found, Run | Enrollment | Certificate):
                    run = found if isinstance(found, Run) else _run_of(found)
                    at = run.starts_on
            return moment(at, centre)

        def until() -> str:
            return moment(facts.until or _iso(context.get("valid_until")), centre)

        def kids_room() -> str:
            children = context.get("kids_room")
            return kids_room_sentence(children) if isinstance(children, int) else ""

        def topic() -> str:
            return self._topic(context.get("topic_id")) or facts.topic

        getters: dict[str, Callable[[], str]] = {
            "name": lambda: her_name(delivery.participant) if delivery.participant_id else "",
            "course": lambda: facts.course,
            "when": when,
            "room": lambda: facts.room,
            "until": until,
            "link": lambda: link(
                offer_path(found) if context.get("offer_link") else str(context.get("path") or ""),
                discreet=discreet,
            ),
            "kids_room": kids_room,
            "centre": lambda: centre.name,
            "message": lambda: delivery.body or "",
            "topic": topic,
        }
        return lambda name: getters[name]()

    def render(self, delivery: Delivery, *, discreet: bool, subject: Any = None) -> Rendered:
        """The newest template of this kind, variant and her language, filled from the
        delivery's subject and context (`subject`: the object, when the caller has it). A
        discreet render that names the centre's purpose is refused (ValueError)."""
        language = delivery.language if delivery.language in LANGUAGES else _fallback(delivery)
        variant = DISCREET if discreet else STANDARD
        row = self.template(delivery.kind, variant, language)
        words = (
            row.text
            if row is not None
            else default_templates.text(delivery.kind, variant, language)
        )
        subject_line = (row.subject if row is not None else "") or default_templates.SUBJECTS[
            language
        ]
        with translation.override(language):
            text, params = fill(words, self.values(delivery, subject, discreet=discreet))
        extras: list[str] = []
        if discreet:
            found = subject if subject is not None else self._subject(delivery)
            extras = discreet_extras(facts_of(found), self._centre(delivery))
        if discreet and not (
            safe_contact.is_discreet(text, extras) and safe_contact.is_discreet(subject_line)
        ):
            raise NotDiscreet(
                f"the discreet {delivery.kind} message #{delivery.pk} names what the centre is for"
            )
        return Rendered(
            text=text,
            subject=subject_line,
            template=row,
            whatsapp_name=(row.whatsapp_name if row is not None else "")
            or default_templates.whatsapp_name(delivery.kind, variant),
            whatsapp_params=params,
        )


def _run_of(obj: Enrollment | Certificate) -> Run:
    return obj.run if isinstance(obj, Enrollment) else obj.enrollment.run


def _fallback(delivery: Delivery) -> str:
    participant = delivery.participant if delivery.participant_id else None
    language = getattr(participant, "language", "") or getattr(delivery.user, "language", "")
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


def render(delivery: Delivery, *, discreet: bool) -> Rendered:
    """The newest template of this kind, variant and her language, filled from the
    delivery's subject and context. A discreet render is checked with
    `safe_contact.is_discreet` and refused (`NotDiscreet`, a ValueError) if it names the
    centre's purpose."""
    return Renderer().render(delivery, discreet=discreet)


# --- The editor's side: the current words, samples, saving a version -------------------------


@dataclass(frozen=True)
class Current:
    """The words in force for one (kind, variant, language): the newest saved version, or
    the shipped words (version 0)."""

    kind: str
    variant: str
    language: str
    text: str
    subject: str
    whatsapp_name: str
    version: int
    row: MessageTemplate | None


def current(kind: str, variant: str, language: str, row: MessageTemplate | None) -> Current:
    if row is not None:
        return Current(
            kind, variant, language, row.text, row.subject, row.whatsapp_name, row.version, row
        )
    return Current(
        kind,
        variant,
        language,
        default_templates.text(kind, variant, language),
        "",
        default_templates.whatsapp_name(kind, variant),
        0,
        None,
    )


# Sample values for the preview, per language: made up, never a real woman.
_SAMPLE_NAMES = {"kk": "Айгүл", "ru": "Анна", "en": "Aigerim"}
_SAMPLE_COURSES = {
    "kk": "Кәсіпкерлік негіздері",
    "ru": "Основы предпринимательства",
    "en": "Business basics",
}
_SAMPLE_TOPICS = {
    "kk": "Instagram-ға фото түсіру",
    "ru": "Фото для Instagram",
    "en": "Photos for Instagram",
}
_SAMPLE_MESSAGES = {
    "kk": "Ертеңгі сабақ 2-аудиторияда өтеді.",
    "ru": "Завтрашнее занятие пройдёт в аудитории 2.",
    "en": "Tomorrow's session is in room 2.",
}
_SAMPLE_ROOMS = {"kk": "Аудитория 1", "ru": "Аудитория 1", "en": "Room 1"}
# As long as a real offer link (notify/offer_links.py: a 36-character signed token), and a
# site address as long as a real one when SITE_URL is not set (the demo's, on a laptop).
SAMPLE_PATH = "/offers/2n-1a2b3c4d5e6f:AbCdEfGhIjKlMnOpQrStUvWx"
SAMPLE_SITE = "https://example.kz"


def sample_values(language: str, now: dt.datetime) -> Callable[[str], str]:
    """Made-up values for the editor's preview, in `language` (active when called)."""
    zone = clock.default_zone()
    evening = clock.local(now, zone).replace(hour=18, minute=30, second=0, microsecond=0)
    values: dict[str, Callable[[], str]] = {
        "name": lambda: _SAMPLE_NAMES[language],
        "course": lambda: _SAMPLE_COURSES[language],
        "when": lambda: moment(evening + dt.timedelta(days=1), zone),
        "room": lambda: _SAMPLE_ROOMS[language],
        "until": lambda: moment(evening + dt.timedelta(days=2), zone),
        "link": lambda: f"{settings.SITE_URL or SAMPLE_SITE}{SAMPLE_PATH}",
        "kids_room": lambda: kids_room_sentence(2),
        "centre": lambda: "Mama Pro Алматы",
        "message": lambda: _SAMPLE_MESSAGES[language],
        "topic": lambda: _SAMPLE_TOPICS[language],
    }
    return lambda name: values[name]()


def preview(text: str, language: str, now: dt.datetime) -> str:
    """`text` (already validated) filled with the sample values, in `language`."""
    with translation.override(language):
        filled, _params = fill(text, sample_values(language, now))
    return filled


def part_price() -> Decimal:
    """What one SMS part costs the centre (setting `SMS_PART_PRICE_KZT`, default 12.00)."""
    return Decimal(str(getattr(settings, "SMS_PART_PRICE_KZT", "12.00")))


class TemplateError(Exception):
    """A version that cannot be saved (someone saved a newer one meanwhile)."""


def save_version(
    kind: str,
    variant: str,
    language: str,
    *,
    text: str,
    subject: str,
    whatsapp_name: str,
    base_version: int,
    actor: User,
) -> MessageTemplate:
    """A new version of (kind, variant, language) — validated, audited, by `actor`.
    `base_version` is the version she edited: if someone saved a newer one meanwhile, her
    text is refused rather than silently replacing theirs."""
    validate(text, variant)
    if subject:
        validate(subject, variant)
    with transaction.atomic():
        newest = (
            MessageTemplate.objects.filter(kind=kind, variant=variant, language=language)
            .aggregate(top=Max("version"))
            .get("top")
        ) or 0
        if newest != base_version:
            raise TemplateError(
                _(
                    "Someone saved version %(version)s while you were editing. Your text is "
                    "below: compare it with theirs and save again."
                )
                % {"version": newest}
            )
        try:
            with transaction.atomic():
                row = MessageTemplate.objects.create(
                    kind=kind,
                    variant=variant,
                    language=language,
                    version=newest + 1,
                    text=text,
                    subject=subject,
                    whatsapp_name=whatsapp_name,
                    created_by=actor,
                )
        except IntegrityError:
            raise TemplateError(
                _(
                    "Someone saved a new version at the same moment. Your text is below: "
                    "compare it with theirs and save again."
                )
            ) from None
        audit.record(
            AuditEntry.Action.CREATE,
            row,
            fields=("text", "subject", "whatsapp_name"),
            details={
                "kind": kind,
                "variant": variant,
                "language": language,
                "version": row.version,
            },
            actor=actor,
        )
    return row
