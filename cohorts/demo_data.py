"""
The demo's Dutch world: three boards with their contacts, schools and e-mail domains, the
names and roles of their leaders, and the school calendar the demo's dates keep clear of.

Per board the tables are keyed by its bestuursnummer, or for a samenwerkingsverband its code.
"""

import datetime

from django.utils.text import slugify

from .models import Board

RIVIERENLAND = {
    "name": "Stichting Openbaar Onderwijs Rivierenland",
    "kind": Board.Kind.BESTUUR,
    "bestuursnummer": "41234",
    "sector": "po",
    "place": "Tiel",
}
IJSSEL = {
    "name": "Samenwerkingsverband Passend Onderwijs IJssel",
    "kind": Board.Kind.SWV,
    "swv_code": "PO-22-02",
    "sector": "po",
    "place": "Deventer",
}
ZUID = {
    "name": "Stichting Voortgezet Onderwijs Zuid",
    "kind": Board.Kind.BESTUUR,
    "bestuursnummer": "30127",
    "sector": "vo",
    "place": "Eindhoven",
}
# Per board: its e-mail domain, telephone number, usual contact (name, function) and schools with their BRIN codes.
DOMAINS = {
    "41234": "openbaarrivierenland.example.nl",
    "PO-22-02": "swv-ijssel.example.nl",
    "30127": "vozuid.example.nl",
}
PHONES = {"41234": "0344612345", "PO-22-02": "0570745210", "30127": "0402961100"}
CONTACTS = {
    "41234": ("Marieke de Boer", "Manager HR"),
    "PO-22-02": ("Hamid Ouali", "Directeur-bestuurder"),
    "30127": ("Ingrid van Kessel", "HR-adviseur"),
}
SCHOOLS = {
    "41234": [
        ("OBS De Regenboog", "16SW"),
        ("OBS Het Kompas", "17TL"),
        ("OBS De Toverfluit", "18KR"),
        ("OBS De Wielewaal", "19BG"),
        ("OBS Het Baken", "20HN"),
        ("OBS De Plantage", "21DP"),
    ],
    "PO-22-02": [
        ("CBS De Wegwijzer", "12AB"),
        ("KBS Sint Jozef", "07XK"),
        ("OBS Het Anker", "21PL"),
        ("SBO De Klimop", "23KL"),
        ("CBS De Borgh", "24BD"),
    ],
    "30127": [
        ("Zuiderlicht College", "02ZC"),
        ("Kempenhorst Lyceum", "03KH"),
        ("Dommeldal College", "04DC"),
        ("Veldhovens Atheneum", "05VA"),
    ],
}
ROLES = {
    "po": [
        "directeur", "directeur", "adjunct_directeur", "locatieleider",
        "intern_begeleider", "bouwcoordinator", "meerscholendirecteur", "teamleider",
    ],
    "vo": [
        "teamleider", "afdelingsleider", "teamleider", "conrector",
        "afdelingsleider", "centrale_directie", "rector",
    ],
}  # fmt: skip
MONTHS = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]  # fmt: skip
FIRST_NAMES = [
    "Anne", "Bram", "Carolien", "Daan", "Esther", "Femke", "Gerrit", "Hanneke", "Ilse", "Jeroen",
    "Karin", "Lars", "Marloes", "Niels", "Mohamed", "Pieter", "Renske", "Sander", "Tamara", "Vera",
    "Willem", "Yvonne", "Zeynep", "Bas", "Charlotte", "Dirk", "Eline", "Frank", "Geert", "Hilde",
    "Inge", "Joost", "Kees", "Linda", "Nienke", "Otto", "Petra", "Rik", "Saskia", "Thijs",
    "Wendy", "Youssef", "Fatima", "Jelle", "Sven", "Noor", "Ruben", "Iris", "Maarten", "Anouk",
    "Koen", "Lieke", "Mehmet", "Sarah", "Tom", "Evelien", "Ayşe", "Wouter", "Miriam", "Hans",
]  # fmt: skip
# (tussenvoegsel, achternaam): about half with a tussenvoegsel, as in a Dutch staff room.
LAST_NAMES = [
    ("van", "Dijk"), ("de", "Vries"), ("", "Bakker"), ("van der", "Meer"), ("", "Jansen"),
    ("'t", "Hart"), ("ten", "Brink"), ("el", "Amrani"), ("van den", "Heuvel"), ("", "Mulder"),
    ("ter", "Horst"), ("van 't", "Hof"), ("in 't", "Veld"), ("van de", "Ven"), ("den", "Hartog"),
    ("", "Yılmaz"), ("", "Visser"), ("van", "Leeuwen"), ("de", "Groot"), ("", "Smit"),
    ("van der", "Linden"), ("ten", "Cate"), ("el", "Idrissi"), ("", "Meijer"), ("de", "Jong"),
    ("van", "Beek"), ("", "Hendriks"), ("", "Dekker"), ("van den", "Broek"), ("'t", "Lam"),
    ("", "Brouwer"), ("de", "Wit"), ("van", "Dam"), ("", "Koster"), ("", "Bos"),
    ("van der", "Veen"), ("", "Verhoeven"), ("op den", "Kamp"), ("", "Kaya"), ("", "Peeters"),
    ("van", "Gils"), ("", "Schouten"), ("de", "Haan"), ("van", "Wijk"), ("", "Postma"),
    ("", "Huisman"), ("ter", "Steege"), ("van", "Vliet"), ("", "Kok"), ("de", "Bruijn"),
]  # fmt: skip
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = range(5)


def leader(*, board: Board, n: int) -> dict:
    """Return the n-th leader the demo hands out, as a participant row: at one of this board's schools."""
    key = board.bestuursnummer or board.swv_code
    first_name = FIRST_NAMES[n % len(FIRST_NAMES)]
    tussenvoegsel, last_name = LAST_NAMES[n * 7 % len(LAST_NAMES)]
    school, brin = SCHOOLS[key][n % len(SCHOOLS[key])]
    roles = ROLES[board.sector]
    return {
        "first_name": first_name,
        "initials": f"{first_name[0]}.{'MJCAHW'[n % 6]}." if n % 3 == 0 else f"{first_name[0]}.",
        "tussenvoegsel": tussenvoegsel,
        "last_name": last_name,
        "email": f"{address_part(first_name)}.{address_part(tussenvoegsel + last_name)}@{DOMAINS[key]}",
        "role": roles[n % len(roles)],
        "school": school,
        "brin": brin,
    }


def address_part(text: str) -> str:
    """Return a name as it stands in an e-mail address: "van der Meer" becomes "vandermeer"."""
    return slugify(text).replace("-", "")


def school_holiday(day: datetime.date) -> bool:
    """Return whether a day falls in (roughly) the Dutch school holidays: summer, Christmas, spring, May, autumn."""
    month_day = (day.month, day.day)
    summer = (7, 11) <= month_day <= (8, 31)
    christmas = month_day >= (12, 20) or month_day <= (1, 4)
    return summer or christmas or day.isocalendar().week in {8, 18, 43}


def on_weekday(day: datetime.date, weekday: int, *, forward: bool = True) -> datetime.date:
    """Return the first date on this weekday (0 is Monday) on or after day, or on or before it."""
    step = datetime.timedelta(days=1 if forward else -1)
    while day.weekday() != weekday:
        day += step
    return day


def course_dates(anchor, *, weekday, forward=True, count=6) -> list[datetime.date]:
    """
    Return count dates three weeks apart on one weekday, outside the school holidays, in order.

    The first falls on or after anchor, or, going back (not forward), the last on or before it.
    """
    step = datetime.timedelta(weeks=3 if forward else -3)
    week = datetime.timedelta(weeks=1 if forward else -1)
    dates = []
    day = on_weekday(anchor, weekday, forward=forward)
    while len(dates) < count:
        while school_holiday(day):
            day += week
        dates.append(day)
        day += step
    return sorted(dates)
