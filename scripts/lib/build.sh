# shellcheck shell=bash
# Configures and builds upfleet with CMake + Ninja.
#
#   source scripts/lib/build.sh
#   upfleet_build build                       # Release build, -Werror, everything
#   UPFLEET_BUILD_TARGETS=upfleet_unit_tests upfleet_build build-asan -DUPFLEET_SANITIZE=address
#
# Source it; it defines functions only.

[[ -n "${_UPFLEET_LIB_BUILD_SH:-}" ]] && return 0
_UPFLEET_LIB_BUILD_SH=1

_upfleet_build_lib_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/log.sh
source "$_upfleet_build_lib_dir/log.sh"
UPFLEET_REPO="${UPFLEET_REPO:-$(cd "$_upfleet_build_lib_dir/../.." && pwd)}"

# upfleet_build DIR [CMAKE_ARG...] — configure (once) and build everything in DIR
# (relative to the repository unless absolute).
upfleet_build() {
  local dir="$1"
  shift
  [[ "$dir" == /* ]] || dir="$UPFLEET_REPO/$dir"
  local jobs="${UPFLEET_BUILD_JOBS:-$(nproc)}"
  upfleet_log "building in $dir ($jobs jobs)"
  # The configure log goes inside the build dir (ignored by git), not next to it.
  mkdir -p "$dir"
  cmake -S "$UPFLEET_REPO" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="${UPFLEET_BUILD_TYPE:-Release}" \
    -DUPFLEET_WERROR=ON "$@" >"$dir/cmake.log" 2>&1 || {
    upfleet_log_tail "$dir/cmake.log" 40
    upfleet_die "cmake configure failed"
  }
  # shellcheck disable=SC2086  # a list of targets
  ninja -C "$dir" -j "$jobs" ${UPFLEET_BUILD_TARGETS:-} >&2 || upfleet_die "build failed in $dir"
}
