"""The whole URL map in one table: (rule, endpoint, view, methods)."""

from __future__ import annotations

from . import amending, api, auth, discussion, reading
from . import progress
from . import feeds
from . import githttp
from . import audit
from . import integrity
from . import compare
from . import versions
from . import foryou
from . import search
from . import notifications
from . import mail
from . import selfassessment
from . import consulting

ROUTES = [
    # Reading the plan (every page takes ?rev=)
    ("/", "index", reading.index, ["GET"]),
    ("/plan", "whole_plan", reading.whole_plan, ["GET"]),
    ("/commitments/<cid>", "commitment", reading.commitment_page, ["GET"]),
    ("/pages/<slug>", "plan_page", reading.page_view, ["GET"]),
    ("/axes/<axis_id>", "axis_page", reading.axis_page, ["GET"]),
    ("/axes/<axis_id>/themes/<theme_id>", "theme_page", reading.theme_page, ["GET"]),
    ("/assets/<name>", "plan_asset", reading.asset, ["GET"]),
    ("/commitments/<cid>/history", "commitment_history", reading.commitment_history, ["GET"]),
    ("/commitments/<cid>/diff", "commitment_diff", compare.commitment_diff, ["GET"]),
    ("/compare", "compare", compare.compare_page, ["GET"]),
    ("/api/v1/compare", "api_compare", compare.api_compare, ["GET"]),
    ("/commitments/<cid>/blame", "commitment_blame", audit.blame_page, ["GET"]),
    ("/lang/<lang>", "set_language", reading.set_language, ["GET"]),
    ("/commitments/<cid>/comments", "post_comment", discussion.post_comment, ["POST"]),
    ("/commitments/<cid>/comments/<comment_id>/<act>", "act_on_comment", discussion.act_on_comment, ["POST"]),
    # People and accounts
    ("/signin", "sign_in", auth.sign_in, ["GET", "POST"]),
    ("/signout", "sign_out", auth.sign_out, ["POST"]),
    ("/people", "people_list", auth.people_list, ["GET"]),
    ("/people/<handle>", "profile", auth.profile, ["GET", "POST"]),
    ("/people/<handle>/tokens/<tid>/revoke", "revoke_token", auth.revoke_token, ["POST"]),
    ("/people/<handle>/password", "change_password", auth.change_password, ["POST"]),
    ("/people/<handle>/sessions/end", "sign_out_everywhere", auth.sign_out_everywhere, ["POST"]),
    ("/people/<handle>/sessions/<sid>/end", "end_session", auth.end_session, ["POST"]),
    # JSON API
    ("/api/v1/openapi.json", "api_openapi", api.openapi, ["GET"]),
    ("/api/v1/commitments", "api_commitments", api.commitments, ["GET"]),
    ("/api/v1/commitments/<cid>", "api_commitment", api.commitment, ["GET"]),
    ("/api/v1/commitments/<cid>/history", "api_commitment_history", api.commitment_history, ["GET"]),
    ("/api/v1/commitments/<cid>/comments", "api_comments", discussion.api_list, ["GET"]),
    ("/api/v1/commitments/<cid>/comments", "api_comment_add", discussion.api_add, ["POST"]),
    ("/api/v1/commitments/<cid>/comments/<comment_id>/edit", "api_comment_edit", discussion.api_edit, ["POST"]),
    ("/api/v1/commitments/<cid>/comments/<comment_id>/resolve", "api_comment_resolve", discussion.api_resolve, ["POST"]),
    ("/api/v1/commitments/<cid>/comments/<comment_id>/reopen", "api_comment_reopen", discussion.api_reopen, ["POST"]),
    ("/api/v1/commitments/<cid>/comments/<comment_id>/hide", "api_comment_hide", discussion.api_hide, ["POST"]),
    ("/api/v1/people", "api_people", api.people, ["GET"]),
    # Amendments and sign-off (API)
    ("/api/v1/amendments", "api_amendments", amending.api_list, ["GET"]),
    ("/api/v1/amendments", "api_amendment_propose", amending.api_propose, ["POST"]),
    ("/api/v1/amendments/<n>", "api_amendment", amending.api_get, ["GET"]),
    ("/api/v1/amendments/<n>/revisions", "api_amendment_revise", amending.api_revise, ["POST"]),
    ("/api/v1/amendments/<n>/withdraw", "api_amendment_withdraw", amending.api_withdraw, ["POST"]),
    ("/api/v1/amendments/<n>/reopen", "api_amendment_reopen", amending.api_reopen, ["POST"]),
    ("/api/v1/amendments/<n>/reject", "api_amendment_reject", amending.api_reject, ["POST"]),
    ("/api/v1/amendments/<n>/update-from-main", "api_amendment_update", amending.api_update, ["POST"]),
    ("/api/v1/amendments/<n>/approvals", "api_amendment_approve", amending.api_approve, ["POST"]),
    ("/api/v1/amendments/<n>/policy", "api_amendment_policy", amending.api_policy, ["GET"]),
    ("/api/v1/amendments/<n>/merge", "api_amendment_merge", amending.api_merge, ["POST"]),
    ("/api/v1/amendments/<n>/comments", "api_amendment_comments", discussion.api_amendment_list, ["GET"]),
    ("/api/v1/amendments/<n>/comments", "api_amendment_comment_add", discussion.api_amendment_add, ["POST"]),
    ("/api/v1/amendments/<n>/comments/<comment_id>/<act>", "api_amendment_comment_act", discussion.api_amendment_act, ["POST"]),
    # Amendments and sign-off (pages)
    ("/amendments", "amendments", amending.list_page, ["GET"]),
    ("/amendments/pending", "pending_approvals", amending.pending, ["GET"]),
    ("/for-you", "for_you", foryou.page, ["GET"]),
    ("/api/v1/for-you", "api_for_you", foryou.api, ["GET"]),
    ("/amendments/<n>", "amendment", amending.page, ["GET"]),
    ("/amendments/<n>/feed.atom", "amendment_feed", feeds.amendment_feed, ["GET"]),
    ("/commitments/<cid>/feed.atom", "commitment_feed", feeds.commitment_feed, ["GET"]),
    ("/amendments/<n>/edit", "amendment_edit", amending.revise_editor, ["GET", "POST"]),
    ("/amendments/<n>/comments", "post_amendment_comment", discussion.post_amendment_comment, ["POST"]),
    ("/amendments/<n>/comments/<comment_id>/<act>", "act_on_amendment_comment", discussion.act_on_amendment_comment, ["POST"]),
    ("/amendments/<n>/<action>", "amendment_act", amending.act, ["POST"]),
    ("/commitments/<cid>/amend", "amend", amending.editor, ["GET", "POST"]),
    ("/pages/<slug>/amend", "amend_page", amending.page_editor, ["GET", "POST"]),
    ("/api/v1/me", "api_me", api.me, ["GET"]),
    # Following the plan: progress reports, dashboard, exports (review/web/progress.py)
    ("/progress", "progress_dashboard", progress.dashboard, ["GET"]),
    ("/progress.csv", "progress_csv", progress.export_csv, ["GET"]),
    ("/progress.json", "progress_json", progress.export_json, ["GET"]),
    ("/progress.atom", "progress_feed", progress.feed, ["GET"]),
    ("/commitments/<cid>/progress", "post_report", progress.post_report, ["POST"]),
    ("/commitments/<cid>/progress/<report_id>/answer", "answer_report", progress.answer_report, ["POST"]),
    ("/commitments/<cid>/progress/<report_id>/hide", "hide_report", progress.hide_report, ["POST"]),
    ("/api/v1/progress", "api_progress", progress.api_dashboard, ["GET"]),
    ("/api/v1/commitments/<cid>/progress", "api_progress_list", progress.api_reports, ["GET"]),
    ("/api/v1/commitments/<cid>/progress", "api_progress_add", progress.api_report_add, ["POST"]),
    ("/api/v1/commitments/<cid>/progress/<report_id>/hide", "api_progress_hide", progress.api_report_hide, ["POST"]),
    ("/api/v1/commitments/<cid>/progress/<report_id>/answers", "api_progress_answer", progress.api_report_answer, ["POST"]),
    # End-of-term self-assessment: the printable report, its exports and the API (review/web/selfassessment.py)
    ("/self-assessment", "self_assessment", selfassessment.page, ["GET"]),
    ("/self-assessment.csv", "self_assessment_csv", selfassessment.export_csv, ["GET"]),
    ("/self-assessment.json", "self_assessment_json", selfassessment.export_json, ["GET"]),
    ("/api/v1/self-assessment", "api_self_assessment", selfassessment.api, ["GET"]),
    # Audit: the plan's history with approvals, the audit log and its exports (review/web/audit.py)
    ("/history", "plan_history", audit.history_page, ["GET"]),
    ("/audit", "audit_log", audit.audit_page, ["GET"]),
    ("/verify-history", "verify_history", audit.verify_page, ["GET"]),
    ("/audit.csv", "audit_csv", audit.export_csv, ["GET"]),
    ("/audit.json", "audit_json", audit.export_json, ["GET"]),
    ("/api/v1/history", "api_history", audit.api_history, ["GET"]),
    ("/api/v1/audit", "api_audit", audit.api_audit, ["GET"]),
    # Published versions: the list, publishing one, downloads (review/web/versions.py)
    ("/versions", "versions_page", versions.page, ["GET"]),
    ("/versions", "publish_version", versions.publish_version, ["POST"]),
    ("/versions/<path:name>/<filename>", "version_download", versions.download, ["GET"]),
    ("/api/v1/versions", "api_versions", versions.api_list, ["GET"]),
    ("/api/v1/versions", "api_version_publish", versions.api_publish, ["POST"]),
    # The site's verdict on its own history (review/web/integrity.py)
    ("/integrity", "integrity_page", integrity.page, ["GET"]),
    ("/api/v1/integrity", "api_integrity", integrity.api, ["GET"]),
    # Search (review/web/search.py)
    ("/search", "search", search.page, ["GET"]),
    ("/api/v1/search", "api_search", search.api, ["GET"]),
    # Watching and notifications (review/web/notifications.py, issue 18)
    ("/notifications", "notifications_page", notifications.page, ["GET"]),
    ("/notifications/read", "notifications_read", notifications.mark_read_form, ["POST"]),
    ("/notifications/<int:note_id>", "follow_notification", notifications.follow, ["GET"]),
    ("/watch", "watch", notifications.watch_form, ["POST"]),
    ("/api/v1/notifications", "api_notifications", notifications.api_list, ["GET"]),
    ("/api/v1/notifications/read", "api_notifications_read", notifications.api_read, ["POST"]),
    ("/api/v1/watches", "api_watches", notifications.api_watches, ["GET"]),
    ("/api/v1/watches", "api_watch", notifications.api_watch, ["POST"]),
    # E-mail: address, language and preferences on one's profile; confirmation and one-click unsubscribe (mail.py)
    ("/people/<handle>/email", "set_email", mail.set_address, ["POST"]),
    ("/people/<handle>/email/preferences", "set_email_preferences", mail.set_preferences, ["POST"]),
    ("/email/confirm/<token>", "confirm_email", mail.confirm, ["GET", "POST"]),
    ("/unsubscribe/<token>", "unsubscribe", mail.unsubscribe, ["GET", "POST"]),
    # Consultations of the public, reasoned responses, participants (review/web/consulting.py, issue 19)
    ("/consultations", "consultations", consulting.list_page, ["GET"]),
    ("/consultations", "announce_consultation", consulting.announce, ["POST"]),
    ("/consultations.atom", "consultations_feed", consulting.feed, ["GET"]),
    ("/consultations/<cid>", "consultation", consulting.page, ["GET"]),
    ("/consultations/<cid>/contributions", "contribute", consulting.contribute, ["POST"]),
    ("/consultations/<cid>/amend", "consultation_amend", consulting.amend, ["GET", "POST"]),
    ("/consultations/<cid>/contributions/<key>/stance", "contribution_stance", consulting.stance, ["POST"]),
    ("/consultations/<cid>/contributions/<key>/response", "contribution_response", consulting.respond, ["POST"]),
    ("/consultations/<cid>/contributions/<key>/hide", "contribution_hide", consulting.hide, ["POST"]),
    ("/consultations/<cid>/participants", "add_participant", consulting.add_participant, ["POST"]),
    ("/consultations/<cid>/report", "consultation_report", consulting.report_page, ["GET"]),
    ("/consultations/<cid>/report.csv", "consultation_report_csv", consulting.report_csv, ["GET"]),
    ("/consultations/<cid>/report.json", "consultation_report_json", consulting.report_json, ["GET"]),
    ("/consultations/<cid>/<action>", "consultation_act", consulting.act, ["POST"]),
    # Self-registration with a confirmed e-mail address while a consultation is open (issue 19)
    ("/consultations/<cid>/register", "consultation_register", consulting.register, ["GET", "POST"]),
    ("/participants/confirm/<token>", "confirm_registration", consulting.confirm_registration, ["GET", "POST"]),
    ("/api/v1/consultations/<cid>/register", "api_consultation_register", consulting.api_register, ["POST"]),
    ("/participants/<pseudonym>", "participant_page", consulting.participant_page, ["GET"]),
    ("/participants/<pseudonym>/delete", "participant_delete", consulting.participant_delete, ["POST"]),
    ("/participants/<pseudonym>/password", "participant_password", consulting.participant_password, ["POST"]),
    ("/api/v1/consultations", "api_consultations", consulting.api_list, ["GET"]),
    ("/api/v1/consultations", "api_consultation_announce", consulting.api_announce, ["POST"]),
    ("/api/v1/consultations/<cid>", "api_consultation", consulting.api_get, ["GET"]),
    ("/api/v1/consultations/<cid>/report", "api_consultation_report", consulting.report_json, ["GET"]),
    ("/api/v1/consultations/<cid>/contributions", "api_contribute", consulting.api_contribute, ["POST"]),
    ("/api/v1/consultations/<cid>/contributions/<key>/stance", "api_stance", consulting.api_stance, ["POST"]),
    ("/api/v1/consultations/<cid>/contributions/<key>/response", "api_response", consulting.api_respond, ["POST"]),
    ("/api/v1/consultations/<cid>/contributions/<key>/hide", "api_contribution_hide", consulting.api_hide, ["POST"]),
    ("/api/v1/consultations/<cid>/<action>", "api_consultation_act", consulting.api_act, ["POST"]),
    # The plan repository over git's smart HTTP: anonymous clone, pushes with a token (githttp.py)
    ("/plan.git", "git_about", githttp.about, ["GET"]),
    ("/plan.git/<path:rest>", "git_http", githttp.git_http, ["GET", "POST"]),
]


def register(app) -> None:
    for rule, endpoint, view, methods in ROUTES:
        app.add_url_rule(rule, endpoint, view, methods=methods)
    app.jinja_env.globals["person_url"] = auth.person_url  # a name's link: profile or participant page
    progress.init_app(app)  # progress_section() for the commitment page's "Progress" section
    foryou.init_app(app)  # for_you_count() for the header
    integrity.init_app(app)  # the incremental verify behind /integrity, the footer and the badges
    search.init_app(app)  # the search index in the instance folder
    notifications.init_app(app)  # notifications_count() for the header, watch_state() for the watch buttons
    githttp.init_app(app)  # mirrors: every write reaches the configured git remotes
