# Sourced by the project's scripts: exports JAVA_HOME pointing at a JDK 25 or newer, or exits with a message.
# Looks at $JAVA_HOME, then `java` on the PATH, then the usual install folders.
b4j_java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1; }
b4j_find_jdk() {
  local c major
  for c in "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")" \
           /usr/lib/jvm/*25* /usr/lib/jvm/*2[6-9]* /usr/lib/jvm/* /opt/java/* /opt/jdk* \
           /Library/Java/JavaVirtualMachines/*/Contents/Home "$HOME"/.sdkman/candidates/java/*; do
    [ -n "$c" ] && [ -x "$c/bin/javac" ] || continue
    major=$(b4j_java_major "$c")
    case "$major" in ''|1.*) continue ;; esac
    if [ "$major" -ge 25 ] 2>/dev/null; then echo "$c"; return 0; fi
  done
  return 1
}
if ! B4J_JDK=$(b4j_find_jdk); then
  echo "bitnet4j: no JDK 25 or newer found (looked at JAVA_HOME, the PATH and /usr/lib/jvm)." >&2
  echo "Install one (e.g. Temurin 25) and/or set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME="$B4J_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
