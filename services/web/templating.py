"""Jinja2 environments, one per language, built once: templates compiled once and kept, the
language's catalogue and date and number formats installed in each."""

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.web import vocabulary
from services.web.i18n import LANGUAGES, load_translations

TEMPLATES = Path(__file__).parent / "templates"
# Dates and numbers: English pages write "31 May 2028", as Europass and GOV.UK do.
FORMATS = {"ka": "ka", "en": "en_GB"}


def _date_filter(language: str):
    @lru_cache(maxsize=4096)
    def formatted(value: object) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            try:
                value = (datetime.fromisoformat(value) if "T" in value
                         else date.fromisoformat(value))
            except ValueError:
                return value
        if isinstance(value, datetime):
            value = value.date()
        return format_date(value, "long", locale=language)
    return formatted


def _number_filter(language: str):
    @lru_cache(maxsize=1024)
    def formatted(value: object) -> str:
        return "" if value is None else format_decimal(value, locale=language)
    return formatted


def build_environment(language: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                      auto_reload=False, cache_size=-1,
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    translations = load_translations(language)
    env.install_gettext_translations(translations, newstyle=True)
    env.globals["words"] = vocabulary.translated(translations.gettext)
    env.filters["date"] = _date_filter(FORMATS[language])
    env.filters["number"] = _number_filter(FORMATS[language])
    env.globals["language"] = language
    return env


class Templates:
    """Renders a page in a language: each template is compiled on first use and kept (no
    reloading, no cache eviction), the catalogues were loaded when the app was built."""

    def __init__(self) -> None:
        self.environments = {language: build_environment(language) for language in LANGUAGES}

    def render(self, language: str, name: str, **context: object) -> str:
        return self.environments[language].get_template(name).render(**context)
