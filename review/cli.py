"""The `review` command. Each subcommand parses its arguments and calls the core."""

from __future__ import annotations

import argparse
import sys

from . import deployment
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
        print("Demo accounts (handle / password):")
        for handle, password in accounts.create_demo_accounts(d):
            print(f"  {handle:10} {password}")
    print(f"Serve it with: review serve {d.root}")
    return 0


def _serve(args) -> int:
    try:
        d = deployment.Deployment.open(args.dir)
    except deployment.DeploymentError as exc:
        print(f"review serve: {exc}", file=sys.stderr)
        return 1
    from .web import create_app
    app = create_app(d.root)
    print(f"Serving {d.root} on http://{args.host}:{args.port}/ (Ctrl-C to stop)")
    app.run(host=args.host, port=args.port, debug=False, threaded=True)
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
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
