"""Command line: ``thyroid-evidence validate | audit | build | run | reconstruct | digitise``.

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
from thyroid_evidence.vocab import AUDIT_FORMATS, DISCLAIMER, STATUSES


def _version() -> str:
    """The installed distribution's version (importlib.metadata), or why it is unknown."""
    from importlib import metadata

    try:
        return metadata.version("thyroid-evidence")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "(version unknown: the package is not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thyroid-evidence",
        description=(
            "Evidence kit for the review of interventional radiology in metastatic thyroid "
            f"cancer. {DISCLAIMER}"
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    validate = sub.add_parser("validate", help="validate the evidence data package")
    validate.add_argument("path", nargs="?", default=None,
                          help="evidence folder (default: the project's evidence/)")
    validate.add_argument("--quotes", action="store_true",
                          help="also look every quote up in its source's text (the review's; "
                               "sources/<source_id>.txt in the evidence folder for others); "
                               "exit 1 when one is not found")
    validate.set_defaults(handler=_validate)

    audit = sub.add_parser("audit", help="consistency audit of the reported numbers")
    audit.add_argument("--evidence", default=None, metavar="DIR",
                       help="evidence folder (default: the project's evidence/)")
    audit.add_argument("path", nargs="?", default=None, help=argparse.SUPPRESS)  # former form
    audit.add_argument("--format", choices=AUDIT_FORMATS, default="table",
                       help="output format (default: table)")
    audit.add_argument("--fail-on", type=_statuses, default=(), metavar="STATUS[,STATUS]",
                       help="exit 1 when a finding has one of these statuses (for CI); "
                            f"statuses: {', '.join(STATUSES)}")
    audit.set_defaults(handler=_audit)

    reconstruct = sub.add_parser(
        "reconstruct", help="pseudo-IPD from a digitised Kaplan-Meier curve and its risk table",
        description="Rebuild pseudo-individual data (Guyot et al. 2012) from a curve clicked in "
                    "WebPlotDigitizer and the numbers at risk printed under it; writes "
                    "DIR/ipd.csv (time,event), DIR/curve.png and DIR/check.csv.")
    reconstruct.add_argument("points", metavar="POINTS",
                             help="the clicks: a WebPlotDigitizer CSV (either locale), Export "
                                  "All Data, JSON project, or a CSV with columns time,survival")
    reconstruct.add_argument("--risk-table", required=True, metavar="RISK",
                             help="numbers at risk: a CSV with columns time,n_risk")
    reconstruct.add_argument("--curve", default=None, metavar="NAME",
                             help="the dataset to use, by name, from a file with several")
    reconstruct.add_argument("--total-events", type=int, default=None, metavar="N",
                             help="total events, when the publication reports them")
    reconstruct.add_argument("--out", required=True, metavar="DIR", help="output folder")
    reconstruct.set_defaults(handler=_reconstruct)

    digitise = sub.add_parser(
        "digitise", help="curve points from a Kaplan-Meier figure (image or vector PDF page)",
        description="Read the curves of a Kaplan-Meier figure without clicking: a PNG/JPEG "
                    "image is traced, a PDF page's vector paths are read exactly. Writes "
                    "POINTS.csv (curve,time,survival: the step corners of each curve, for "
                    "'reconstruct --curve NAME'), POINTS.curves.csv (per curve: colour, "
                    "corners, confidence) and POINTS.unsure.csv (where the trace was unsure).")
    digitise.add_argument("figure", metavar="FIGURE", help="an image file or a PDF")
    digitise.add_argument("--x-range", required=True, nargs=2, type=float,
                          metavar=("XMIN", "XMAX"),
                          help="the times at the left and right edges of the plot frame")
    digitise.add_argument("--y-range", required=True, nargs=2, type=float,
                          metavar=("YMIN", "YMAX"),
                          help="survival at the bottom and top edges of the frame (e.g. 0 1; "
                               "0 100 for percent)")
    digitise.add_argument("--curves", type=int, default=None, metavar="N",
                          help="how many curves the figure holds (default: every one found)")
    digitise.add_argument("--page", type=int, default=1, metavar="N",
                          help="the PDF page, from 1 (default: 1)")
    digitise.add_argument("--out", required=True, metavar="POINTS.csv", help="output file")
    digitise.set_defaults(handler=_digitise)

    register(sub)
    return parser


def _validate(args: argparse.Namespace) -> int:
    from thyroid_evidence.study.checks import validate_evidence

    evidence = validate_evidence(args.path)
    print(evidence.summary())
    if not args.quotes:
        return 0
    from thyroid_evidence.config import review_text_path
    from thyroid_evidence.study.quotes import check_quotes

    result = check_quotes(evidence, review_text_path())
    for problem in result.not_found:
        print(problem)
    print(result.summary())
    return 0 if result.ok else 1


def _statuses(text: str) -> tuple[str, ...]:
    """The audit statuses named in ``text`` (comma-separated), in declaration order."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"name at least one status; allowed: "
                                         f"{', '.join(STATUSES)}")
    for name in names:
        if name not in STATUSES:
            raise argparse.ArgumentTypeError(f"{name!r} is not a status; allowed: "
                                             f"{', '.join(STATUSES)}")
    return tuple(status for status in STATUSES if status in names)


def _audit(args: argparse.Namespace) -> int:
    from thyroid_evidence.study.checks import validate_evidence

    if args.path is not None and args.evidence is not None:
        print("error: give the evidence folder once (--evidence DIR)", file=sys.stderr)
        return 1
    try:
        evidence = validate_evidence(args.evidence or args.path)
    except EvidenceError:
        print("The audit could not run: the evidence does not validate.", file=sys.stderr)
        raise
    from thyroid_evidence.audit import audit_evidence, format_audit

    findings = audit_evidence(evidence)
    sys.stdout.write(format_audit(findings, args.format))
    listed = findings[findings["status"].isin(args.fail_on)]
    if listed.empty:
        return 0
    counts = listed["status"].value_counts()
    parts = [f"{counts[s]} finding{'' if counts[s] == 1 else 's'} with status {s}"
             for s in STATUSES if s in counts]
    sys.stdout.flush()
    print(f"audit: {', '.join(parts)} (--fail-on {','.join(args.fail_on)})", file=sys.stderr)
    return 1


def _reconstruct(args: argparse.Namespace) -> int:
    """``reconstruct POINTS --risk-table RISK [--curve NAME] [--total-events N] --out DIR``:
    ``DIR/ipd.csv`` (time,event), ``DIR/check.csv`` and ``DIR/curve.png``."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from thyroid_evidence.digitised import DigitisedInputError, read_points, read_risk_table
    from thyroid_evidence.files import atomic_write_text
    from thyroid_evidence.plotting import plot_curve
    from thyroid_evidence.plotting.figures import save_figure
    from thyroid_evidence.survival import reconstruct_km

    curve = read_points(args.points, curve=args.curve)
    risk = read_risk_table(args.risk_table)
    try:
        result = reconstruct_km(curve.time, curve.survival, risk_times=risk["time"],
                                n_risk=risk["n_risk"], total_events=args.total_events,
                                label=f"{curve.name} (digitised from {Path(args.points).name})")
    except ValueError as exc:
        # the refused argument (ArgumentValueError.parameter) names the input it came from
        risk_row = f"{args.risk_table}:{int(risk['row'].iloc[0])}"
        where = {"total_events": "--total-events", "risk_times": risk_row, "n_risk": risk_row,
                 "n_total": risk_row}.get(getattr(exc, "parameter", None), args.points)
        raise DigitisedInputError([f"{where}: {exc}"]) from None
    ipd, table, diag = result.data[["time", "event"]], result.reported_vs_reproduced, \
        result.diagnostics
    lines = ["quantity,time,published,reconstructed,status"]
    for row in table.itertuples():
        time = "" if row.time_months != row.time_months else f"{row.time_months:g}"
        lines.append(f"{row.quantity},{time},{row.reported:g},{row.reproduced:g},{row.status}")
    lines.append(f"largest_gap_to_clicks,,,{diag.max_abs_diff:.4f},")
    lines.append(f"mean_gap_to_clicks,,,{diag.mean_abs_diff:.4f},")
    out = Path(args.out)
    ax = plot_curve(result)
    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "ipd.csv", ipd.to_csv(index=False, float_format="%.10g",
                                                      lineterminator="\n"))
        atomic_write_text(out / "check.csv", "\n".join(lines) + "\n")
        figure = save_figure(ax.figure, out / "curve", formats=("png",))[0]
    except OSError as exc:
        raise DigitisedInputError([f"{out}: cannot write the outputs ({exc})"]) from None
    finally:
        plt.close(ax.figure)
    missed = int((~table["within_rounding"]).sum())
    print(f"{curve.source}: dataset {curve.name!r} ({curve.format}, survival in "
          f"{curve.scale}), {diag.n_points_input} clicks; {len(ipd)} patients, "
          f"{int(ipd['event'].sum())} events")
    for note in (*curve.notes, *diag.warnings):
        print(f"  note: {note}")
    print(f"published vs reconstructed: {len(table) - missed} of {len(table)} met; largest gap "
          f"to the clicks {100 * diag.max_abs_diff:.2f} percentage points")
    print(f"wrote {out / 'ipd.csv'}, {out / 'check.csv'}, {figure}")
    return 0


def _digitise(args: argparse.Namespace) -> int:
    """``digitise FIGURE --x-range A B --y-range A B [--curves N] [--page N] --out POINTS``:
    nothing is written unless the whole figure was read."""
    from thyroid_evidence.digitise import digitise_figure, write_points

    figure = digitise_figure(args.figure, x_range=tuple(args.x_range),
                             y_range=tuple(args.y_range), curves=args.curves, page=args.page)
    written = write_points(figure, args.out)
    how = "vector paths read exactly" if figure.kind == "vector" else "pixels traced"
    print(f"{figure.source}: {len(figure.curves)} curve(s), {how}")
    for curve in figure.curves:
        print(f"  {curve.name}: {len(curve.time)} corners, confidence {curve.confidence:.2f}"
              + (f", unsure in {len(curve.unsure)} place(s)" if curve.unsure else ""))
    for note in figure.notes:
        print(f"  note: {note}")
    print(f"wrote {', '.join(str(p) for p in written)}")
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
