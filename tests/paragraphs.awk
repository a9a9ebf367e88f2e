# tests/paragraphs.awk - deterministic English-like paragraphs for the case
# scripts (tests/live, tests/interrupt):
#   awk -v seed=N -v want=BYTES -f tests/paragraphs.awk            > FILE
#   awk -v seed=N -v want=BYTES -v nfiles=N -v dir=D -f tests/paragraphs.awk
# The first form prints exactly `want` bytes; the second writes D/f0000.txt
# ... of about `want` bytes each (whole paragraphs).  Paragraphs are 20-69
# numbered words from a fixed list, separated by blank lines; every fourth
# repeats one of the last 200 with its first word changed, so there are
# near-duplicates to find.
function para(   k, i, p) {
  if (np > 4 && np % 4 == 0) {
    p = hist[int(rand() * (np < 200 ? np : 200))];
    sub(/^[a-z]+/, v[1 + int(rand() * nv)], p);
  } else {
    k = 20 + int(rand() * 50); p = "";
    for (i = 0; i < k; i++) p = p (i ? " " : "") v[1 + int(rand() * nv)] (int(rand() * 50));
  }
  hist[np % 200] = p; np++;
  return p "\n\n";
}
BEGIN {
  srand(seed);
  nv = split("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu river stone cloud field light green house paper water night", v, " ");
  np = 0;
  if (nfiles == "") {
    for (n = 0; n < want;) {
      p = para();
      if (n + length(p) > want) p = substr(p, 1, want - n);
      printf "%s", p; n += length(p);
    }
  } else {
    for (f = 0; f < nfiles; f++) {
      name = sprintf("%s/f%04d.txt", dir, f);
      for (n = 0; n < want;) { p = para(); printf "%s", p > name; n += length(p); }
      close(name);
    }
  }
}
