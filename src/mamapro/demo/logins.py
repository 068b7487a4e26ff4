"""The demo's logins: one per role (Django-free, so scripts can read it without settings)."""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "mamapro-demo"  # noqa: S105 (printed on purpose: demo logins only)


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    centres: tuple[str, ...]  # empty: the director's role spans all centres
    first_name: str
    last_name: str
    superuser: bool = False


LOGINS = [
    Login("director", "director", (), "Гүлнар", "Сейітова"),
    Login("coordinator", "coordinator", ("Almaty",), "Әсел", "Нұрланова"),
    Login("coordinator-astana", "coordinator", ("Astana",), "Динара", "Қасымова"),
    # The internal manager and the comms manager work for both centres.
    Login("manager", "manager", ("Almaty", "Astana"), "Ольга", "Ким"),
    Login("comms", "comms", ("Almaty", "Astana"), "Аружан", "Бекова"),
    Login("trainer", "trainer", ("Almaty",), "Салтанат", "Ахметова"),
    Login("tutor", "tutor", ("Almaty",), "Мөлдір", "Оспанова"),
    Login("tutor-2", "tutor", ("Almaty",), "Жанар", "Әлиева"),
    Login("psychologist", "psychologist", ("Almaty",), "Елена", "Морозова"),
    Login("admin", "director", (), "Админ", "", superuser=True),
]
