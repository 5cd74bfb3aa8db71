# Shared by the vendor-*.sh scripts: fetch npm packages as tarballs with `npm pack` (no install,
# no package scripts run) and unpack each into $tmp/NAME-VERSION/package.
#   npm_unpack TMPDIR name@version ...
npm_unpack() {
  local tmp=$1; shift
  ( cd "$tmp" && npm pack --silent "$@" >/dev/null )
  local spec name version
  for spec in "$@"; do
    name=${spec%@*}; version=${spec##*@}
    mkdir -p "$tmp/$name-$version"
    tar -xzf "$tmp/$name-$version.tgz" -C "$tmp/$name-$version"
  done
}

# tarball_sha TMPDIR name version: the sha256 of a tarball npm_unpack fetched, for VERSIONS files.
tarball_sha() { sha256sum "$1/$2-$3.tgz" | cut -d' ' -f1; }
