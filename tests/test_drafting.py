"""review.drafting: amendment sentences after the Guide de légistique (a table of cases, French and
English), touched blocks, side-by-side rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from review import drafting
from review.drafting import cardinal, changed_blocks, drafting_summary, ordinal, side_by_side
from review.render import source_blocks

NB = "\u00a0"
ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "plan-repo" / "commitments" / "engagement-02" / "fr.md"

FM = '---\nnumber: 2\ntitle: "Ouvrir les données"\naxis: rendre-des-comptes\nleads:\n  - premier-ministre\n---\n\n'

BASE = ["## Enjeux",
        "La commande publique mobilise des sommes **considérables**.",
        "Sa transparence profite aux citoyens et aux entreprises.",
        "Les données sont déjà publiées.",
        "Un cinquième paragraphe.",
        "Un sixième paragraphe.",
        "Un septième paragraphe."]


def q(text: str) -> str:
    return f"«{NB}{text}{NB}»"


def doc(blocks: list[str], fm: str = FM) -> str:
    return fm + "\n\n".join(blocks) + "\n"


def changed(k: int, text: str) -> str:
    blocks = list(BASE)
    blocks[k] = text
    return doc(blocks)


OLD = doc(BASE)


def test_ordinals_in_words():
    assert [ordinal(n) for n in (1, 2, 3, 11, 12, 17, 20, 21, 22, 30, 35, 41, 61, 70, 71, 77, 80, 81, 90, 91, 99, 100, 101)] == [
        "premier", "deuxième", "troisième", "onzième", "douzième", "dix-septième", "vingtième",
        "vingt et unième", "vingt-deuxième", "trentième", "trente-cinquième", "quarante et unième",
        "soixante et unième", "soixante-dixième", "soixante et onzième", "soixante-dix-septième",
        "quatre-vingtième", "quatre-vingt-unième", "quatre-vingt-dixième", "quatre-vingt-onzième",
        "quatre-vingt-dix-neuvième", "centième", "cent unième"]
    assert ordinal(1, feminine=True) == "première"
    assert [drafting.en_ordinal(n) for n in (1, 2, 3, 12, 21, 30, 42, 99)] == [
        "first", "second", "third", "twelfth", "twenty-first", "thirtieth", "forty-second", "ninety-ninth"]
    assert all(not any(c.isdigit() for c in ordinal(n)) for n in range(1, 1000))
    with pytest.raises(ValueError):
        ordinal(0)


def test_what_counts_as_an_alinea():
    body = ("## Enjeux\n\n**Institutions porteuses**\n- Premier ministre\n- Ministère de la Culture\n\n"
            "Un paragraphe\nsur deux lignes avec **du gras** et un [lien](http://exemple.fr)[^1].\n\n"
            "1. Premier point\n2. Second point\n\n| Jalon | Date |\n|---|---|\n| Bilan | 2016 |\n\n"
            "[^1]: Une note.\n")
    els = drafting.elements(body)
    assert [(e.kind, e.text) for e in els] == [
        ("heading", "Enjeux"), ("heading", "Institutions porteuses"),
        ("alinea", "Premier ministre"), ("alinea", "Ministère de la Culture"),
        ("alinea", "Un paragraphe sur deux lignes avec du gras et un lien."),
        ("alinea", "Premier point"), ("alinea", "Second point"),
        ("alinea", "Jalon | Date"), ("alinea", "Bilan | 2016"),
        ("note", "Une note.")]


# The table: paragraphs written in the style of an action plan (our own sentences), one change
# each (or a few), with the expected French sentences and, for most, the English ones.

PLAN = [
    "## Enjeux",
    "Les collectivités publient de plus en plus de données sur leurs budgets, mais sous des formats très variés.",
    "Cette diversité freine leur réutilisation par les citoyens, les journalistes et les chercheurs.",
    "## Feuille de route",
    "**Actions prévues**",
    "- Définir un format commun pour les budgets locaux.\n"
    "- Accompagner les petites communes dans la publication de leurs données.\n"
    "- Publier chaque année un bilan de l'ouverture des données budgétaires.",
    "Le ministère de l'Intérieur pilotera ces travaux avec les associations d'élus, en lien avec la mission Etalab.",
]
# alinéas of PLAN: 1 and 2 (paragraphs), 3 to 5 (list items), 6 (last paragraph)
ITEMS = PLAN[5].split("\n")


def plan(*changes, drop=(), items=None) -> list[str]:
    """PLAN with blocks replaced ({index: text}), dropped, or the list's items given."""
    blocks = list(PLAN)
    if items is not None:
        blocks[5] = "\n".join(items)
    for k, v in (changes[0] if changes else {}).items():
        blocks[k] = v
    return [b for k, b in enumerate(blocks) if k not in drop]


def many(n: int) -> list[str]:
    return [f"Mesure numéro {cardinal(k)} du plan d'action." for k in range(1, n + 1)]


F = NB  # the non-breaking space before a colon and inside French quotes

CASES = [
    # -- words replaced
    ("one word replaced",
     PLAN, plan({1: PLAN[1].replace("très variés", "très hétérogènes")}),
     [f"Au premier alinéa, le mot{F}: {q('variés')} est remplacé par le mot{F}: {q('hétérogènes')}."],
     ["In the first paragraph, the word “variés” is replaced by the word “hétérogènes”."]),
    ("one word replaced by two",
     PLAN, plan({2: PLAN[2].replace("freine", "limite fortement")}),
     [f"Au deuxième alinéa, le mot{F}: {q('freine')} est remplacé par les mots{F}: {q('limite fortement')}."],
     ["In the second paragraph, the word “freine” is replaced by the words “limite fortement”."]),
    ("adjacent words replaced are one change",
     PLAN, plan({1: PLAN[1].replace("de plus en plus de données", "davantage d'informations")}),
     [f"Au premier alinéa, les mots{F}: {q('de plus en plus de données')} sont remplacés par les mots{F}: "
      f"" + q("davantage d'informations") + f"."],
     ["In the first paragraph, the words “de plus en plus de données” are replaced by the words “davantage d'informations”."]),
    ("a word found twice is quoted with the word before it",
     ["Le comité publie un rapport et le comité répond aux questions."],
     ["Le comité publie un rapport et le ministère répond aux questions."],
     [f"Au premier alinéa, les mots{F}: {q('le comité')} sont remplacés par les mots{F}: {q('le ministère')}."],
     ["In the first paragraph, the words “le comité” are replaced by the words “le ministère”."]),
    ("a year",
     ["Le premier bilan sera publié en 2016."], ["Le premier bilan sera publié en 2017."],
     [f"Au premier alinéa, l'année{F}: {q('2016')} est remplacée par l'année{F}: {q('2017')}."],
     ["In the first paragraph, the year “2016” is replaced by the year “2017”."]),
    ("two separate replacements are two items",
     PLAN, plan({6: PLAN[6].replace("pilotera", "coordonnera").replace("mission Etalab", "direction interministérielle")}),
     [f"Au sixième alinéa, le mot{F}: {q('pilotera')} est remplacé par le mot{F}: {q('coordonnera')}.",
      f"Au sixième alinéa, les mots{F}: {q('mission Etalab')} sont remplacés par les mots{F}: "
      f"{q('direction interministérielle')}."],
     ["In the sixth paragraph, the word “pilotera” is replaced by the word “coordonnera”.",
      "In the sixth paragraph, the words “mission Etalab” are replaced by the words “direction interministérielle”."]),
    ("a capital letter changed with the words put before it",
     PLAN, plan({2: PLAN[2].replace("Cette diversité", "Aujourd'hui, cette diversité")}),
     [f"Au deuxième alinéa, le mot{F}: {q('Cette')} est remplacé par les mots{F}: " + q("Aujourd'hui, cette") + f"."],
     ["In the second paragraph, the word “Cette” is replaced by the words “Aujourd'hui, cette”."]),
    ("a sign replaced",
     ["Les données seront ouvertes ; elles seront mises à jour."],
     ["Les données seront ouvertes. elles seront mises à jour."],
     [f"Au premier alinéa, le signe{F}: {q(';')} est remplacé par le signe{F}: {q('.')}."],
     ["In the first paragraph, the sign “;” is replaced by the sign “.”."]),

    ("a hyphenated word is quoted whole",
     ["Ouvrir les registres-clés de données."], ["Ouvrir les registres de référence de données."],
     [f"Au premier alinéa, le mot{F}: {q('registres-clés')} est remplacé par les mots{F}: {q('registres de référence')}."],
     ["In the first paragraph, the word “registres-clés” is replaced by the words “registres de référence”."]),
    ("an elided article stays out of the quote",
     ["Le plan de l'État sera publié."], ["Le plan de l'Europe sera publié."],
     [f"Au premier alinéa, le mot{F}: {q('État')} est remplacé par le mot{F}: {q('Europe')}."],
     ["In the first paragraph, the word “État” is replaced by the word “Europe”."]),

    # -- words deleted
    ("words deleted in the middle",
     PLAN, plan({2: PLAN[2].replace(", les journalistes", "")}),
     [f"Au deuxième alinéa, les mots{F}: {q(', les journalistes')} sont supprimés."],
     ["In the second paragraph, the words “, les journalistes” are deleted."]),
    ("words deleted at the end",
     PLAN, plan({6: PLAN[6].replace(", en lien avec la mission Etalab", "")}),
     [f"Au sixième alinéa, les mots{F}: {q(', en lien avec la mission Etalab')} sont supprimés."],
     ["In the sixth paragraph, the words “, en lien avec la mission Etalab” are deleted."]),
    ("one word deleted",
     PLAN, plan(items=[ITEMS[0], ITEMS[1].replace("petites ", ""), ITEMS[2]]),
     [f"Au quatrième alinéa, le mot{F}: {q('petites')} est supprimé."],
     ["In the fourth paragraph, the word “petites” is deleted."]),
    ("a repeated word deleted is quoted with the word before it, as a replacement",
     ["Ouvrir les données et les données de santé."], ["Ouvrir les données et les de santé."],
     [f"Au premier alinéa, les mots{F}: {q('et les données')} sont remplacés par les mots{F}: {q('et les')}."],
     ["In the first paragraph, the words “et les données” are replaced by the words “et les”."]),

    # -- words inserted
    ("one word inserted after a word",
     PLAN, plan({1: PLAN[1].replace("de données sur", "de données ouvertes sur")}),
     [f"Au premier alinéa, après le mot{F}: {q('données')}, est inséré le mot{F}: {q('ouvertes')}."],
     ["In the first paragraph, after the word “données”, the word “ouvertes” is inserted."]),
    ("words inserted after a word",
     PLAN, plan({2: PLAN[2].replace("les journalistes", "les journalistes, les entreprises")}),
     [f"Au deuxième alinéa, après le mot{F}: {q('journalistes')}, sont insérés les mots{F}: {q(', les entreprises')}."],
     ["In the second paragraph, after the word “journalistes”, the words “, les entreprises” are inserted."]),
    ("the anchor of an insertion is found once",
     ["Les données de santé et les données de transport seront ouvertes."],
     ["Les données de santé et les données publiques de transport seront ouvertes."],
     [f"Au premier alinéa, après les mots{F}: {q('les données')}, est inséré le mot{F}: {q('publiques')}."],
     ["In the first paragraph, after the words “les données”, the word “publiques” is inserted."]),
    ("words inserted at the beginning",
     ["Etalab accompagnera les producteurs de données."],
     ["Dès 2016, Etalab accompagnera les producteurs de données."],
     [f"Au début du premier alinéa, sont insérés les mots{F}: {q('Dès 2016,')}."],
     ["At the beginning of the first paragraph, the words “Dès 2016,” are inserted."]),
    ("an alinéa completed at its end",
     ["- Ouvrir les données du cadastre", "- Publier les permis de construire"],
     ["- Ouvrir les données du cadastre et des plans locaux d'urbanisme", "- Publier les permis de construire"],
     [f"Le premier alinéa est complété par les mots{F}: " + q("et des plans locaux d'urbanisme") + f"."],
     ["At the end of the first paragraph, the words “et des plans locaux d'urbanisme” are added."]),
    ("an insertion and a replacement in one alinéa are two items",
     PLAN, plan({6: PLAN[6].replace("pilotera ces travaux", "pilotera dès 2016 ces travaux").replace("d'élus", "de maires")}),
     [f"Au sixième alinéa, après le mot{F}: {q('pilotera')}, sont insérés les mots{F}: {q('dès 2016')}.",
      f"Au sixième alinéa, le mot{F}: " + q("d'élus") + f" est remplacé par les mots{F}: {q('de maires')}."],
     ["In the sixth paragraph, after the word “pilotera”, the words “dès 2016” are inserted.",
      "In the sixth paragraph, the word “d'élus” is replaced by the words “de maires”."]),

    # -- alinéas rewritten
    ("more than half of an alinéa changed rewrites it",
     PLAN, plan({6: "Un comité de suivi réunira chaque trimestre les administrations et la société civile."}),
     [f"Le sixième alinéa est ainsi rédigé{F}: "
      f"{q('Un comité de suivi réunira chaque trimestre les administrations et la société civile.')}."],
     ["The sixth paragraph is worded as follows: “Un comité de suivi réunira chaque trimestre les administrations et la société civile.”."]),
    ("many small changes rewrite the alinéa",
     ["Les services de l'État publieront leurs données budgétaires, comptables, fiscales et sociales sous une licence ouverte chaque année."],
     ["Les opérateurs de l'État diffuseront leurs données financières, comptables, douanières et sociales sous une licence libre chaque trimestre."],
     [f"Le premier alinéa est ainsi rédigé{F}: " + q("Les opérateurs de l'État diffuseront leurs données financières, comptables, douanières et sociales sous une licence libre chaque trimestre.") + f"."],
     None),
    ("a rewritten alinéa is quoted without its Markdown",
     PLAN, plan(items=[ITEMS[0], "- **Former** les agents des *petites* communes : voir [le guide](http://exemple.fr).", ITEMS[2]]),
     [f"Le quatrième alinéa est ainsi rédigé{F}: {q('Former les agents des petites communes : voir le guide.')}."],
     ["The fourth paragraph is worded as follows: “Former les agents des petites communes : voir le guide.”."]),
    ("words across a line break are quoted on one line",
     ["Les données seront publiées\nchaque année sur le portail."],
     ["Les données seront diffusées tous\nles mois sur le portail."],
     [f"Au premier alinéa, les mots{F}: {q('publiées chaque année')} sont remplacés par les mots{F}: {q('diffusées tous les mois')}."],
     ["In the first paragraph, the words “publiées chaque année” are replaced by the words “diffusées tous les mois”."]),
    ("a paragraph wrapped anew is no change",
     ["Les données seront publiées\nchaque année sur le portail."], ["Les données seront publiées chaque\nannée sur le portail."],
     [], []),
    ("formatting alone",
     PLAN, plan({1: PLAN[1].replace("formats très variés", "formats **très variés**")}),
     [f"La mise en forme du premier alinéa est modifiée (les mots ne changent pas)."],
     ["The formatting of the first paragraph is changed (not its words)."]),

    # -- whole alinéas inserted
    ("a list item inserted",
     PLAN, plan(items=ITEMS[:1] + ["- Former les agents publics à la qualité des données."] + ITEMS[1:]),
     [f"Après le troisième alinéa, il est inséré un alinéa ainsi rédigé{F}: {q('Former les agents publics à la qualité des données.')}."],
     ["After the third paragraph, a paragraph is inserted: “Former les agents publics à la qualité des données.”."]),
    ("two alinéas inserted",
     PLAN, plan({2: PLAN[2] + "\n\nLes formats ouverts restent rares.\n\nLes licences sont parfois absentes."}),
     [f"Après le deuxième alinéa, sont insérés deux alinéas ainsi rédigés{F}: "
      f"{q('Les formats ouverts restent rares.')}{F}; {q('Les licences sont parfois absentes.')}."],
     ["After the second paragraph, two paragraphs are inserted: “Les formats ouverts restent rares.”; “Les licences sont parfois absentes.”."]),
    ("a heading inserted before the first alinéa",
     PLAN[1:], [PLAN[0]] + PLAN[1:],
     [f"Avant le premier alinéa, il est inséré un intitulé ainsi rédigé{F}: {q('Enjeux')}."],
     ["Before the first paragraph, a heading is inserted: “Enjeux”."]),
    ("an alinéa inserted before a heading at the top",
     PLAN, ["Ce chapitre présente la démarche."] + PLAN,
     [f"Avant l'intitulé {q('Enjeux')}, il est inséré un alinéa ainsi rédigé{F}: {q('Ce chapitre présente la démarche.')}."],
     ["Before the heading “Enjeux”, a paragraph is inserted: “Ce chapitre présente la démarche.”."]),
    ("an alinéa inserted after a heading",
     PLAN, PLAN[:4] + ["Les actions suivantes seront menées d'ici 2017."] + PLAN[4:],
     [f"Après l'intitulé {q('Feuille de route')}, il est inséré un alinéa ainsi rédigé{F}: "
      f"" + q("Les actions suivantes seront menées d'ici 2017.") + f"."],
     ["After the heading “Feuille de route”, a paragraph is inserted: “Les actions suivantes seront menées d'ici 2017.”."]),
    ("a heading and an alinéa inserted",
     PLAN, PLAN[:3] + ["## Contexte", "La loi impose désormais la publication des budgets."] + PLAN[3:],
     [f"Après le deuxième alinéa, sont insérés un intitulé et un alinéa ainsi rédigés{F}: "
      f"{q('Contexte')}{F}; {q('La loi impose désormais la publication des budgets.')}."],
     ["After the second paragraph, a heading and a paragraph are inserted: “Contexte”; “La loi impose désormais la publication des budgets.”."]),
    ("alinéas inserted into an empty body",
     [], ["Texte."],
     [f"Il est inséré un alinéa ainsi rédigé{F}: {q('Texte.')}."],
     ["A paragraph is inserted: “Texte.”."]),

    # -- whole alinéas deleted
    ("a list item deleted",
     PLAN, plan(items=[ITEMS[0], ITEMS[2]]),
     ["Le quatrième alinéa est supprimé."], ["The fourth paragraph is deleted."]),
    ("two alinéas deleted",
     PLAN, plan(drop=(1, 2)),
     ["Les premier et deuxième alinéas sont supprimés."], ["The first and second paragraphs are deleted."]),
    ("a whole list deleted",
     PLAN, plan(drop=(5,)),
     ["Les troisième à cinquième alinéas sont supprimés."], ["The third to fifth paragraphs are deleted."]),
    ("an insertion and a separate deletion are two items, not a replacement",
     PLAN, plan(items=[ITEMS[0], "- Ouvrir les comptes des syndicats intercommunaux.", ITEMS[1]]),
     [f"Après le troisième alinéa, il est inséré un alinéa ainsi rédigé{F}: {q('Ouvrir les comptes des syndicats intercommunaux.')}.",
      "Le cinquième alinéa est supprimé."],
     ["After the third paragraph, a paragraph is inserted: “Ouvrir les comptes des syndicats intercommunaux.”.",
      "The fifth paragraph is deleted."]),
    ("a heading and its alinéa deleted",
     PLAN, PLAN[3:],
     [f"L'intitulé {q('Enjeux')} est supprimé.", "Les premier et deuxième alinéas sont supprimés."],
     ["The heading “Enjeux” is deleted.", "The first and second paragraphs are deleted."]),

    # -- alinéas replaced by others
    ("two alinéas replaced by one",
     PLAN, PLAN[:1] + ["Les budgets locaux seront publiés dans un format commun."] + PLAN[3:],
     [f"Les premier et deuxième alinéas sont remplacés par un alinéa ainsi rédigé{F}: "
      f"{q('Les budgets locaux seront publiés dans un format commun.')}."],
     ["The first and second paragraphs are replaced by a paragraph: “Les budgets locaux seront publiés dans un format commun.”."]),
    ("one alinéa replaced by two",
     PLAN, PLAN[:6] + ["Un comité de pilotage sera créé.", "Il rendra compte chaque année."],
     [f"Le sixième alinéa est remplacé par deux alinéas ainsi rédigés{F}: "
      f"{q('Un comité de pilotage sera créé.')}{F}; {q('Il rendra compte chaque année.')}."],
     ["The sixth paragraph is replaced by two paragraphs: “Un comité de pilotage sera créé.”; “Il rendra compte chaque année.”."]),

    # -- headings
    ("a heading reworded",
     PLAN, plan({0: "## Les enjeux"}),
     [f"L'intitulé {q('Enjeux')} est ainsi rédigé{F}: {q('Les enjeux')}."],
     ["The heading “Enjeux” is worded as follows: “Les enjeux”."]),
    ("a long heading is changed word by word",
     ["## Ouvrir les données des collectivités territoriales et de leurs groupements", "Texte."],
     ["## Ouvrir les données des collectivités locales et de leurs groupements", "Texte."],
     [f"À l'intitulé {q('Ouvrir les données des collectivités territoriales et de leurs groupements')}, "
      f"le mot{F}: {q('territoriales')} est remplacé par le mot{F}: {q('locales')}."],
     ["In the heading “Ouvrir les données des collectivités territoriales et de leurs groupements”, "
      "the word “territoriales” is replaced by the word “locales”."]),
    ("a bold line standing as a heading is a heading",
     PLAN, plan({4: "**Actions engagées**"}),
     [f"L'intitulé {q('Actions prévues')} est ainsi rédigé{F}: {q('Actions engagées')}."],
     ["The heading “Actions prévues” is worded as follows: “Actions engagées”."]),
    ("a heading deleted does not shift the alinéas",
     PLAN, plan({6: PLAN[6].replace("pilotera", "conduira")}, drop=(3,)),
     [f"L'intitulé {q('Feuille de route')} est supprimé.",
      f"Au sixième alinéa, le mot{F}: {q('pilotera')} est remplacé par le mot{F}: {q('conduira')}."],
     ["The heading “Feuille de route” is deleted.",
      "In the sixth paragraph, the word “pilotera” is replaced by the word “conduira”."]),

    # -- notes
    ("a note changed",
     ["Le montant atteint 70 milliards d'euros[^1].", "[^1]: Source : recensement de 2013."],
     ["Le montant atteint 70 milliards d'euros[^1].", "[^1]: Source : recensement de 2014."],
     [f"À la note 1, l'année{F}: {q('2013')} est remplacée par l'année{F}: {q('2014')}."],
     ["In note 1, the year “2013” is replaced by the year “2014”."]),
    ("a note deleted",
     ["Le montant atteint 70 milliards d'euros[^1].", "[^1]: Source : recensement de 2013."],
     ["Le montant atteint 70 milliards d'euros."],
     ["La mise en forme du premier alinéa est modifiée (les mots ne changent pas).", "La note 1 est supprimée."],
     ["The formatting of the first paragraph is changed (not its words).", "Note 1 is deleted."]),
    ("a note completed",
     ["Voir le rapport[^a].", "[^a]: Rapport de la Cour des comptes"],
     ["Voir le rapport[^a].", "[^a]: Rapport de la Cour des comptes, juillet 2015"],
     [f"La note a est complétée par les mots{F}: {q(', juillet 2015')}."],
     ["At the end of note a, the words “, juillet 2015” are added."]),

    # -- ordinals past twenty, and tables
    ("the twelfth alinéa",
     many(14), many(11) + [many(12)[11].replace("plan", "programme")] + many(14)[12:],
     [f"Au douzième alinéa, le mot{F}: {q('plan')} est remplacé par le mot{F}: {q('programme')}."],
     ["In the twelfth paragraph, the word “plan” is replaced by the word “programme”."]),
    ("the thirtieth alinéa, in words",
     many(31), many(29) + [many(30)[29].replace("du plan", "de la feuille de route")] + many(31)[30:],
     [f"Au trentième alinéa, les mots{F}: {q('du plan')} sont remplacés par les mots{F}: {q('de la feuille de route')}."],
     ["In the thirtieth paragraph, the words “du plan” are replaced by the words “de la feuille de route”."]),
    ("alinéas past twenty deleted",
     many(23), many(20) + many(23)[22:],
     ["Les vingt et unième et vingt-deuxième alinéas sont supprimés."],
     ["The twenty-first and twenty-second paragraphs are deleted."]),
    ("the ninety-ninth alinéa",
     many(99), many(98) + [many(99)[98] + "\n\nMesure ajoutée en fin de plan."],
     [f"Après le quatre-vingt-dix-neuvième alinéa, il est inséré un alinéa ainsi rédigé{F}: {q('Mesure ajoutée en fin de plan.')}."],
     ["After the ninety-ninth paragraph, a paragraph is inserted: “Mesure ajoutée en fin de plan.”."]),
    ("a table row is an alinéa",
     ["| Jalon | Échéance |\n|---|---|\n| Format commun | 2016 |\n| Bilan annuel | 2017 |"],
     ["| Jalon | Échéance |\n|---|---|\n| Format commun | 2016 |\n| Bilan annuel | 2018 |"],
     [f"Au troisième alinéa, l'année{F}: {q('2017')} est remplacée par l'année{F}: {q('2018')}."],
     ["In the third paragraph, the year “2017” is replaced by the year “2018”."]),
    ("an ordered list item",
     ["1. Recenser les jeux de données.\n2. Les publier sur le portail."],
     ["1. Recenser les jeux de données.\n2. Les publier sur le portail national."],
     [f"Au deuxième alinéa, après le mot{F}: {q('portail')}, est inséré le mot{F}: {q('national')}."],
     ["In the second paragraph, after the word “portail”, the word “national” is inserted."]),

    # -- several changes, in order
    ("changes in several alinéas come in order",
     PLAN, plan({1: PLAN[1].replace("budgets", "comptes"), 6: PLAN[6].replace("Intérieur", "Économie")}, drop=(2,)),
     [f"Au premier alinéa, le mot{F}: {q('budgets')} est remplacé par le mot{F}: {q('comptes')}.",
      "Le deuxième alinéa est supprimé.",
      f"Au sixième alinéa, le mot{F}: {q('Intérieur')} est remplacé par le mot{F}: {q('Économie')}."],
     ["In the first paragraph, the word “budgets” is replaced by the word “comptes”.",
      "The second paragraph is deleted.",
      "In the sixth paragraph, the word “Intérieur” is replaced by the word “Économie”."]),
]


def test_the_table_is_large():
    assert len(CASES) >= 40
    assert sum(1 for c in CASES if c[4] is not None) >= 30


@pytest.mark.parametrize("name, old, new, fr, en", CASES, ids=[c[0] for c in CASES])
def test_drafting_table(name, old, new, fr, en):
    old_text, new_text = doc(old), doc(new)
    assert drafting_summary(old_text, new_text) == fr
    if en is not None:
        assert drafting_summary(old_text, new_text, "en") == en
    for sentence in fr + (en or []):  # quotes are plain text on one line
        assert "\n" not in sentence and "**" not in sentence and "- " not in sentence.replace(" - ", "")
        assert not re.search(r"\d+e\b", sentence)


# -- the front matter ------------------------------------------------------------------------------

MS_FM = ('---\nnumber: 2\ntitle: "Ouvrir les données"\naxis: rendre-des-comptes\nleads:\n  - premier-ministre\n'
         'milestones:\n  - id: format\n    title:\n      fr: "Définir un format commun"\n      en: "Define a common format"\n'
         '    due: "2016-06"\n  - id: bilan\n    title:\n      fr: "Publier un bilan"\n---\n\n')


def test_title_changed():
    new = doc(BASE, FM.replace('"Ouvrir les données"', '"Ouvrir davantage les données"'))
    assert drafting_summary(OLD, new) == [
        f"Dans l'en-tête, le titre est ainsi rédigé{NB}: {q('Ouvrir davantage les données')}."]
    assert drafting_summary(OLD, new, "en") == [
        "In the header, the title is worded as follows: “Ouvrir davantage les données”."]


def test_milestone_due_date_changed_added_and_deleted():
    old = doc(["Texte."], MS_FM)
    assert drafting_summary(old, doc(["Texte."], MS_FM.replace('"2016-06"', '"2016-12"'))) == [
        f"Dans l'en-tête, pour le jalon {q('Définir un format commun')}, l'échéance{NB}: {q('2016-06')} est "
        f"remplacée par l'échéance{NB}: {q('2016-12')}."]
    assert drafting_summary(old, doc(["Texte."], MS_FM.replace('"2016-06"', '"2016-12"')), "en") == [
        "In the header, for milestone “Define a common format”, the due date “2016-06” is replaced by the due date “2016-12”."]
    assert drafting_summary(old, doc(["Texte."], MS_FM.replace('    due: "2016-06"\n', ""))) == [
        f"Dans l'en-tête, l'échéance du jalon {q('Définir un format commun')} est supprimée."]
    added = MS_FM.replace("---\n\n", '  - id: suivi\n    title:\n      fr: "Suivre les usages"\n---\n\n')
    assert drafting_summary(old, doc(["Texte."], added)) == [
        f"Dans l'en-tête, il est ajouté un jalon{NB}: {q('Suivre les usages')}."]
    removed = MS_FM.replace('  - id: bilan\n    title:\n      fr: "Publier un bilan"\n', "")
    assert drafting_summary(old, doc(["Texte."], removed)) == [
        f"Dans l'en-tête, le jalon {q('Publier un bilan')} est supprimé."]


def test_other_front_matter_fields_changed():
    fm = FM.replace("  - premier-ministre\n---", "  - premier-ministre\n  - min-finances\n---")
    assert drafting_summary(OLD, doc(BASE, fm)) == [f"Dans l'en-tête, le champ {q('leads')} est modifié."]
    assert drafting_summary(OLD, doc(BASE, fm.replace("number: 2", "number: 3"))) == [
        f"Dans l'en-tête, les champs {q('number')}, {q('leads')} sont modifiés."]
    assert drafting_summary(OLD, doc(BASE, fm), "en") == ["In the header, the field “leads” is changed."]


def test_front_matter_and_body_changed():
    new = doc(BASE[:6], FM.replace('"Ouvrir les données"', '"Autre titre"').replace("number: 2", "number: 9"))
    assert drafting_summary(OLD, new) == [
        f"Dans l'en-tête, le titre est ainsi rédigé{NB}: {q('Autre titre')}.",
        f"Dans l'en-tête, le champ {q('number')} est modifié.",
        "Le sixième alinéa est supprimé."]


def test_real_commitment_one_word_replaced():
    old = SAMPLE.read_text(encoding="utf-8")
    new = old.replace("profite à la fois aux citoyens", "profite à la fois aux usagers", 1)
    assert new != old
    assert drafting_summary(old, new) == [
        f"Au deuxième alinéa, le mot{NB}: {q('citoyens')} est remplacé par le mot{NB}: {q('usagers')}."]
    body = old.split("\n---\n", 1)[1]
    k = next(i for i, b in enumerate(source_blocks(body)) if "profite à la fois aux citoyens" in b.text)
    assert changed_blocks(old, new) == {k}
    changed_rows = [r for r in side_by_side(old, new) if r[0] != r[1]]
    assert len(changed_rows) == 1 and "<del>citoyens</del>" in changed_rows[0][0]


def test_a_crlf_file_reads_like_an_lf_file():
    old = doc(PLAN)
    new = doc(plan({1: PLAN[1].replace("très variés", "très hétérogènes")}))
    assert drafting_summary(old.replace("\n", "\r\n"), new.replace("\n", "\r\n")) == drafting_summary(old, new)
    assert drafting_summary(old.replace("\n", "\r\n"), old) == []


def test_a_draft_without_front_matter_is_still_described():
    assert drafting_summary("Un texte.\n", "Un autre texte.\n") == [
        f"Au premier alinéa, après le mot{NB}: {q('Un')}, est inséré le mot{NB}: {q('autre')}."]
    assert drafting_summary("---\ntitle: [\n---\nUn texte.\n", "---\ntitle: ]\n---\nUn texte.\n") == ["L'en-tête est modifié."]


def test_a_huge_change_stays_cheap():
    import time
    old = doc(many(400))
    new = doc([p.replace("plan", "programme") if k % 3 else "Autre chose entièrement nouvelle ici." for k, p in enumerate(many(400))])
    start = time.perf_counter()
    out = drafting_summary(old, new)
    assert len(out) == 400 and time.perf_counter() - start < 5


# -- on the real 2015 plan, at run time ------------------------------------------------------------

def _corpus_commitment() -> str:
    from .conftest import corpus_or_skip
    root = corpus_or_skip()
    path = next(iter(sorted(root.glob("**/engagement-2.md"))), None)
    if path is None:
        pytest.skip(f"engagement-2.md is not in {root}")
    return "---\ntitle: T\n---\n\n" + path.read_text(encoding="utf-8")


def test_real_plan_one_insertion_and_one_separate_deletion_are_short():
    text = _corpus_commitment()
    body = text.split("\n---\n\n", 1)[1]
    els = drafting.elements(body)
    alineas = [e for e in els if e.kind == "alinea"]
    assert len(alineas) > 10 and all(e.kind != "alinea" or not e.text.startswith("#") for e in els)
    items = [line for line in body.split("\n") if line.startswith("- ")]
    assert len(items) >= 3, "the commitment has list items"
    # insert a new item after the first item, delete the last item
    first, last = items[0], items[-1]
    new = text.replace(first + "\n", first + "\n- Publier un tableau de bord des marchés attribués.\n", 1)
    new = new.replace("\n" + last, "", 1)
    out = drafting_summary(text, new)
    assert len(out) == 2, out
    assert out[0].startswith("Après le ") and "il est inséré un alinéa ainsi rédigé" in out[0]
    assert "Publier un tableau de bord des marchés attribués." in out[0] and len(out[0].split()) < 40
    assert out[1].endswith("alinéa est supprimé.")
    for s in out:
        assert "\n" not in s and "**" not in s and not re.search(r"\d+e\b", s)


def test_real_plan_one_word_in_a_wrapped_paragraph():
    text = _corpus_commitment()
    assert "\nconstituer une instance permanente" in text or "constituer une instance permanente" in text
    new = text.replace("instance permanente", "instance durable", 1)
    out = drafting_summary(text, new)
    assert len(out) == 1 and out[0].endswith(f"le mot{NB}: {q('permanente')} est remplacé par le mot{NB}: {q('durable')}."), out
    assert out[0].startswith("Au ") and "alinéa" in out[0]


def test_no_change_is_no_sentence():
    assert drafting_summary(OLD, OLD) == []
    assert changed_blocks(OLD, OLD) == set()
    assert all(left == right for left, right in side_by_side(OLD, OLD))


def test_blocks_deleted_touch_those_blocks():
    assert changed_blocks(OLD, doc(BASE[:3] + BASE[5:])) == {3, 4}


def test_front_matter_only_touches_no_block():
    new = doc(BASE, FM.replace("number: 2", "number: 3"))
    assert changed_blocks(OLD, new) == set()


def test_reformatted_yaml_is_no_change():
    new = doc(BASE, FM.replace('"Ouvrir les données"', "'Ouvrir les données'"))
    assert drafting_summary(OLD, new) == []


def test_changed_blocks_replace():
    assert changed_blocks(OLD, changed(4, "Un cinquième alinéa.")) == {4}


def test_side_by_side_rows_and_escaping():
    old = doc(["Titre <b>", "Un <script>alert(1)</script> & texte.", "Supprimé."])
    new = doc(["Titre <b>", "Un <script>alert(2)</script> & texte.", "Ajouté & <i>."])
    rows = side_by_side(old, new)
    assert rows[0] == ("Titre &lt;b&gt;", "Titre &lt;b&gt;")
    left, right = rows[1]
    assert "<script>" not in left + right
    assert left == "Un &lt;script&gt;alert(<del>1</del>)&lt;/script&gt; &amp; texte."
    assert right == "Un &lt;script&gt;alert(<ins>2</ins>)&lt;/script&gt; &amp; texte."
    assert "<ins>" not in left and "<del>" not in right
    assert rows[2] == ("<del>Supprimé</del>.", "<ins>Ajouté &amp; &lt;i&gt;</ins>.")


def test_side_by_side_inserted_and_deleted_blocks():
    rows = side_by_side(doc(["A.", "B <x>.", "C."]), doc(["A.", "C.", "D & E."]))
    assert rows == [("A.", "A."), ("<del>B &lt;x&gt;.</del>", ""), ("C.", "C."),
                    ("", "<ins>D &amp; E.</ins>")]


def test_around_changes_keeps_context_and_marks_gaps():
    old = "---\ntitle: T\n---\n\nA\n\nB\n\nC\n\nD\n\nE\n"
    new = "---\ntitle: T\n---\n\nA\n\nB\n\nC2\n\nD\n\nE\n"
    pairs = drafting.aligned_blocks(old, new)
    assert pairs == [("A", "A"), ("B", "B"), ("C", "C2"), ("D", "D"), ("E", "E")]
    assert drafting.around_changes(pairs) == [None, ("B", "B"), ("C", "C2"), ("D", "D"), None]
    fm = drafting.aligned_blocks(old, new.replace("title: T", "title: U"))
    assert fm[0] == ("title: T", "title: U")
    assert drafting.aligned_blocks(old, old.replace("E\n", "E\n\nF\n"))[-1] == (None, "F")


def test_real_plan_any_one_word_replaced_is_one_short_sentence():
    """Over every commitment of the 2015 plan, a word replaced anywhere (headings, list items,
    wrapped paragraphs, notes) is said in one sentence quoting that word alone."""
    import random
    from .conftest import corpus_or_skip
    files = sorted(corpus_or_skip().glob("**/engagement-*.md"))
    if not files:
        pytest.skip(f"no engagement-*.md in {corpus_or_skip()}")
    rng = random.Random(16)
    for path in files:
        text = "---\ntitle: T\n---\n\n" + path.read_text(encoding="utf-8")
        for m in rng.sample(list(re.finditer(r"(?<= )[a-zàâçéèêëîïôûù]{6,}(?=[ ,.])", text)), 3):
            new = text[:m.start()] + "remplaçant" + text[m.end():]
            word = m.group()
            fr, en = drafting_summary(text, new), drafting_summary(text, new, "en")
            assert len(fr) == 1 and len(en) == 1, (path.name, word, fr)
            said = re.search(rf"(?:le mot|les mots){NB}: «{NB}(.+?){NB}» (?:est remplacé|sont remplacés) par "
                             rf"(?:le mot|les mots){NB}: «{NB}(.+?){NB}»\.$", fr[0])
            # the word alone, or with the fewest words around it that make it found once
            assert said and word in said.group(1) and said.group(1).replace(word, "remplaçant") == said.group(2), fr
            assert len(said.group(1).split()) <= 4, fr
            assert f"“{said.group(1)}” " in en[0] and en[0].endswith(f"“{said.group(2)}”."), en
            for sentence in fr + en:
                assert "\n" not in sentence and "**" not in sentence and not re.search(r"\d+e\b", sentence)
