"""The `review` command. Each subcommand parses its arguments and calls the core."""

from __future__ import annotations

import argparse
import sys

from . import deployment, lru
from .model import SchemaError


def _init(args) -> int:
    try:
        d, commit = deployment.init(args.dir, args.plan_dir)
    except SchemaError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        print(f"review init: the plan has {len(exc.problems)} problem(s); nothing was written", file=sys.stderr)
        return 1
    except deployment.DeploymentError as exc:
        print(f"review init: {exc}", file=sys.stderr)
        return 1
    print(f"Created {d.root}")
    print(f"  plan repository: {d.repo_path} (main at {commit[:12]}, tag {deployment.INITIAL_TAG})")
    print(f"  instance folder: {d.instance_path}")
    if args.demo:
        from . import accounts
        accounts.create_demo_accounts(d)
        print((d.instance_path / accounts.DEMO_FILE).read_text(), end="")
        from . import demo
        print("Demo activity:")
        for line in demo.seed(d) + demo.seed_mail(d):
            print(f"  {line}")
    print(f"Serve it with: review serve {d.root}")
    return 0


def _serve(args) -> int:
    try:
        d = deployment.Deployment.open(args.dir)
    except deployment.DeploymentError as exc:
        print(f"review serve: {exc}", file=sys.stderr)
        return 1
    from .web import create_app
    lru.map_large_blocks()
    app = create_app(d.root)
    print(f"Serving {d.root} on http://{args.host}:{args.port}/ (Ctrl-C to stop)")
    app.run(host=args.host, port=args.port, debug=False, threaded=True)
    return 0


def _open(args, command: str):
    try:
        return deployment.Deployment.open(args.dir)
    except deployment.DeploymentError as exc:
        print(f"review {command}: {exc}", file=sys.stderr)
        return None


def _read_password(args, command: str) -> str | None:
    if not args.password_stdin:
        print(f"review {command}: pass --password-stdin and write the password on standard input "
              "(it is never taken from the command line, where others could see it)", file=sys.stderr)
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print(f"review {command}: standard input held no password", file=sys.stderr)
        return None
    return password


def _account_command(args, command: str, act, needs_password: bool = True) -> int:
    """Open the deployment, read the password if asked, run `act(store, d, password)` and
    report a refusal of the credential store on stderr."""
    from . import accounts
    d = _open(args, command)
    password = _read_password(args, command) if d is not None and needs_password else None
    if d is None or (needs_password and not password):
        return 1
    try:
        message = act(accounts.Accounts(d), d, password)
    except accounts.AccountError as exc:
        print(f"review {command}: {exc}", file=sys.stderr)
        return 1
    print(message)
    return 0


def _name_matches_plan(args) -> bool:
    """`--name`, when given, must be the name plan.yaml gives the person."""
    d = _open(args, "user add")
    if d is None or not args.name:
        return d is not None
    from . import commitment
    repo = d.open_repo()
    person = commitment.read_plan(repo, commitment.resolve(repo, "main")).people.get(args.handle)
    if person is not None and person.name != args.name:
        print(f"review user add: plan.yaml names '{args.handle}' \"{person.name}\", not \"{args.name}\": "
              "names, organisations and roles come from plan.yaml; fix the --name or amend plan.yaml", file=sys.stderr)
        return False
    return True


def _user_add(args) -> int:
    if not _name_matches_plan(args):
        return 1

    def act(store, d, password):
        store.add(args.handle, password)
        return f"Account created for {args.handle}"
    return _account_command(args, "user add", act)


def _user_passwd(args) -> int:
    def act(store, d, password):
        ended = store.set_password(args.handle, password, revoke_tokens=args.revoke_tokens)
        out = f"Password changed for {args.handle}; {ended} session(s) signed out"
        return out + ("; every token revoked" if args.revoke_tokens else "")
    return _account_command(args, "user passwd", act)


def _participant_add(args) -> int:
    from . import participants
    from .errors import ReviewError
    try:
        d = deployment.Deployment.open(args.dir)
        p, password = participants.Participants(d).add_as_operator(args.pseudonym, args.email)
    except (ReviewError, deployment.DeploymentError) as exc:
        print(f"review participant add: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    print(f"Participant account {p.handle} created. Sign in with the handle {p.handle} and this one-time "
          f"password (change it on /participants/{p.pseudonym}):")
    print(password)
    return 0


def _token(args) -> int:
    return _account_command(args, "token", lambda store, d, _: store.create_token(args.handle, args.label)[1],
                            needs_password=False)


def _install_hooks(args) -> int:
    from . import hooks
    d = _open(args, "install-hooks")
    if d is None:
        return 1
    for path in hooks.install(d.repo_path):
        print(f"Installed {path}")
    return 0


def _mirror(args) -> int:
    from . import mirrors
    d = _open(args, "mirror")
    if d is None:
        return 1
    try:
        remotes = mirrors.configured(d.instance_path)
    except (ValueError, SyntaxError) as exc:
        print(f"review mirror: {d.instance_path}/config.py: {exc}", file=sys.stderr)
        return 1
    if not remotes:
        print(f"review mirror: no MIRRORS in {d.instance_path}/config.py (see README: Mirrors)", file=sys.stderr)
        return 1
    failed = 0
    for remote, (ok, out) in mirrors.push_all(d.repo_path, remotes).items():
        print(f"{remote}: {'up to date' if ok else 'FAILED: ' + out}")
        failed += not ok
    return 1 if failed else 0


def _verify(args) -> int:
    """Exit 0 clean, 1 violations found, 2 the input cannot be verified, 3 a bug of the verifier."""
    import json
    import traceback

    from . import verify
    try:
        report = verify.verify(args.path, witness=args.witness)
    except (verify.Unusable, OSError) as exc:  # the input, not the verifier: exit 2
        message = str(exc) if isinstance(exc, verify.Unusable) else f"could not read {args.path}: {exc}"
        if args.json:
            print(json.dumps({"path": args.path, "clean": False, "error": message}, indent=1))
        print(f"review verify: {message}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a bug of the verifier: say so, with where it happened
        if _raised_reading_git(exc):  # libgit2 could not read an object: a damaged copy, exit 2
            message = f"could not read {args.path}: {type(exc).__name__}: {exc} (a missing or damaged object?)"
            if args.json:
                print(json.dumps({"path": args.path, "clean": False, "error": message}, indent=1))
            print(f"review verify: {message}", file=sys.stderr)
            return 2
        traceback.print_exc(file=sys.stderr)
        print(f"review verify: internal error of the verifier while checking {args.path} (a bug, not a "
              "finding about the repository): please report it with the traceback above", file=sys.stderr)
        if args.json:
            print(json.dumps({"path": args.path, "clean": False, "error": "internal error of the verifier"}, indent=1))
        return 3
    if args.json:
        print(json.dumps(report.as_json(), indent=1, ensure_ascii=False))
    else:
        print(report.text(), end="")
    return 0 if report.clean else 1


def _raised_reading_git(exc: BaseException) -> bool:
    """Was this raised inside the git layer (the review/gitrepo package, pygit2) rather than by
    the verifier's own code? The innermost frame of the project decides."""
    import os
    import traceback
    ours = os.path.dirname(os.path.abspath(__file__))
    frames = [f.filename for f in traceback.extract_tb(exc.__traceback__)]
    mine = [f for f in frames if os.path.abspath(f).startswith(ours + os.sep)]
    layer = os.path.join(ours, "gitrepo") + os.sep
    return bool(mine) and os.path.abspath(mine[-1]).startswith(layer)


def _checkpoint(args) -> int:
    import os

    from . import verify
    from .gitrepo import GitLayerError, GitRepo
    path = os.path.join(args.dir, deployment.REPO_DIR)
    if not os.path.isfile(os.path.join(path, "HEAD")):
        path = args.dir  # a bare plan repository given directly
    try:
        repo = GitRepo(path)
        if not repo.is_bare or repo.ref_target("refs/heads/main") is None:
            raise GitLayerError("no bare repository with a main branch")
        name, refs = verify.checkpoint(repo)
    except GitLayerError:
        print(f"review checkpoint: {args.dir} is neither a deployment folder nor a bare plan repository "
              "(create one with 'review init DIR')", file=sys.stderr)
        return 1
    print(f"Tagged {len(refs)} refs as refs/tags/{name}")
    print("Publish it (push the tag, or let auditors fetch it): any later rewrite of what it lists "
          "is then detected by 'review verify'.")
    return 0


def _import(args) -> int:
    """Exit 0 imported (or a clean dry run), 1 problems that stop the import."""
    from . import importer
    try:
        report = importer.run(args.source, args.dir, args.orgs, args.dry_run)
    except importer.ImportFailed as exc:
        print(f"review import: {exc}", file=sys.stderr)
        return 1
    print(report.text(), end="")
    if not report.ok:
        print("review import: the problems above stop the import; nothing was written", file=sys.stderr)
        return 1
    if args.dry_run:
        print("Dry run: nothing was written.")
    return 0


def _publish(args) -> int:
    """Exit 0 written, 1 refused (unknown revision, a folder in the way, a bad BASE_URL)."""
    from . import publish
    d = _open(args, "publish")
    if d is None:
        return 1
    try:
        base_url = publish.check_base_url(args.base_url) if args.base_url else publish.read_base_url(d.instance_path)
        formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
        result = publish.publish(d.open_repo(), args.rev, args.out, base_url, formats or publish.FORMATS,
                                 jobs=args.jobs)
    except publish.PublishError as exc:
        print(f"review publish: {exc}", file=sys.stderr)
        return 1
    for path in result.files:
        print(f"  {path}{'/' if path.is_dir() else ''}")
    print(f"Published {args.rev} into {result.out} in {result.seconds:.1f} s"
          + ("" if base_url else " (no BASE_URL in DIR/instance/config.py: pages do not link to the live site)"))
    return 0


def _jobs(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes (1-64)")
    return int(value)


def _reindex(args) -> int:
    """Rebuild the search index (DIR/instance/search.sqlite) from git."""
    import time

    from . import search
    d = _open(args, "reindex")
    if d is None:
        return 1
    start = time.perf_counter()
    n = search.rebuild(search.Index.of(d.instance_path), d.open_repo())
    print(f"Indexed {n} entries from {d.repo_path} in {time.perf_counter() - start:.1f} s "
          f"({d.instance_path / search.FILE_NAME})")
    return 0


def _notify(args) -> int:
    """Catch up notifications, queue them by preferences, make the due digests, send the outbox.
    Exit 0 when every due message went out (or waits for a retry), 1 on a bad deployment or setting."""
    import signal
    import sqlite3
    import time

    from . import mailer
    from .errors import ReviewError
    d = _open(args, "notify")
    if d is None:
        return 1
    try:
        settings = mailer.read_settings(d)
    except (ReviewError, ValueError, SyntaxError) as exc:
        print(f"review notify: {exc}", file=sys.stderr)
        return 1
    stop = []
    if args.loop:
        signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    while True:
        try:
            report = mailer.run_once(d, settings)
        except (OSError, sqlite3.Error, ReviewError) as exc:  # a full disk, a locked database...
            print(f"review notify: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            if not args.loop:
                return 1
            report = None
        for line in report.errors if report else ():
            print(f"review notify: {line}", file=sys.stderr)
        if report:
            print(report.text(), flush=True)
        if not args.loop:
            return 0
        deadline = time.monotonic() + args.interval
        try:
            while not stop and time.monotonic() < deadline:
                time.sleep(min(1.0, args.interval))
        except KeyboardInterrupt:
            return 0
        if stop:
            return 0


def _interval(value: str) -> float:
    try:
        n = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not 1 <= n <= 86400:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 86400 seconds")
    return n
SELF_ASSESSMENT_FORMATS = ("html", "csv", "json")


def _self_assessment(args) -> int:
    """Exit 0 written, 1 refused (a bad term, an unwritable file). The same core as /self-assessment."""
    import json
    import os
    import tempfile

    from . import publish, selfassessment
    from .errors import ReviewError
    d = _open(args, "self-assessment")
    if d is None:
        return 1
    out = os.path.abspath(args.out)
    if os.path.isdir(out) or not os.path.isdir(os.path.dirname(out)):
        print(f"review self-assessment: --out {args.out} must be a file in an existing folder", file=sys.stderr)
        return 1
    try:
        report = selfassessment.build(d.open_repo(), args.start, args.end)
        if args.format == "csv":
            text = selfassessment.to_csv(report)
        elif args.format == "json":
            text = json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n"
        else:
            from .web.selfassessment import standalone_page
            text = standalone_page(args.dir, args.start, args.end, args.lang,
                                   publish.read_base_url(d.instance_path))
    except ReviewError as exc:
        print(f"review self-assessment: {exc.message}", file=sys.stderr)
        return 1
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(out), prefix=".self-assessment-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # a report to share: readable as any file the user writes
        os.replace(tmp, out)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        print(f"review self-assessment: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"Wrote the self-assessment from {report.term.start} to {report.term.end} ({args.format}) to {out}")
    return 0


def _port(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (1-65535)") from None
    if not 1 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"{n} is not a port number (1-65535)")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="review", description="Collaborative review of an open-government action plan, kept in git.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    s = sub.add_parser("init", help="create a deployment folder: DIR/plan.git and DIR/instance/")
    s.add_argument("dir", metavar="DIR", help="a new or empty folder")
    s.add_argument("--from", dest="plan_dir", metavar="PLAN_DIR", help="plan folder to import (default: the sample plan-repo/)")
    s.add_argument("--demo", action="store_true", help="also create the demo accounts and print their passwords")
    s.set_defaults(func=_init)

    s = sub.add_parser("serve", help="serve a deployment with the development server")
    s.add_argument("dir", metavar="DIR")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=_port, default=5000)
    s.set_defaults(func=_serve)

    s = sub.add_parser("user", help="manage accounts (credentials stay in DIR/instance/)")
    users = s.add_subparsers(dest="user_command", metavar="ACTION")
    users.required = True
    u = users.add_parser("add", help="create an account for a person listed in plan.yaml")
    u.add_argument("dir", metavar="DIR")
    u.add_argument("handle", metavar="HANDLE")
    u.add_argument("--name", help="the person's name, checked against plan.yaml")
    u.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    u.set_defaults(func=_user_add)
    u = users.add_parser("passwd", help="set a new password (ends every session of the account)")
    u.add_argument("dir", metavar="DIR")
    u.add_argument("handle", metavar="HANDLE")
    u.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    u.add_argument("--revoke-tokens", action="store_true", help="also revoke every personal access token of the account")
    u.set_defaults(func=_user_passwd)

    s = sub.add_parser("participant", help="accounts of the public for consultations (a pseudonym; in DIR/instance/)")
    parts = s.add_subparsers(dest="participant_command", metavar="ACTION")
    parts.required = True
    u = parts.add_parser("add", help="create a participant account and print its one-time password")
    u.add_argument("dir", metavar="DIR")
    u.add_argument("pseudonym", metavar="PSEUDONYM", help="2 to 32 of a-z 0-9 _ -; public, in git as ~PSEUDONYM")
    u.add_argument("--email", default=None, help="an e-mail address, kept private in DIR/instance/")
    u.set_defaults(func=_participant_add)

    s = sub.add_parser("token", help="print a new personal access token for an account")
    s.add_argument("dir", metavar="DIR")
    s.add_argument("handle", metavar="HANDLE")
    s.add_argument("--label", default="command line", help="a name to recognise the token by")
    s.set_defaults(func=_token)

    s = sub.add_parser("verify", help="prove a plan repository's history offline "
                                      "(exit 0 clean, 1 violations, 2 unusable input, 3 a bug of the verifier)")
    s.add_argument("path", metavar="PATH", help="a bare plan repository (DIR/plan.git) or a `git clone --mirror` of one")
    s.add_argument("--json", action="store_true", help="print the report as JSON (with `refs`: ref -> tip, "
                                                       "a witness file for a later --witness)")
    s.add_argument("--witness", metavar="OTHER", help="also check that nothing another copy holds was rewritten "
                                                      "since: a bare repository or mirror kept by someone else, or "
                                                      "a JSON file of ref -> commit written by --json")
    s.set_defaults(func=_verify)

    s = sub.add_parser("checkpoint", help="tag the tips of every ref, so that a later rewrite is detectable")
    s.add_argument("dir", metavar="DIR", help="a deployment folder (or a bare plan repository)")
    s.set_defaults(func=_checkpoint)

    s = sub.add_parser("import", help="make a deployment from a GitBook repository, a repository in our format "
                                      "or a Markdown folder, keeping its history")
    s.add_argument("source", metavar="SOURCE", help="a git repository (bare or a work tree) or a folder")
    s.add_argument("dir", metavar="DIR", help="the new deployment folder (must not exist)")
    s.add_argument("--orgs", metavar="FILE", help="an edited organisation map (default: the proposed one)")
    s.add_argument("--dry-run", action="store_true", help="write nothing; print what would be imported")
    s.set_defaults(func=_import)

    s = sub.add_parser("install-hooks", help="(re)install the server hooks into DIR/plan.git")
    s.add_argument("dir", metavar="DIR")
    s.set_defaults(func=_install_hooks)

    s = sub.add_parser("mirror", help="push every ref to the mirrors of DIR/instance/config.py now")
    s.add_argument("dir", metavar="DIR")
    s.set_defaults(func=_mirror)

    s = sub.add_parser("publish", help="write the plan at a revision as a static site, a PDF and an EPUB per language")
    s.add_argument("dir", metavar="DIR", help="a deployment folder")
    s.add_argument("--rev", required=True, help="a tag (e.g. adopted-2015-07-16), a branch or a commit id")
    s.add_argument("--out", required=True, metavar="FOLDER", help="a new (or empty) folder to write into")
    s.add_argument("--base-url", metavar="URL", help="the live site, linked from every page "
                                                      "(default: BASE_URL of DIR/instance/config.py)")
    s.add_argument("--formats", default="site,pdf,epub", help="comma-separated subset of site,pdf,epub")
    s.add_argument("--jobs", type=_jobs, default=None, help="processes making the PDFs at once (default: one per core)")
    s.set_defaults(func=_publish)
    s = sub.add_parser("self-assessment", help="write the end-of-term self-assessment (as /self-assessment) "
                                               "to a file")
    s.add_argument("dir", metavar="DIR", help="a deployment folder")
    s.add_argument("--out", required=True, metavar="FILE", help="the file to write (replaced if it exists)")
    s.add_argument("--format", choices=SELF_ASSESSMENT_FORMATS, default="html",
                   help="html (printable, one file), csv (one row per milestone) or json (default html)")
    s.add_argument("--lang", choices=("fr", "en"), default="fr", help="the language of the HTML (default fr)")
    s.add_argument("--from", dest="start", metavar="DAY_OR_VERSION",
                   help="the term's first day, YYYY-MM-DD or a published version (default: the first version)")
    s.add_argument("--to", dest="end", metavar="DAY_OR_VERSION",
                   help="the term's last day, YYYY-MM-DD or a published version (default: today)")
    s.set_defaults(func=_self_assessment)
    s = sub.add_parser("reindex", help="rebuild the search index (DIR/instance/search.sqlite) from git")
    s.add_argument("dir", metavar="DIR")
    s.set_defaults(func=_reindex)

    s = sub.add_parser("notify", help="queue the new notifications as e-mail and send the outbox "
                                      "(retries with backoff; safe to run twice at once)")
    s.add_argument("dir", metavar="DIR")
    s.add_argument("--loop", action="store_true", help="keep running (a service): a round every --interval seconds")
    s.add_argument("--interval", type=_interval, default=60.0, help="seconds between rounds with --loop (default 60)")
    s.set_defaults(func=_notify)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
