"""A PEP 517 build backend for the neardup package, without setuptools.

The package is pure Python (a ctypes binding), so a wheel is a zip of
neardup/*.py and a dist-info directory; writing it here keeps
`pip install ./python` offline: pip's isolated build needs no download.
"""
import base64
import hashlib
import os
import zipfile

NAME = "neardup"
VERSION = "0.4.0"
SUMMARY = "Near-duplicate paragraphs and copied passages in a corpus (binding of libneardup)"
TAG = "py3-none-any"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _metadata():
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\n"
            "Requires-Python: >=3.9\n" % (NAME, VERSION, SUMMARY))


def _wheel_file():
    return ("Wheel-Version: 1.0\nGenerator: neardup_backend\n"
            "Root-Is-Purelib: true\nTag: %s\n" % TAG)


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "%s,sha256=%s,%d" % (path, digest.decode("ascii"), len(data))


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = "%s-%s.dist-info" % (NAME, VERSION)
    os.makedirs(os.path.join(metadata_directory, dist_info), exist_ok=True)
    with open(os.path.join(metadata_directory, dist_info, "METADATA"), "w") as f:
        f.write(_metadata())
    return dist_info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    dist_info = "%s-%s.dist-info" % (NAME, VERSION)
    name = "%s-%s-%s.whl" % (NAME, VERSION, TAG)
    files = []
    pkg = os.path.join(ROOT, NAME)
    for entry in sorted(os.listdir(pkg)):
        if entry.endswith(".py"):
            with open(os.path.join(pkg, entry), "rb") as f:
                files.append(("%s/%s" % (NAME, entry), f.read()))
    files.append(("%s/METADATA" % dist_info, _metadata().encode()))
    files.append(("%s/WHEEL" % dist_info, _wheel_file().encode()))
    record = [_record_line(p, d) for p, d in files]
    record.append("%s/RECORD,," % dist_info)
    files.append(("%s/RECORD" % dist_info, ("\n".join(record) + "\n").encode()))
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w",
                         zipfile.ZIP_DEFLATED) as z:
        for path, data in files:
            z.writestr(path, data)
    return name


def build_sdist(sdist_directory, config_settings=None):
    import tarfile
    base = "%s-%s" % (NAME, VERSION)
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as t:
        for rel in ["pyproject.toml", "build_backend/neardup_backend.py"] + \
                ["%s/%s" % (NAME, e) for e in sorted(os.listdir(os.path.join(ROOT, NAME)))
                 if e.endswith(".py")]:
            t.add(os.path.join(ROOT, rel), arcname="%s/%s" % (base, rel))
    return name
