"""The whole URL map in one table: (rule, endpoint, view, methods)."""

from __future__ import annotations

from . import api, auth, discussion, reading

ROUTES = [
    # Reading the plan (every page takes ?rev=)
    ("/", "index", reading.index, ["GET"]),
    ("/plan", "whole_plan", reading.whole_plan, ["GET"]),
    ("/commitments/<cid>", "commitment", reading.commitment_page, ["GET"]),
    ("/commitments/<cid>/history", "commitment_history", reading.commitment_history, ["GET"]),
    ("/commitments/<cid>/diff", "commitment_diff", reading.commitment_diff, ["GET"]),
    ("/lang/<lang>", "set_language", reading.set_language, ["GET"]),
    ("/commitments/<cid>/comments", "post_comment", discussion.post_comment, ["POST"]),
    ("/commitments/<cid>/comments/<comment_id>/<act>", "act_on_comment", discussion.act_on_comment, ["POST"]),
    # People and accounts
    ("/signin", "sign_in", auth.sign_in, ["GET", "POST"]),
    ("/signout", "sign_out", auth.sign_out, ["POST"]),
    ("/people", "people_list", auth.people_list, ["GET"]),
    ("/people/<handle>", "profile", auth.profile, ["GET", "POST"]),
    ("/people/<handle>/tokens/<tid>/revoke", "revoke_token", auth.revoke_token, ["POST"]),
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
    ("/api/v1/me", "api_me", api.me, ["GET"]),
]


def register(app) -> None:
    for rule, endpoint, view, methods in ROUTES:
        app.add_url_rule(rule, endpoint, view, methods=methods)
