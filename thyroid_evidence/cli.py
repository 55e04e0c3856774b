"""Command line: ``thyroid-evidence validate | audit | build | run``.

Every failure a user can cause ends in a plain message and a non-zero exit status, never a
traceback: each command's :class:`~thyroid_evidence.exceptions.ThyroidEvidenceError` (invalid
evidence, refused parameters, no project root found) is printed after ``error:`` and exits 1.
Imports are lazy so that ``build`` with nothing to do stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from thyroid_evidence.build.cli import register
from thyroid_evidence.exceptions import EvidenceError, ThyroidEvidenceError
from thyroid_evidence.vocab import AUDIT_FORMATS, DISCLAIMER


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thyroid-evidence",
        description=(
            "Evidence kit for the review of interventional radiology in metastatic thyroid "
            f"cancer. {DISCLAIMER}"
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    validate = sub.add_parser("validate", help="validate the evidence data package")
    validate.add_argument("path", nargs="?", default=None,
                          help="evidence folder (default: the project's evidence/)")
    validate.set_defaults(handler=_validate)

    audit = sub.add_parser("audit", help="consistency audit of the reported numbers")
    audit.add_argument("path", nargs="?", default=None,
                       help="evidence folder (default: the project's evidence/)")
    audit.add_argument("--format", choices=AUDIT_FORMATS, default="table",
                       help="output format (default: table)")
    audit.set_defaults(handler=_audit)

    register(sub)
    return parser


def _validate(args: argparse.Namespace) -> int:
    from thyroid_evidence.evidence import load_evidence

    print(load_evidence(args.path).summary())
    return 0


def _audit(args: argparse.Namespace) -> int:
    from thyroid_evidence.evidence import load_evidence

    try:
        evidence = load_evidence(args.path)
    except EvidenceError:
        print("The audit could not run: the evidence does not validate.", file=sys.stderr)
        raise
    from thyroid_evidence.audit import audit_evidence, format_audit

    sys.stdout.write(format_audit(audit_evidence(evidence), args.format))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except ThyroidEvidenceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
