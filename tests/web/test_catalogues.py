"""The gettext catalogues: every message in the templates is translated in Georgian and
English, and the committed .po files are current (scripts/translations.sh extract)."""

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from services.web.i18n import LANGUAGES, LOCALE_DIR

WEB = LOCALE_DIR.parent


def template_messages() -> set[str | tuple[str, str]]:
    with (WEB / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _, _, message, _, _ in extract_from_dir(WEB, method_map, options_map):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def test_every_message_of_the_templates_is_translated_in_each_language():
    wanted = template_messages()
    assert len(wanted) > 100
    for language in LANGUAGES:
        with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
            catalog = read_po(po, locale=language)
        translated = {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog
                      if m.id and m.string and all(m.string if isinstance(m.string, tuple)
                                                   else [m.string]) and not m.fuzzy}
        assert wanted - translated == set(), f"{language}: untranslated"
        assert translated - wanted == set(), f"{language}: stale, run translations.sh"
