# Shared by the bin/ launchers: runs MAIN_CLASS from MODULE's jar and target/lib with the given args.
# Usage (from a launcher): launch MODULE MAIN_CLASS "$@"
IMAGEREC_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export IMAGEREC_HOME

launch() {
  local module="$1" main="$2"
  shift 2
  local jar
  jar=$(ls "$IMAGEREC_HOME/$module"/target/imagerec-"$module"-*.jar 2>/dev/null | grep -v -- "-tests.jar" | head -n 1 || true)
  if [ -z "$jar" ] || [ ! -d "$IMAGEREC_HOME/$module/target/lib" ]; then
    echo "$(basename "$0"): not built yet; run: (cd $IMAGEREC_HOME && mvn -q -DskipTests package)" >&2
    exit 2
  fi
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  exec java ${JAVA_OPTS:-} -cp "$jar:$IMAGEREC_HOME/$module/target/lib/*" "$main" "$@"
}

# glibc malloc settings for a process that runs libtorch (the worker, and the benchmark's in-process
# runs, which must meet the same allocator): at most two arenas, and fixed mmap and trim thresholds.
# With glibc's adaptive thresholds, libtorch's activation buffers (megabytes per image for an
# ImageNet-sized model) went back to the kernel after a batch and were faulted in again, zeroed, on
# the next: resnet18 without batching took 1,800-3,700 page faults and 64-104 ms of CPU per image
# against 1-6 faults and 41-43 ms with these, for 11 MiB more resident; a batching resnet18 worker
# went through phases of 100-350 faults per image (CPU per image up by a fifth); in process, the same
# configuration read 1,400 or 5,300 images/s depending on what ran before it (docs/PERFORMANCE.md,
# 2026-12-04). Allocations under 32 MiB then come from the arenas, and free memory at an arena's
# top is given back only past 1 GiB. Each can be overridden from the environment.
libtorch_malloc() {
  export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
  export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}"
  export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-1073741824}"
}
