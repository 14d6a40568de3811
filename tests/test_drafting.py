"""review.drafting: amendment-style French sentences, touched blocks, side-by-side rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from review import drafting
from review.drafting import changed_blocks, drafting_summary, ordinal, side_by_side
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


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 11, 12, 17, 20, 21, 35)] == [
        "premier", "deuxième", "troisième", "onzième", "douzième", "dix-septième",
        "vingtième", "21e", "35e"]


def test_no_change_is_no_sentence():
    assert drafting_summary(OLD, OLD) == []
    assert changed_blocks(OLD, OLD) == set()
    assert all(left == right for left, right in side_by_side(OLD, OLD))


def test_words_replaced():
    new = changed(2, "Sa transparence profite aux usagers et aux entreprises.")
    assert drafting_summary(OLD, new) == [
        f"Au troisième alinéa, les mots {q('citoyens')} sont remplacés par les mots {q('usagers')}."]


def test_adjacent_words_replaced_are_one_change():
    new = changed(2, "Sa transparence sert les usagers et aux entreprises.")
    assert drafting_summary(OLD, new) == [
        f"Au troisième alinéa, les mots {q('profite aux citoyens')} sont remplacés "
        f"par les mots {q('sert les usagers')}."]


def test_words_replaced_are_quoted_as_in_the_source():
    new = changed(1, "La commande publique mobilise des sommes **importantes**.")
    assert drafting_summary(OLD, new) == [
        f"Au deuxième alinéa, les mots {q('considérables')} sont remplacés par les mots {q('importantes')}."]
    new = changed(1, "La commande publique mobilise des *montants* **considérables**.")
    assert drafting_summary(OLD, new) == [
        f"Au deuxième alinéa, les mots {q('sommes')} sont remplacés par les mots {q('*montants*')}."]


def test_words_deleted():
    new = changed(2, "Sa transparence profite aux citoyens.")
    assert drafting_summary(OLD, new) == [
        f"Au troisième alinéa, les mots {q('et aux entreprises')} sont supprimés."]


def test_words_inserted_after_the_words_before():
    new = changed(2, "Sa transparence profite aux citoyens, aux associations et aux entreprises.")
    assert drafting_summary(OLD, new) == [
        f"Au troisième alinéa, après les mots {q('Sa transparence profite aux citoyens')}, "
        f"sont insérés les mots {q(', aux associations')}."]
    new = changed(6, "Un septième paragraphe, complété.")
    assert drafting_summary(OLD, new) == [
        f"Au septième alinéa, après les mots {q('Un septième paragraphe')}, sont insérés les mots {q(', complété')}."]


def test_words_inserted_after_at_most_five_words():
    new = changed(3, "Les données sont déjà publiées en ligne.")
    assert drafting_summary(OLD, new) == [
        f"Au quatrième alinéa, après les mots {q('Les données sont déjà publiées')}, "
        f"sont insérés les mots {q('en ligne')}."]
    new = changed(1, "La commande publique mobilise des sommes **considérables** chaque année.")
    assert drafting_summary(OLD, new) == [
        f"Au deuxième alinéa, après les mots {q('publique mobilise des sommes **considérables**')}, "
        f"sont insérés les mots {q('chaque année')}."]


def test_words_inserted_at_the_start():
    new = changed(3, "Désormais, les données sont déjà publiées.")
    # « Les » -> « Désormais, les » is a replacement of one word, not an insertion
    assert drafting_summary(OLD, new) == [
        f"Au quatrième alinéa, les mots {q('Les')} sont remplacés par les mots {q('Désormais, les')}."]
    new = changed(3, "Désormais Les données sont déjà publiées.")
    assert drafting_summary(OLD, new) == [
        f"Au début du quatrième alinéa, sont insérés les mots {q('Désormais')}."]


def test_several_word_changes_rewrite_the_paragraph():
    new = changed(1, "La commande *publique* mobilise des sommes énormes chaque année.")
    assert drafting_summary(OLD, new) == [
        f"Le deuxième alinéa est ainsi rédigé{NB}: "
        f"{q('La commande publique mobilise des sommes énormes chaque année.')}."]


def test_one_block_inserted():
    new = doc(BASE[:3] + ["Un alinéa **nouveau**."] + BASE[3:])
    assert drafting_summary(OLD, new) == [
        f"Après le troisième alinéa, il est inséré un alinéa ainsi rédigé{NB}: {q('Un alinéa nouveau.')}."]
    assert changed_blocks(OLD, new) == {2, 3}


def test_two_blocks_inserted():
    new = doc(BASE[:3] + ["Premier ajout.", "- Second *ajout*."] + BASE[3:])
    assert drafting_summary(OLD, new) == [
        f"Après le troisième alinéa, sont insérés deux alinéas ainsi rédigés{NB}: "
        f"{q('Premier ajout.')}{NB}; {q('Second ajout.')}."]


def test_block_inserted_first_and_last():
    new = doc(["Préambule."] + BASE)
    assert drafting_summary(OLD, new) == [
        f"Avant le premier alinéa, il est inséré un alinéa ainsi rédigé{NB}: {q('Préambule.')}."]
    assert changed_blocks(OLD, new) == {0}
    new = doc(BASE + ["Fin."])
    assert drafting_summary(OLD, new) == [
        f"Après le septième alinéa, il est inséré un alinéa ainsi rédigé{NB}: {q('Fin.')}."]
    assert changed_blocks(OLD, new) == {6}


def test_blocks_inserted_into_an_empty_body():
    assert drafting_summary(doc([]), doc(["Texte."])) == [
        f"Il est inséré un alinéa ainsi rédigé{NB}: {q('Texte.')}."]
    assert changed_blocks(doc([]), doc(["Texte."])) == set()


@pytest.mark.parametrize("keep, sentence", [
    (BASE[:3] + BASE[4:], "Le quatrième alinéa est supprimé."),
    (BASE[:3] + BASE[5:], "Les quatrième et cinquième alinéas sont supprimés."),
    (BASE[:3], "Les quatrième à septième alinéas sont supprimés."),
    (BASE[1:], "Le premier alinéa est supprimé."),
])
def test_blocks_deleted(keep, sentence):
    assert drafting_summary(OLD, doc(keep)) == [sentence]


def test_blocks_deleted_touch_those_blocks():
    assert changed_blocks(OLD, doc(BASE[:3] + BASE[5:])) == {3, 4}


def test_blocks_replaced_by_other_blocks():
    new = doc(BASE[:1] + ["Un texte tout autre.", "Et un *deuxième*.", "Et un troisième."] + BASE[3:])
    assert drafting_summary(OLD, new) == [
        f"Les deuxième et troisième alinéas sont remplacés par trois alinéas ainsi rédigés{NB}: "
        f"{q('Un texte tout autre.')}{NB}; {q('Et un deuxième.')}{NB}; {q('Et un troisième.')}."]
    assert changed_blocks(OLD, new) == {1, 2}
    new = doc(BASE[:1] + ["Un texte tout autre."] + BASE[3:])
    assert drafting_summary(OLD, new) == [
        f"Les deuxième et troisième alinéas sont remplacés par un alinéa ainsi rédigé{NB}: "
        f"{q('Un texte tout autre.')}."]
    new = doc(BASE[:1] + ["Autre chose.", "Encore autre chose."] + BASE[2:])
    assert drafting_summary(OLD, new) == [
        f"Le deuxième alinéa est remplacé par deux alinéas ainsi rédigés{NB}: "
        f"{q('Autre chose.')}{NB}; {q('Encore autre chose.')}."]


def test_several_changes_one_sentence_each_in_order():
    blocks = list(BASE)
    blocks[2] = "Sa transparence profite aux usagers et aux entreprises."
    del blocks[5]
    assert drafting_summary(OLD, doc(blocks)) == [
        f"Au troisième alinéa, les mots {q('citoyens')} sont remplacés par les mots {q('usagers')}.",
        "Le sixième alinéa est supprimé."]
    assert changed_blocks(OLD, doc(blocks)) == {2, 5}


def test_title_changed():
    new = doc(BASE, FM.replace('"Ouvrir les données"', '"Ouvrir davantage les données"'))
    assert drafting_summary(OLD, new) == [
        f"Dans l'en-tête, le titre est ainsi rédigé{NB}: {q('Ouvrir davantage les données')}."]


def test_other_front_matter_fields_changed():
    fm = FM.replace("  - premier-ministre\n---",
                    "  - premier-ministre\n  - min-finances\nmilestones:\n  - id: un\n"
                    "    title: {fr: Un, en: One}\n---")
    new = doc(BASE, fm)
    assert drafting_summary(OLD, new) == [
        f"Dans l'en-tête, les champs {q('leads')}, {q('milestones')} sont modifiés."]
    new = doc(BASE, FM.replace("number: 2", "number: 3"))
    assert drafting_summary(OLD, new) == [f"Dans l'en-tête, le champ {q('number')} est modifié."]


def test_front_matter_and_body_changed():
    new = doc(BASE[:6], FM.replace('"Ouvrir les données"', '"Autre titre"').replace("number: 2", "number: 9"))
    assert drafting_summary(OLD, new) == [
        f"Dans l'en-tête, le titre est ainsi rédigé{NB}: {q('Autre titre')}.",
        f"Dans l'en-tête, le champ {q('number')} est modifié.",
        "Le septième alinéa est supprimé."]


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


def test_real_commitment_one_word_replaced():
    old = SAMPLE.read_text(encoding="utf-8")
    body = old.split("\n---\n", 1)[1]
    third = source_blocks(body)[2].text
    assert "citoyens" in third
    new = old.replace(third, third.replace("citoyens", "usagers", 1))
    assert new != old
    assert drafting_summary(old, new) == [
        f"Au troisième alinéa, les mots {q('citoyens')} sont remplacés par les mots {q('usagers')}."]
    assert changed_blocks(old, new) == {2}
    changed_rows = [r for r in side_by_side(old, new) if r[0] != r[1]]
    assert len(changed_rows) == 1 and "<del>citoyens</del>" in changed_rows[0][0]


def test_around_changes_keeps_context_and_marks_gaps():
    old = "---\ntitle: T\n---\n\nA\n\nB\n\nC\n\nD\n\nE\n"
    new = "---\ntitle: T\n---\n\nA\n\nB\n\nC2\n\nD\n\nE\n"
    pairs = drafting.aligned_blocks(old, new)
    assert pairs == [("A", "A"), ("B", "B"), ("C", "C2"), ("D", "D"), ("E", "E")]
    assert drafting.around_changes(pairs) == [None, ("B", "B"), ("C", "C2"), ("D", "D"), None]
    fm = drafting.aligned_blocks(old, new.replace("title: T", "title: U"))
    assert fm[0] == ("title: T", "title: U")
    assert drafting.aligned_blocks(old, old.replace("E\n", "E\n\nF\n"))[-1] == (None, "F")
