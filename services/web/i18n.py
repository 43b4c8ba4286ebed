"""Languages of the pages: gettext catalogues compiled from the committed .po files once at
startup, and the choice of language for a request (?lang=, then the cookie, then
Accept-Language)."""

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("ka", "en")
DEFAULT = "ka"  # a Georgian national service: Georgian unless the browser prefers English
COOKIE = "lang"


def load_translations(language: str) -> Translations:
    """The language's catalogue, compiled in memory from its .po file (no binary committed)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages the browser prefers, by quality then order."""
    ranked = []
    for order, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, order, tag.strip()))
    preferred = [tag for _, _, tag in sorted(ranked)]
    chosen = Locale.negotiate(preferred, LANGUAGES, sep="-")
    return str(chosen) if chosen else None


@dataclass(frozen=True)
class Choice:
    language: str
    remember: bool  # chosen by ?lang=: set the cookie


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> Choice:
    if query in LANGUAGES:
        return Choice(query, remember=True)
    if cookie in LANGUAGES:
        return Choice(cookie, remember=False)
    return Choice(from_accept_language(accept_language) or DEFAULT, remember=False)
