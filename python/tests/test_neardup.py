"""pytest tests of the Python binding (ctest python_pytest).

Environment (set by tests/install/install.cmake): NEARDUP_LIBRARY, the
installed libneardup.so.0; NEARDUP_BIN, the installed program, whose output
the binding's results must equal; NEARDUP_LAYOUT, a C program printing the
structs' sizes and offsets; ND_SEEDS, the bundled corpus.
"""
import json
import os
import re
import subprocess

import pytest

import neardup

SEEDS = os.environ.get("ND_SEEDS", os.path.join(os.path.dirname(__file__),
                                                 "..", "..", "examples", "seeds"))
BIN = os.environ.get("NEARDUP_BIN")


def need(var):
    if not os.environ.get(var):
        pytest.skip("%s is not set (ctest sets it)" % var)
    return os.environ[var]


def cli(*args):
    return subprocess.run([need("NEARDUP_BIN")] + list(args), check=True,
                          stdout=subprocess.PIPE).stdout.decode()


def test_struct_layout_matches_c():
    out = subprocess.run([need("NEARDUP_LAYOUT")], check=True,
                         stdout=subprocess.PIPE).stdout.decode().split("\n")
    checked = 0
    for line in filter(None, out):
        name, value = line.split()
        struct, _, field = name.partition(".")
        cls = neardup.STRUCTS[struct]
        if field:
            assert getattr(cls, field).offset == int(value), name
        else:
            assert len(cls._fields_) == sum(
                1 for x in out if x.startswith(struct + ".")), struct
            assert ctypes_sizeof(cls) == int(value), name
        checked += 1
    assert checked > 80


def ctypes_sizeof(cls):
    import ctypes
    return ctypes.sizeof(cls)


def test_version():
    assert neardup.version() == cli("--version").split()[1]


def test_scan_equals_the_program():
    with neardup.scan(SEEDS) as r:
        for fmt in ("jsonl", "csv", "json"):
            assert r.write(fmt) == cli("scan", "-f", fmt, SEEDS), fmt
        summary = json.loads(cli("scan", "-f", "jsonl", SEEDS).split("\n")[0])
        for k in ("files", "paragraphs", "clusters", "clustered_paragraphs",
                  "verified_pairs", "candidate_pairs"):
            assert getattr(r.summary, k) == summary[k], k


def test_objects():
    with neardup.scan([SEEDS], threshold=0.8) as r:
        docs = r.documents
        assert len(docs) == r.summary.files == 5
        assert [d.path for d in docs] == sorted(d.path for d in docs)
        clusters = list(r.clusters)
        assert len(clusters) == r.summary.clusters
        members = 0
        for c in clusters:
            assert c.size == len(c.members) >= 2
            assert all(p.cluster == c.index for p in c.members)
            assert c.members[0].text
            assert c.members[0].index == min(p.index for p in c.members)
            members += c.size
        assert members == r.summary.clustered_paragraphs
        assert sum(1 for _ in r.paragraphs) == r.summary.paragraphs
        assert list(r.passages) == []  # passages off
        # comparable characters: those of paragraphs of --min-chars or more
        records = [json.loads(line) for line in
                   cli("scan", "-f", "jsonl", SEEDS).splitlines()]
        want = [d["comparable_chars"] for d in records if d["type"] == "document"]
        assert [d.comparable_chars for d in docs] == want
        assert all(d.comparable_chars <= d.chars for d in docs)


def test_texts_overlaps_and_passages():
    line = "The quick brown fox jumps over the lazy dog again and again."
    texts = {"a.txt": line + "\n\nsomething else entirely, not copied\n",
             "b.txt": "before\n\n" + line + "\n"}
    with neardup.scan(texts=texts, passages=True, min_passage=20) as r:
        assert [d.path for d in r.documents] == ["a.txt", "b.txt"]
        overlaps = list(r.overlaps)
        assert len(overlaps) == 1
        o = overlaps[0]
        assert (o.a.path, o.b.path) == ("a.txt", "b.txt")
        assert o.a_in_b > 0 and o.b_in_a > 0
        passages = list(r.passages)
        assert len(passages) == 1
        assert [pl.document.path for pl in passages[0].places] == ["a.txt", "b.txt"]
        assert all(line[:-1] in pl.text for pl in passages[0].places)


def test_options_are_the_library_options():
    a = neardup.scan(SEEDS, threshold=0.95, num_perm=64, split="line",
                     drop_pinyin=False)
    try:
        assert a.summary.threshold == 0.95
        assert a.summary.num_perm == 64
        assert a.write("jsonl") == cli("scan", "-f", "jsonl", "--threshold", "0.95",
                                       "--num-perm", "64", "--split", "line",
                                       "--keep-pinyin", SEEDS)
    finally:
        a.close()


def test_params():
    for t in (0.5, 0.8, 0.9):
        p = neardup.params(t, 128)
        got = json.loads(cli("params", "-f", "jsonl", "--threshold", str(t)).split("\n")[0])
        assert (p.bands, p.rows) == (got["bands"], got["rows"])
        assert 0.99 < p.probability(t) <= 1.0


def test_errors_carry_the_library_message():
    with pytest.raises(neardup.Error) as e:
        neardup.scan(SEEDS, threshold=2)
    assert e.value.status == 2 and "threshold" in str(e.value)
    with pytest.raises(neardup.Error):
        neardup.params(0, 128)
    with pytest.raises(neardup.Error):
        neardup.scan(SEEDS, split="sideways")
    with pytest.raises(TypeError):
        neardup.scan(SEEDS, no_such_option=1)
    r = neardup.scan(["/nonexistent/neardup-test"], texts=[("t", "text")])
    assert [s.path for s in r.skipped] == ["/nonexistent/neardup-test"]
    assert "No such file" in r.skipped[0].message
    r.close()
    with pytest.raises(neardup.Error):
        r.write()


def test_readme_example_runs(capsys):
    """The ```python block of README.md's "## Python", run on the seeds."""
    readme = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    start = text.index("```python\n", text.index("## Python")) + len("```python\n")
    code = text[start:text.index("```", start)]
    assert '"corpus/"' in code
    exec(compile(code.replace('"corpus/"', repr(SEEDS)), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert re.match(r"[1-9][0-9]* clusters in 5 documents\n", out)
