"""Kazakhstan's regions (oblystar) and cities of republican significance."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    ASTANA = "astana", _("Astana")
    ALMATY_CITY = "almaty_city", _("Almaty")
    SHYMKENT = "shymkent", _("Shymkent")
    ABAI = "abai", _("Abai Region")
    AKMOLA = "akmola", _("Akmola Region")
    AKTOBE = "aktobe", _("Aktobe Region")
    ALMATY = "almaty", _("Almaty Region")
    ATYRAU = "atyrau", _("Atyrau Region")
    EAST_KAZAKHSTAN = "east_kazakhstan", _("East Kazakhstan Region")
    ZHAMBYL = "zhambyl", _("Zhambyl Region")
    ZHETISU = "zhetisu", _("Zhetisu Region")
    WEST_KAZAKHSTAN = "west_kazakhstan", _("West Kazakhstan Region")
    KARAGANDA = "karaganda", _("Karaganda Region")
    KOSTANAY = "kostanay", _("Kostanay Region")
    KYZYLORDA = "kyzylorda", _("Kyzylorda Region")
    MANGYSTAU = "mangystau", _("Mangystau Region")
    PAVLODAR = "pavlodar", _("Pavlodar Region")
    NORTH_KAZAKHSTAN = "north_kazakhstan", _("North Kazakhstan Region")
    TURKISTAN = "turkistan", _("Turkistan Region")
    ULYTAU = "ulytau", _("Ulytau Region")
