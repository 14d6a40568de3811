"""The catalogue of the core's messages: each code names one English template.

A core error carries a code and its parameters (`Invalid("amendment.missing", number=3)`); its
English text, which the JSON API and the command line show, is the template filled with the
parameters. The web translates the template with gettext (msgid = the English template, French
in review/web/translations/fr/LC_MESSAGES/messages.po) and fills it the same way.

A parameter may itself be a coded message (`reason`, `problem` below): it is translated first.
Parameters written in quotes in the text (`{x!r}` once) are passed already quoted. Field names
inside messages (YAML keys, API fields) stay as they are in every language.
tests/test_messages.py checks that every code raised in the source is here with the parameters
its template needs, and that every template has a French translation.
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Marks a template for `pybabel extract` (Babel's default keyword); the core does not translate."""
    return text


CATALOGUE: dict[str, str] = {
    # -- review/accounts.py
    "account.password_short": N_("the password is too short: use at least %(n)s characters"),
    "account.password_long": N_("the password is too long: use at most %(n)s characters"),
    "account.not_a_person": N_("%(handle)s is not a person of plan.yaml on main: add them to plan.yaml (through an "
                               "amendment) before creating their account"),
    "account.exists": N_("%(handle)s already has an account: use 'review user passwd' to change the password"),
    "account.missing": N_("%(handle)s has no account: create it with 'review user add'"),
    "account.token_name_long": N_("the token name is too long: use at most %(n)s characters"),

    # -- review/amendments.py
    "amendment.missing": N_("there is no amendment %(number)s"),
    "amendment.no_files": N_("files must map at least one path of the plan to its full new text"),
    "amendment.outside_plan": N_("%(path)s is outside the plan: amendments change plan.yaml, commitments/<id>/fr.md "
                                 "and en.md, pages/<slug>/fr.md and en.md, or assets/<image>"),
    "amendment.removes_file": N_("%(path)s: removing a file is not something an amendment can do here; send its full "
                                 "new text"),
    "amendment.not_utf8": N_("%(path)s: the text is not valid UTF-8"),
    "amendment.not_text": N_("%(path)s: the text must be a string"),
    "amendment.file_too_big": N_("%(path)s is %(size)s bytes; the limit is %(limit)s bytes (200 KB)"),
    "amendment.bad_format": N_("the text does not fit the plan's format: %(problems)s"),
    "amendment.no_title": N_("give the amendment a title"),
    "amendment.title_long": N_("the title is too long: at most %(n)s characters"),
    "amendment.title_lines": N_("the title must be one line, without control characters"),
    "amendment.rationale_not_text": N_("the rationale must be text"),
    "amendment.rationale_long": N_("the rationale is too long: at most %(n)s characters"),
    "amendment.unknown_commitment": N_("there is no commitment %(commitment)s in the plan"),
    "amendment.identical": N_("the text is identical to the plan: change something before proposing"),
    "amendment.number_busy": N_("could not allocate an amendment number: try again"),
    "amendment.bad_target": N_("%(commitment)s is not a commitment id: push to refs/for/<commitment-id> (for instance "
                               "refs/for/engagement-04), or refs/for/%(plan)s to amend plan.yaml"),
    "amendment.unrelated_history": N_("this commit shares no history with the plan: clone the plan and commit on top "
                                      "of main"),
    "amendment.already_in_plan": N_("this commit is already part of the plan: commit your change on top of main first"),
    "amendment.no_expected_revision": N_("say which revision you edited (expected_revision): it guards against "
                                         "overwriting someone else's revision"),
    "amendment.changed_since_revision": N_("this amendment changed since you opened it: reload it and apply your "
                                           "changes again (current revision %(revision)s)"),
    "amendment.nothing_changed": N_("nothing changed compared to the current revision"),
    "amendment.changed_since": N_("this amendment changed since you opened it: reload it and apply your changes "
                                  "again"),
    "amendment.became": N_("the amendment became %(state)s meanwhile: reload it"),
    "amendment.no_reject_reason": N_("give the reason for rejecting: the author and the public will read it"),
    "amendment.changed_reload": N_("this amendment changed since you opened it: reload it"),
    "amendment.up_to_date": N_("the amendment is already up to date with the plan"),
    "amendment.changed_meanwhile": N_("this amendment changed meanwhile: reload it"),
    "amendment.recorded_merged": N_("amendment %(number)s is recorded as merged already"),
    "amendment.irregular_mode": N_("%(path)s would be %(kind)s (mode %(mode)s): the plan holds only regular files "
                                   "(mode 100644); make it a plain, non-executable file (git update-index "
                                   "--chmod=-x, or replace the link by the file) and commit again"),

    # -- review/audit.py
    "audit.too_long": N_("%(key)s is too long"),
    "audit.bad_date": N_("%(key)s must be a date written YYYY-MM-DD, for example 2016-07-16, not %(value)s"),
    "audit.bad_amendment": N_("amendment must be an amendment number, not %(value)s"),
    "audit.since_after_until": N_("since is after until: give since on or before until"),
    "audit.page_not_number": N_("page and per_page must be whole numbers"),
    "audit.page_range": N_("page starts at 1 and per_page is from 1 to %(maximum)s"),

    # -- review/cursors.py (lists read with ?after=&limit=)
    "cursor.bad": N_("after must be the cursor a previous page gave (its next link or the API's next field), "
                     "copied whole; leave it out for the first page"),
    "cursor.bad_limit": N_("limit must be a whole number from 1 to %(maximum)s"),
    "cursor.not_in_list": N_("after names nothing in this list (it comes from another list or version): "
                             "leave it out to start from the first page"),

    # -- review/comments.py
    "comment.missing": N_("no comment %(comment)s on %(commitment)s"),
    "comment.empty": N_("the comment is empty: write something"),
    "comment.too_long": N_("the comment is %(length)s characters long; the limit is %(limit)s"),
    "comment.not_utf8": N_("the comment is not valid UTF-8 text"),
    "comment.bad_stance": N_("stance must be one of %(choices)s (or left out), not %(value)s"),
    "comment.answer_fields": N_("an answer on a progress report takes no reply_to, anchor or quote"),
    "comment.bad_lang": N_("lang must be one of %(choices)s"),
    "comment.unknown_revision": N_("revision %(revision)s does not exist: give a commit id, a tag or 'main'"),
    "comment.no_paragraphs": N_("this discussion has no paragraphs to anchor in: leave anchor and quote out"),
    "comment.no_commitment_at": N_("no commitment %(commitment)s at revision %(revision)s"),
    "comment.reply_anchor": N_("a reply takes its thread's place: leave anchor and quote out"),
    "comment.bad_anchor": N_("anchor %(anchor)s is not a paragraph of this revision (p-1 to p-%(last)s)"),
    "comment.quote_long": N_("the quote must be text of at most %(n)s characters"),
    "comment.quote_not_found": N_("the quoted words are not in paragraph %(anchor)s of this revision: quote them "
                                  "exactly"),
    "comment.quote_no_anchor": N_("a quote needs the anchor of its paragraph (p-1, p-2, ...)"),
    "comment.reply_missing": N_("there is no comment %(comment)s to reply to on %(commitment)s"),
    "comment.reply_hidden": N_("this comment was hidden by moderation: it takes no more replies"),
    "comment.hidden": N_("this comment was hidden by moderation"),
    "comment.same_text": N_("the new text is the same as the current one"),
    "comment.resolve_reply": N_("resolve the thread's first comment, not a reply"),
    "comment.resolved_already": N_("this thread is already resolved"),
    "comment.open_already": N_("this thread is open already"),
    "comment.no_hide_reason": N_("give the reason for hiding this comment: it is shown in its place"),
    "moderation.reason_long": N_("the reason is too long: at most %(n)s characters"),

    # -- review/gitrepo.py (its errors carry English text; review.errors.coded names their code)
    "repository.damaged": N_("the repository is damaged: object %(oid)s is %(problem)s; an administrator must "
                             "restore it"),
    "ref.locked": N_("%(ref)s is locked by another write: try again in %(n)s seconds"),
    "disk.full": N_("the server's disk is full: nothing was written; try again later"),

    # -- review/hooks.py (git pushes)
    "push.too_many_commits": N_("more than %(n)s new commits in one push: squash them (git rebase -i) into fewer "
                                "revisions"),
    "push.octopus": N_("commit %(commit)s (%(summary)s) merges %(n)s branches: an amendment only merges main in"),
    "push.foreign_merge": N_("commit %(commit)s (%(summary)s) merges something that is not the plan's main: an "
                             "amendment may only bring main in (git fetch origin && git merge origin/main)"),
    "push.no_parent": N_("commit %(commit)s (%(summary)s) has no parent: commit on top of the plan (clone it and "
                         "start from main)"),
    "push.empty_commit": N_("commit %(commit)s (%(summary)s) changes nothing: drop it or fold it into another commit "
                            "(git rebase -i)"),
    "push.deletes": N_("commit %(commit)s (%(summary)s) deletes %(path)s: an amendment changes texts, it does not "
                       "remove files; restore the file (git checkout origin/main -- PATH) and commit again"),
    "push.commit_refused": N_("commit %(commit)s (%(summary)s): %(reason)s"),
    "push.main": N_("main changes only when a coordinator merges an approved amendment; to propose a change, push it "
                    "to refs/for/<commitment-id> (git push origin HEAD:refs/for/engagement-04)"),
    "push.review_logs": N_("review logs are written by the server only: comment, approve or withdraw on the web or "
                           "through the API"),
    "push.tags": N_("tags are published by the server only (checkpoints and adopted versions); tag your own commits "
                    "in your clone without pushing them"),
    "push.other_ref": N_("%(ref)s does not take pushes: push a revision of your own amendment to "
                         "refs/heads/amendments/<n>, or a new amendment to refs/for/<commitment-id>"),
    "push.delete_amendment": N_("amendment branches are never deleted, so every revision stays on record; to give up "
                                "amendment %(number)s, withdraw it on its page"),
    "push.create_amendment": N_("amendment branches are created by the server: open a new amendment by pushing to "
                                "refs/for/<commitment-id>"),
    "push.no_amendment": N_("there is no amendment %(number)s: open one by pushing to refs/for/<commitment-id>"),
    "push.not_author": N_("amendment %(number)s is @%(author)s's: only its author pushes revisions; comment on it, or "
                          "open your own amendment with refs/for/%(commitment)s"),
    "push.amendment_refused": N_("amendment %(number)s: %(reason)s"),
    "push.forced": N_("this is a forced update: amendment branches only move forward, so every revision anyone "
                      "approved stays reachable; fetch amendments/%(number)s, put your commits on top of it (git pull "
                      "--rebase) and push again without --force"),
    "push.first_parent": N_("amendments/%(number)s must stay the first parent of your commits: merge main into the "
                            "amendment (git merge origin/main), not the amendment into main"),
    "push.delete_for": N_("%(ref)s only takes new amendments: there is nothing to delete"),
    "push.for_busy": N_("%(ref)s is busy: another amendment of %(commitment)s is being opened; push again"),

    # -- review/permissions.py (why_not's reasons)
    "permission.sign_in": N_("sign in first"),
    "permission.role": N_("only a %(role)s may do this"),
    "permission.author": N_("only its author may do this"),
    "permission.closed": N_("the amendment is %(state)s: it can no longer change"),
    "permission.reopen": N_("only a withdrawn amendment can be reopened (this one is %(state)s)"),
    "permission.leads": N_("only members of this commitment's lead administrations may do this"),
    "permission.moderate": N_("only the comment's author, a member of a lead administration or a moderator may do "
                              "this"),
    "permission.hidden_reply": N_("you cannot reply to a hidden comment"),
    "permission.state": N_("the amendment is %(state)s"),
    "permission.approve": N_("only a signatory (or a coordinator, for the plan's own rules) may approve"),
    "permission.approvals_closed": N_("the amendment is %(state)s: approvals are closed"),
    "permission.own_tokens": N_("you can only manage your own tokens"),
    "permission.own_account": N_("you can only manage your own account"),
    "permission.auditor": N_("only members of the plan's organisations take part in the review: an auditor reads and "
                             "verifies"),

    # -- review/progress.py
    "progress.bad_date": N_("%(what)s must be a date written YYYY-MM-DD (for example 2016-07-16), not %(value)s"),
    "progress.future": N_("%(what)s %(day)s is in the future: give today (%(today)s) or an earlier date"),
    "progress.before_adoption": N_("%(what)s %(day)s is before the plan was adopted (%(adopted)s): give a later date"),
    "progress.answer_missing": N_("there is no progress report %(report)s on %(commitment)s to answer"),
    "progress.answer_hidden": N_("this progress report was hidden by moderation: it takes no more answers"),
    "progress.missing": N_("no progress report %(report)s on %(commitment)s"),
    "progress.evidence_list": N_("evidence must be a list of links (http:// or https:// addresses)"),
    "progress.evidence_not_text": N_("evidence link %(link)s is not text: give http:// or https:// addresses"),
    "progress.evidence_bad": N_("evidence link %(link)s is not an http:// or https:// address (at most %(n)s "
                                "characters, no spaces): fix or remove it"),
    "progress.evidence_many": N_("%(count)s evidence links given; the limit is %(limit)s: keep the most telling ones"),
    "progress.note_not_text": N_("the note must be text (Markdown)"),
    "progress.note_long": N_("the note is %(length)s characters long; the limit is %(limit)s: shorten it, and link to "
                             "the details as evidence"),
    "progress.unknown_commitment": N_("no commitment %(commitment)s in the plan"),
    "progress.bad_level": N_("level must be one of %(choices)s (the OGP IRM scale), not %(value)s"),
    "progress.milestone_not_text": N_("milestone must be a milestone id (text), or left out for the whole commitment"),
    "progress.unknown_milestone": N_("%(commitment)s has no milestone %(milestone)s (its milestones: %(known)s); leave "
                                     "it out to report on the whole commitment"),
    "progress.no_hide_reason": N_("give the reason for hiding this report: it is shown in its place"),
    "progress.hidden_already": N_("this report is hidden already"),
    "progress.before_plan": N_("the plan did not exist yet on %(day)s: give a later date"),

    # -- review/signoff.py
    "signoff.bad_verdict": N_("verdict must be one of %(choices)s, not %(value)s"),
    "signoff.comment_long": N_("the comment must be text of at most %(n)s characters"),
    "signoff.stale_revision": N_("revision %(revision)s is not the amendment's current revision (%(current)s): read "
                                 "the current text and approve that"),
    "signoff.not_entitled": N_("you are not entitled to approve this amendment: the policy asks for "
                               "%(requirements)s"),
    "signoff.own_organisation": N_("under this policy, approvals from the author's own organisation do not count"),
    "signoff.new_revision": N_("a new revision arrived meanwhile: read it and approve that"),
    "merge.merged_already": N_("amendment %(number)s is merged already"),
    "merge.not_open": N_("the amendment is %(state)s: only an open amendment can be merged"),
    "merge.amendment_not_open": N_("amendment %(number)s is %(state)s: only an open amendment can be merged"),
    "merge.stale_revision": N_("revision %(revision)s is not the current revision (%(current)s): merge only what you "
                               "have read"),
    "merge.policy_unmet": N_("the policy is not satisfied at this revision: needs %(missing)s"),
    "merge.conflicts": N_("the amendment does not merge cleanly with the plan: its author must update it with the plan "
                          "first (conflicts in %(paths)s)"),
    "merge.main_moved": N_("the plan changed meanwhile (another merge?): reload and try again"),
    "merge.recorded": N_("merged already"),

    # -- not found (review/commitment.py and the views): the 404 pages
    "notfound.revision": N_("unknown revision %(rev)s"),
    "notfound.before_plan": N_("the plan did not exist yet on %(day)s"),
    "notfound.commitment": N_("unknown commitment %(cid)s"),
    "notfound.commitment_at": N_("no commitment %(cid)s at this revision"),
    "notfound.commitment_either": N_("no commitment %(cid)s at either revision"),
    "notfound.commitment_to_amend": N_("no commitment %(cid)s to amend"),
    "notfound.amendment": N_("there is no amendment %(n)s"),
    "notfound.person": N_("no person %(handle)s in the plan"),
    "notfound.plan_file": N_("no %(path)s at %(commit)s"),
    "notfound.page": N_("unknown page %(slug)s"),
    "notfound.page_at": N_("no page %(slug)s at this revision"),
    "notfound.image_at": N_("no image %(name)s at this revision"),

    # -- review/web/params.py (query parameters, read alike on pages, feeds and the API)
    "param.rev": N_("%(name)s must name a branch, a tag or a commit id (letters, digits, '-', '_', '.', '/')"),
    "param.number": N_("%(name)s must be a whole number from 1 to %(n)s"),
    "param.date": N_("%(name)s must be a date written YYYY-MM-DD (for example 2016-07-16)"),
    "param.version": N_("%(name)s must name a branch, a tag, a commit id or a day written @YYYY-MM-DD (for example "
                        "@2016-07-01)"),
    "param.future_day": N_("%(name)s is a day to come: the plan can only be compared as it stood on a past day"),
    "param.commitment": N_("commitment must be a commitment's id, for example engagement-04"),
    "param.view": N_("view must be rendered or source"),
    "param.from_to": N_("from and to are both needed: a branch, a tag, a commit id or a day written @YYYY-MM-DD"),
    "param.text": N_("text must be 0 or 1"),

    # -- review/search.py, review/web/search.py
    "search.empty": N_("the search is empty: type one or more words"),
    "search.too_long": N_("the search is too long: at most %(n)s characters"),
    "search.no_words": N_("the search has no words: type letters or digits"),
    "search.too_many_words": N_("the search has too many words: at most %(n)s"),
    "search.bad_filter": N_("the %(name)s filter must be one of %(choices)s, not %(value)s"),
    "search.unknown_axis": N_("axis %(value)s is not in the plan: give the id of one of its axes"),
    "search.unknown_theme": N_("theme %(value)s is not in the plan: give the id of one of its themes"),
    "search.unknown_lead": N_("lead %(value)s is not in the plan: give the id of one of its organisations"),
    "search.filter_long": N_("%(name)s is too long: at most %(n)s characters"),

    # -- review/axes.py
    "notfound.axis": N_("no axis %(axis)s in the plan"),
    "notfound.theme": N_("no theme %(theme)s in axis %(axis)s"),

    # -- review/versions.py
    "version.bad_name": N_("a version's name is lowercase letters and digits, with single '.', '-' or '_' between "
                           "them, at most %(n)s characters (e.g. 2016-bilan)"),
    "version.notes_missing": N_("a version needs its notes in French and in English"),
    "version.notes_long": N_("the notes are too long: at most %(n)s characters per language"),
    "version.notes_marker": N_("a line of the notes cannot be just [fr] or [en] (they mark the languages)"),
    "version.not_on_main": N_("%(rev)s is not a commit of main: a version is the plan as adopted at one of its "
                              "revisions"),
    "version.exists": N_("version %(name)s is already published: choose another name"),

    # -- review/notifications.py (watches and notifications, issue 18)
    "watch.bad_subject": N_("what to watch must be plan, commitment/<id>, amendment/<number> or axis/<id>, not "
                            "%(value)s"),
    "watch.unknown": N_("there is no %(subject)s to watch"),
    "watch.bad_value": N_("watch must be true or false"),
    "notification.bad_cursor": N_("%(name)s must be a notification's id (a whole number)"),
    "notification.missing": N_("no notification %(id)s of yours"),
    "notification.no_ids": N_("give the ids of the notifications to mark read, or all: true"),
    "notification.too_many": N_("too many ids: at most %(n)s at once"),
    "notification.bad_id": N_("a notification's id is a whole number"),
    # -- review/mailprefs.py, review/mailer.py (e-mail)
    "mail.bad_address": N_("%(address)s is not an e-mail address: write it as name@example.org"),
    "mail.bad_lang": N_("the language of messages must be fr or en, not %(value)s"),
    "mail.bad_kind": N_("%(value)s is not a kind of notification"),
    "mail.bad_mode": N_("a preference must be now, daily or never, not %(value)s"),
    "mail.bad_handle": N_("%(handle)s is not a person's handle"),
    "mail.bad_token": N_("this link is not valid (mistyped, or replaced by a newer one): ask for a new one on your profile"),
    "mail.token_expired": N_("this confirmation link has expired: give your address again on your profile to get a new one"),
    "mail.no_secret": N_("the instance has no SECRET_KEY: links in messages cannot be signed"),
    "mail.no_base_url": N_("set BASE_URL (the site's public address, e.g. https://plan.example.org) in DIR/instance/config.py: links in messages need it"),
    "mail.too_many_confirmations": N_("you asked for %(n)s confirmation messages today already: try again tomorrow"),
    "mail.bad_setting": N_("%(name)s in DIR/instance/config.py is not valid: see README, E-mail"),
    # -- review/selfassessment.py
    "selfassessment.bad_bound": N_("%(name)s must be a date written YYYY-MM-DD (for example 2017-07-15) or the name "
                                   "of a published version (see /versions), not %(value)s"),
    "selfassessment.start_after_end": N_("the term cannot start (%(start)s) after it ends (%(end)s): give a "
                                         "from date on or before the to date"),
    # -- review/consultations.py
    "consultation.missing": N_("there is no consultation %(consultation)s"),
    "consultation.no_contribution": N_("consultation %(consultation)s has no contribution %(contribution)s"),
    "consultation.bad_date": N_("%(field)s must be a date written YYYY-MM-DD, not %(value)s"),
    "consultation.no_title": N_("give the consultation a title in French"),
    "consultation.bad_title": N_("a title is one line of at most %(n)s characters"),
    "consultation.description_long": N_("a description has at most %(n)s characters"),
    "consultation.bad_id": N_("%(consultation)s is not a consultation id: use lower-case letters, digits and "
                              "hyphens, at most %(n)s characters"),
    "consultation.short_notice": N_("a consultation opens at least %(days)s days after it is announced: "
                                    "%(opens)s is too early, the earliest is %(earliest)s"),
    "consultation.bad_window": N_("the closing date must be on or after the opening date, and at most %(n)s days "
                                  "after it"),
    "consultation.bad_scope": N_("the scope %(value)s is not one of: %(choices)s"),
    "consultation.no_commitments": N_("choose between 1 and %(n)s commitments for this consultation"),
    "consultation.unknown_commitments": N_("no such commitment on main: %(commitments)s"),
    "consultation.no_draft": N_("name the draft to consult on: a branch or a tag"),
    "consultation.unknown_draft": N_("%(draft)s is neither a branch nor a tag of the plan"),
    "consultation.exists": N_("consultation %(consultation)s exists already: choose another id"),
    "consultation.over": N_("consultation %(consultation)s is %(state)s: it can no longer change"),
    "consultation.closes_past": N_("an open consultation cannot close on a past date: close it now instead"),
    "consultation.reason_long": N_("a reason has at most %(n)s characters"),
    "consultation.not_closed": N_("consultation %(consultation)s is %(state)s: close it before marking it answered"),
    "consultation.waiting": N_("consultation %(consultation)s cannot be marked answered: %(n)s contribution(s) "
                               "still wait for a response"),
    "consultation.not_open": N_("consultation %(consultation)s is %(state)s: contributions and stances are taken "
                                "only while it is open"),
    "consultation.out_of_scope": N_("commitment %(commitment)s is outside the scope of consultation "
                                    "%(consultation)s"),
    "consultation.draft_amendment": N_("consultation %(consultation)s is on a draft: comment on its passages "
                                       "(amendments are proposed on the adopted plan)"),
    "consultation.bad_stance": N_("the stance %(value)s is not one of: %(choices)s"),
    "consultation.hidden": N_("this contribution was hidden by moderation: it takes no stance"),
    "consultation.own_contribution": N_("you cannot support or oppose your own contribution"),
    "consultation.same_stance": N_("your stance on this contribution is already %(stance)s"),
    "consultation.bad_outcome": N_("the response %(value)s is not one of: %(choices)s"),
    "consultation.no_reason": N_("a response needs a reason: say why"),
    "consultation.no_link": N_("a retained contribution needs the amendment or commitment that carries it out "
                               "(amendments/<n> or commitments/<id>)"),
    "consultation.bad_link": N_("%(value)s is not amendments/<n> nor commitments/<id>"),
    "consultation.unknown_link": N_("%(value)s does not exist"),
    "consultation.throttled": N_("too many contributions lately: try again in %(wait)s s"),
    "permission.participant": N_("participants take part only in an open consultation, on what it covers; "
                                 "otherwise they read"),
    "permission.respond": N_("only a coordinator or a member of a lead administration of the commitment may "
                             "respond"),

    # -- review/participants.py
    "participant.bad_pseudonym": N_("%(pseudonym)s is not a pseudonym: 2 to 32 lower-case letters, digits, _ or -, "
                                    "starting with a letter"),
    "participant.bad_email": N_("this is not an e-mail address"),
    "participant.throttled": N_("too many accounts made lately from here: try again in %(wait)s s"),
    "participant.taken": N_("the pseudonym %(pseudonym)s is taken: choose another"),
    "participant.missing": N_("there is no participant %(pseudonym)s"),
    # -- review/registrations.py (self-registration with a confirmed e-mail address)
    "registration.not_open": N_("the consultation %(id)s is not open: accounts are made only while it is"),
    "registration.reserved": N_("%(pseudonym)s is a word of the site's addresses: choose another pseudonym"),
    "registration.no_password": N_("choose a password"),
    "registration.passwords_differ": N_("the two passwords differ: type the same password twice"),
    "registration.throttled": N_("too many registrations lately from here or for this address: try again in %(wait)s s"),
    "registration.bad_token": N_("this link is not valid (mistyped, forged, or replaced by a newer request): register again"),
    "registration.expired": N_("this link has expired (it was good for 48 hours): register again"),
    "registration.used": N_("this link was used already: the account %(pseudonym)s exists, sign in with it"),
}
