"""The message catalogue as gettext catalogues (Babel), for translators' tools and gettext's checks.

Each key becomes one message: ``msgctxt`` is the key, ``msgid`` the Spanish text (Spanish is the
source language), ``msgstr`` the text in the catalogue's language, flagged ``python-brace-format``
when it has placeholders so that ``msgfmt --check-format`` compares them. The YAML files stay
the source of truth (docs/errors-and-texts.md says what remains before gettext files could be).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from observatorio import __version__
from observatorio.catalogue_lint import entry_problems, placeholders
from observatorio.i18n import LANGS, Lang, catalogue

DOMAIN = "observatorio"


def to_catalog(lang: Lang | None) -> Catalog:
    """The catalogue in ``lang`` (``None``: the template, every ``msgstr`` empty)."""
    out = Catalog(locale=lang, domain=DOMAIN, project="Observatorio Migratorio Regional",
                  version=__version__, charset="utf-8")
    for key, texts in catalogue().items():
        if any(entry_problems(key, texts)):
            continue  # the lint names it; gettext cannot hold half an entry
        message = out.add(texts["es"], texts[lang] if lang else "", context=key)
        # Babel guesses "python-format" from a "%" ("20 % más"); the texts use str.format only.
        guessed = "python-format" in message.flags
        message.flags.discard("python-format")
        if placeholders(texts["es"]):
            message.flags.add("python-brace-format")
        elif guessed:
            message.flags.add("no-python-format")
    return out


def export(folder: Path) -> list[Path]:
    """``observatorio.pot`` and ``{es,en}/LC_MESSAGES/observatorio.{po,mo}`` under ``folder``."""
    written = [folder / f"{DOMAIN}.pot"]
    folder.mkdir(parents=True, exist_ok=True)
    with written[0].open("wb") as fh:
        write_po(fh, to_catalog(None), width=0)
    for lang in LANGS:
        target = folder / lang / "LC_MESSAGES"
        target.mkdir(parents=True, exist_ok=True)
        translated = to_catalog(lang)
        with (target / f"{DOMAIN}.po").open("wb") as fh:
            write_po(fh, translated, width=0)
        with (target / f"{DOMAIN}.mo").open("wb") as fh:
            write_mo(fh, translated)
        written += [target / f"{DOMAIN}.po", target / f"{DOMAIN}.mo"]
    return written


def read_translations(path: Path) -> dict[str, str]:
    """``key -> text`` of a ``.po`` file written by :func:`export` (e.g. back from a translator)."""
    with path.open("rb") as fh:
        parsed = read_po(fh)
    return {str(m.context): str(m.string) for m in parsed if m.id and m.context}


def msgfmt_problems(folder: Path) -> list[str] | None:
    """What GNU ``msgfmt --check-format`` says of each exported ``.po`` (``None``: msgfmt is not
    installed; the Debian package ``gettext`` provides it)."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        return None
    found: list[str] = []
    for lang in LANGS:
        po = folder / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
        run = subprocess.run([msgfmt, "--check-format", "--output-file=/dev/null", str(po)],  # noqa: S603
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            found += [line for line in run.stderr.splitlines() if line.strip()]
    return found
