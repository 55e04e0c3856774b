"""Command line: ``thyroid-evidence validate | audit | build | run``.

Every failure a user can cause ends in a plain message and a non-zero exit status, never a
traceback. Imports are lazy so that ``build`` with nothing to do stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

AUDIT_FORMATS = ("table", "csv", "json", "markdown")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thyroid-evidence",
        description=(
            "Evidence kit for the review of interventional radiology in metastatic thyroid "
            "cancer. Research and teaching material, not clinical decision support."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    validate = sub.add_parser("validate", help="validate the evidence data package")
    validate.add_argument("path", nargs="?", default=None,
                          help="evidence folder (default: the repository's evidence/)")
    validate.set_defaults(handler=_validate)

    audit = sub.add_parser("audit", help="consistency audit of the reported numbers")
    audit.add_argument("path", nargs="?", default=None,
                       help="evidence folder (default: the repository's evidence/)")
    audit.add_argument("--format", choices=AUDIT_FORMATS, default="table",
                       help="output format (default: table)")
    audit.set_defaults(handler=_audit)

    try:
        from thyroid_evidence.build.cli import register
    except ImportError:  # the build package is optional while it is being written
        register = None
    if register is not None:
        register(sub)
    return parser


def _load(path: str | None):
    from thyroid_evidence.evidence import EvidenceError, load_evidence

    try:
        return load_evidence(path), None
    except EvidenceError as exc:
        return None, str(exc)


def _validate(args: argparse.Namespace) -> int:
    evidence, error = _load(args.path)
    if error:
        print(error, file=sys.stderr)
        return 1
    print(evidence.summary())
    return 0


def _audit(args: argparse.Namespace) -> int:
    evidence, error = _load(args.path)
    if error:
        print("The audit could not run: the evidence does not validate.", file=sys.stderr)
        print(error, file=sys.stderr)
        return 1
    from thyroid_evidence.audit import audit_evidence, format_audit

    sys.stdout.write(format_audit(audit_evidence(evidence), args.format))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
