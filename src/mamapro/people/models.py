"""The mothers (participants), their children, the adults around the children, and consent."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mamapro.centres.models import Centre
from mamapro.core.crypto import BlindIndexField, EncryptedTextField, scoped_digests
from mamapro.core.regions import Region
from mamapro.core.text import clean_name, search_key
from mamapro.people.validators import iin_birth_date, normalise_phone, validate_iin


class Language(models.TextChoices):
    KAZAKH = "kk", _("Kazakh")
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")


class ContactChannel(models.TextChoices):
    CALL = "call", _("Phone call")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    EMAIL = "email", _("Email")


def _clean_names(obj: models.Model, names: tuple[str, ...]) -> dict[str, list[str]]:
    """NFC, single spaces, and no bidi control or invisible character in any name
    (core/text.py: a name that displays as another spoofs rosters and certificates)."""
    errors: dict[str, list[str]] = {}
    for name in names:
        field = obj._meta.get_field(name)
        assert isinstance(field, models.Field)
        try:
            value = clean_name(getattr(obj, name), field.verbose_name)
        except ValidationError as exc:
            errors[name] = exc.messages
        else:
            setattr(obj, name, value)
    return errors


def _labels(choices: type[models.TextChoices], values: list[str]) -> list[str]:
    known = dict(choices.choices)
    return [str(known.get(value, value)) for value in values or []]


class Participant(models.Model):
    class Status(models.TextChoices):
        APPLICANT = "applicant", _("Applicant")
        RESIDENT = "resident", _("Resident")
        ALUMNA = "alumna", _("Alumna")

    centre = models.ForeignKey(
        Centre, verbose_name=_("centre"), on_delete=models.PROTECT, related_name="participants"
    )
    given_name = models.CharField(_("given name"), max_length=80)
    family_name = models.CharField(_("family name"), max_length=80)
    patronymic = models.CharField(_("patronymic"), max_length=80, blank=True)
    alias = models.CharField(
        _("name on rosters"),
        max_length=80,
        blank=True,
        help_text=_(
            "If she wishes (a survivor hiding from an abuser), rosters and lists show this "
            "instead of her name to everyone but coordinators and the director."
        ),
    )
    latin_name = models.CharField(
        _("name in Latin script"),
        max_length=160,
        blank=True,
        help_text=_("As in her passport, for certificates and foreign donors."),
    )
    phone = models.CharField(
        _("phone"), max_length=12, help_text=_("Any usual form, e.g. 8 701 123 45 67.")
    )
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.RUSSIAN
    )
    region = models.CharField(_("region"), max_length=32, choices=Region.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.APPLICANT
    )

    # Sensitive: seen only by coordinators and the director, every read audited.
    # NULL, not "": the IIN is unique only where it is known.
    # Encrypted at rest (core/crypto.py); `iin_digest` finds a duplicate without decrypting.
    iin = EncryptedTextField(
        _("IIN"), max_length=12, null=True, blank=True, help_text=_("12 digits; optional.")
    )
    iin_digest = BlindIndexField(source="iin", purpose="iin", null=True, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    eligibility_verified = models.BooleanField(
        _("eligible for a free seat (verified)"), default=False
    )
    eligibility_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    eligibility_verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    # Safe contact: how and when she may be reached without putting her at risk.
    contact_channels = models.JSONField(
        _("safe channels"),
        default=list,
        blank=True,
        help_text=_("Only these channels may be used to contact her."),
    )
    safe_hours_from = models.TimeField(_("safe to contact from"), null=True, blank=True)
    safe_hours_to = models.TimeField(_("safe to contact until"), null=True, blank=True)
    do_not_call = models.BooleanField(_("do not call"), default=False)
    no_contact = models.BooleanField(
        _("she asked not to be contacted"),
        default=False,
        help_text=_("No message of any kind, on any channel, until she says otherwise."),
    )
    discreet = models.BooleanField(
        _("discreet messages"),
        default=False,
        help_text=_("Messages never say what the centre is for (someone may read her phone)."),
    )
    flash_sms = models.BooleanField(
        _("flash SMS"),
        default=False,
        help_text=_("SMS appear on her screen and are not saved in the phone's inbox."),
    )
    address_hidden = models.BooleanField(
        _("keep address hidden"),
        default=False,
        help_text=_("The address is withheld from every screen and export."),
    )
    safe_contact_note = EncryptedTextField(_("safe-contact note"), blank=True)

    search_key = models.TextField(editable=False, db_index=True, default="")
    # What roles outside the care team may search by: her roster alias if she chose one, else
    # her names — never her phone.
    roster_key = models.TextField(editable=False, default="")
    # Set when her data was erased (people/subject_rights.py): only aggregates remain.
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("registered"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        # By the name rosters show (her alias, if she chose one): a queryset that forgets to
        # choose its order never betrays the real surname behind an alias. The care team's
        # lists order by `search_key` explicitly (people/queries.py).
        ordering = ["roster_key", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "phone"], name="participant_phone_unique_per_centre"
            ),
            models.UniqueConstraint(
                fields=["iin_digest"],
                condition=Q(iin_digest__isnull=False),
                name="participant_iin_digest_unique",
            ),
        ]
        indexes = [models.Index(fields=["centre", "family_name", "given_name"])]

    def __str__(self) -> str:
        # Whatever prints her without asking people/visibility gets the roster name.
        return self.alias or self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Leading space: a query word matches the start of a name with " word".
        self.search_key = " " + search_key(
            self.family_name,
            self.given_name,
            self.patronymic,
            self.latin_name,
            self.alias,
            self.phone,
        )
        self.roster_key = " " + (
            search_key(self.alias)
            if self.alias
            else search_key(self.family_name, self.given_name, self.patronymic, self.latin_name)
        )
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.family_name, self.given_name, self.patronymic) if p)

    def contact_channel_labels(self) -> list[str]:
        return _labels(ContactChannel, self.contact_channels)

    def clean_fields(self, exclude: Any = None) -> None:
        # Normalise first: "8 (701) 555-12-34" is a valid phone before it fits in 12 characters.
        errors = self._normalise()
        exclude = set(exclude or ()) | set(errors)
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if errors:
            raise ValidationError(errors)

    def _normalise(self) -> dict[str, list[str]]:
        errors = _clean_names(
            self, ("given_name", "family_name", "patronymic", "latin_name", "alias")
        )
        if self.phone:
            try:
                self.phone = normalise_phone(self.phone)
            except ValidationError as exc:
                errors["phone"] = exc.messages
        if not self.iin:
            self.iin = None
        else:
            try:
                self.iin = validate_iin(self.iin)
                self.birth_date = iin_birth_date(self.iin)
            except ValidationError as exc:
                errors["iin"] = exc.messages
        return errors

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        unknown = set(self.contact_channels or []) - set(ContactChannel.values)
        if unknown:
            errors.setdefault("contact_channels", []).append(
                _("Unknown channel: %(names)s.") % {"names": ", ".join(sorted(unknown))}
            )
        if (self.safe_hours_from is None) != (self.safe_hours_to is None):
            errors.setdefault("safe_hours_to", []).append(
                _("Give both ends of the safe hours, or neither.")
            )
        if errors:
            raise ValidationError(errors)


CIRCUMSTANCE_KIND = "circumstance_kind"  # the purpose of the kind's blind index


class CircumstanceQuerySet(models.QuerySet["Circumstance"]):
    def of_kind(self, *kinds: str) -> CircumstanceQuerySet:
        """Circumstances of these kinds. The kind is encrypted and its digest differs from
        one woman to the next (a shared digest would group the survivors in a copied
        database), so the match is made here on (woman, digest) pairs: one query, nothing
        decrypted, every key of a rotation tried. Never `filter(kind=...)` (refused)."""
        field = Circumstance._meta.get_field("kind_digest")
        assert isinstance(field, BlindIndexField)
        wanted: dict[int, set[str]] = {}
        matching = []
        for pk, participant_id, digest in self.values_list("pk", "participant_id", "kind_digest"):
            if participant_id not in wanted:
                wanted[participant_id] = set(scoped_digests(field, participant_id, kinds))
            if digest in wanted[participant_id]:
                matching.append(pk)
        return self.filter(pk__in=matching)


def with_circumstance(
    participants: models.QuerySet[Participant], *kinds: str
) -> models.QuerySet[Participant]:
    """The women of `participants` who have a circumstance of one of these kinds."""
    found = Circumstance.objects.filter(participant__in=participants).of_kind(*kinds)
    return participants.filter(pk__in=found.values("participant_id"))


class Circumstance(models.Model):
    """Why she may take a free seat. Sensitive: a DV survivor's safety depends on it, so
    the kind is encrypted at rest like the note; `kind_digest` (a keyed digest of her id
    and the kind) keeps one row per kind and lets queries filter and count by kind
    (`Circumstance.objects.of_kind`, `with_circumstance`)."""

    class Kind(models.TextChoices):
        SPECIAL_NEEDS_CHILD = "special_needs_child", _("Mother of a child with special needs")
        STAY_AT_HOME = "stay_at_home", _("Stay-at-home mother")
        DOMESTIC_VIOLENCE = "domestic_violence", _("Survivor of domestic violence")
        OTHER = "other", _("Other")

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="circumstances"
    )
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    kind = EncryptedTextField(_("circumstance"), max_length=32, choices=Kind.choices)
    kind_digest = BlindIndexField(
        source="kind", purpose=CIRCUMSTANCE_KIND, scope="participant_id", default=""
    )
    note = EncryptedTextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CircumstanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("circumstance")
        verbose_name_plural = _("circumstances")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "kind_digest"], name="circumstance_once_per_kind"
            )
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


def active_consent(today: Any = None) -> Q:
    """Consents in force: not revoked and, when given for a term, not past it."""
    today = today or timezone.localdate()
    return Q(revoked_at__isnull=True) & (Q(valid_until__isnull=True) | Q(valid_until__gte=today))


class Consent(models.Model):
    """A consent she gave, for one purpose and one version of its text; revocable.

    A new version or a renewed consent is a new row; revoking stamps `revoked_at`. The history
    stays, as the personal-data law asks for a record of each consent.
    """

    class Kind(models.TextChoices):
        DATA_PROCESSING = "data_processing", _("Processing of personal data")
        PHOTOS = "photos", _("Photos")
        STORY = "story", _("Publishing her story")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="consents")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("purpose"), max_length=24, choices=Kind.choices)
    version = models.CharField(_("text version"), max_length=20)
    granted_at = models.DateTimeField(_("given"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("Empty: until she withdraws it.")
    )
    third_party_transfer = models.BooleanField(
        _("may be passed to partners and funders"), default=False
    )
    cross_border_transfer = models.BooleanField(
        _("may be transferred outside Kazakhstan"), default=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["kind", "-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "kind"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_consent_per_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.valid_until is None or self.valid_until >= timezone.localdate()


class PrivateStorage(FileSystemStorage):
    """Owner-only files (0600) in owner-only directories (0700), whatever the settings or
    the umask say: a child's photo is nobody else's on the server either. A directory made
    wider before (by an older version) is narrowed when a file is written into it."""

    FILE_MODE = 0o600
    DIRECTORY_MODE = 0o700

    def __init__(self, location: Any) -> None:
        super().__init__(
            location=location,
            base_url=None,
            file_permissions_mode=self.FILE_MODE,
            directory_permissions_mode=self.DIRECTORY_MODE,
        )

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        saved = super().save(name, content, max_length=max_length)
        folder = Path(self.path(saved)).parent
        root = Path(self.location)
        while folder != root and root in folder.parents:
            if folder.stat().st_mode & 0o777 != self.DIRECTORY_MODE:
                folder.chmod(self.DIRECTORY_MODE)
            folder = folder.parent
        return saved


def private_storage() -> FileSystemStorage:
    """Files served only through permission-checked views; never under a public URL."""
    return PrivateStorage(settings.PRIVATE_FILES_DIR)


def child_photo_path(child: Any, filename: str) -> str:
    # A random name: nothing about the child in it, nothing to guess.
    return f"children/{uuid.uuid4().hex}.jpg"


class Child(models.Model):
    class SupportLevel(models.TextChoices):
        STANDARD = "standard", _("Standard")
        HIGH = "high", _("High support")

    class Need(models.TextChoices):
        DOWN_SYNDROME = "down_syndrome", _("Down syndrome")
        AUTISM = "autism", _("Autism")
        CEREBRAL_PALSY = "cerebral_palsy", _("Cerebral palsy")
        ADHD = "adhd", _("ADHD")
        HEARING = "hearing", _("Hearing impairment")
        VISION = "vision", _("Visual impairment")
        SPEECH_DELAY = "speech_delay", _("Speech delay")
        EPILEPSY = "epilepsy", _("Epilepsy")
        OTHER = "other", _("Other")

    class Communication(models.TextChoices):
        VERBAL = "verbal", _("Speaks")
        LIMITED = "limited", _("A few words or gestures")
        NON_VERBAL = "non_verbal", _("Non-verbal")

    class Diet(models.TextChoices):
        GLUTEN_FREE = "gluten_free", _("Gluten-free")
        LACTOSE_FREE = "lactose_free", _("Lactose-free")
        NUT_FREE = "nut_free", _("No nuts")
        SUGAR_FREE = "sugar_free", _("No sugar")
        VEGETARIAN = "vegetarian", _("Vegetarian")
        HALAL = "halal", _("Halal")

    parent = models.ForeignKey(
        Participant, verbose_name=_("mother"), on_delete=models.CASCADE, related_name="children"
    )
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="children")
    given_name = models.CharField(_("given name"), max_length=80)
    family_name = models.CharField(_("family name"), max_length=80, blank=True)
    birth_date = models.DateField(_("birth date"))

    # The needs card: in front of the tutor at check-in. Sensitive (medical).
    support_level = models.CharField(
        _("support level"),
        max_length=16,
        choices=SupportLevel.choices,
        default=SupportLevel.STANDARD,
    )
    support_needs = models.JSONField(_("support needs"), default=list, blank=True)
    communication = models.CharField(
        _("communication"),
        max_length=16,
        choices=Communication.choices,
        default=Communication.VERBAL,
    )
    communication_notes = EncryptedTextField(
        _("how to communicate"), blank=True, help_text=_("Signs, cards, words that calm.")
    )
    diet = models.JSONField(_("diet"), default=list, blank=True)
    allergies = EncryptedTextField(_("allergies"), blank=True)
    medication = EncryptedTextField(_("medication"), blank=True)
    medical_notes = EncryptedTextField(_("medical notes"), blank=True)
    # Shown on the needs card only while her mother's photo consent is active.
    photo = models.FileField(
        _("photo"), storage=private_storage, upload_to=child_photo_path, blank=True
    )

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["birth_date", "given_name", "id"]

    def __str__(self) -> str:
        return " ".join(p for p in (self.given_name, self.family_name) if p)

    def clean_fields(self, exclude: Any = None) -> None:
        errors = _clean_names(self, ("given_name", "family_name"))
        try:
            super().clean_fields(exclude=set(exclude or ()) | set(errors))
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if errors:
            raise ValidationError(errors)

    def support_needs_labels(self) -> list[str]:
        return _labels(self.Need, self.support_needs)

    def diet_labels(self) -> list[str]:
        return _labels(self.Diet, self.diet)

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        if self.birth_date and self.birth_date > timezone.localdate():
            errors["birth_date"] = [_("The birth date cannot be in the future.")]
        for name, allowed in (("support_needs", self.Need.values), ("diet", self.Diet.values)):
            unknown = set(getattr(self, name) or []) - set(allowed)
            if unknown:
                errors[name] = [
                    _("Unknown value: %(names)s.") % {"names": ", ".join(sorted(unknown))}
                ]
        if errors:
            raise ValidationError(errors)


class ChildAdult(models.Model):
    """An adult around a child: authorised to collect them, or restricted (never to receive)."""

    class Relation(models.TextChoices):
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        GRANDMOTHER = "grandmother", _("Grandmother")
        GRANDFATHER = "grandfather", _("Grandfather")
        AUNT = "aunt", _("Aunt")
        UNCLE = "uncle", _("Uncle")
        SIBLING = "sibling", _("Adult sibling")
        NANNY = "nanny", _("Nanny")
        OTHER = "other", _("Other")

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="adults")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    # Who may, and who must never, collect the child: encrypted at rest.
    name = EncryptedTextField(_("name"), max_length=160)
    phone = EncryptedTextField(_("phone"), max_length=12, blank=True)
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    authorised = models.BooleanField(
        _("may collect the child"),
        default=True,
        help_text=_("Untick for a restricted adult who must never receive the child."),
    )
    note = EncryptedTextField(
        _("note"), blank=True, help_text=_("For a restricted adult: the court order, if any.")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("adult")
        verbose_name_plural = _("adults")
        # Not by name: it is encrypted (pages sort in Python where it matters).
        ordering = ["-authorised", "id"]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude: Any = None) -> None:
        errors = _clean_names(self, ("name",))
        if self.phone:
            try:
                self.phone = normalise_phone(self.phone)
            except ValidationError as exc:
                errors["phone"] = exc.messages
        try:
            super().clean_fields(exclude=set(exclude or ()) | set(errors))
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if errors:
            raise ValidationError(errors)
