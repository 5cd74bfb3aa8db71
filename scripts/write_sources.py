#!/usr/bin/env python3
"""Write OUT/SOURCES.json for the Bioconductor SQLite files in OUT: the package name, version and
sha256 of each .deb in DEB_DIR, the sha256 of org.Hs.eg.sqlite and GO.sqlite, and the time.
Used by scripts/setup.sh (default data) and scripts/fetch-dev-data.sh (the dev split's release).
Usage: write_sources.py DEB_DIR OUT [KEY=VALUE...]   (extra top-level string fields)"""
import datetime, glob, hashlib, json, os, subprocess, sys

def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""): h.update(b)
    return h.hexdigest()

debs, out = sys.argv[1], sys.argv[2]
pkgs = []
for deb in sorted(glob.glob(os.path.join(debs, "*.deb"))):
    f = lambda k: subprocess.check_output(["dpkg-deb", "-f", deb, k], text=True).strip()
    pkgs.append({"package": f("Package"), "version": f("Version"), "deb_sha256": sha(deb)})
doc = {"packages": pkgs, "files_sha256": {n: sha(os.path.join(out, n)) for n in ("org.Hs.eg.sqlite", "GO.sqlite")}}
doc.update(kv.split("=", 1) for kv in sys.argv[3:])
doc["fetched_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
json.dump(doc, open(os.path.join(out, "SOURCES.json"), "w"), indent=2)
