#!/bin/bash
# Proves the README's quick start on a fresh Debian 12 machine: makes a clean root with
# `debootstrap --variant=minbase bookworm` (nothing installed beyond the minimal base), puts a clean
# clone of the current commit into it, and runs the README's two quick-start commands inside it,
# exactly as the README writes them, as root, with no standard input, CI=true and a clean
# environment. Prints the time each step took; stops loudly at the first failure.
#
# The commands are read from the README's "Quick start" block (the first two commands in it: the
# main job, then the tests), so the check and the README cannot drift apart.
#
# usage: scripts/fresh-root-check.sh [options]
#   --test-args "ARGS"   arguments appended to the test command (e.g. "release": that preset only);
#                        default none, i.e. the command exactly as written
#   --skip-main          do not run the main command (only the test command)
#   --skip-test          do not run the test command
#   --root DIR           where to make the root (default: a new folder under ${TMPDIR:-/var/tmp});
#                        must not exist yet
#   --keep               keep the root afterwards (default: removed)
#   --mirror URL         Debian mirror (default: the first bookworm mirror of this machine's apt sources)
# Exit: 0 both commands passed; 1 a step failed; 2 usage; 4 this machine cannot make a chroot
# (not root, no debootstrap and it cannot be installed, no mirror): nothing was checked.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

test_args="" run_main=1 run_test=1 root="" keep=0 mirror=""
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --test-args) test_args="${2-}"; shift 2;;
    --skip-main) run_main=0; shift;;
    --skip-test) run_test=0; shift;;
    --root) root="${2-}"; shift 2;;
    --keep) keep=1; shift;;
    --mirror) mirror="${2-}"; shift 2;;
    -h|--help) usage; exit 0;;
    *) echo "fresh-root-check: unknown option '$1' (try --help)" >&2; exit 2;;
  esac
done

say() { printf 'fresh-root-check: %s\n' "$*"; }
trap 'say "FAILED: line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
cannot() { say "cannot make a fresh root here: $*; nothing was checked" >&2; exit 4; }

# ---- what the README says --------------------------------------------------------------------------
# The first two commands of the first ```sh block after "## Quick start", comments stripped.
mapfile -t readme_cmds < <(awk '
  /^## Quick start/ { inqs = 1; next }
  inqs && /^## / { exit }
  inqs && /^```sh/ { inblock = 1; next }
  inblock && /^```/ { exit }
  inblock { sub(/[ \t]*#.*/, ""); if ($0 ~ /[^ \t]/) print }' README.md)
[ "${#readme_cmds[@]}" -ge 2 ] || { say "README.md: no Quick start block with two commands" >&2; exit 1; }
main_cmd="${readme_cmds[0]}"
test_cmd="${readme_cmds[1]}${test_args:+ $test_args}"
say "main command: $main_cmd"
say "test command: $test_cmd"

# ---- can this machine make a root? ------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || cannot "not root (debootstrap and chroot need root)"
command -v git >/dev/null || cannot "git is missing"
if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap; } \
    >/dev/null 2>&1 || cannot "debootstrap is missing and apt-get could not install it"
fi
if [ -z "$mirror" ]; then   # this machine's own Debian mirror, one-line or deb822 sources
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
           awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' || true)
  [ -n "$mirror" ] || mirror=$(awk '
      /^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") { print uri; exit } }
      /^$/ { uri = "" }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$mirror" ] || cannot "no bookworm mirror in /etc/apt/sources.list* (give --mirror URL)"
fi
security=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
           grep -o 'https\?://[^ ]*debian-security[^ ]*' | head -1 || true)
[ -n "$security" ] || security="http://deb.debian.org/debian-security"

commit=$(git rev-parse HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
  say "note: uncommitted changes are not checked; the root gets a clean clone of $commit"

if [ -z "$root" ]; then
  root=$(mktemp -d "${TMPDIR:-/var/tmp}/sinkbench-fresh-root.XXXXXX")
  rmdir "$root"
fi
[ ! -e "$root" ] || { say "--root $root exists already; give a new folder" >&2; exit 2; }

# ---- steps -----------------------------------------------------------------------------------------
mounted=()
cleanup() {
  local rc=$?
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -R "${mounted[$i]}" 2>/dev/null || umount -lR "${mounted[$i]}" 2>/dev/null || true
  done
  if [ "$keep" -eq 0 ] && [ -d "$root" ]; then rm -rf --one-file-system "$root"; fi
  [ "$keep" -eq 1 ] && say "root kept at $root"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

timings=()
step() { # name, command...
  local name="$1"; shift
  local t0 t1 rc=0
  say "=== $name"
  t0=$(date +%s)
  "$@" || rc=$?
  t1=$(date +%s)
  timings+=("$(printf '%-44s %6d s' "$name" $((t1 - t0)))")
  if [ "$rc" -ne 0 ]; then
    say "FAILED: $name (exit $rc) after $((t1 - t0)) s" >&2
    printf '%s\n' "${timings[@]}" >&2
    exit 1
  fi
  say "    $name: $((t1 - t0)) s"
}

make_root() {
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
    { tail -20 "$root.debootstrap.log" >&2; return 1; }
  rm -f "$root.debootstrap.log"
  # The sources a fresh Debian 12 machine has: the release, its updates and security.
  cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  for m in proc sys dev; do mkdir -p "$root/$m"; done
  mount -t proc proc "$root/proc" && mounted+=("$root/proc")
  mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys" && mounted+=("$root/sys")
  mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" && mounted+=("$root/dev")
}

clone() {
  git clone -q --no-local --no-hardlinks "$repo" "$root/root/sinkbench" &&
    git -C "$root/root/sinkbench" checkout -q "$commit"
}

in_root() { # command line, run in the clone inside the root as a fresh machine's root user would
  chroot "$root" /usr/bin/env -i HOME=/root CI=true LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/sh -c "cd /root/sinkbench && $1" </dev/null
}

t_start=$(date +%s)
step "make a minbase bookworm root ($mirror)" make_root
step "clone commit ${commit:0:12} into it" clone
touch "$root/tmp/fresh-root-check.start"   # a report newer than this is the main command's
[ "$run_main" -eq 1 ] && step "main command: $main_cmd" in_root "$main_cmd"
[ "$run_test" -eq 1 ] && step "test command: $test_cmd" in_root "$test_cmd"
if [ "$run_main" -eq 1 ]; then
  report=$(find "$root/root/sinkbench/reports" -name index.md -newer "$root/tmp/fresh-root-check.start" | head -1)
  [ -n "$report" ] || { say "FAILED: the main command wrote no reports/*/index.md" >&2; exit 1; }
  say "the main command wrote ${report#$root/root/sinkbench/}"
fi

say "passed in $(( $(date +%s) - t_start )) s; per step:"
printf '  %s\n' "${timings[@]}"
