"""What the kids' room tells a tutor about the people around a child, and how a name given at
the door is matched against the child's list.

A tutor must recognise a restricted adult at the door, and nothing more: she is told his first
name, the initial of the next word and his relation ("Ерлан Қ., father") — never the full
surname (often the mother's real surname, hidden behind her roster alias), his phone or the
court note. The care team (coordinators, the director) sees the full name where it already
does. For a mother who chose a roster alias, the tutor sees the child by given name only, the
mother by her alias, and every other adult of the child shortened the same way.

Matching a name given at the door leans towards the block: a restricted adult matches when
the name given and his are the same words in any order, in any case, with any spelling of the
Kazakh letters, one letter off in a longer word, or only part of his name ("Қасымов", "Ерлан",
"Е. Қасымов"); a restricted match always wins over an authorised one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from mamapro.core import permissions as perms
from mamapro.core.models import User
from mamapro.core.text import fold
from mamapro.people.visibility import shown_name

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from mamapro.people.models import Child, ChildAdult


def short_name(name: str) -> str:
    """'Ерлан Қасымов' → 'Ерлан Қ.'; a single word stays as it is."""
    words = name.split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{words[0]} {words[1][0]}."


def _mother_hidden(user: User | AnonymousUser, child: Child) -> bool:
    """Her mother chose a roster alias and this user is not one of the care team."""
    mother = child.parent
    return bool(mother.alias) and not perms.principal(user).can(
        perms.PARTICIPANT_VIEW_SENSITIVE, mother.centre_id
    )


def sees_full_adult_names(user: User | AnonymousUser, centre_id: int) -> bool:
    return perms.principal(user).can(perms.CHILD_ADULTS_VIEW_RESTRICTED, centre_id)


def child_label(user: User | AnonymousUser, child: Child) -> str:
    """The child's name for this user: the given name alone for a child of an aliased mother
    (the family name is often her real one), else the full name."""
    if _mother_hidden(user, child):
        return child.given_name
    return str(child)


def adult_label(user: User | AnonymousUser, adult: ChildAdult, child: Child) -> str:
    """An adult's name for this user (see the module docstring)."""
    if sees_full_adult_names(user, child.centre_id):
        return adult.name
    if _mother_hidden(user, child):
        if adult.relation == "mother":
            return shown_name(user, child.parent)
        return short_name(adult.name)
    if not adult.authorised:
        return short_name(adult.name)
    return adult.name


def typed_label(
    user: User | AnonymousUser, text: str, child: Child, adults: Iterable[ChildAdult]
) -> str:
    """A name typed at the door (who brought her), as shown to this user: the label of the
    adult it names, else shortened when her mother is hidden."""
    if sees_full_adult_names(user, child.centre_id):
        return text
    for adult in adults:
        if same_name(text, adult.name):
            return adult_label(user, adult, child)
    return short_name(text) if _mother_hidden(user, child) else text


# --- Matching --------------------------------------------------------------------------------


def _words(name: str) -> list[str]:
    return [w.strip(".") for w in fold(name).replace("-", " ").split() if w.strip(".")]


def _one_edit_apart(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = j = edits = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i += 1
            j += 1
            continue
        edits += 1
        if edits > 1:
            return False
        if len(a) == len(b):
            i += 1
        j += 1
    return edits + (len(b) - j) + (len(a) - i) <= 1


def _word_close(given: str, stored: str) -> bool:
    if given == stored:
        return True
    if len(given) == 1:
        return stored.startswith(given)  # an initial
    return min(len(given), len(stored)) >= 4 and _one_edit_apart(given, stored)


def _covered(some: list[str], by: list[str]) -> bool:
    return bool(some) and all(any(_word_close(w, s) for s in by) for w in some)


def close_to(given: str, stored: str) -> bool:
    """Does the name given at the door come close to `stored` (a restricted adult's name)?
    Every word given is (nearly) one of his, or every word of his is among those given."""
    given_words, stored_words = _words(given), _words(stored)
    if not given_words or not stored_words:
        return False
    return _covered(given_words, stored_words) or _covered(stored_words, given_words)


def same_name(given: str, stored: str) -> bool:
    """Exactly the same words, any order, any case, any spelling of the Kazakh letters."""
    given_words = _words(given)
    return bool(given_words) and sorted(given_words) == sorted(_words(stored))
