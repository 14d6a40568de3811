"""Build GitBook repositories with git itself, in a temporary folder, for the import tests
and benchmark: two languages with different folder names, the real-world noise of such
books (institution names spelled differently over time, hard-wrapped paragraphs, bare URLs,
links between pages, malformed footnotes, consultation quotes), sub-commitments with their
own leads, pages, a glossary, images and a cover."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 40

# (French spelling at first, the same organisation spelled later, English name)
INSTITUTIONS = [
    ("Ministère de l\u2019Intérieur ;", "Ministère de l'Intérieur", "Ministry of the Interior"),
    ("Premier\u00a0ministre", "Premier ministre", "Prime Minister"),
    ("Ministère des Finances  et des Comptes publics ;", "Ministère des Finances et des Comptes publics",
     "Ministry of Finance and Public Accounts"),
    ("Cour des comptes", "Cour des comptes", "Court of Audit"),
]
AUTHORS = [("Emmanuel Raviart", "emmanuel@example.org"), ("Laure Lucchesi", "laure@example.org"),
           ("Henri Verdier", "henri@example.org")]


def git(root: Path, *args: str, env: dict | None = None) -> str:
    full = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root), **(env or {})}
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True,
                          env=full).stdout


def axes_of(n_axes: int) -> list[dict]:
    out = []
    for i in range(1, n_axes + 1):
        themes = [{"fr": f"theme-{c}-transparence", "en": f"theme-{c}-transparency",
                   "title_fr": f"Thème {c.upper()} de l'axe {i}", "title_en": f"Theme {c.upper()} of axis {i}"}
                  for c in ("a", "b")] if i == 1 else []
        out.append({"fr": f"axe-{i}-rendre-des-comptes", "en": f"axis-{i}-accountability",
                    "title_fr": f"Axe {i} : rendre des comptes", "title_en": f"Axis {i}: be accountable",
                    "themes": themes})
    return out


def place(number: int, axes: list[dict]) -> tuple[int, int | None]:
    """(axis index, theme index) of a commitment."""
    i = (number - 1) % len(axes)
    themes = axes[i]["themes"]
    return i, ((number - 1) // len(axes)) % len(themes) if themes else None


def commitment_text(lang: str, n: int, version: int, fixed: bool, depth: int) -> str:
    """A commitment file; `version` changes a sentence, `fixed` the later spelling of names."""
    up = "../" * depth
    inst = [INSTITUTIONS[(n + k) % len(INSTITUTIONS)] for k in range(2)]
    name = (lambda x: x[1] if fixed else x[0]) if lang == "fr" else (lambda x: x[2])
    fr = lang == "fr"
    lead_head = "**Institutions porteuses** :" if fr else "**Lead institutions**:"
    lines = [f"# {'Engagement' if fr else 'Commitment'} {n}", "",
             f"## {'Titre de l’engagement' if fr else 'Title of commitment'} {n} ({'version' if fr else 'version'} {version})", ""]
    if n % 4 == 1:  # sub-commitments, each with its own leads
        for k, part in enumerate(("A", "B")):
            lines += [f"### {'Sous-engagement' if fr else 'Sub-commitment'} {part} {n}", "", lead_head,
                      f"- {name(inst[k])}", "", f"#### {'Enjeux' if fr else 'Issues'}", "",
                      f"{'Premier paragraphe coupé' if fr else 'First wrapped paragraph'} {n}{part} {'sur' if fr else 'over'}",
                      f"{'plusieurs lignes' if fr else 'several lines'} {'avec' if fr else 'with'} http://www.data.gouv.fr/ {'nue' if fr else 'bare'}.", ""]
    else:
        lines += [lead_head] + [f"- {name(x)}" for x in inst] + [""]
    lines += [f"### {'Enjeux' if fr else 'Issues'}", "",
              f"{'Un texte coupé à la main' if fr else 'A hand wrapped text'} {n} {'version' if fr else 'version'} {version}",
              f"{'sur trois lignes' if fr else 'on three lines'}[^1] {'et une adresse' if fr else 'and an address'}",
              "www.etalab.gouv.fr sans lien.", "",
              f"#### {'Feuille de route' if fr else 'Roadmap'}", "",
              f"- {'Publier les données' if fr else 'Publish the data'} {n}",
              f"  - {'sous-étape' if fr else 'sub-step'} _[[{'suivi' if fr else 'tracking'}](https://github.com/etalab/plan/issues/{n})]_",
              "", f"> « {'Une contribution à la consultation' if fr else 'A contribution to the consultation'} {n} »", "",
              f"Association Regards Citoyens, [{'contribution' if fr else 'contribution'} #{n}](http://contribuez.example.org/{n})",
              "", "----", "",
              f"{'Voir l’' if fr else 'See the '}[{'annexe méthodologique' if fr else 'methodology annex'}]({up}{'methodologie' if fr else 'methodology'}.md)"
              f" {'et l’' if fr else 'and the '}[{'introduction' if fr else 'introduction'}]({up}introduction.md).", "",
              f"[^1] http://www.example.org/{lang}/{n}", ""]  # a footnote without its colon
    return "\n".join(lines)


def book_files(n_commitments: int, version: int = 1, fixed: bool = False, languages=("fr", "en"),
               n_axes: int = 3, present: int | None = None) -> dict[str, bytes]:
    """One state of the book: `present` commitments written so far (default all)."""
    axes = axes_of(n_axes)
    present = n_commitments if present is None else present
    files: dict[str, bytes] = {"book.json": b'{"title": "Plan", "plugins": []}\n'}
    files["LANGS.md"] = "".join(f"* [{'Français' if l == 'fr' else 'English'}]({l}/)\n" for l in languages).encode()
    for lang in languages:
        fr = lang == "fr"
        key, tkey = lang, f"title_{lang}"
        summary = [f"# {'Pour une action publique transparente' if fr else 'For a transparent public action'}", "",
                   f"- [{'À propos' if fr else 'About'}](README.md)",
                   f"- [{'Préface' if fr else 'Foreword'}]({'preface' if fr else 'foreword'}.md)",
                   "- [Introduction](introduction.md)"]
        files[f"{lang}/README.md"] = (f"# {'À propos de ce livre' if fr else 'About this book'}\n\n"
                                      f"{'Ce livre numérique' if fr else 'This digital book'}\n"
                                      f"{'présente le plan.' if fr else 'presents the plan.'}\n").encode()
        files[f"{lang}/{'preface' if fr else 'foreword'}.md"] = (
            f"# {'Préface' if fr else 'Foreword'}\n\n{'Le Premier ministre' if fr else 'The Prime Minister'}\n"
            f"{'présente le plan, voir' if fr else 'presents the plan, see'} https://www.gouvernement.fr\n").encode()
        files[f"{lang}/introduction.md"] = (
            f"# Introduction\n\n{'Le plan compte' if fr else 'The plan has'} {n_commitments} "
            f"{'engagements' if fr else 'commitments'} ([{'engagement 1' if fr else 'commitment 1'}]"
            f"({axes[0][key]}/{axes[0]['themes'][0][key]}/{'engagement' if fr else 'commitment'}-1.md)).\n").encode()
        for i, axis in enumerate(axes):
            summary.append(f"- [{axis[tkey]}]({axis[key]}/README.md)")
            files[f"{lang}/{axis[key]}/README.md"] = (f"# {axis[tkey]}\n\n{'Introduction de l’axe' if fr else 'Introduction of axis'} {i + 1}\n"
                                                     f"{'coupée en deux lignes.' if fr else 'wrapped on two lines.'}\n").encode()
            groups = [(j, t) for j, t in enumerate(axis["themes"])] or [(None, None)]
            for j, theme in groups:
                folder = f"{axis[key]}/{theme[key]}" if theme else axis[key]
                if theme:
                    summary.append(f"    * [{theme[tkey]}]({folder}/README.md)")
                    files[f"{lang}/{folder}/README.md"] = (f"# {theme[tkey]}\n\n{'Introduction du thème' if fr else 'Introduction of the theme'} "
                                                          f"{theme[key]}.\n").encode()
                for n in range(1, present + 1):
                    if place(n, axes) != (i, j):
                        continue
                    depth = folder.count("/") + 1
                    name = f"{'engagement' if fr else 'commitment'}-{n}.md"
                    summary.append(f"{'        ' if theme else '    '}- [{'Engagement' if fr else 'Commitment'} {n}]({folder}/{name})")
                    files[f"{lang}/{folder}/{name}"] = commitment_text(lang, n, version, fixed, depth).encode()
        meth = "methodologie" if fr else "methodology"
        summary += [f"- [{'Annexe : méthode' if fr else 'Annex: method'}]({meth}.md)",
                    f"- [{'Glossaire' if fr else 'Glossary'}](GLOSSARY.md)"]
        files[f"{lang}/{meth}.md"] = (f"# {'Annexe : méthode' if fr else 'Annex: method'}\n\n"
                                      f"{'Les ateliers en photos' if fr else 'The workshops in pictures'}:\n\n"
                                      f"![{'atelier' if fr else 'workshop'}](images/atelier-1.png)\n").encode()
        files[f"{lang}/images/atelier-1.png"] = PNG + lang.encode()
        files[f"{lang}/GLOSSARY.md"] = (f"## API\n\n{'Interface de programmation' if fr else 'Programming interface'}.\n\n"
                                        f"## Open data\n\n{'Données ouvertes' if fr else 'Data anyone may use'}.\n").encode()
        files[f"{lang}/cover.jpg"] = JPG + lang.encode()
        files[f"{lang}/cover_small.png"] = PNG + b"small" + lang.encode()
        files[f"{lang}/SUMMARY.md"] = ("\n".join(summary) + "\n").encode()
    return files


class GitBookRepo:
    """A GitBook work tree made with git; `commit(files)` replaces the whole tree."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True)
        git(root, "init", "-q", "-b", "master")
        self.commits: list[dict] = []

    def commit(self, files: dict[str, bytes], message: str, author: tuple[str, str], when: dt.datetime) -> str:
        for p in self.root.rglob("*"):
            if p.is_file() and ".git" not in p.relative_to(self.root).parts:
                p.unlink()
        for path, data in files.items():
            f = self.root / path
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(data)
        git(self.root, "add", "-A")
        stamp = when.isoformat()
        env = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": stamp,
               "GIT_COMMITTER_NAME": "GitBook", "GIT_COMMITTER_EMAIL": "bot@gitbook.example", "GIT_COMMITTER_DATE": stamp}
        git(self.root, "commit", "-q", "--allow-empty", "-m", message, env=env)
        oid = git(self.root, "rev-parse", "HEAD").strip()
        self.commits.append({"id": oid, "author": author, "when": when, "message": message, "files": files})
        return oid


def build(root: Path, n_commits: int = 6, n_commitments: int = 5, n_axes: int = 3) -> GitBookRepo:
    """A history: an empty first commit, the book growing commitment by commitment, text
    revisions, one commit that changes nothing imported (book.json), and a late commit that
    fixes the spelling of the institutions' names."""
    repo = GitBookRepo(root)
    start = dt.datetime(2015, 6, 8, 10, 21, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    repo.commit({"README.md": b"# Plan\n"}, "Premier commit vide", AUTHORS[0], start)
    body_commits = max(n_commits - 3, 1)
    state = None
    for k in range(body_commits):
        present = min(n_commitments, max(1, round(n_commitments * (k + 1) / max(body_commits // 2, 1))))
        version = 1 + max(0, k - body_commits // 2)
        state = book_files(n_commitments, version=version, present=present, n_axes=n_axes)
        repo.commit(state, f"Version {k + 1} du plan", AUTHORS[k % len(AUTHORS)], start + dt.timedelta(days=k + 1, hours=k))
    noise = dict(state)
    noise["book.json"] = b'{"title": "Plan", "plugins": ["ga"]}\n'
    repo.commit(noise, "Configurer GitBook", AUTHORS[1], start + dt.timedelta(days=body_commits + 1))
    fixed = book_files(n_commitments, version=version, fixed=True, n_axes=n_axes)
    fixed["book.json"] = noise["book.json"]
    repo.commit(fixed, "Corriger la typographie des institutions", AUTHORS[2], start + dt.timedelta(days=body_commits + 2))
    return repo
