"""The columns of an entrants file and the names organisers' files give them, English and French.

Headers are compared folded (edge.imports.headers): case, accents, punctuation and
spaces do not matter, so "N° dossard", "No. Dossard" and "n_dossard" are one name,
and a hint in brackets ("Sexe (H/F)") is left out.
"""

from __future__ import annotations

NAMES: dict[str, tuple[str, ...]] = {
    "bib": (
        "bib", "dossard", "bib number", "bib no", "bib num", "race number", "race no",
        "number", "numero", "num", "no", "n", "n dossard", "no dossard", "num dossard",
        "numero dossard", "numero de dossard", "dossard n",
        "dossard no", "bib nr", "dos",
    ),
    "last_name": (
        "last_name", "nom", "last name", "lastname", "surname", "family name", "nom de famille",
        "nom famille", "last",
    ),
    "first_name": (
        "first_name", "prénom", "first name", "firstname", "given name", "forename", "first",
    ),
    "sex": ("sex", "sexe", "gender", "genre", "m f", "h f", "sexe h f", "sexe m f", "sex m f"),
    "birth_date": (
        "birth_date", "date de naissance", "birth date", "birthdate", "date of birth", "dob",
        "date naissance", "naissance", "né le", "née le", "né e le", "ddn", "date naiss",
        "date de naiss",
    ),
    "birth_year": (
        "birth_year", "année", "année de naissance", "year of birth", "année naissance", "yob",
        "année naiss",
    ),
    "club": (
        "club", "association", "club name", "nom du club", "affiliation", "club association",
    ),
    "team": ("team", "équipe", "team name", "nom d'équipe", "nom de l'équipe", "nom équipe"),
    "race": (
        "race", "course", "épreuve", "distance", "event", "parcours", "race name",
        "nom de la course", "nom de l'épreuve",
    ),
    "wave": ("wave", "vague", "sas", "start wave", "vague de départ", "sas de départ", "corral"),
    "tag1": (
        "tag", "tag1", "puce", "puce1", "chip", "chip1", "chip id", "chip number", "chip no",
        "chip code", "rfid", "rfid tag", "epc", "transponder", "transponder id", "transpondeur",
        "puce rfid", "numéro de puce", "n puce",
    ),
    "tag2": ("tag2", "puce2", "chip2", "second tag", "second chip", "epc2", "seconde puce"),
    "category": ("category", "catégorie", "cat", "age group", "age category"),
    "leg": ("leg", "relais", "étape", "relay leg", "leg du relais", "étape du relais"),
}  # fmt: skip
"""Each field and the headers that mean it (the field's own name first)."""

ALIASES = {alias: field for field, names in NAMES.items() for alias in names}
"""Header -> field, for edge.imports.headers.map_headers."""

EXAMPLES: dict[str, str] = {
    "bib": "Bib, Dossard, N° dossard",
    "last_name": "Last name, Nom",
    "first_name": "First name, Prénom",
    "sex": "Sex, Gender, Sexe",
    "birth_date": "Birth date, DOB, Date de naissance",
    "birth_year": "Birth year, Année de naissance",
    "club": "Club",
    "team": "Team, Équipe",
    "race": "Race, Épreuve, Course",
    "wave": "Wave, Vague, SAS",
    "tag1": "Chip, Tag, Puce",
    "tag2": "Tag2, Puce2",
    "category": "Category, Catégorie",
    "leg": "Leg, Relais, Étape",
}
"""Headers to suggest for a field, in an error that asks to rename a column."""
