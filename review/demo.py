"""A little life for the demo deployment: comments, amendments, approvals, a merge, a report.

Everything goes through the same core functions as the web, so the demo's history is
exactly what real use would write (and `review verify` finds it clean).
"""

from __future__ import annotations

from . import amendments as am
from . import comments, commitment, progress, signoff
from .deployment import Deployment


def _replace(repo, path: str, old: str, new: str) -> str:
    text = repo.read_file(repo.resolve("main"), path).decode("utf-8")
    if old not in text:
        raise ValueError(f"demo: {old!r} is not in {path}")
    return text.replace(old, new, 1)


def seed(dep: Deployment) -> list[str]:
    """Write the demo's activity; returns one line per thing done, for the command's output."""
    repo = dep.open_repo()
    people = commitment.read_plan(repo, repo.resolve("main")).people
    done = []

    c = comments.add(repo, people["karim"], "engagement-02", "Quels jeux de données seront publiés en premier ?",
                     anchor="p-8", stance="neutral")
    comments.add(repo, people["antoine"], "engagement-02", "Les annonces du BOAMP, dès cette année.", reply_to=c.id)
    done.append("a comment by karim on commitment 2, answered by antoine")

    fr4 = "commitments/engagement-04/fr.md"
    a = am.propose(repo, people["lucie"], "engagement-04", "Publier aussi les cahiers des charges",
                   "Pour qu'on puisse juger une évaluation, il faut savoir ce qu'on lui demandait.",
                   {fr4: _replace(repo, fr4, "les évaluations de la MAP.",
                                  "les évaluations de la MAP, ainsi que leurs cahiers des charges.")})
    signoff.give_verdict(repo, people["antoine"], a.number, a.head, "approve", "D'accord.")
    signoff.give_verdict(repo, people["sophie"], a.number, a.head, "approve")
    signoff.merge(repo, people["claire"], a.number, a.head)
    done.append(f"amendment {a.number} by lucie, approved by antoine and sophie, merged by claire")

    fr15 = "commitments/engagement-15/fr.md"
    b = am.propose(repo, people["karim"], "engagement-15", "Nommer les données de référence",
                   "Le texte gagne à dire lesquelles.",
                   {fr15: _replace(repo, fr15, "## Feuille de route", "## Feuille de route et calendrier")})
    done.append(f"amendment {b.number} by karim, open, waiting for approvals")

    progress.report(repo, people["antoine"], "engagement-04", "substantial",
                    "L'Observatoire recense déjà la plupart des évaluations.",
                    ["https://www.modernisation.gouv.fr/"], milestone="observatoire-evaluation")
    done.append("a progress report by antoine on commitment 4")
    return done


DEMO_ADDRESSES = {h: (f"{h}@example.org", "en" if h == "sophie" else "fr")
                  for h in ("claire", "antoine", "ines", "sophie", "karim", "lucie", "paul")}
DEMO_BASE_URL = "http://127.0.0.1:5000"


def seed_mail(dep: Deployment) -> list[str]:
    """Confirmed demo addresses (name@example.org) and the demo's messages written as .eml files
    into DIR/outbox/ (no MAIL_SERVER), so that a newcomer can read them."""
    from . import mailer
    config = dep.instance_path / "config.py"
    if mailer.read_config(dep.instance_path).get("BASE_URL") is None:
        with open(config, "a", encoding="utf-8") as f:
            f.write(f"BASE_URL = {DEMO_BASE_URL!r}  # the demo's address (scripts/demo.sh); links in e-mail use it\n")
    mailer.seed_demo(dep, DEMO_ADDRESSES)
    settings = mailer.read_settings(dep)
    report = mailer.run_once(dep, settings)  # derives the notifications of the activity above from git
    report.add(mailer.digest(dep, settings, include_today=True))
    report.add(mailer.send(dep, settings))
    return [f"e-mail addresses confirmed for {', '.join(DEMO_ADDRESSES)} (@example.org)",
            f"{report.sent} message(s) written into {settings.folder}/ ({report.digests} daily digest(s))"]
