# Every C file of the project is formatted as .clang-format says (fixtures under tests/data/ are
# inputs to other tests, kept as written).
set -euo pipefail
command -v clang-format >/dev/null || { echo "clang-format not installed"; exit 1; }
cd "$SRC"
bad=0
for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find formats store symbolicate upload cli tests -name '*.[ch]'); do
  case $f in tests/data/*) continue ;; esac
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || { echo "not formatted: $f (run clang-format -i $f)"; bad=1; }
done
exit $bad
