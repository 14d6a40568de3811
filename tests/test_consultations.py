"""Consultations of the public: windows, scope, stances, reasoned responses, participants."""

from __future__ import annotations

import datetime as dt

import pytest

from review import accounts, consultations as cons, participants, verify
from review import commitment as core
from review.errors import Busy, Conflict, Forbidden, Invalid
from review.model import Person

TODAY = dt.date(2026, 3, 1)


def people(repo):
    return core.read_plan(repo, core.resolve(repo, "main")).people


def open_consultation(repo, cid="c1", scope="plan", commitments_=None, closes_in=10):
    """A consultation announced 15 days ago that opened yesterday (the notice dated in the past)."""
    claire = people(repo)["claire"]
    return cons.announce(repo, claire, cid, "Consultation sur le plan", TODAY - dt.timedelta(days=1),
                         TODAY + dt.timedelta(days=closes_in), title_en="Consultation on the plan",
                         scope=scope, commitments_=commitments_, announced=TODAY - dt.timedelta(days=15))


@pytest.fixture
def parts(dep):
    return participants.Participants(dep)


def make(parts, repo, name):
    claire = people(repo)["claire"]
    p, password = parts.add(claire, name, email=f"{name}@example.org")
    return p.person(), password


def test_the_notice_is_enforced(repo):
    claire = people(repo)["claire"]
    with pytest.raises(Invalid) as exc:
        cons.announce(repo, claire, "early", "Trop tôt", TODAY + dt.timedelta(days=13), TODAY + dt.timedelta(days=30),
                      announced=TODAY)
    assert exc.value.code == "consultation.short_notice"
    c = cons.announce(repo, claire, "ok", "À temps", TODAY + dt.timedelta(days=14), TODAY + dt.timedelta(days=30),
                      announced=TODAY)
    assert c.state(TODAY) == "announced"
    assert c.state(TODAY + dt.timedelta(days=14)) == "open"
    assert c.state(TODAY + dt.timedelta(days=30)) == "open"
    assert c.state(TODAY + dt.timedelta(days=31)) == "closed"
    with pytest.raises(Conflict):
        cons.announce(repo, claire, "ok", "Encore", TODAY + dt.timedelta(days=20), TODAY + dt.timedelta(days=30),
                      announced=TODAY)


def test_only_coordinators_announce(repo):
    with pytest.raises(Forbidden):
        cons.announce(repo, people(repo)["karim"], "x", "T", TODAY + dt.timedelta(days=20),
                      TODAY + dt.timedelta(days=30), announced=TODAY)


def test_participants_contribute_only_while_open_and_in_scope(repo, parts):
    alice, _ = make(parts, repo, "alice")
    claire = people(repo)["claire"]
    cons.announce(repo, claire, "later", "Plus tard", TODAY + dt.timedelta(days=20), TODAY + dt.timedelta(days=30),
                  announced=TODAY)
    with pytest.raises(Forbidden) as exc:
        cons.contribute_comment(repo, alice, "later", "engagement-01", "Trop tôt", today=TODAY)
    assert exc.value.code == "consultation.not_open"
    open_consultation(repo, scope="commitments", commitments_=["engagement-01"])
    x = cons.contribute_comment(repo, alice, "c1", "engagement-01", "Une idée", anchor="p-1", today=TODAY)
    assert x.author == "~alice" and x.commitment == "engagement-01" and x.waiting
    with pytest.raises(Forbidden) as exc:
        cons.contribute_comment(repo, alice, "c1", "engagement-02", "Ailleurs", today=TODAY)
    assert exc.value.code == "consultation.out_of_scope"
    with pytest.raises(Forbidden) as exc:  # after the closing date
        cons.contribute_comment(repo, alice, "c1", "engagement-01", "Tard", today=TODAY + dt.timedelta(days=11))
    assert exc.value.code == "consultation.not_open"
    # outside a consultation a participant only reads
    from review import comments
    with pytest.raises(Forbidden) as exc:
        comments.add(repo, alice, "engagement-01", "Hors consultation")
    assert exc.value.code == "permission.participant"


def test_amendment_contribution_and_one_stance_per_person(repo, parts):
    alice, _ = make(parts, repo, "alice")
    bob, _ = make(parts, repo, "bob")
    open_consultation(repo)
    text = repo.read_file(core.resolve(repo, "main"), "commitments/engagement-01/fr.md").decode()
    a = cons.contribute_amendment(repo, alice, "c1", "engagement-01", "Mieux dire", "Parce que",
                                  {"commitments/engagement-01/fr.md": text + "\nUn ajout.\n"}, today=TODAY)
    assert a.kind == "amendment" and a.amendment
    assert cons.take_stance(repo, bob, "c1", a.key, "support", today=TODAY).supports == 1
    with pytest.raises(Invalid):
        cons.take_stance(repo, bob, "c1", a.key, "support", today=TODAY)
    x = cons.take_stance(repo, bob, "c1", a.key, "oppose", today=TODAY)
    assert (x.supports, x.oppositions) == (0, 1)
    with pytest.raises(Invalid) as exc:
        cons.take_stance(repo, alice, "c1", a.key, "support", today=TODAY)
    assert exc.value.code == "consultation.own_contribution"
    with pytest.raises(Forbidden):
        cons.take_stance(repo, bob, "c1", a.key, "support", today=TODAY + dt.timedelta(days=30))


def test_responses_are_required_before_answered(repo, parts):
    alice, _ = make(parts, repo, "alice")
    claire, karim, ines = (people(repo)[h] for h in ("claire", "karim", "ines"))
    open_consultation(repo)
    x = cons.contribute_comment(repo, alice, "c1", "engagement-01", "Une idée", today=TODAY)
    y = cons.contribute_comment(repo, alice, "c1", "engagement-02", "Une autre", today=TODAY)
    with pytest.raises(Conflict) as exc:
        cons.mark_answered(repo, claire, "c1", today=TODAY)
    assert exc.value.code == "consultation.not_closed"
    cons.close(repo, claire, "c1", today=TODAY)
    with pytest.raises(Forbidden):
        cons.respond(repo, karim, "c1", x.key, "not-retained", "Non")
    with pytest.raises(Invalid) as exc:
        cons.respond(repo, claire, "c1", x.key, "retained", "Oui")
    assert exc.value.code == "consultation.no_link"
    with pytest.raises(Invalid):
        cons.respond(repo, claire, "c1", x.key, "not-retained", "  ")
    cons.respond(repo, claire, "c1", x.key, "retained", "Repris", carried_by="commitments/engagement-01")
    with pytest.raises(Conflict) as exc:
        cons.mark_answered(repo, claire, "c1", today=TODAY)
    assert exc.value.code == "consultation.waiting"
    lead = core.leads_on_main(repo, "engagement-02")
    responder = next(p for p in people(repo).values() if p.organisation in lead and p.has("member")) \
        if lead and any(p.organisation in lead for p in people(repo).values()) else claire
    cons.respond(repo, responder, "c1", y.key, "out-of-scope", "Hors du plan")
    done = cons.mark_answered(repo, claire, "c1", today=TODAY)
    assert done.state(TODAY) == "answered"
    figures = cons.participation(repo, "c1")
    assert (figures.contributions, figures.answered, figures.waiting, figures.participants) == (2, 2, 0, 1)
    assert "retained" in cons.report_csv(repo, "c1")
    report = verify.verify(repo.path)
    assert report.clean, report.text()
    del ines


def test_moderation_leaves_a_stub(repo, parts):
    alice, _ = make(parts, repo, "alice")
    open_consultation(repo)
    x = cons.contribute_comment(repo, alice, "c1", "engagement-01", "Propos", today=TODAY)
    with pytest.raises(Forbidden):
        cons.hide_contribution(repo, people(repo)["karim"], "c1", x.key, "spam")
    hidden = cons.hide_contribution(repo, people(repo)["lucie"], "c1", x.key, "hors sujet")
    assert hidden.hidden["reason"] == "hors sujet" and not hidden.waiting
    assert hidden.as_json()["text"] is None


def test_registration_and_contribution_throttles(dep, repo, parts):
    claire = people(repo)["claire"]
    for i in range(accounts.REGISTRATION_POLICY.free + 1):  # the first `free` cost nothing, the next locks
        parts.add(claire, f"p{i:02d}", address="10.0.0.1")
    with pytest.raises(Busy) as exc:
        parts.add(claire, "onemore", address="10.0.0.2")  # the coordinator's own count
    assert exc.value.code == "participant.throttled"
    store = parts.accounts
    for _ in range(accounts.CONTRIBUTION_POLICY.free + 1):
        participants.throttle_contribution(store, "~p00", "10.0.0.9")
    with pytest.raises(Busy):
        participants.throttle_contribution(store, "~p00", "10.0.0.9")
    participants.throttle_contribution(store, "~p01", "10.0.0.9")  # another account still goes


def test_pseudonyms_are_checked_and_unique(repo, parts):
    claire = people(repo)["claire"]
    with pytest.raises(Invalid):
        parts.add(claire, "Bad Name!")
    with pytest.raises(Invalid):
        parts.add(claire, "okname", email="not-an-address")
    with pytest.raises(Conflict):
        parts.add(claire, "karim")  # a handle of plan.yaml
    parts.add(claire, "alice")
    with pytest.raises(Conflict):
        parts.add(claire, "alice")
    with pytest.raises(Forbidden):
        parts.add(people(repo)["karim"], "carol")


def test_deleting_an_account_keeps_the_contributions(repo, parts):
    alice, password = make(parts, repo, "alice")
    open_consultation(repo)
    cons.contribute_comment(repo, alice, "c1", "engagement-01", "Reste", today=TODAY)
    store = parts.accounts
    token = store.create_token("~alice")[1]
    assert store.check_password("~alice", password) and store.authenticate_token(token) == "~alice"
    with pytest.raises(Forbidden):
        parts.delete(people(repo)["claire"], "~alice")
    parts.delete(alice, "~alice")
    assert not store.check_password("~alice", password) and store.authenticate_token(token) is None
    gone = parts.get("alice")
    assert gone.deleted and gone.email is None and parts.person("~alice") is None
    assert [x.author for x in cons.contributions(repo, "c1")] == ["~alice"]
    with pytest.raises(Conflict):  # the pseudonym stays reserved
        parts.add(people(repo)["claire"], "alice")
    import subprocess
    everything = subprocess.run(["git", "--git-dir", str(repo.path), "log", "--all", "-p", "--format=%an %ae%n%B"],
                                capture_output=True, check=True).stdout
    assert b"~alice" in everything and b"alice@example.org" not in everything  # git holds the pseudonym only


def test_verify_flags_a_participant_outside_a_consultation(repo):
    from review import reviewlog
    reviewlog.append(repo, reviewlog.commitment_log("engagement-01"), reviewlog.identity("~mallory", "~mallory"),
                     "~mallory", "comment-resolve", {"target": "0" * 12}, "forged")
    report = verify.verify(repo.path)
    assert "participant-outside-consultation" in {v.code for v in report.violations}


def test_cli_participant_add_and_review_verify_stays_clean(deployment_dir, dep, repo):
    from .test_verify import run_cli
    run = run_cli("participant", "add", str(deployment_dir), "zoe", "--email", "zoe@example.org")
    assert run.returncode == 0, run.stderr
    password = run.stdout.strip().splitlines()[-1]
    assert "~zoe" in run.stdout and accounts.Accounts(dep).check_password("~zoe", password)
    assert participants.Participants(dep).get("zoe").email == "zoe@example.org"
    again = run_cli("participant", "add", str(deployment_dir), "zoe")
    assert again.returncode == 1 and "taken" in again.stderr
    bad = run_cli("participant", "add", str(deployment_dir), "Zoé!")
    assert bad.returncode == 1 and "not a pseudonym" in bad.stderr
    open_consultation(repo)
    zoe = participants.Participants(dep).person("~zoe")
    x = cons.contribute_comment(repo, zoe, "c1", "engagement-01", "Une idée", today=TODAY)
    cons.close(repo, people(repo)["claire"], "c1", today=TODAY)
    cons.respond(repo, people(repo)["claire"], "c1", x.key, "not-retained", "Non, parce que.")
    cons.mark_answered(repo, people(repo)["claire"], "c1", today=TODAY)
    run = run_cli("verify", str(repo.path))
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_self_assessment_counts_the_consultations_of_its_term(repo, parts):
    from review import selfassessment
    alice, _ = make(parts, repo, "alice")
    bob, _ = make(parts, repo, "bob")
    open_consultation(repo)
    a = cons.contribute_comment(repo, alice, "c1", "engagement-01", "Une idée", today=TODAY)
    cons.contribute_comment(repo, bob, "c1", "engagement-02", "Une autre", today=TODAY)
    cons.take_stance(repo, bob, "c1", a.key, "support", today=TODAY)
    cons.respond(repo, people(repo)["claire"], "c1", a.key, "not-retained", "Hors calendrier.")
    [k] = selfassessment.build(repo, "2026-01-01").consultations
    assert (k.id, k.opens, k.contributions, k.supports, k.oppositions, k.waiting) == ("c1", "2026-02-28", 2, 1, 0, 1)
    assert k.responses == {"not-retained": 1} and k.participants == 2
    # a term that starts after it closed (2026-03-11), every event known: not held during the term
    assert selfassessment.build(repo, "2026-04-01").consultations == []
    assert [k.id for k in selfassessment.build(repo, "2026-03-11").consultations] == ["c1"]  # its last day


def test_an_announcement_and_a_contribution_notify_the_people_of_the_plan(dep, repo, parts):
    from review import notifications
    p = people(repo)
    notifications.set_watch(dep, p["paul"], "plan", False)  # paul stopped watching the plan
    alice, _ = make(parts, repo, "alice")
    open_consultation(repo)
    x = cons.contribute_comment(repo, alice, "c1", "engagement-01", "Une idée pour @karim", today=TODAY)
    notes = notifications.since(dep, 0)
    told = {n.handle for n in notes if n.kind == "consultation"}
    assert told == set(p) - {"claire", "paul"}  # not the coordinator who announced it, not paul
    [ann] = [n for n in notes if n.kind == "consultation" and n.handle == "karim"]
    assert ann.path == "/consultations/c1" and ann.title["en"] == "Consultation on the plan"
    [mention] = [n for n in notes if n.kind == "mention"]
    assert (mention.handle, mention.actor) == ("karim", "~alice")
    assert mention.path == f"/consultations/c1#{x.key}"
    assert not any(n.handle.startswith("~") for n in notes)  # participants are not notified here


def test_a_contributed_amendment_is_hidden_by_a_moderator_with_a_stub(dep, repo, parts):
    from review.web import create_app
    alice, _ = make(parts, repo, "alice")
    open_consultation(repo)
    text = repo.read_file(core.resolve(repo, "main"), "commitments/engagement-01/fr.md").decode()
    x = cons.contribute_amendment(repo, alice, "c1", "engagement-01", "Titre injurieux", "Motif injurieux",
                                  {"commitments/engagement-01/fr.md": text + "\nUn ajout.\n"}, today=TODAY)
    before = repo.ref_target(cons.log_ref("c1"))
    with pytest.raises(Forbidden):
        cons.hide_contribution(repo, people(repo)["karim"], "c1", x.key, "injurieux")
    with pytest.raises(Invalid):
        cons.hide_contribution(repo, people(repo)["lucie"], "c1", x.key, "  ")
    assert repo.ref_target(cons.log_ref("c1")) == before  # a refused hide writes nothing
    hidden = cons.hide_contribution(repo, people(repo)["lucie"], "c1", x.key, "injurieux")
    assert hidden.hidden["reason"] == "injurieux" and hidden.hidden["by"] == "lucie" and not hidden.waiting
    assert hidden.as_json()["text"] is None and "Motif injurieux" not in cons.report_csv(repo, "c1")
    with pytest.raises(Conflict):
        cons.hide_contribution(repo, people(repo)["lucie"], "c1", x.key, "encore")
    page = create_app(dep.root, {"TESTING": True}).test_client().get(f"/amendments/{x.amendment}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "injurieux" in html
    assert "Titre injurieux" not in html and "Motif injurieux" not in html
    report = verify.verify(repo.path)
    assert report.clean, report.text()
