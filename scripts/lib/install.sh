# shellcheck shell=bash
# Installs what upfleet needs on a Debian machine, and fetches the jars that
# scripts/services runs (Apache Kafka, S3Proxy) from Maven Central.
#
#   source scripts/lib/install.sh
#   upfleet_install_deps      # apt packages (only the missing ones)
#   upfleet_fetch_jars        # Kafka + S3Proxy jars into the deps cache
#
# Source it; it defines functions and a few variables and changes no shell
# options. Nothing runs at source time.

[[ -n "${_UPFLEET_LIB_INSTALL_SH:-}" ]] && return 0
_UPFLEET_LIB_INSTALL_SH=1

_upfleet_lib_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/log.sh
source "$_upfleet_lib_dir/log.sh"

# Repository root (scripts/lib/../..), unless the caller set it.
UPFLEET_REPO="${UPFLEET_REPO:-$(cd "$_upfleet_lib_dir/../.." && pwd)}"

UPFLEET_KAFKA_VERSION="3.9.1"
UPFLEET_S3PROXY_VERSION="2.6.0"

# Debian packages needed to build, test and run upfleet and its local services.
UPFLEET_APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  librdkafka-dev libcurl4-openssl-dev libssl-dev libyaml-cpp-dev
  libvips-dev libvips-tools
  libboost-dev libboost-system-dev
  nlohmann-json3-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev prometheus-cpp-dev
  clang-format clang-tidy
  curl jq python3
  maven openjdk-17-jre-headless
  awscli rclone
)

# upfleet_deps_dir — where downloaded jars are cached (gitignored).
upfleet_deps_dir() {
  printf '%s\n' "${UPFLEET_DEPS_DIR:-$UPFLEET_REPO/.deps}"
}

# upfleet_kafka_home — directory holding the Kafka libs/ folder.
upfleet_kafka_home() {
  printf '%s/kafka-%s\n' "$(upfleet_deps_dir)" "$UPFLEET_KAFKA_VERSION"
}

# upfleet_s3proxy_jar — path of the S3Proxy jar-with-dependencies.
upfleet_s3proxy_jar() {
  printf '%s/s3proxy-%s/s3proxy-%s-jar-with-dependencies.jar\n' \
    "$(upfleet_deps_dir)" "$UPFLEET_S3PROXY_VERSION" "$UPFLEET_S3PROXY_VERSION"
}

# upfleet_missing_packages PACKAGE... — print the packages dpkg does not
# report as installed, one per line.
upfleet_missing_packages() {
  local pkg status
  for pkg in "$@"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "installed" ]] || printf '%s\n' "$pkg"
  done
}

# upfleet_apt_get ARGS... — apt-get, through sudo when we are not root.
upfleet_apt_get() {
  local -a cmd=(apt-get)
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 ||
      upfleet_die "not root and sudo is missing: install these as root: apt-get $*"
    cmd=(sudo apt-get)
  fi
  DEBIAN_FRONTEND=noninteractive "${cmd[@]}" "$@"
}

# upfleet_install_deps [EXTRA_PACKAGE...] — install the missing packages of
# UPFLEET_APT_PACKAGES (plus any given). Does nothing, not even apt-get
# update, when all are installed.
upfleet_install_deps() {
  local -a missing
  mapfile -t missing < <(upfleet_missing_packages "${UPFLEET_APT_PACKAGES[@]}" "$@")
  if ((${#missing[@]} == 0)); then
    upfleet_log "system packages: all installed"
    return 0
  fi
  upfleet_log "installing missing packages: ${missing[*]}"
  upfleet_apt_get update -q >&2 ||
    upfleet_die "apt-get update failed (see above)"
  upfleet_apt_get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    upfleet_die "apt-get install failed for: ${missing[*]} (see above)"
}

# upfleet_require_tools TOOL... — fail with a hint when a command is missing.
upfleet_require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 ||
      upfleet_die "'$tool' is not installed; run: source scripts/lib/install.sh && upfleet_install_deps"
  done
}

# _upfleet_stamp FILE... — a fingerprint of the inputs of a fetch; the cache
# is refetched when it changes (e.g. a dependency was added to the pom).
_upfleet_stamp() {
  cat "$@" | sha256sum | awk '{print $1}'
}

# _upfleet_mvn LOG ARGS... — quiet, batch-mode Maven with its output in LOG,
# shown on stderr only when it fails. (Maven 3.8 prints stray colour escapes
# even with -q -B, which would otherwise land on the caller's terminal.)
_upfleet_mvn() {
  local log="$1"
  shift
  if mvn -q -B -Dstyle.color=never "$@" >"$log" 2>&1; then
    return 0
  fi
  sed 's/\x1b\[[0-9;]*m//g' "$log" | tail -n 40 >&2
  return 1
}

# upfleet_fetch_kafka_jars — Kafka broker, tools and a logging binding into
# $(upfleet_kafka_home)/libs. Skips the download when the cache is complete
# and was made from the current pom.
upfleet_fetch_kafka_jars() {
  local home pom stamp tmp
  home="$(upfleet_kafka_home)"
  pom="$UPFLEET_REPO/scripts/maven/kafka-pom.xml"
  stamp="$(_upfleet_stamp "$pom")"
  if [[ -f "$home/.complete" && "$(cat "$home/.complete")" == "$stamp" ]]; then
    return 0
  fi
  upfleet_require_tools mvn java
  upfleet_log "fetching Apache Kafka $UPFLEET_KAFKA_VERSION jars into $home/libs"
  mkdir -p "$home"
  tmp="$(mktemp -d "$home/libs.tmp.XXXXXX")"
  if ! _upfleet_mvn "$home/fetch.log" -f "$pom" dependency:copy-dependencies \
    -DoutputDirectory="$tmp"; then
    rm -rf -- "$tmp"
    upfleet_die "maven could not fetch the Kafka jars (pom: $pom); check network access to Maven Central"
  fi
  # Swap in the new set whole, so a failed fetch never leaves half a classpath.
  chmod 755 "$tmp"
  rm -rf -- "$home/libs"
  mv -- "$tmp" "$home/libs"
  printf '%s\n' "$stamp" >"$home/.complete"
}

# upfleet_fetch_s3proxy_jar — the S3Proxy jar-with-dependencies.
upfleet_fetch_s3proxy_jar() {
  local jar dir artifact tmp
  jar="$(upfleet_s3proxy_jar)"
  [[ -s "$jar" ]] && return 0
  upfleet_require_tools mvn java
  dir="$(dirname "$jar")"
  artifact="org.gaul:s3proxy:$UPFLEET_S3PROXY_VERSION:jar:jar-with-dependencies"
  upfleet_log "fetching S3Proxy $UPFLEET_S3PROXY_VERSION into $dir"
  mkdir -p "$dir"
  tmp="$(mktemp -d "$dir/tmp.XXXXXX")"
  # Run from the temp dir: dependency:copy needs no project, and must not pick
  # up a pom.xml from the caller's working directory.
  if ! (cd "$tmp" && _upfleet_mvn "$dir/fetch.log" dependency:copy -Dartifact="$artifact" \
    -DoutputDirectory="$tmp"); then
    rm -rf -- "$tmp"
    upfleet_die "maven could not fetch $artifact; check network access to Maven Central"
  fi
  mv -- "$tmp/$(basename "$jar")" "$jar"
  rm -rf -- "$tmp"
}

# upfleet_fetch_jars — everything scripts/services runs. Holds a lock on the
# cache, so concurrent callers (parallel test runs) fetch once.
upfleet_fetch_jars() {
  local deps
  deps="$(upfleet_deps_dir)"
  mkdir -p "$deps"
  (
    flock -w 900 8 || upfleet_die "timed out waiting for another jar fetch into $deps"
    upfleet_fetch_kafka_jars
    upfleet_fetch_s3proxy_jar
  ) 8>"$deps/.fetch.lock"
}
