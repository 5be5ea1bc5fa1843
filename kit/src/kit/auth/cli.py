"""``kit-token``: print a bearer token for local use, signed with ``JWT_SECRET`` from the env."""

from __future__ import annotations

import argparse
import os
import re
import sys
import warnings
from collections.abc import Sequence
from datetime import timedelta

import jwt

from kit.auth.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEV_SECRET, AuthConfig
from kit.principal import Principal, Role, ScopeError

MIN_SECRET_BYTES = 32  # RFC 7518 §3.2: an HS256 key of at least the hash size
_TTL = re.compile(r"^(\d+)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> timedelta:
    """Return a lifetime from ``90``, ``90s``, ``30m``, ``8h`` or ``2d``."""
    match = _TTL.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive duration like 30m, 8h or 2d: {text!r}"
        )
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(
        prog="kit-token",
        description=(
            "Print a bearer token for local use. The secret, issuer and audience come from "
            f"JWT_SECRET (default {DEV_SECRET!r}, with a warning), JWT_ISSUER and JWT_AUDIENCE "
            f"(both default {DEFAULT_ISSUER!r}); they must match the services' settings."
        ),
        epilog="example: kit-token --role township_staff --scope 990101001 --name 张三 --ttl 8h",
    )
    parser.add_argument(
        "--role",
        dest="roles",
        action="append",
        required=True,
        choices=[r.value for r in Role],
        help="a role; repeat for several",
    )
    parser.add_argument(
        "--scope",
        required=True,
        help='division-code prefix: "99" province, "990101" county, "990101001" township',
    )
    parser.add_argument("--name", default="", help="display name, e.g. 张三")
    parser.add_argument("--subject", help="user id (default: the name, else <role>-<scope>)")
    parser.add_argument("--deputy-id", help="the deputy's id, for the deputy role")
    parser.add_argument("--unit-id", help="the handling unit's id, for the handling_unit role")
    parser.add_argument(
        "--ttl",
        type=parse_ttl,
        default=timedelta(hours=8),
        help="lifetime: 30m, 8h, 2d (default 8h)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, print a token and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    secret = os.environ.get("JWT_SECRET") or DEV_SECRET
    if secret == DEV_SECRET:
        print(
            "kit-token: warning: JWT_SECRET is not set; signing with the development secret "
            "(what ./dev run starts the services with, in development mode)",
            file=sys.stderr,
        )
    elif len(secret.encode()) < MIN_SECRET_BYTES:
        print(f"kit-token: warning: JWT_SECRET is under {MIN_SECRET_BYTES} bytes", file=sys.stderr)
    config = AuthConfig(
        secret=secret,
        issuer=os.environ.get("JWT_ISSUER") or DEFAULT_ISSUER,
        audience=os.environ.get("JWT_AUDIENCE") or DEFAULT_AUDIENCE,
    )
    try:
        principal = Principal(
            subject=args.subject or args.name or f"{args.roles[0]}-{args.scope}",
            name=args.name,
            roles=frozenset(Role(r) for r in args.roles),
            scope=args.scope,
            deputy_id=args.deputy_id,
            unit_id=args.unit_id,
        )
    except ScopeError as error:
        parser.error(str(error))
    with warnings.catch_warnings():  # warned above, once, in our words
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        token = config.issue(principal, ttl=args.ttl)
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
