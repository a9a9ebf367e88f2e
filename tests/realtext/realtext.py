#!/usr/bin/env python3
"""tests/realtext/realtext.py - the labelled real-text set for --split auto.

The repository keeps only labels.tsv (path, sha256, label, kind, reason);
the texts are files that Debian packages install (scripts/setup.sh installs
the packages).  A text is the file's bytes, gunzipped when the path ends in
.gz; for kind "fortune" every line that is exactly "%" (the fortune file
separator) is replaced by an empty line, which makes the file a sequence of
blank-line-separated quotations and poems.

  realtext.py check --detect BIN [--labels FILE] [--min N] [--min-agree PCT]
      gathers every labelled text whose sha256 matches, runs BIN (which
      prints "line" or "blank" per file argument, one a line) on them and
      compares with the labels; prints every disagreement and every skipped
      file, and fails when fewer than N (300) texts are available or the
      agreement is below PCT (99).
  realtext.py hash KIND PATH...
      prints the labels.tsv head (path, sha256) of new texts, for labelling.
  realtext.py show PATH [KIND]
      prints the gathered text (to look at it).
"""
import gzip
import hashlib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def gather(path, kind):
    """The text of a labelled file as bytes, or None when it is missing."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if path.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return None
    if kind == "fortune":
        lines = data.split(b"\n")
        data = b"\n".join(b"" if ln == b"%" else ln for ln in lines)
    return data


def read_labels(fname):
    rows = []
    with open(fname, encoding="utf-8") as f:
        for n, ln in enumerate(f, 1):
            ln = ln.rstrip("\n")
            if not ln or ln.startswith("#"):
                continue
            cols = ln.split("\t")
            if len(cols) != 5 or cols[2] not in ("line", "blank"):
                sys.exit(f"{fname}:{n}: want path, sha256, line|blank, kind, reason")
            rows.append(cols)
    return rows


def check(args):
    detect, labels, want_n, want_pct = None, os.path.join(HERE, "labels.tsv"), 300, 99.0
    i = 0
    while i < len(args):
        if args[i] == "--detect":
            detect = args[i + 1]
        elif args[i] == "--labels":
            labels = args[i + 1]
        elif args[i] == "--min":
            want_n = int(args[i + 1])
        elif args[i] == "--min-agree":
            want_pct = float(args[i + 1])
        else:
            sys.exit(f"unknown argument {args[i]}")
        i += 2
    if not detect:
        sys.exit("check needs --detect BIN")
    rows = read_labels(labels)
    missing = changed = 0
    avail = []
    with tempfile.TemporaryDirectory(prefix="nd-realtext-") as tmp:
        for k, (path, sha, label, kind, reason) in enumerate(rows):
            data = gather(path, kind)
            if data is None:
                print(f"SKIP missing: {path} (install the packages of scripts/setup.sh)")
                missing += 1
                continue
            if hashlib.sha256(data).hexdigest() != sha:
                print(f"SKIP changed: {path} (sha256 differs from the label; package version changed?)")
                changed += 1
                continue
            out = os.path.join(tmp, f"{k:05d}.txt")
            with open(out, "wb") as f:
                f.write(data)
            avail.append((out, path, label, kind, reason))
        got = []
        if avail:
            r = subprocess.run([detect] + [a[0] for a in avail], capture_output=True, text=True)
            sys.stderr.write(r.stderr)  # sanitizer reports reach ctest's FAIL_REGULAR_EXPRESSION
            if r.returncode != 0:
                sys.exit(f"{detect} failed ({r.returncode}): {r.stderr}")
            got = r.stdout.split()
        if len(got) != len(avail):
            sys.exit(f"{detect} printed {len(got)} decisions for {len(avail)} files")
    agree = 0
    per_kind = {}
    for (out, path, label, kind, reason), dec in zip(avail, got):
        pk = per_kind.setdefault(kind, [0, 0])
        pk[1] += 1
        if dec == label:
            agree += 1
            pk[0] += 1
        else:
            print(f"DISAGREE {path}: label {label}, auto {dec} [{kind}] {reason}")
    n = len(avail)
    print(f"labelled {len(rows)}, skipped {missing} missing + {changed} changed, checked {n}")
    for kind in sorted(per_kind):
        a, t = per_kind[kind]
        print(f"  {kind:10s} {a}/{t}")
    pct = 100.0 * agree / n if n else 0.0
    print(f"agreement {agree}/{n} = {pct:.2f}% (need >= {want_pct}% of >= {want_n} files)")
    if n < want_n:
        print(f"FAIL: only {n} labelled files available, need {want_n}")
        return 1
    if pct < want_pct:
        print("FAIL: agreement below the bar")
        return 1
    return 0


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "check":
        return check(args)
    if cmd == "hash":
        kind = args[0]
        for p in args[1:]:
            data = gather(p, kind)
            if data is None:
                print(f"missing {p}", file=sys.stderr)
                continue
            print(f"{p}\t{hashlib.sha256(data).hexdigest()}\t{kind}")
        return 0
    if cmd == "show":
        data = gather(args[0], args[1] if len(args) > 1 else "")
        sys.stdout.buffer.write(data or b"")
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
