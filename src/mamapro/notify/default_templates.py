"""The shipped words of every message: kind × variant × language.

These are data, not msgids: staff edit them in the template editor (each edit a new
`MessageTemplate` version), and a kind, variant and language nobody has edited is rendered
from here. There is no seed migration on purpose: a test flush or a fresh database still
renders every message, and better shipped words reach every centre that never edited them.

Rules the tests hold these to (notify/tests/test_templates_defaults.py):
- every discreet text passes `safe_contact.is_discreet` in every language and uses none of
  `templates.NOT_DISCREET` — no centre name, course, room, topic or kids' room, no
  "free", no "psycholog…": whoever reads her phone learns nothing;
- discreet kk/ru texts fit two UCS-2 SMS parts with the sample values (a link included);
- `staff_alert` names no child and no adult: the detail is behind the staff login.
"""

from __future__ import annotations

STANDARD = "standard"
DISCREET = "discreet"

# kind → variant → language → text
TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "offer": {
        STANDARD: {
            "kk": "{name}, «{course}» курсында сізге {until} дейін орын бар. "
            "Қабылдау немесе бас тарту: {link}",
            "ru": "{name}, для вас есть место на курсе «{course}» до {until}. "
            "Принять или отказаться: {link}",
            "en": "{name}, a seat on “{course}” is yours until {until}. "
            "Accept or decline here: {link}",
        },
        DISCREET: {
            "kk": "Сізге {until} дейін орын сақталды. Жауап беру: {link}",
            "ru": "Для вас сохранено место до {until}. Ответ по ссылке: {link}",
            "en": "A place is kept for you until {until}. Open {link} to answer.",
        },
    },
    "confirmed": {
        STANDARD: {
            "kk": "{name}, «{course}» курсындағы орныңыз расталды. Алғашқы сабақ: {when}. "
            "Сізді күтеміз!",
            "ru": "{name}, ваше место на курсе «{course}» подтверждено. Первое занятие: "
            "{when}. Ждём вас!",
            "en": "{name}, your seat on “{course}” is confirmed. First session: {when}. "
            "We look forward to seeing you!",
        },
        DISCREET: {
            "kk": "Расталды: сізді {when} күтеміз.",
            "ru": "Подтверждено: ждём вас {when}.",
            "en": "Confirmed: we expect you on {when}.",
        },
    },
    "reminder": {
        STANDARD: {
            "kk": "Еске салу: «{course}» — {when}, {room}. {kids_room}",
            "ru": "Напоминаем: «{course}» — {when}, {room}. {kids_room}",
            "en": "Reminder: “{course}” on {when}, {room}. {kids_room}",
        },
        DISCREET: {
            "kk": "Еске салу: {when}. Хабарламаларды тоқтату үшін ТОҚТАТ деп жауап беріңіз.",
            "ru": "Напоминание: {when}. Ответьте СТОП, чтобы больше не получать сообщений.",
            "en": "Reminder: {when}. Reply STOP to stop these messages.",
        },
    },
    "no_show": {
        STANDARD: {
            "kk": "{name}, «{course}» курсының алғашқы сабағында сізді күттік. Бәрі жақсы "
            "болар деп сенеміз — бізге қоңырау шалыңыз, оқуды жалғастырудың жолын бірге "
            "табамыз.",
            "ru": "{name}, мы ждали вас на первом занятии курса «{course}». Надеемся, у вас "
            "всё хорошо — позвоните нам, и мы вместе найдём, как продолжить учёбу.",
            "en": "{name}, we missed you at the first session of “{course}”. We hope you are "
            "well — call us and together we will find a way for you to keep learning.",
        },
        DISCREET: {
            "kk": "Бүгін сізді күттік. Бәрі жақсы болар деп сенеміз.",
            "ru": "Сегодня мы вас не дождались. Надеемся, у вас всё хорошо.",
            "en": "We missed you today and hope all is well.",
        },
    },
    "absence": {
        STANDARD: {
            "kk": "{name}, «{course}» курсының соңғы екі сабағында сізді сағындық. Бәрі "
            "жақсы болар деп сенеміз — сізді әрқашан күтеміз.",
            "ru": "{name}, нам не хватало вас на двух последних занятиях курса «{course}». "
            "Надеемся, у вас всё хорошо — мы всегда вам рады.",
            "en": "{name}, we have missed you at the last two sessions of “{course}”. We hope "
            "you are well — you are always welcome back.",
        },
        DISCREET: {
            "kk": "Сізді көптен бері көрмедік, бәрі жақсы болар деп сенеміз. Сізді әрқашан "
            "күтеміз.",
            "ru": "Давно вас не видели и надеемся, что у вас всё хорошо. Всегда вам рады.",
            "en": "We have not seen you for a while and hope you are well. You are always welcome.",
        },
    },
    "certificate": {
        STANDARD: {
            "kk": "Құттықтаймыз, {name}! «{course}» курсы бойынша сертификатыңыз дайын. "
            "Оны {centre} орталығынан алуға болады.",
            "ru": "Поздравляем, {name}! Ваш сертификат за курс «{course}» готов. Его можно "
            "забрать в {centre}.",
            "en": "Congratulations, {name}! Your certificate for “{course}” is ready. You can "
            "collect it at {centre}.",
        },
        DISCREET: {
            "kk": "Қуанышты хабар: құжатыңыз дайын.",
            "ru": "Хорошая новость: ваш документ готов.",
            "en": "Good news: your document is ready.",
        },
    },
    "workshop": {
        STANDARD: {
            "kk": "{name}, сіз дауыс берген семинар: «{topic}», {when}, {centre}. Қатысу "
            "тегін — келіңіз! {link}",
            "ru": "{name}, семинар, за который вы голосовали: «{topic}», {when}, {centre}. "
            "Участие бесплатное — приходите! {link}",
            "en": "{name}, the workshop you voted for: “{topic}”, {when}, {centre}. It is "
            "free — come along! {link}",
        },
        DISCREET: {
            "kk": "Сіз сұраған кездесу {when} өтеді.",
            "ru": "Встреча, о которой вы спрашивали, состоится {when}.",
            "en": "The meeting you asked about is on {when}.",
        },
    },
    "survey": {
        STANDARD: {
            "kk": "{name}, «{course}» курсынан кейін жағдайыңыз қалай? Бірнеше қысқа "
            "сұраққа жауап беріңізші: {link}",
            "ru": "{name}, как у вас дела после курса «{course}»? Ответьте, пожалуйста, на "
            "несколько коротких вопросов: {link}",
            "en": "{name}, how are you doing since “{course}”? Please answer a few short "
            "questions: {link}",
        },
        DISCREET: {
            "kk": "Қалыңыз қалай? Бірнеше қысқа сұрақ: {link}",
            "ru": "Как ваши дела? Несколько коротких вопросов: {link}",
            "en": "How are you? A few short questions: {link}",
        },
    },
    "roster_message": {
        # The coordinator's own words; a discreet woman receives them without the centre's
        # name (and not at all if they name what the centre is for: `render` refuses).
        STANDARD: {
            "kk": "{centre}: {message}",
            "ru": "{centre}: {message}",
            "en": "{centre}: {message}",
        },
        DISCREET: {"kk": "{message}", "ru": "{message}", "en": "{message}"},
    },
    "telegram_link": {
        STANDARD: {
            "kk": "{name}, {centre} хабарламаларын осы чатта алғыңыз келетінін төмендегі "
            "түймемен растаңыз.",
            "ru": "{name}, подтвердите кнопкой ниже, что хотите получать сообщения от "
            "{centre} в этом чате.",
            "en": "{name}, please confirm with the button below that you want messages from "
            "{centre} in this chat.",
        },
        DISCREET: {
            "kk": "Осы чатта хабарлама алғыңыз келетінін төмендегі түймемен растаңыз.",
            "ru": "Подтвердите кнопкой ниже, что хотите получать сообщения в этом чате.",
            "en": "Please confirm with the button below that you want messages in this chat.",
        },
    },
    "stopped": {
        STANDARD: {
            "kk": "Дайын: бұл жерге {centre} хабарламалары енді келмейді.",
            "ru": "Готово: вы больше не будете получать здесь сообщения от {centre}.",
            "en": "Done: you will no longer receive messages from {centre} here.",
        },
        DISCREET: {
            "kk": "Дайын: бұл жерге хабарлама енді келмейді.",
            "ru": "Готово: сообщений здесь больше не будет.",
            "en": "Done: no more messages here.",
        },
    },
    "staff_alert": {
        # To staff on duty: never a child's or an adult's name; the detail is behind login.
        STANDARD: {
            "kk": "Балалар бөлмесінде дабыл, {centre}: {link} ашыңыз",
            "ru": "Тревога в детской комнате, {centre}: откройте {link}",
            "en": "Kids' room alert at {centre}: open {link}",
        },
        DISCREET: {
            "kk": "Дабыл: {link} ашыңыз",
            "ru": "Тревога: откройте {link}",
            "en": "Alert: open {link}",
        },
    },
}

# The e-mail subject: the same neutral words for every kind and both variants (a subject is
# what a locked phone shows).
SUBJECTS: dict[str, str] = {
    "kk": "Сізге хабарлама",
    "ru": "Сообщение для вас",
    "en": "A message for you",
}


def text(kind: str, variant: str, language: str) -> str:
    return TEXTS[kind][variant][language]


def whatsapp_name(kind: str, variant: str) -> str:
    """The approved WhatsApp template this kind and variant is registered as (Cloud API
    `template.name`; the language travels separately)."""
    return f"{kind}_{variant}"
