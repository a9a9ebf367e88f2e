"""neardup - near-duplicate paragraphs and copied passages in a corpus.

A ctypes binding of the shared library libneardup.so.0 (include/neardup.h
is the contract; this module mirrors its structs, tests check their layout).

    import neardup
    with neardup.scan(["corpus/"], threshold=0.85) as report:
        print(report.summary.clusters)
        for cluster in report.clusters:
            for p in cluster.members:
                print(p.document.path, p.line, p.text[:40])

The options are nd_options' fields, by the same names (threshold, num_perm,
shingle, min_chars, split, seed, bands, rows, threads, max_file_size,
max_paragraph_bytes, memory_limit, common_docs, encoding, jsonl_field,
id_field, passages, min_passage, max_gap) and the normalisation steps
(nfkc, casefold, t2s, drop_pinyin, strip: True by default).  Errors are
raised as neardup.Error with the library's message and status.

The library is loaded from $NEARDUP_LIBRARY when set, else as
libneardup.so.0 through the dynamic loader (LD_LIBRARY_PATH, the system's
library directories).
"""
import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_char, c_char_p,
                    c_double, c_int, c_int64, c_size_t, c_ubyte, c_uint,
                    c_uint32, c_uint64, c_void_p)

__all__ = ["Error", "Scanner", "Report", "scan", "params", "version",
           "FORMATS"]

__version__ = "0.4.0"
# the library's major.minor this binding was written for (0.x: a minor
# version may change the ABI, and the SONAME with it)
_ABI = (0, 4)

FORMATS = {"text": 0, "jsonl": 1, "json": 2, "csv": 3, "html": 4}
_SPLIT = {"auto": 0, "line": 1, "blank": 2}
_SPLIT_NAMES = {v: k for k, v in _SPLIT.items()}
_NORM = {"nfkc": 1 << 0, "casefold": 1 << 1, "t2s": 1 << 2,
         "drop_pinyin": 1 << 3, "strip": 1 << 4}
ND_OK = 0
ND_ERR_INVALID = 2
ND_ERR_IO = 3


# ---- the structs of neardup.h ----------------------------------------------

class _Options(Structure):
    _fields_ = [("split", c_int), ("min_chars", c_uint), ("norm_flags", c_uint),
                ("shingle", c_uint), ("num_perm", c_uint), ("seed", c_uint64),
                ("threshold", c_double), ("bands", c_uint), ("rows", c_uint),
                ("max_file_size", c_uint64), ("threads", c_uint),
                ("max_paragraph_bytes", c_uint32), ("memory_limit", c_uint64),
                ("common_docs", c_uint), ("encoding", c_char * 32),
                ("jsonl_field", c_char * 64), ("id_field", c_char * 64),
                ("passages", c_uint), ("min_passage", c_uint),
                ("max_gap", c_uint)]


class _Diag(Structure):
    _fields_ = [("path", c_char_p), ("status", c_int), ("sys_errno", c_int),
                ("detail", c_char_p)]


class _Summary(Structure):
    _fields_ = [(n, c_uint64) for n in (
        "files", "split_line", "split_blank", "skipped", "bytes", "paragraphs",
        "short_paragraphs", "chars", "clustered_paragraphs", "clusters",
        "duplicated_chars", "candidate_pairs", "verified_pairs",
        "common_clusters")] + [
        ("bands", c_uint), ("rows", c_uint), ("num_perm", c_uint),
        ("shingle", c_uint), ("threshold", c_double), ("common_docs", c_uint),
        ("passages", c_uint), ("min_passage", c_uint),
        ("passage_records", c_uint64), ("common_passages", c_uint64)]


class _DocumentInfo(Structure):
    _fields_ = [("path", c_char_p), ("bytes", c_uint64),
                ("paragraphs", c_uint64), ("chars", c_uint64),
                ("elsewhere_chars", c_uint64), ("within_chars", c_uint64),
                ("split", c_uint), ("gzip", c_ubyte), ("encoding", c_char_p),
                ("query", c_ubyte), ("text_chars", c_uint64)]


class _ParagraphInfo(Structure):
    _fields_ = [("doc", c_uint32), ("line", c_uint32), ("offset", c_uint64),
                ("length", c_uint32), ("chars", c_uint32),
                ("cluster", c_int64), ("similarity", c_double)]


class _ClusterInfo(Structure):
    _fields_ = [("size", c_size_t), ("documents", c_size_t),
                ("chars", c_uint64), ("members", POINTER(c_uint32))]


class _OverlapInfo(Structure):
    _fields_ = [("a", c_uint32), ("b", c_uint32), ("a_in_b", c_uint64),
                ("b_in_a", c_uint64), ("clusters", c_uint64)]


class _PassageRecordInfo(Structure):
    _fields_ = [("places", c_size_t), ("documents", c_size_t),
                ("chars", c_uint64), ("similarity", c_double),
                ("common", c_int)]


class _PassagePlace(Structure):
    _fields_ = [("doc", c_uint32), ("line", c_uint32), ("offset", c_uint64),
                ("length", c_uint64), ("chars", c_uint64)]


class _WriteOptions(Structure):
    _fields_ = [("emit_paragraphs", c_int), ("top", c_uint),
                ("preview", c_uint), ("stats", c_int)]


# the structs by their C names (the layout test compares them with C)
STRUCTS = {"nd_options": _Options, "nd_diag": _Diag, "nd_summary": _Summary,
           "nd_document_info": _DocumentInfo,
           "nd_paragraph_info": _ParagraphInfo,
           "nd_cluster_info": _ClusterInfo, "nd_overlap_info": _OverlapInfo,
           "nd_passage_record_info": _PassageRecordInfo,
           "nd_passage_place": _PassagePlace,
           "nd_write_options": _WriteOptions}

_DIAG_FN = CFUNCTYPE(None, c_void_p, POINTER(_Diag))
_WRITE_FN = CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t)


# ---- loading -----------------------------------------------------------------

def _load():
    name = os.environ.get("NEARDUP_LIBRARY") or "libneardup.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as e:
        raise ImportError(
            "neardup: cannot load %s (%s); install the library (cmake --install) "
            "or set NEARDUP_LIBRARY to its path" % (name, e)) from None
    P, S = c_void_p, c_int  # handles; nd_status
    sigs = {
        "nd_version": (c_char_p, []),
        "nd_strerror": (c_char_p, [c_int]),
        "nd_options_default": (None, [POINTER(_Options)]),
        "nd_options_check": (S, [POINTER(_Options), c_char_p, c_size_t]),
        "nd_lsh_params": (S, [c_double, c_uint, POINTER(c_uint), POINTER(c_uint)]),
        "nd_lsh_probability": (c_double, [c_double, c_uint, c_uint]),
        "nd_scanner_new": (S, [POINTER(_Options), POINTER(P)]),
        "nd_scanner_free": (None, [P]),
        "nd_scanner_set_diag": (None, [P, _DIAG_FN, P]),
        "nd_scanner_add_path": (S, [P, c_char_p]),
        "nd_scanner_add_buffer": (S, [P, c_char_p, c_char_p, c_size_t]),
        "nd_scanner_run": (S, [P, POINTER(P)]),
        "nd_scanner_sys_errno": (c_int, [P]),
        "nd_scanner_error_path": (c_char_p, [P]),
        "nd_report_free": (None, [P]),
        "nd_report_summary": (S, [P, POINTER(_Summary)]),
        "nd_report_document_count": (c_size_t, [P]),
        "nd_report_document": (S, [P, c_size_t, POINTER(_DocumentInfo)]),
        "nd_report_document_comparable": (S, [P, c_size_t, POINTER(c_uint64)]),
        "nd_report_paragraph_count": (c_size_t, [P]),
        "nd_report_paragraph": (S, [P, c_size_t, POINTER(_ParagraphInfo)]),
        "nd_report_paragraph_text": (S, [P, c_size_t, POINTER(c_void_p),
                                         POINTER(c_size_t)]),
        "nd_report_cluster_count": (c_size_t, [P]),
        "nd_report_cluster": (S, [P, c_size_t, POINTER(_ClusterInfo)]),
        "nd_report_overlap_count": (c_size_t, [P]),
        "nd_report_overlap": (S, [P, c_size_t, POINTER(_OverlapInfo)]),
        "nd_report_passage_count": (c_size_t, [P]),
        "nd_report_passage": (S, [P, c_size_t, POINTER(_PassageRecordInfo)]),
        "nd_report_passage_place": (S, [P, c_size_t, c_size_t,
                                        POINTER(_PassagePlace)]),
        "nd_report_passage_text": (S, [P, c_size_t, c_size_t, POINTER(c_void_p),
                                       POINTER(c_size_t)]),
        "nd_write_options_default": (None, [POINTER(_WriteOptions)]),
        "nd_report_write": (S, [P, c_int, POINTER(_WriteOptions), _WRITE_FN, P]),
        "nd_report_sys_errno": (c_int, [P]),
    }
    for fn, (res, args) in sigs.items():
        f = getattr(lib, fn)
        f.restype = res
        f.argtypes = args
    v = lib.nd_version().decode()
    major, minor = (int(x) for x in v.split(".")[:2])
    if (major, minor) != _ABI:
        raise ImportError("neardup: the library is version %s, this binding is "
                          "for %d.%d" % (v, _ABI[0], _ABI[1]))
    return lib


_lib = _load()


def version():
    """The version of the library loaded, e.g. "0.4.0"."""
    return _lib.nd_version().decode()


# ---- errors --------------------------------------------------------------------

class Error(Exception):
    """A failed call of the library: status (an nd_status number), message
    (the library's words, with the file concerned and the system error)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def _strerror(st):
    return _lib.nd_strerror(st).decode()


def _check(st, what=None):
    if st != ND_OK:
        msg = _strerror(st)
        raise Error(st, "%s: %s" % (what, msg) if what else msg)


def _str(b):
    return b.decode("utf-8", "replace") if b is not None else None


def _path_arg(p):
    return os.fsencode(p)


# ---- options -------------------------------------------------------------------

_FIELDS = {n for n, _ in _Options._fields_} - {"norm_flags"}


def _options(kw):
    o = _Options()
    _lib.nd_options_default(byref(o))
    for k, v in kw.items():
        if k in _NORM:
            if v:
                o.norm_flags |= _NORM[k]
            else:
                o.norm_flags &= ~_NORM[k]
        elif k == "split":
            if v not in _SPLIT:
                raise Error(ND_ERR_INVALID, "split: expected auto, line or blank, "
                            "not %r" % (v,))
            o.split = _SPLIT[v]
        elif k in ("encoding", "jsonl_field", "id_field"):
            b = (v or "").encode()
            size = 32 if k == "encoding" else 64
            if len(b) >= size:
                raise Error(ND_ERR_INVALID, "%s: longer than %d bytes" % (k, size - 1))
            setattr(o, k, b)
        elif k == "passages":
            o.passages = 1 if v else 0
        elif k in _FIELDS:
            setattr(o, k, v)
        else:
            raise TypeError("neardup: unknown option %r" % (k,))
    msg = ctypes.create_string_buffer(256)
    st = _lib.nd_options_check(byref(o), msg, len(msg))
    if st != ND_OK:
        raise Error(st, msg.value.decode() or _strerror(st))
    return o


class Params:
    """LSH parameters for a threshold: bands, rows, and probability(s)."""

    def __init__(self, threshold, num_perm, bands, rows):
        self.threshold, self.num_perm = threshold, num_perm
        self.bands, self.rows = bands, rows

    def probability(self, s):
        """P(a pair with Jaccard similarity s becomes a candidate)."""
        return _lib.nd_lsh_probability(s, self.bands, self.rows)

    def __repr__(self):
        return "Params(threshold=%g, num_perm=%d, bands=%d, rows=%d)" % (
            self.threshold, self.num_perm, self.bands, self.rows)


def params(threshold=0.8, num_perm=128):
    """The LSH bands and rows the library chooses (as `neardup params`)."""
    b, r = c_uint(), c_uint()
    st = _lib.nd_lsh_params(threshold, num_perm, byref(b), byref(r))
    _check(st, "params(threshold=%r, num_perm=%r)" % (threshold, num_perm))
    return Params(threshold, num_perm, b.value, r.value)


# ---- results as Python objects ---------------------------------------------------

class _Record:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(
            "%s=%r" % (k, v) for k, v in self.__dict__.items()
            if not k.startswith("_")))


class Summary(_Record):
    """The report's totals (nd_summary)."""


class Skipped(_Record):
    """An input the scan skipped, or a notice: path, status, message."""


class Document(_Record):
    """A document (nd_document_info); index is its number in the report."""


class Paragraph(_Record):
    """A paragraph (nd_paragraph_info) with its document and text."""

    @property
    def text(self):
        return self._report._text(self.index)


class Cluster(_Record):
    """A cluster of near-duplicate paragraphs; members[0] represents it."""


class Overlap(_Record):
    """How much two documents share (nd_overlap_info)."""


class Passage(_Record):
    """A copied passage and its places (nd_passage_record_info)."""


class Place(_Record):
    """One place of a passage (nd_passage_place) with its text."""


# ---- scanner and report --------------------------------------------------------------

class _Closing:
    """A handle freed by close(), by leaving a with-block, or when collected."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


class Scanner(_Closing):
    """nd_scanner: add paths and in-memory texts, then run() for a Report."""

    def __init__(self, **options):
        self._h = None
        self._opt = _options(options)
        h = c_void_p()
        _check(_lib.nd_scanner_new(byref(self._opt), byref(h)))
        self._h = h
        self.skipped = []
        self._diag = _DIAG_FN(self._on_diag)  # kept alive with the scanner
        _lib.nd_scanner_set_diag(self._h, self._diag, None)

    def _on_diag(self, user, d):
        d = d.contents
        msg = _strerror(d.status)
        if d.detail:
            msg += " (%s)" % _str(d.detail)
        if d.sys_errno:
            msg += ": " + os.strerror(d.sys_errno)
        self.skipped.append(Skipped(path=_str(d.path), status=d.status,
                                    message=msg))

    def _handle(self):
        if not self._h:
            raise Error(12, "the scanner has run or was closed")  # ND_ERR_STATE
        return self._h

    def add_path(self, path):
        """A file or a directory (walked), or "-" for standard input."""
        st = _lib.nd_scanner_add_path(self._handle(), _path_arg(path))
        _check(st, "cannot add %r" % (path,))

    def add_text(self, name, text):
        """An in-memory document (str: UTF-8; bytes as they are)."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        st = _lib.nd_scanner_add_buffer(self._handle(), name.encode(), data, len(data))
        _check(st, "cannot add %r" % (name,))

    def run(self):
        """Runs the scan; the Report owns the scanner from then on."""
        h = self._handle()
        rep = c_void_p()
        st = _lib.nd_scanner_run(h, byref(rep))
        if st != ND_OK:
            msg = _strerror(st)
            if st == ND_ERR_IO:
                path = _lib.nd_scanner_error_path(h)
                err = _lib.nd_scanner_sys_errno(h)
                if path:
                    msg += ": '%s'" % _str(path)
                if err:
                    msg += ": " + os.strerror(err)
            self.close()
            raise Error(st, "scan failed: " + msg)
        self._h = None
        return Report(rep, h, self)

    def close(self):
        if self._h:
            _lib.nd_scanner_free(self._h)
            self._h = None


class Report(_Closing):
    """nd_report: summary, documents, paragraphs, clusters, overlaps,
    passages (with options passages=True), skipped, write()."""

    def __init__(self, handle, scanner_handle, scanner):
        self._h, self._sc = None, None
        self._h = handle
        # the scanner stays: its diag callback is called when a file changed
        # before paragraph text is read again (neardup.h)
        self._sc = scanner_handle
        self._scanner = scanner
        self.skipped = scanner.skipped
        s = _Summary()
        _check(_lib.nd_report_summary(self._handle(), byref(s)))
        self.summary = Summary(**{n: getattr(s, n) for n, _ in _Summary._fields_})
        self._docs = None

    def _handle(self):
        if not self._h:
            raise Error(12, "the report was closed")  # ND_ERR_STATE
        return self._h

    @property
    def documents(self):
        if self._docs is None:
            docs = []
            h = self._handle()
            for i in range(_lib.nd_report_document_count(h)):
                d = _DocumentInfo()
                cmp = c_uint64()
                _check(_lib.nd_report_document(h, i, byref(d)))
                _check(_lib.nd_report_document_comparable(h, i, byref(cmp)))
                docs.append(Document(
                    index=i, path=os.fsdecode(d.path), bytes=d.bytes,
                    paragraphs=d.paragraphs, chars=d.chars,
                    comparable_chars=cmp.value,
                    elsewhere_chars=d.elsewhere_chars,
                    within_chars=d.within_chars,
                    split=_SPLIT_NAMES.get(d.split, d.split), gzip=bool(d.gzip),
                    encoding=_str(d.encoding), text_chars=d.text_chars))
            self._docs = docs
        return self._docs

    def _text(self, i):
        p, n = c_void_p(), c_size_t()
        _check(_lib.nd_report_paragraph_text(self._handle(), i, byref(p), byref(n)))
        return ctypes.string_at(p, n.value).decode("utf-8", "replace") if n.value else ""

    def paragraph(self, i):
        """Paragraph i (0-based, in (document, offset) order)."""
        p = _ParagraphInfo()
        _check(_lib.nd_report_paragraph(self._handle(), i, byref(p)))
        return Paragraph(index=i, document=self.documents[p.doc], line=p.line,
                         offset=p.offset, length=p.length, chars=p.chars,
                         cluster=p.cluster if p.cluster >= 0 else None,
                         similarity=p.similarity, _report=self)

    @property
    def paragraphs(self):
        for i in range(_lib.nd_report_paragraph_count(self._handle())):
            yield self.paragraph(i)

    @property
    def clusters(self):
        h = self._handle()
        for i in range(_lib.nd_report_cluster_count(h)):
            c = _ClusterInfo()
            _check(_lib.nd_report_cluster(h, i, byref(c)))
            yield Cluster(index=i, size=c.size, documents=c.documents,
                          chars=c.chars,
                          members=[self.paragraph(c.members[j]) for j in range(c.size)])

    @property
    def overlaps(self):
        h = self._handle()
        for i in range(_lib.nd_report_overlap_count(h)):
            o = _OverlapInfo()
            _check(_lib.nd_report_overlap(h, i, byref(o)))
            yield Overlap(a=self.documents[o.a], b=self.documents[o.b],
                          a_in_b=o.a_in_b, b_in_a=o.b_in_a, clusters=o.clusters)

    @property
    def passages(self):
        h = self._handle()
        for i in range(_lib.nd_report_passage_count(h)):
            r = _PassageRecordInfo()
            _check(_lib.nd_report_passage(h, i, byref(r)))
            places = []
            for j in range(r.places):
                pl = _PassagePlace()
                _check(_lib.nd_report_passage_place(h, i, j, byref(pl)))
                p, n = c_void_p(), c_size_t()
                _check(_lib.nd_report_passage_text(h, i, j, byref(p), byref(n)))
                text = ctypes.string_at(p, n.value).decode("utf-8", "replace") \
                    if n.value else ""
                places.append(Place(document=self.documents[pl.doc], line=pl.line,
                                    offset=pl.offset, length=pl.length,
                                    chars=pl.chars, text=text))
            yield Passage(index=i, documents=r.documents, chars=r.chars,
                          similarity=r.similarity, common=bool(r.common),
                          places=places)

    def write(self, format="jsonl", emit_paragraphs=False, top=None, preview=None):
        """The report rendered as neardup scan -f FORMAT renders it, as str
        (bytes for formats that are not text: none today)."""
        if format not in FORMATS:
            raise Error(ND_ERR_INVALID, "format: expected one of %s, not %r"
                        % (", ".join(FORMATS), format))
        wo = _WriteOptions()
        _lib.nd_write_options_default(byref(wo))
        wo.emit_paragraphs = 1 if emit_paragraphs else 0
        if top is not None:
            wo.top = top
        if preview is not None:
            wo.preview = preview
        chunks = []

        def sink(user, buf, n):
            chunks.append(ctypes.string_at(buf, n))
            return 0

        fn = _WRITE_FN(sink)
        st = _lib.nd_report_write(self._handle(), FORMATS[format], byref(wo), fn, None)
        _check(st, "cannot write the report")
        return b"".join(chunks).decode("utf-8", "replace")

    def close(self):
        if self._h:
            _lib.nd_report_free(self._h)
            self._h = None
        if self._sc:
            _lib.nd_scanner_free(self._sc)
            self._sc = None


def scan(paths=(), texts=None, **options):
    """Scans files and directories (paths: a str or a list) and in-memory
    texts ({name: text} or [(name, text), ...]) with the given options;
    returns a Report (close it, or use it in a with statement)."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    sc = Scanner(**options)
    try:
        for p in paths:
            sc.add_path(p)
        if texts:
            items = texts.items() if isinstance(texts, dict) else texts
            for name, text in items:
                sc.add_text(name, text)
        return sc.run()
    except BaseException:
        sc.close()
        raise
