"""``python -m etl users|token|audit``: manage who may sign in and read the audit log.

Thin over ``warehouse.users``. Passwords are read without echo (getpass) from a terminal, or from
the first line of standard input when there is none (scripts, CI); never from an argument, which
would land in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from warehouse.access_models import ROLES
from warehouse.audit import current_user
from warehouse.users import (
    AccessError,
    add_user,
    audit,
    audit_log,
    create_token,
    list_tokens,
    list_users,
    revoke_token,
    set_disabled,
    set_password,
)

DEMO_USERS = (("demo-admin", "admin", ""), ("demo-manager", "manager", ""), ("demo-approver", "approver", ""),
              ("demo-board", "board", ""), ("demo-partner", "partner", "ORG001"),
              ("demo-homeoffice", "homeoffice", ""))


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise AccessError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def run(engine_factory: Callable, args: argparse.Namespace) -> int:  # noqa: C901 - one branch per verb
    engine = engine_factory()
    me = f"cli:{current_user()}"
    try:
        if args.command == "users":
            if args.action == "add":
                p = add_user(engine, args.name, args.role, args.org or "")
                audit(engine, "user.add", me, target=p.name, detail=f"role={p.role} org={p.org}")
                print(f"added {p.name} ({p.role}{' of ' + p.org if p.org else ''}); set a password with "
                      f"`python -m etl users set-password {p.name}`")
            elif args.action == "set-password":
                set_password(engine, args.name, _read_password())
                audit(engine, "user.set_password", me, target=args.name)
                print(f"password set for {args.name}; their existing sessions are ended")
            elif args.action in ("disable", "enable"):
                set_disabled(engine, args.name, args.action == "disable")
                audit(engine, f"user.{args.action}", me, target=args.name)
                print(f"{args.name} {args.action}d")
            else:
                print(list_users(engine).to_string(index=False))
        elif args.command == "token":
            if args.action == "create":
                tid, token = create_token(engine, args.name, args.label or "")
                audit(engine, "token.create", me, target=f"{args.name} token #{tid}")
                print(f"token #{tid} for {args.name} (shown once; send as 'Authorization: Bearer ...'):\n{token}")
            elif args.action == "revoke":
                owner = revoke_token(engine, int(args.id))
                audit(engine, "token.revoke", me, target=f"{owner} token #{args.id}")
                print(f"token #{args.id} of {owner} revoked")
            else:
                print(list_tokens(engine).to_string(index=False))
        else:
            print(audit_log(engine, args.limit, args.action or "").to_string(index=False))
    except (AccessError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def add_parsers(sub: argparse._SubParsersAction, func: Callable) -> None:
    p = sub.add_parser("users", help="dashboard users: add, set-password, disable, enable, list")
    users = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    s = users.add_parser("add", help="add a user (then set their password)")
    s.add_argument("name")
    s.add_argument("--role", required=True, choices=ROLES)
    s.add_argument("--org", help="organisation code (partner users only)")
    for verb, text in (("set-password", "set a password, read without echo or from stdin"),
                       ("disable", "stop a user signing in; ends their sessions and revokes their tokens"),
                       ("enable", "let a disabled user sign in again")):
        users.add_parser(verb, help=text).add_argument("name")
    users.add_parser("list", help="users, roles and organisations (never passwords)")
    p.set_defaults(func=func)
    p = sub.add_parser("token", help="API tokens: create, revoke, list")
    tokens = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    s = tokens.add_parser("create", help="a token for a user's scripts (same role and scope as the user)")
    s.add_argument("name")
    s.add_argument("--label", help="what it is for")
    tokens.add_parser("revoke", help="revoke a token by its number").add_argument("id")
    tokens.add_parser("list", help="tokens by number and owner (never the token itself)")
    p.set_defaults(func=func)
    p = sub.add_parser("audit", help="the audit log, newest first")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--action", help="only actions starting with this, e.g. signin or snapshot")
    p.set_defaults(func=func)


def create_demo_users(engine) -> list[tuple[str, str, str]]:  # noqa: ANN001 - an Engine
    """Demo users, one per role, with fresh random passwords: (name, role, password). Existing ones kept."""
    import secrets

    from warehouse.users import user_exists

    made = []
    for name, role, org in DEMO_USERS:
        if user_exists(engine, name):
            continue
        add_user(engine, name, role, org)
        password = secrets.token_urlsafe(12)
        set_password(engine, name, password)
        audit(engine, "user.add", "demo", target=name, detail=f"role={role} org={org}")
        made.append((name, role, password))
    return made


def print_demo_users(made: list[tuple[str, str, str]], out=None) -> None:  # noqa: ANN001 - a text stream
    if not made:
        return
    out = out or sys.stdout  # looked up now: tests and tools swap sys.stdout
    print("\nDemo sign-in (development only; passwords shown once, change with "
          "`python -m etl users set-password NAME`):", file=out)
    for name, role, password in made:
        org = dict((n, o) for n, _r, o in DEMO_USERS).get(name, "")
        print(f"  {role:<11} user {name:<16} password {password}{f'   (organisation {org})' if org else ''}",
              file=out)
