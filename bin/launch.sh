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
