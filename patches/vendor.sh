#!/usr/bin/env bash
# vendor/ is generated: each vendor/<crate> is the crate published on crates.io with
# patches/<crate>-<version>.patch applied (patches/README.md).
#
#   bash patches/vendor.sh                 rewrite vendor/ from the registry's crates + patches/
#   bash patches/vendor.sh --check         build it in a temporary directory and fail, listing
#                                          the differences, if vendor/ is not exactly that
#   bash patches/vendor.sh --diff [CRATE]  rewrite the diff part of patches/<crate>-*.patch from
#                                          vendor/<crate> as edited (every crate by default),
#                                          keeping the header, and vendor/<crate>/PATCHED.md
#
# The published crates are downloaded from static.crates.io once, into target/vendor-cache
# (VENDOR_CACHE overrides), and checked against patches/SHA256SUMS, which holds crates.io's
# checksums (Cargo.lock records none for a crate replaced through [patch.crates-io]).
# Needs bash, curl, tar, sha256sum, diff and git (`git apply`, `git diff --no-index`).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
cache=${VENDOR_CACHE:-$root/target/vendor-cache}

# Written by `cargo package` (.cargo-ok by cargo's own unpacking), read by nothing when the crate
# is a path dependency: removed from every crate, and never put in a patch. (Cargo.lock would also
# be taken for facegate's own by tools that scan a repository's lockfiles; each patch's header
# names the upstream commit that .cargo_vcs_info.json records.)
artefacts=(.cargo_vcs_info.json Cargo.lock Cargo.toml.orig .cargo-ok)

die() { printf 'patches/vendor.sh: %s\n' "$*" >&2; exit 1; }

mode=apply
case "${1:-}" in
  "") ;;
  --check) mode=check; shift ;;
  --diff) mode=diff; shift ;;
  -h | --help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) die "unknown argument ${1}: see bash patches/vendor.sh --help" ;;
esac
[ "$mode" = diff ] || [ $# -eq 0 ] || die "only --diff takes crate names"

# The crates: one patch file each, named <crate>-<version>.patch.
names=() versions=()
for patch in patches/*.patch; do
  [ -e "$patch" ] || die "no patches/*.patch"
  base=$(basename "$patch" .patch)
  [[ $base =~ ^(.+)-([0-9]+\.[0-9]+\.[0-9]+.*)$ ]] || die "$patch: not named <crate>-<version>.patch"
  names+=("${BASH_REMATCH[1]}") versions+=("${BASH_REMATCH[2]}")
done

work=$(mktemp -d "${TMPDIR:-/tmp}/facegate-vendor.XXXXXX")
trap 'rm -rf "$work"' EXIT
# `git apply` run in a directory inside a repository applies paths relative to that
# repository's root: keep it from looking above the temporary directory.
export GIT_CEILING_DIRECTORIES=$work
# `git diff --no-index` output that does not depend on the user's configuration.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

# Cargo.lock must resolve the crate to the patched copy (a path package: no `source`) at the
# patch's version, or the patch is for a version facegate does not use.
lock_check() { # name version
  local found
  found=$(awk -v n="$1" -v v="$2" '
    /^\[\[package\]\]/ { if (name == n && ver == v) print (src == "" ? "path" : src); name = ver = src = ""; next }
    /^name = / { name = $3; gsub(/"/, "", name) }
    /^version = / { ver = $3; gsub(/"/, "", ver) }
    /^source = / { src = $3 }
    END { if (name == n && ver == v) print (src == "" ? "path" : src) }' Cargo.lock)
  case "$found" in
    path) ;;
    "") die "Cargo.lock has no $1 $2: patches/$1-$2.patch is for a version facegate does not use" ;;
    *) die "Cargo.lock takes $1 $2 from the registry, not vendor/$1: is its [patch.crates-io] entry missing?" ;;
  esac
}

fetch() { # name version -> path of the verified .crate in the cache
  local file="$1-$2.crate" want got
  want=$(awk -v f="$file" '$2 == f { print $1 }' patches/SHA256SUMS)
  [ -n "$want" ] || die "patches/SHA256SUMS has no line for $file (crates.io's checksum: the \"cksum\" of version $2 in https://index.crates.io/ for $1)"
  if [ -f "$cache/$file" ] && [ "$(sha256sum < "$cache/$file" | cut -d' ' -f1)" = "$want" ]; then
    printf '%s\n' "$cache/$file"
    return
  fi
  mkdir -p "$cache"
  curl -fsSL --retry 3 -o "$cache/$file.part" "https://static.crates.io/crates/$1/$file" \
    || die "could not download $file from static.crates.io"
  got=$(sha256sum < "$cache/$file.part" | cut -d' ' -f1)
  [ "$got" = "$want" ] || { rm -f "$cache/$file.part"; die "$file: SHA-256 $got, patches/SHA256SUMS says $want"; }
  mv "$cache/$file.part" "$cache/$file"
  printf '%s\n' "$cache/$file"
}

header() { awk '/^diff --git /{ exit } { print }' "$1"; } # the text before the first diff

# The published crate, less the packaging artefacts and the header's `Remove: <path>` lines.
pristine() { # name version dest
  local crate patch=patches/$1-$2.patch x path
  crate=$(fetch "$1" "$2")
  x=$(mktemp -d "$work/x.XXXXXX")
  tar -xzf "$crate" -C "$x" --no-same-owner
  [ -d "$x/$1-$2" ] || die "$crate has no $1-$2/ directory"
  mkdir -p "$(dirname "$3")"
  mv "$x/$1-$2" "$3"
  rmdir "$x"
  for path in "${artefacts[@]}"; do rm -f "$3/$path"; done
  while read -r path; do
    [[ $path != /* && $path != *..* ]] || die "$patch: Remove: $path is not a path inside the crate"
    [ -e "$3/$path" ] || die "$patch: Remove: $path is not in the published crate"
    rm -rf "${3:?}/$path"
  done < <(header "$patch" | sed -n 's/^Remove: *//p' | sed 's/ *$//')
}

patched_md() { # name version dest: the patch's header as vendor/<crate>/PATCHED.md
  {
    printf '<!-- Generated by patches/vendor.sh from the header of patches/%s-%s.patch: edit it there. -->\n\n' "$1" "$2"
    header "patches/$1-$2.patch" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
  } > "$3/PATCHED.md"
}

build() { # name version dest
  local patch=$root/patches/$1-$2.patch
  pristine "$1" "$2" "$3"
  if grep -q '^diff --git ' "$patch"; then
    (cd "$3" && git apply -p1 --whitespace=nowarn "$patch") || die "patches/$1-$2.patch does not apply to the published crate"
  fi
  patched_md "$1" "$2" "$3"
}

unmanaged() { # vendor/ directories without a patch
  local d n
  for d in vendor/*/; do
    n=$(basename "$d")
    [[ " ${names[*]} " == *" $n "* ]] || printf '%s\n' "vendor/$n"
  done
}

case "$mode" in
apply)
  [ -z "$(unmanaged)" ] || die "$(unmanaged | tr '\n' ' ')has no patches/<crate>-<version>.patch (patches/README.md)"
  for i in "${!names[@]}"; do
    lock_check "${names[i]}" "${versions[i]}"
    build "${names[i]}" "${versions[i]}" "$work/vendor/${names[i]}"
  done
  for n in "${names[@]}"; do
    # A file that comes out the same keeps its modification time, so cargo does not rebuild it.
    (cd "$work/vendor/$n" && find . -type f -print0) | while IFS= read -r -d '' f; do
      if cmp -s "vendor/$n/$f" "$work/vendor/$n/$f"; then touch -r "vendor/$n/$f" "$work/vendor/$n/$f"; fi
    done
    rm -rf "vendor/$n"
    mkdir -p vendor
    mv "$work/vendor/$n" "vendor/$n"
  done
  echo "vendor/ rewritten: ${names[*]}"
  ;;

check)
  start=$(date +%s)
  for i in "${!names[@]}"; do
    lock_check "${names[i]}" "${versions[i]}"
    build "${names[i]}" "${versions[i]}" "$work/vendor/${names[i]}"
  done
  mkdir -p "$work/vendor" # an unmanaged vendor/<dir> is reported below as not from registry + patches
  # Content (diff) and the executable bit (the one mode git keeps).
  modes() { (cd "$1" && find . -type f -perm /111 | sort); }
  status=0
  summary=$(diff -rq vendor "$work/vendor" | sed \
    -e "s|^Only in vendor\(/[^:]*\)\{0,1\}: \(.*\)$|  not from registry + patches:  vendor\1/\2|" \
    -e "s|^Only in $work/vendor\(/[^:]*\)\{0,1\}: \(.*\)$|  missing:                      vendor\1/\2|" \
    -e "s|^Files vendor/\(.*\) and $work/vendor/.* differ$|  differs:                      vendor/\1|") || status=1
  if [ "$(modes vendor)" != "$(modes "$work/vendor")" ]; then
    status=1
    while read -r f; do summary+=$'\n'"  executable, should not be:    vendor/${f#./}"; done < <(comm -23 <(modes vendor) <(modes "$work/vendor"))
    while read -r f; do summary+=$'\n'"  not executable, should be:    vendor/${f#./}"; done < <(comm -13 <(modes vendor) <(modes "$work/vendor"))
  fi
  if [ "$status" != 0 ]; then
    {
      echo "vendor/ is not the registry's crates plus patches/:"
      echo "$summary"
      echo
      echo "The first lines of the difference (- vendor/, + registry + patches):"
      diff -ru vendor "$work/vendor" | sed "s|$work/vendor|(registry+patches)|g" | head -n 80
      echo
      echo "If vendor/ is right, put its changes in the patches: bash patches/vendor.sh --diff"
      echo "If patches/ is right, regenerate vendor/:             bash patches/vendor.sh"
      echo "(vendor/<crate>/PATCHED.md is generated from the patch's header: edit the header.)"
    } >&2
    exit 1
  fi
  echo "vendor/ is the registry's crates plus patches/ (${names[*]}; $(($(date +%s) - start)) s)"
  ;;

diff)
  selected=("$@")
  [ ${#selected[@]} -gt 0 ] || selected=("${names[@]}")
  for n in "${selected[@]}"; do
    v=""
    for i in "${!names[@]}"; do [ "${names[i]}" = "$n" ] && v=${versions[i]}; done
    [ -n "$v" ] || die "no patches/$n-<version>.patch: create it with a header first (patches/README.md)"
    [ -d "vendor/$n" ] || die "no vendor/$n: run bash patches/vendor.sh first"
    patch=patches/$n-$v.patch
    pristine "$n" "$v" "$work/$n/a"
    cp -R "vendor/$n" "$work/$n/b"
    rm -f "$work/$n/b/PATCHED.md"
    for path in "${artefacts[@]}"; do rm -f "$work/$n/b/$path"; done
    rc=0
    (cd "$work/$n" && git diff --no-index --no-prefix --no-renames --full-index --no-color --no-ext-diff a b) \
      > "$work/$n.diff" || rc=$?
    [ "$rc" -le 1 ] || die "git diff failed for $n"
    if grep -q '^Binary files ' "$work/$n.diff"; then
      grep '^Binary files ' "$work/$n.diff" >&2
      die "$n: a patch cannot carry binary files; drop a published one with a Remove: line in the header"
    fi
    {
      header "$patch" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
      # a new or deleted file's `diff --git` line names one side twice (b/x b/x): make it a/x b/x
      if [ -s "$work/$n.diff" ]; then echo; sed 's|^diff --git [ab]/\(.*\) [ab]/|diff --git a/\1 b/|' "$work/$n.diff"; fi
    } > "$work/$n.patch"
    mv "$work/$n.patch" "$patch"
    patched_md "$n" "$v" "vendor/$n"
    echo "$patch: $(grep -v '^\(+++\|---\) ' "$work/$n.diff" | grep -c '^[-+]' || true) lines changed"
  done
  ;;
esac
